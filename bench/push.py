"""Push fan-out on devstack: the push worker sending to 1,000 subscriptions, and what it costs.

The embedded stack starts in this process as bench/geo.py starts it (moto's server on loopback,
tables, queues, the demo seed); no app server is needed. A local push service (a threaded HTTP
server on loopback) answers every POST with 201 at once and keeps the bodies.

Two layouts of 1,000 subscriptions each, every subscription with its own P-256 key pair and
16-byte auth secret, written to devstack with PushSubscription.batch_write():

  1000x1  1,000 owners with one camera and one device each, asked in 20 requests of 50
          cameras (a request's most): one push per asked camera, the usual fan-out;
  100x10  100 owners with one camera and ten devices each (a user's most), asked in 2 requests
          of 50: ten pushes per asked camera, so the per-camera DynamoDB work is spread thinner.

Owners and cameras are items written directly (bench data: no password hashing); the requests
are made by app.services.requests.create() as a detective's request is, which queues one push
message per request. Those messages are received from the push queue and handed to
lambdas.push_sender.handler.handler in Lambda's SQS event shape, ten at a time (the queue's
batch size), one invocation after another, as Lambda would for one concurrent execution.
Wrappers installed in this process only (no project file changes) time the parts of that real
path: per asked camera, push.notice_for (two answer tokens written), subscriptions_of (a
Query) and the notified_at update; per push, send_one, and inside pywebpush.webpush the VAPID
key parsing (Vapid.from_string, done per message), the JWT signature (Vapid.sign, one ES256
signature per message: pywebpush signs a new JWT for every message), the encryption
(WebPusher.encode) and the HTTP POST (Session.post: send_one keeps one session, and one parsed
VAPID key, per container, so the connection to a push service is reused).

moto's Query on a GSI walks every item of the table, so the per-camera DynamoDB figures are the
emulator's and grow with the table (the second layout runs with both layouts' subscriptions
written); "send_one alone" gives the rate of the pushes themselves.

Then, on the same 1,000 subscriptions and the real payload's size (one decrypted from the
local push service), each step alone: WebPusher(subscription).encode(data); the bare RFC 8291
step with cryptography (a fresh ephemeral P-256 key, one ECDH exchange, HKDF for the IKM, the
content key and the nonce, one AES-128-GCM encryption; the receiver's key parsed beforehand),
which is the floor for encrypting one message; VAPID signing with and without a parsed key;
and the POST alone, with a new connection each time and over a kept-alive session.

    .venv/bin/python -m bench.push [--layouts 1000x1,100x10]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.stats import percentile

# The worker's Powertools logger writes one JSON line per request; keep stdout for figures.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

SCENE = (36.16130, -86.78370)  # downtown Nashville, where the demo agency's cameras are
PER_REQUEST = 50  # app.core.requests.MAX_CAMERAS
LAMBDA_BATCH = 10  # lambdas/registry.py: the push queue's batch size
LAYOUTS = {"1000x1": (1000, 1), "100x10": (100, 10)}
SAMPLE_DECRYPTS = 20
WARMUP = 20


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"mean_ms": round(statistics.fmean(ms), 3), "p50_ms": round(percentile(ms, 50), 3),
            "p95_ms": round(percentile(ms, 95), 3), "max_ms": round(max(ms), 3)}


# ---------------------------------------------------------------- the local push service


class PushService:
    """Answers every POST with 201 at once; keeps the last body per path and counts them."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.posts = 0
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, for the session comparison

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with service._lock:
                    service.bodies[self.path] = body
                    service.posts += 1
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------- timing the real path


@dataclass
class Probe:
    """Wraps functions and methods in place to add up their time; undone by remove()."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _undo: list[tuple[Any, str, Any, bool]] = field(default_factory=list)

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        own = not isinstance(owner, type) or name in owner.__dict__
        probe = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                probe.seconds[label] += time.perf_counter() - start
                probe.calls[label] += 1

        setattr(owner, name, timed)
        self._undo.append((owner, name, original, own))

    def install(self) -> None:
        import pywebpush
        import requests
        from py_vapid import Vapid02

        from app.models.requests import RequestTarget
        from app.services import push
        from lambdas.push_sender import handler

        self.wrap(push, "notice_for", "notice_for")
        self.wrap(push, "subscriptions_of", "subscriptions_of")
        self.wrap(RequestTarget, "update", "notified_at_update")
        self.wrap(handler, "send_one", "send_one")
        self.wrap(Vapid02, "from_string", "vapid_key_parse")
        self.wrap(Vapid02, "sign", "vapid_sign")
        self.wrap(pywebpush.WebPusher, "encode", "encrypt")
        self.wrap(requests.Session, "post", "http_post")  # send_one posts on one kept session

    def remove(self) -> None:
        for owner, name, original, own in reversed(self._undo):
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._undo.clear()


# ---------------------------------------------------------------- the data


@dataclass
class Device:
    endpoint: str
    key: Any  # ec.EllipticCurvePrivateKey
    auth: bytes
    p256dh: str

    def info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh,
                                                    "auth": b64url(self.auth)}}


def new_device(endpoint: str) -> Device:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return Device(endpoint, key, os.urandom(16), b64url(public))


@dataclass
class Layout:
    name: str
    owners: int
    devices_per_owner: int
    devices: list[Device]
    request_ids: list[str]
    target_ids: list[str]


def build_layout(name: str, owners: int, per_owner: int, service: PushService,
                 detective: Any, settings: Any) -> Layout:
    """Owners, cameras and subscriptions written to devstack; the requests sent."""
    from app.core.cameras import parse_camera
    from app.models.cameras import Camera
    from app.models.requests import PushSubscription, RequestTarget
    from app.models.users import User
    from app.services import clock, push, registry
    from app.services import requests as footage

    now = clock.now()
    users = [User(user_id=uuid.uuid4().hex, email=f"bench-{name}-{i}@example.org",
                  display_name=f"Bench owner {i}", password_hash="-", role="owner",
                  agency_id=detective.agency_id, created_at=now) for i in range(owners)]
    cameras = []
    for i, user in enumerate(users):
        spec = parse_camera({
            "nickname": f"Porch {i}", "lat": SCENE[0] + (i % 40) * 0.0002,
            "lon": SCENE[1] + (i // 40) * 0.0002, "heading_deg": (i * 37) % 360, "fov_deg": 90,
            "range_m": 30, "mount": "doorbell", "facing": "street", "retention_days": 14,
            "tier": "on_request", "visibility": "exact", "attested": True})
        cameras.append(registry.new_camera(user, spec))
    devices: list[Device] = []
    subscriptions = []
    for user in users:
        for d in range(per_owner):
            device = new_device(f"{service.origin}/{name}/{uuid.uuid4().hex}")
            devices.append(device)
            subscriptions.append(PushSubscription(
                subscription_id=push.subscription_id(device.endpoint), user_id=user.user_id,
                endpoint=device.endpoint, p256dh=device.p256dh, auth=b64url(device.auth),
                device=f"bench device {d}", created_at=now))
    for model, items in ((User, users), (Camera, cameras), (PushSubscription, subscriptions)):
        with model.batch_write() as batch:
            for item in items:
                batch.save(item)
    request_ids, target_ids = [], []
    start = (now - timedelta(minutes=40)).replace(microsecond=0)
    for first in range(0, len(cameras), PER_REQUEST):
        chosen = cameras[first:first + PER_REQUEST]
        made = footage.create(settings, detective, {
            "camera_ids": [c.camera_id for c in chosen],
            "case_number": f"B-{name}-{first // PER_REQUEST + 1}", "offense": "burglary",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(minutes=20)).isoformat(),
            "lat": SCENE[0], "lon": SCENE[1], "message": "Bench: who saw the van?"},
            "127.0.0.1")
        if made.state != "open":
            raise RuntimeError(f"request {made.request_id} is {made.state}, not open")
        request_ids.append(made.request_id)
        target_ids += [t.target_id for t in RequestTarget.request_index.query(made.request_id)]
    return Layout(name, owners, per_owner, devices, request_ids, target_ids)


def queued_messages(local: Any, request_ids: list[str], timeout: float = 30.0
                    ) -> list[dict[str, Any]]:
    """The push messages create() queued for these requests, received from devstack's SQS."""
    sqs, url = local.client("sqs"), local.queue_url("push")
    wanted = set(request_ids)
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while wanted - set(found) and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=600, WaitTimeSeconds=1,
                                           AttributeNames=["All"]).get("Messages", []):
            request_id = json.loads(message["Body"])["request_id"]
            if request_id in wanted:
                found[request_id] = message
    if wanted - set(found):
        raise RuntimeError(f"{len(wanted - set(found))} push messages never arrived")
    return [found[r] for r in request_ids]


# ---------------------------------------------------------------- the fan-out


def run_fan_out(local: Any, layout: Layout, service: PushService) -> dict[str, Any]:
    from app.models.requests import RequestTarget
    from devstack.stack import REGION
    from devstack.worker_loop import LambdaContext, load_handler, sqs_event

    handler = load_handler("lambdas.push_sender.handler:handler")  # as devstack's loop does

    messages = queued_messages(local, layout.request_ids)
    sqs, url = local.client("sqs"), local.queue_url("push")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    before = service.posts
    probe = Probe()
    probe.install()
    invocations: list[float] = []
    try:
        started = time.perf_counter()
        for first in range(0, len(messages), LAMBDA_BATCH):
            batch = messages[first:first + LAMBDA_BATCH]
            context = LambdaContext(function_name="bench-push", aws_request_id=uuid.uuid4().hex,
                                    timeout_seconds=60)
            t0 = time.perf_counter()
            result = handler(sqs_event(batch, arn, REGION), context)
            invocations.append(time.perf_counter() - t0)
            if result.get("batchItemFailures"):
                raise RuntimeError(f"the push worker failed: {result}")
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        wall = time.perf_counter() - started
    finally:
        probe.remove()
    pushes = service.posts - before
    if pushes != len(layout.devices):
        raise RuntimeError(f"{pushes} pushes reached the push service, not "
                           f"{len(layout.devices)}")
    unnotified = [t for t in layout.target_ids if not RequestTarget.get(t).notified_at]
    if unnotified:
        raise RuntimeError(f"{len(unnotified)} asked cameras have no notified_at")
    s, n = probe.seconds, probe.calls
    send_parts = ("vapid_key_parse", "vapid_sign", "encrypt", "http_post")
    per_push = {k: s[k] / pushes * 1000 for k in ("send_one", *send_parts)}
    per_push["other_in_send_one"] = per_push["send_one"] - sum(per_push[k] for k in send_parts)
    targets = len(layout.target_ids)
    per_camera = {k: s[k] / targets * 1000
                  for k in ("notice_for", "subscriptions_of", "notified_at_update")}
    dynamodb_s = sum(s[k] for k in ("notice_for", "subscriptions_of", "notified_at_update"))
    return {
        "owners": layout.owners, "devices_per_owner": layout.devices_per_owner,
        "subscriptions": len(layout.devices), "requests": len(layout.request_ids),
        "asked_cameras": targets, "pushes": pushes, "invocations": len(invocations),
        "wall_s": round(wall, 3), "messages_per_second": round(pushes / wall, 1),
        "ms_per_message": round(wall / pushes * 1000, 3),
        "send_only_messages_per_second": round(pushes / s["send_one"], 1),
        "subscriptions_in_table": subscriptions_in_table(),
        "invocation_s_max": round(max(invocations), 3),
        "per_push_ms": {k: round(v, 3) for k, v in per_push.items()},
        "per_asked_camera_ms": {k: round(v, 3) for k, v in per_camera.items()},
        "share_of_wall": {
            "http_post": round(s["http_post"] / wall, 3),
            "vapid_sign_and_key_parse": round((s["vapid_sign"] + s["vapid_key_parse"]) / wall, 3),
            "encrypt": round(s["encrypt"] / wall, 3),
            "dynamodb_per_camera": round(dynamodb_s / wall, 3),
            "rest": round(1 - (s["send_one"] + dynamodb_s) / wall, 3)},
        "calls": dict(n),
    }


def subscriptions_in_table() -> int:
    from app.models.requests import PushSubscription

    return int(PushSubscription.count())


def check_sample(layout: Layout, service: PushService) -> bytes:
    """Decrypt some received bodies with their devices' keys; one payload, for its size."""
    import http_ece

    payload = b""
    for device in layout.devices[:: max(1, len(layout.devices) // SAMPLE_DECRYPTS)]:
        body = service.bodies[device.endpoint.removeprefix(service.origin)]
        payload = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth,
                                   version="aes128gcm")
        data = json.loads(payload)
        if data["title"] != "Police ask for your footage" or len(data["actions"]) != 2:
            raise RuntimeError(f"unexpected payload: {data}")
    return payload


# ---------------------------------------------------------------- each step alone


def timed_each(items: list[Any], step: Callable[[Any], Any]) -> list[float]:
    for item in items[:WARMUP]:
        step(item)
    times = []
    for item in items:
        start = time.perf_counter()
        step(item)
        times.append(time.perf_counter() - start)
    return times


def bare_encrypt(device: Device, receiver: Any, payload: bytes) -> bytes:
    """RFC 8291 + RFC 8188 with cryptography alone: the floor for one message."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), receiver)
    sender = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    ua_public = base64.urlsafe_b64decode(device.p256dh + "=" * (-len(device.p256dh) % 4))
    ikm = HKDF(hashes.SHA256(), 32, device.auth,
               b"WebPush: info\x00" + ua_public + sender).derive(shared)
    salt = os.urandom(16)
    cek = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\x00").derive(ikm)
    sealed = AESGCM(cek).encrypt(nonce, payload + b"\x02", None)  # last record: 0x02 delimiter
    return salt + (4096).to_bytes(4, "big") + bytes([len(sender)]) + sender + sealed


def steps_alone(devices: list[Device], payload: bytes, service: PushService,
                settings: Any) -> dict[str, Any]:
    import http_ece
    import requests
    from cryptography.hazmat.primitives.asymmetric import ec
    from py_vapid import Vapid
    from pywebpush import WebPusher

    encode = timed_each(devices, lambda d: WebPusher(d.info()).encode(payload))
    receivers = {d.endpoint: ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), base64.urlsafe_b64decode(d.p256dh + "=" * (-len(d.p256dh) % 4)))
        for d in devices}
    bare = timed_each(devices, lambda d: bare_encrypt(d, receivers[d.endpoint], payload))
    check = devices[0]
    opened = http_ece.decrypt(bare_encrypt(check, receivers[check.endpoint], payload),
                              private_key=check.key, auth_secret=check.auth, version="aes128gcm")
    if opened != payload:
        raise RuntimeError("the bare encryption does not decrypt to the payload")

    claims = {"sub": settings.vapid_subject, "aud": service.origin,
              "exp": int(time.time()) + 12 * 3600}
    key = settings.vapid_private_key
    sign_parsed = timed_each(devices, lambda d: Vapid.from_string(private_key=key).sign(claims))
    vapid = Vapid.from_string(private_key=key)
    sign_only = timed_each(devices, lambda d: vapid.sign(claims))

    sized = os.urandom(len(payload) + 86 + 17)  # the body's size: header, padding, tag
    headers = {"TTL": "86400", "Content-Encoding": "aes128gcm"}
    new_connection = timed_each(devices, lambda d: requests.post(
        d.endpoint, data=sized, headers=headers, timeout=10))
    with requests.Session() as session:
        kept_alive = timed_each(devices, lambda d: session.post(
            d.endpoint, data=sized, headers=headers, timeout=10))
    return {"encrypt": summary_ms(encode), "bare_ecdh_hkdf_aesgcm": summary_ms(bare),
            "vapid_parse_and_sign": summary_ms(sign_parsed),
            "vapid_sign_parsed_key": summary_ms(sign_only),
            "http_post_new_connection": summary_ms(new_connection),
            "http_post_kept_alive": summary_ms(kept_alive)}


# ---------------------------------------------------------------- the run


def parse_args() -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", default="1000x1,100x10",
                        help="owners x devices each, comma separated (1000x1,100x10)")
    args = parser.parse_args()
    names = [n.strip() for n in args.layouts.split(",") if n.strip()]
    for name in names:
        owners, _, per_owner = name.partition("x")
        if not (owners.isdigit() and per_owner.isdigit()) or not 1 <= int(per_owner) <= 10:
            parser.error("--layouts takes OWNERSxDEVICES, devices 1 to 10 (a user's most)")
        LAYOUTS[name] = (int(owners), int(per_owner))
    return names


def show_layout(name: str, r: dict[str, Any]) -> None:
    p, c, share = r["per_push_ms"], r["per_asked_camera_ms"], r["share_of_wall"]
    print(f"\n{name}: {r['owners']:,} owners x {r['devices_per_owner']} device(s) = "
          f"{r['subscriptions']:,} subscriptions; {r['requests']} requests asking "
          f"{r['asked_cameras']:,} cameras; {r['invocations']} handler invocations of up to "
          f"{LAMBDA_BATCH} messages")
    print(f"  {r['pushes']:,} pushes in {r['wall_s']:.2f} s: {r['messages_per_second']:.0f} "
          f"messages/s, {r['ms_per_message']:.2f} ms a message (slowest invocation "
          f"{r['invocation_s_max']:.2f} s)")
    print(f"  send_one alone (the pushes, no DynamoDB): {r['send_only_messages_per_second']:.0f} "
          "messages/s")
    print(f"  per push, inside send_one ({p['send_one']:.2f} ms): HTTP POST "
          f"{p['http_post']:.2f}, VAPID key parse {p['vapid_key_parse']:.2f} + JWT sign "
          f"{p['vapid_sign']:.2f}, encrypt {p['encrypt']:.2f}, other "
          f"{p['other_in_send_one']:.2f} ms")
    print(f"  per asked camera (DynamoDB on moto): notice_for {c['notice_for']:.2f} ms (two "
          f"answer tokens written), subscriptions query {c['subscriptions_of']:.2f} ms, "
          f"notified_at update {c['notified_at_update']:.2f} ms; moto's Query on a GSI walks "
          f"the whole table ({r['subscriptions_in_table']:,} subscriptions after this run)")
    print(f"  share of the wall time: HTTP POST {share['http_post']:.0%}, VAPID "
          f"{share['vapid_sign_and_key_parse']:.0%}, encryption {share['encrypt']:.0%}, "
          f"DynamoDB per camera {share['dynamodb_per_camera']:.0%}, the rest "
          f"{share['rest']:.0%}")


def show_steps(steps: dict[str, Any], payload_bytes: int) -> None:
    print(f"\neach step alone, over the same subscriptions ({payload_bytes}-byte payload), ms "
          "a message:")
    labels = {"encrypt": "WebPusher(sub).encode(data)",
              "bare_ecdh_hkdf_aesgcm": "bare ECDH + HKDF + AES-GCM (floor)",
              "vapid_parse_and_sign": "VAPID key parse + JWT sign",
              "vapid_sign_parsed_key": "VAPID JWT sign, key parsed once",
              "http_post_new_connection": "POST, new connection (before the kept session)",
              "http_post_kept_alive": "POST, kept-alive session"}
    for key, label in labels.items():
        s = steps[key]
        print(f"  {label:36} mean {s['mean_ms']:6.3f}  p50 {s['p50_ms']:6.3f}  "
              f"p95 {s['p95_ms']:6.3f}  max {s['max_ms']:7.3f}")


def run(names: list[str], started: float) -> dict[str, Any]:
    from devstack import seed, stack
    from lambdas.common import settings as worker_settings
    from tests.support import make_user

    local = stack.start()
    service = PushService()
    try:
        settings = worker_settings()  # the push worker's settings; configures the models
        seed.seed()
        detective = make_user("detective").user
        print(f"stack ready (moto at {local.endpoint}); local push service at {service.origin}")
        results: dict[str, Any] = {}
        layouts: dict[str, Layout] = {}
        for name in names:
            owners, per_owner = LAYOUTS[name]
            t0 = time.perf_counter()
            layouts[name] = build_layout(name, owners, per_owner, service, detective, settings)
            print(f"{name}: data written and requests sent in {time.perf_counter() - t0:.1f} s")
            results[name] = run_fan_out(local, layouts[name], service)
            show_layout(name, results[name])
        first = layouts[names[0]]
        payload = check_sample(first, service)
        print(f"\n{SAMPLE_DECRYPTS} received bodies decrypted with their devices' keys: the "
              f"payload is {len(payload)} bytes of JSON, "
              f"{len(service.bodies[first.devices[0].endpoint.removeprefix(service.origin)])} "
              "bytes encrypted")
        steps = steps_alone(first.devices, payload, service, settings)
        show_steps(steps, len(payload))
    finally:
        service.close()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)
    primary = results[names[0]]
    return {
        "bench": "push",
        "encrypt_ms_per_message": steps["encrypt"]["mean_ms"],
        "messages_per_second": primary["messages_per_second"],
        "bare_ecdh_aesgcm_ms": steps["bare_ecdh_hkdf_aesgcm"]["mean_ms"],
        "vapid_sign_ms_per_message": round(primary["per_push_ms"]["vapid_sign"]
                                           + primary["per_push_ms"]["vapid_key_parse"], 3),
        "http_post_ms_per_message": primary["per_push_ms"]["http_post"],
        "ms_per_message": primary["ms_per_message"],
        "primary_layout": names[0],
        "subscriptions": primary["subscriptions"],
        "pushes": primary["pushes"],
        "payload_bytes": len(payload),
        "layouts": results,
        "steps_alone": steps,
        "total_s": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    names = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    print(f"push fan-out on devstack: layouts {', '.join(names)} (owners x devices each)")
    print(f"load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    result = run(names, started)
    primary = result["layouts"][result["primary_layout"]]
    floor = result["bare_ecdh_aesgcm_ms"]
    print(f"\nencryption: pywebpush {result['encrypt_ms_per_message']:.3f} ms a message against "
          f"{floor:.3f} ms for the bare ECDH + HKDF + AES-GCM step "
          f"({result['encrypt_ms_per_message'] / floor:.2f}x)")
    print(f"{result['primary_layout']}: {primary['messages_per_second']:.0f} messages/s, one "
          f"invocation at a time; pywebpush signs a new VAPID JWT (one ES256 signature, and "
          f"the key parsed again) for every message: "
          f"{result['vapid_sign_ms_per_message']:.2f} ms of {primary['ms_per_message']:.2f}")
    full_batch = LAMBDA_BATCH * PER_REQUEST * 10  # ten requests of 50 owners with 10 devices
    send_ms = 1000 / primary["send_only_messages_per_second"]
    result["pushes_per_60s_invocation"] = int(60_000 / send_ms)
    print(f"one invocation sends one push at a time: at {send_ms:.2f} ms a push (loopback, no "
          f"TLS) a 60 s invocation holds {result['pushes_per_60s_invocation']:,} pushes; a "
          f"full batch can ask for {full_batch:,}, each a TLS POST to a remote push service")
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    print(f"total {result['total_s']:.0f} s; load average (1 min) at the end "
          f"{result['load_average_end']:.2f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
