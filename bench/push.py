"""Push fan-out on devstack: the push worker sending to every device of the owners a request
asks (1,000 owners with one device, 100 with ten) against a local push service, and each step
of a push alone (docs/benchmarks.md).

    .venv/bin/python -m bench.push [--layouts 1000x1,100x10] [--quick]
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import (
    DynamoCalls,
    account,
    begin,
    finish,
    options,
    repeat,
    running,
    say,
    summary,
)

SCENE = (36.16130, -86.78370)  # downtown Nashville, the demo agency's
PER_REQUEST, BATCH = 50, 10


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class PushService:
    """Answers every POST with 201 at once; keeps the last body per path."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                bodies[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def device(origin: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"{origin}/{uuid.uuid4().hex}", "key": key, "auth": os.urandom(16),
            "p256dh": b64url(public)}


def layout(owners: int, per_owner: int, service: PushService, detective: Any,
           settings: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Owners, cameras and subscriptions written; the requests made. (devices, request ids)"""
    from app.core.cameras import parse_camera
    from app.models.cameras import Camera
    from app.models.footage import PushSubscription
    from app.models.users import User
    from app.services import clock, push
    from app.services.cameras import registry
    from app.services.footage import canvass

    now = clock.now()
    users = [User(user_id=uuid.uuid4().hex, email=f"push-{uuid.uuid4().hex}@example.org",
                  display_name=f"Owner {i}", password_hash="-", role="owner",
                  agency_id=detective.agency_id, created_at=now) for i in range(owners)]
    cameras = [registry.new_camera(user, parse_camera({
        "nickname": f"Porch {i}", "lat": SCENE[0] + (i % 40) * 0.0002,
        "lon": SCENE[1] + (i // 40) * 0.0002, "heading_deg": (i * 37) % 360, "fov_deg": 90,
        "range_m": 30, "mount": "doorbell", "facing": "street", "retention_days": 14,
        "tier": "on_request", "visibility": "exact", "attested": True}))
        for i, user in enumerate(users)]
    devices = [dict(device(service.origin), user_id=u.user_id) for u in users
               for _ in range(per_owner)]
    subscriptions = [PushSubscription(
        subscription_id=push.subscription_id(d["endpoint"]), user_id=d["user_id"],
        endpoint=d["endpoint"], p256dh=d["p256dh"], auth=b64url(d["auth"]), created_at=now)
        for d in devices]
    for model, items in ((User, users), (Camera, cameras), (PushSubscription, subscriptions)):
        with model.batch_write() as batch:
            for item in items:
                batch.save(item)
    start = (now - timedelta(minutes=40)).replace(microsecond=0)
    requests = [canvass.create(settings, detective, {
        "camera_ids": [c.camera_id for c in cameras[first:first + PER_REQUEST]],
        "case_number": f"B-PUSH-{first}", "offense": "burglary",
        "window_start": start.isoformat(), "window_end": (start + timedelta(minutes=20))
        .isoformat(), "lat": SCENE[0], "lon": SCENE[1], "message": "Who saw the van?"},
        "127.0.0.1").request_id for first in range(0, len(cameras), PER_REQUEST)]
    return devices, requests


def fan_out(local: Any, request_ids: list[str], pushes: int, service: PushService
            ) -> dict[str, Any]:
    from devstack.stack import REGION
    from devstack.worker_loop import LambdaContext, load_handler, sqs_event

    handler = load_handler("lambdas.push_sender.handler:handler")
    sqs, url = local.client("sqs"), local.queue_url("push")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    found: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while len(found) < len(request_ids) and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     VisibilityTimeout=600).get("Messages", []):
            found[json.loads(m["Body"])["request_id"]] = m
    messages = [found[r] for r in request_ids]
    before = len(service.bodies)
    with DynamoCalls() as dynamo:
        t0 = time.perf_counter()
        for first in range(0, len(messages), BATCH):
            batch = messages[first:first + BATCH]
            result = handler(sqs_event(batch, arn, REGION), LambdaContext(
                function_name="bench-push", aws_request_id=uuid.uuid4().hex))
            if result.get("batchItemFailures"):
                raise SystemExit(f"the push worker failed: {result}")
        wall = time.perf_counter() - t0
    sent = len(service.bodies) - before
    if sent != pushes:
        raise SystemExit(f"{sent} pushes reached the push service, not {pushes}")
    return {"pushes": sent, "wall_s": round(wall, 3),
            "messages_per_second": round(sent / wall, 1),
            "ms_per_message": round(wall / sent * 1000, 3),
            "dynamodb_share": round(dynamo.total() / wall, 3)}


def bare_encrypt(d: dict[str, Any], payload: bytes) -> bytes:
    """RFC 8291 and RFC 8188 with cryptography alone: the floor for one message."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    receiver = d["key"].public_key()
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    sender = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    ua = receiver.public_bytes(serialization.Encoding.X962,
                               serialization.PublicFormat.UncompressedPoint)
    ikm = HKDF(hashes.SHA256(), 32, d["auth"], b"WebPush: info\x00" + ua + sender).derive(
        ephemeral.exchange(ec.ECDH(), receiver))
    salt = os.urandom(16)
    cek = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\x00").derive(ikm)
    sealed = AESGCM(cek).encrypt(nonce, payload + b"\x02", None)
    return salt + (4096).to_bytes(4, "big") + bytes([len(sender)]) + sender + sealed


def steps_alone(devices: list[dict[str, Any]], service: PushService, settings: Any
                ) -> dict[str, Any]:
    import http_ece
    import requests
    from py_vapid import Vapid
    from pywebpush import WebPusher

    def info(d: dict[str, Any]) -> dict[str, Any]:
        return {"endpoint": d["endpoint"], "keys": {"p256dh": d["p256dh"],
                                                    "auth": b64url(d["auth"])}}

    d0 = devices[0]
    payload = http_ece.decrypt(service.bodies[d0["endpoint"].removeprefix(service.origin)],
                               private_key=d0["key"], auth_secret=d0["auth"],
                               version="aes128gcm")
    if http_ece.decrypt(bare_encrypt(d0, payload), private_key=d0["key"],
                        auth_secret=d0["auth"], version="aes128gcm") != payload:
        raise SystemExit("the bare encryption does not decrypt to the payload")
    claims = {"sub": settings.vapid_subject, "aud": service.origin,
              "exp": int(time.time()) + 12 * 3600}
    key = settings.vapid_private_key
    vapid = Vapid.from_string(private_key=key)
    body, headers = os.urandom(len(payload) + 103), {"TTL": "60", "Content-Encoding": "aes128gcm"}
    kept = requests.Session()
    cycle = itertools.cycle(devices)

    def each(step: Any) -> dict[str, Any]:
        return summary(repeat(lambda: step(next(cycle)), min(len(devices), 1000), 2), digits=3)

    return {"payload_bytes": len(payload),
            "encrypt": each(lambda d: WebPusher(info(d)).encode(payload)),
            "bare_ecdh_hkdf_aesgcm": each(lambda d: bare_encrypt(d, payload)),
            "vapid_parse_and_sign": each(lambda d: Vapid.from_string(private_key=key)
                                         .sign(claims)),
            "vapid_sign_parsed_key": each(lambda d: vapid.sign(claims)),
            "post_new_connection": each(lambda d: requests.post(d["endpoint"], data=body,
                                                                headers=headers, timeout=10)),
            "post_kept_alive": each(lambda d: kept.post(d["endpoint"], data=body,
                                                        headers=headers, timeout=10))}


def main() -> int:
    args = options(__doc__, {"layouts": ("1000x1,100x10", "20x1,4x5",
                                         "owners x devices each, comma separated")})
    names = [n.strip() for n in args.layouts.split(",")]
    started = begin("push", args, f"push fan-out, layouts {', '.join(names)}")
    service = PushService()
    results: dict[str, Any] = {}
    with running(app=False) as stack:
        detective = account("detective").user
        for name in names:
            owners, per_owner = (int(n) for n in name.split("x"))
            devices, request_ids = layout(owners, per_owner, service, detective,
                                          stack.settings)
            results[name] = fan_out(stack.local, request_ids, len(devices), service)
            say(f"{name}: {results[name]}")
            if name == names[0]:
                steps = steps_alone(devices, service, stack.settings)
    service.server.shutdown()
    first = results[names[0]]
    return finish("push", args, {
        "messages_per_second": first["messages_per_second"],
        "ms_per_message": first["ms_per_message"],
        "dynamodb_share": first["dynamodb_share"],
        "encrypt_ms_per_message": steps["encrypt"]["mean"],
        "bare_ecdh_aesgcm_ms": steps["bare_ecdh_hkdf_aesgcm"]["mean"],
        "vapid_sign_ms_per_message": steps["vapid_sign_parsed_key"]["mean"],  # as the worker
        "http_post_kept_alive_ms": steps["post_kept_alive"]["mean"],
        "payload_bytes": steps["payload_bytes"],
        "layouts": results, "steps_alone_ms": steps,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
