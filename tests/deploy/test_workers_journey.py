"""A day of the product run on the artifacts AWS would run: every user's main step goes through
the web zip (both API Gateway shapes), every message the app really sends is handed to the
worker artifact Lambda would hand it to, as SQS's event source mapping does, and the scheduled
workers run as EventBridge runs them. Then every line any of them printed (their CloudWatch
logs) is read for secrets, and for the JSON and correlation ids operators rely on.

The journey runs once per session (the `journey` fixture); the tests read what it kept.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from lambdas.registry import IOT, QUEUES, SCHEDULES
from tests.builders.cameras import SCENE, camera_body
from tests.deploy.harness import (
    Gateway,
    LambdaProcess,
    Response,
    csrf_token,
    iot_connect_event,
    lambda_environment,
    scheduled_event,
    sqs_event,
)
from tests.deploy.stage import PREFIX, PUBLIC_URL, LocalAws

ROOT = Path(__file__).resolve().parents[2]
OFFSET_S = 37 * 60  # the owner's recorder runs 37 minutes fast
SEED = """
import json
from app import create_app
create_app()
from devstack import seed
print(json.dumps([u.__dict__ for u in seed.seed()]))
"""


@dataclass
class Journey:
    secrets: dict[str, str] = field(default_factory=dict)  # what → a value never to be logged
    handled: dict[str, int] = field(default_factory=dict)  # worker → messages it handled
    scheduled: dict[str, Any] = field(default_factory=dict)  # worker → what its run returned
    asked: Response | None = None  # the detective's POST /api/requests
    iot: dict[str, Any] = field(default_factory=dict)  # what the IoT Core workers answered
    processes: dict[str, LambdaProcess] = field(default_factory=dict)

    def keep(self, what: str, value: str | None) -> None:
        if value:
            self.secrets[f"{what} #{len(self.secrets)}"] = value

    def logs(self) -> dict[str, str]:
        return {name: process.log for name, process in self.processes.items()}


def seed(aws: LocalAws) -> dict[str, dict[str, Any]]:
    """The demo program, written by a separate process with the stage's settings (the way an
    operator runs DEPLOY.md step 9's commands), so this test process keeps its own models."""
    env = lambda_environment("seed", 512, aws.endpoint_env(), aws.function_env)
    env.pop("AWS_LAMBDA_FUNCTION_NAME")
    done = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return {user["role"]: user for user in json.loads(done.stdout.strip().splitlines()[-1])}


def sign_in_api(gateway: Gateway, user: dict[str, Any], journey: Journey) -> str:
    """POST /api/session, then the TOTP code for police: returns the CSRF token to send."""
    token = gateway.get("/api/csrf").json()["csrf_token"]
    made = gateway.post("/api/session", headers={"X-CSRF-Token": token},
                        json_body={"email": user["email"], "password": user["password"]})
    assert made.status == 201, made.text
    journey.keep("password", user["password"])
    token = gateway.get("/api/csrf").json()["csrf_token"]  # bound to the new session
    if made.json()["mfa_required"]:
        code = pyotp.TOTP(user["totp_secret"]).now()
        journey.keep("totp secret", user["totp_secret"])
        journey.keep("totp code", code)
        done = gateway.post("/api/session/mfa", headers={"X-CSRF-Token": token},
                            json_body={"code": code})
        assert done.status == 200, done.text
        token = done.json()["csrf_token"]
    journey.keep("csrf token", token)
    return str(token)


def sign_in_form(gateway: Gateway, user: dict[str, Any], journey: Journey) -> None:
    """The log-in page as a browser submits it (and the TOTP page for police)."""
    token = csrf_token(gateway.get("/login").text)
    journey.keep("csrf token", token)
    done = gateway.post("/login", form={"email": user["email"], "password": user["password"],
                                        "csrf_token": token})
    journey.keep("password", user["password"])
    assert done.status == 302, done.text[:500]
    if "/mfa/" in done.headers["location"]:
        page = gateway.get("/mfa/verify")
        code = pyotp.TOTP(user["totp_secret"]).now()
        journey.keep("totp code", code)
        verified = gateway.post("/mfa/verify", form={"code": code,
                                                     "csrf_token": csrf_token(page.text)})
        assert verified.status == 302, verified.text[:500]


def form_post(gateway: Gateway, page_url: str, url: str, journey: Journey,
              **fields: str) -> Response:
    token = csrf_token(gateway.get(page_url).text)
    journey.keep("csrf token", token)
    return gateway.post(url, form={**fields, "csrf_token": token})


def keep_signature(url: str, journey: Journey) -> None:
    signature = parse_qs(urlsplit(url).query).get("X-Amz-Signature", [""])[0]
    assert signature, f"not a presigned URL: {url[:80]}"
    journey.keep("presigned signature", signature)


def deliver(aws: LocalAws, workers: Any, journey: Journey) -> int:
    """Hand every waiting message to its worker, in batches as the event source mapping
    does, until every queue is empty. Returns how many were handled."""
    sqs = aws.client("sqs")
    total = 0
    for _ in range(20):
        round_total = 0
        for spec in QUEUES:
            url = aws.queue_urls[spec.base_name]
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=spec.batch_size,
                                      MessageAttributeNames=["All"], AttributeNames=["All"],
                                      VisibilityTimeout=60)
            messages = got.get("Messages", [])
            if not messages:
                continue
            name = spec.handler.split(".")[1]
            worker = workers[name]
            journey.processes[name] = worker
            answer = worker.invoke(sqs_event(messages, aws.queue_arn(spec.base_name)),
                                   timeout_ms=spec.timeout_seconds * 1000)
            assert answer == {"batchItemFailures": []}, (name, answer, worker.log[-3000:])
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            journey.handled[name] = journey.handled.get(name, 0) + len(messages)
            round_total += len(messages)
        total += round_total
        if not round_total:
            return total
    raise AssertionError("the queues never emptied")


def mailed_link(to: str, path_part: str) -> str:
    """The link in the newest mail the mailer artifact sent through SES (moto keeps them)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    bodies = [str(getattr(m, "body", "")) for m in sent
              if to in (getattr(m, "destinations", None) or {}).get("ToAddresses", [])]
    found = re.findall(rf"https?://\S+{re.escape(path_part)}\S+", "\n".join(bodies))
    assert found, f"no {path_part} link in the mail to {to}"
    return str(found[-1])


def window() -> tuple[datetime, datetime]:
    start = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    return start, start + timedelta(seconds=20)


def request_footage(detective: Gateway, token: str, camera_id: str) -> Response:
    start, end = window()
    return detective.post("/api/requests", headers={"X-CSRF-Token": token}, json_body={
        "camera_ids": [camera_id], "case_number": "26-004417", "offense": "robbery",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
        "lat": SCENE[0], "lon": SCENE[1], "message": "Two people ran north."})


def upload(owner: Gateway, token: str, target_id: str, video: Path, journey: Journey) -> None:
    """The owner's phone: start, sign parts, PUT them straight to S3, complete."""
    start, _ = window()
    data = video.read_bytes()
    recorder_start = start - timedelta(seconds=10) + timedelta(seconds=OFFSET_S)
    headers = {"X-CSRF-Token": token}
    started = owner.post(f"/api/targets/{target_id}/upload", headers=headers, json_body={
        "filename": video.name, "size": len(data), "clock_offset_s": OFFSET_S,
        "video_starts_at": recorder_start.isoformat()})
    assert started.status == 201, started.text
    state = started.json()
    numbers = list(range(1, state["part_count"] + 1))
    urls = owner.post(f"/api/targets/{target_id}/upload/parts", headers=headers,
                      json_body={"parts": numbers}).json()["urls"]
    size = state["part_bytes"]
    for n in numbers:
        keep_signature(urls[str(n)], journey)
        put = requests.put(urls[str(n)], data=data[(n - 1) * size:n * size], timeout=30)
        assert put.status_code == 200, put.text
    done = owner.post(f"/api/targets/{target_id}/upload/complete", headers=headers,
                      json_body={})
    assert done.status == 200, done.text


@pytest.fixture(scope="module")
def journey(web: LambdaProcess, workers: Any, local_aws: LocalAws,
            tmp_path_factory: pytest.TempPathFactory) -> Journey:
    from tests.video.samples import make_h264

    journey = Journey(processes={"web": web})
    journey.keep("session key", local_aws.secret["secret_key"])
    journey.keep("vapid private key", local_aws.secret["vapid_private_key"])
    demo = seed(local_aws)

    # The owner registers a camera on a phone (HTTP API shape, the log-in form).
    owner = Gateway(web, "http")
    sign_in_form(owner, demo["owner"], journey)
    owner_token = owner.get("/api/csrf").json()["csrf_token"]
    journey.keep("csrf token", owner_token)
    camera = owner.post("/api/cameras", headers={"X-CSRF-Token": owner_token},
                        json_body=camera_body(nickname="Till"))
    assert camera.status == 201, camera.text

    # A detective asks for footage from a tablet (REST shape, the JSON API, TOTP).
    detective = Gateway(web, "rest")
    detective_token = sign_in_api(detective, demo["detective"], journey)
    journey.asked = request_footage(detective, detective_token, camera.json()["camera"]["id"])
    assert journey.asked.status == 201, journey.asked.text
    target_id = journey.asked.json()["targets"][0]["id"]
    deliver(local_aws, workers, journey)  # push (→ mail fallback), audit fan-out

    # The owner approves and uploads the recorder's export; the clip worker cuts it.
    answered = owner.post(f"/api/targets/{target_id}/answer",
                          headers={"X-CSRF-Token": owner_token}, json_body={"action": "approve"})
    assert answered.status == 200, answered.text
    video = make_h264(tmp_path_factory.mktemp("video") / "export.mp4", width=320, height=240,
                      seconds=40, gop=60)
    upload(owner, owner_token, target_id, video, journey)
    deliver(local_aws, workers, journey)
    status = owner.get(f"/api/targets/{target_id}").json()
    assert status["status"] == "ready", status

    # The detective plays the clip through a five-minute link.
    link = detective.post(f"/api/evidence/{target_id}/clip",
                          headers={"X-CSRF-Token": detective_token}, json_body={}).json()["url"]
    keep_signature(link, journey)
    assert requests.get(link, timeout=30).content[4:8] == b"ftyp"
    # ... and downloads the evidence package, made by the image's second step.
    package = detective.post(f"/api/evidence/{target_id}/package",
                             headers={"X-CSRF-Token": detective_token}, json_body={})
    assert package.status == 200, package.text
    assert requests.get(package.json()["url"], timeout=30).content[:2] == b"PK"

    # The owner pairs a bridge; the bridge calls in with its credential.
    page = form_post(owner, "/bridges", "/bridges/code", journey)
    code = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>", page.text)
    assert code, page.text[:500]
    journey.keep("pairing code", code.group(1))
    bridge = Gateway(web, "rest")
    paired = bridge.post("/api/bridge/pair", json_body={"code": code.group(1),
                                                        "name": "Back office"})
    assert paired.status == 201, paired.text
    credential = paired.json()["credential"]
    journey.keep("bridge credential", credential)
    state = bridge.get("/api/bridge/state", headers={"Authorization": f"Bearer {credential}"})
    assert state.status == 200, state.text

    # It connects to IoT Core's endpoint: the authorizer artifact checks its credential (and a
    # wrong one), then the status rule's worker notes it connected, as IoT Core invokes them.
    device_id = paired.json()["device_id"]
    authorizer, status_worker = workers["iot_authorizer"], workers["bridge_status"]
    journey.processes.update(iot_authorizer=authorizer, bridge_status=status_worker)
    journey.iot["device_id"] = device_id
    journey.iot["allowed"] = authorizer.invoke(
        iot_connect_event(device_id, device_id, credential), timeout_ms=5000)
    journey.iot["refused"] = authorizer.invoke(
        iot_connect_event(device_id, device_id, credential[:-1]), timeout_ms=5000)
    since = datetime.now(UTC).isoformat()
    journey.iot["status"] = status_worker.invoke(
        {"state": "online", "since": since, "at": since, "device_id": device_id},
        timeout_ms=10000)
    item = local_aws.client("dynamodb").get_item(
        TableName=f"{PREFIX}bridge-devices", Key={"device_id": {"S": device_id}},
        ConsistentRead=True)["Item"]
    journey.iot["connected"] = item.get("connected", {}).get("BOOL")

    # The agency admin makes a CAD key (shown once); the CAD system sends a call with it.
    admin = Gateway(web, "http")
    sign_in_form(admin, demo["agency_admin"], journey)
    journey.keep("totp secret", demo["agency_admin"]["totp_secret"])
    made = form_post(admin, "/admin/api-keys", "/admin/api-keys", journey, name="CAD feed")
    key = re.search(r'id="new-key">(plk_[^<]+)<', made.text)
    assert key, made.text[:500]
    journey.keep("ingest key", key.group(1))
    cad = Gateway(web, "rest")
    sent = cad.request("PUT", "/api/ingest/calls", headers={
        "Authorization": f"Bearer {key.group(1)}"}, json_body=[
        {"id": "C-1", "lat": SCENE[0], "lon": SCENE[1], "label": "Robbery in progress"}])
    assert sent.status == 200, sent.text

    # A new owner signs up, then leaves the program (the erasure worker's message).
    leaver = Gateway(web, "http")
    token = leaver.get("/api/csrf").json()["csrf_token"]
    password = "leaving-soon-password-1"
    journey.keep("password", password)
    signed = leaver.post("/api/accounts", headers={"X-CSRF-Token": token}, json_body={
        "email": "leaver@example.org", "password": password, "display_name": "Lee Ver"})
    assert signed.status == 202, signed.text
    deliver(local_aws, workers, journey)  # the mailer sends the link that finishes the sign-up
    link = mailed_link("leaver@example.org", "/signup/finish/")
    journey.keep("sign-up token", link.rsplit("/", 1)[1])
    confirmed = leaver.post("/api/accounts/confirm", headers={"X-CSRF-Token": token},
                            json_body={"token": link.rsplit("/", 1)[1], "password": password})
    assert confirmed.status == 201, confirmed.text
    sign_in_form(leaver, {"email": "leaver@example.org", "password": password}, journey)
    left = form_post(leaver, "/account/leave", "/account/leave", journey, password=password)
    assert left.status in (200, 302), left.text[:500]

    # The scheduled workers run as EventBridge runs them; what they send is delivered too.
    for spec in SCHEDULES:
        name = spec.handler.split(".")[1]
        journey.processes[name] = workers[name]
        journey.scheduled[name] = workers[name].invoke(
            scheduled_event(f"arn:aws:events:us-east-1:123456789012:rule/porchlight-prod-"
                            f"{spec.base_name}"), timeout_ms=spec.timeout_seconds * 1000)
    deliver(local_aws, workers, journey)
    for gateway in (owner, detective, bridge, admin, cad, leaver):
        for value in gateway.seen_cookies:
            journey.keep("cookie", value)
    for process in journey.processes.values():
        process.settle()  # every line printed so far is in
    return journey


def test_every_worker_handles_what_the_app_sends(journey: Journey) -> None:
    assert journey.handled.get("push_sender", 0) >= 1  # the request's notification
    assert journey.handled.get("mailer", 0) >= 1  # the owner has no push: mail instead
    assert journey.handled.get("audit_fanout", 0) >= 1  # owners told of police reads
    # the upload, cut in the image, then its evidence package (the worker's second step)
    assert journey.handled.get("clip_cutter", 0) == 2
    assert journey.handled.get("erasure", 0) == 1  # the owner who left
    assert journey.scheduled["checkpoint"]["chains"] >= 1  # signed with the KMS key
    assert set(journey.scheduled) == {s.handler.split(".")[1] for s in SCHEDULES}
    assert {s.handler.split(".")[1] for s in IOT} <= set(journey.processes), \
        "every worker IoT Core invokes ran in the journey"


def test_iot_core_lets_the_paired_bridge_in_and_notes_its_status(journey: Journey) -> None:
    """The authorizer artifact, with only the settings the stack gives it (no secret), admits
    the paired bridge to its own two topics and refuses a wrong credential; the status
    rule's worker marks the bridge connected in the bridges table."""
    device_id, allowed = journey.iot["device_id"], journey.iot["allowed"]
    assert allowed["isAuthenticated"] is True and allowed["principalId"] == device_id
    (document,) = allowed["policyDocuments"]
    resources = [st["Resource"] for st in json.loads(document)["Statement"]]
    arn = "arn:aws:iot:us-east-1:123456789012"
    assert resources == [f"{arn}:client/{device_id}",
                         f"{arn}:topicfilter/porchlight/prod/bridge/{device_id}/cmd",
                         f"{arn}:topic/porchlight/prod/bridge/{device_id}/cmd",
                         f"{arn}:topic/porchlight/prod/bridge/{device_id}/status"]
    refused = journey.iot["refused"]
    assert refused["isAuthenticated"] is False and refused["policyDocuments"] == []
    assert journey.iot["status"] == {"noted": True} and journey.iot["connected"] is True


def test_no_secret_reaches_any_log(journey: Journey) -> None:
    logs = journey.logs()
    silent = [name for name in ("web", "push_sender", "mailer", "clip_cutter", "audit_fanout",
                                "erasure", "checkpoint", "iot_authorizer", "bridge_status")
              if not logs.get(name)]
    assert not silent, f"these logged nothing, so there is nothing to check: {silent}"
    leaks = []
    for what, value in journey.secrets.items():
        pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")
        for name, text in logs.items():
            if pattern.search(text):
                leaks.append(f"{what} in the {name} log")
    assert not leaks, leaks
    kinds = {what.split(" #")[0] for what in journey.secrets}
    assert kinds >= {"password", "totp secret", "totp code", "csrf token", "cookie",
                     "session key", "vapid private key", "presigned signature",
                     "bridge credential", "ingest key", "pairing code"}, kinds


def test_logs_are_json_lines_that_follow_one_request_into_the_workers(
        journey: Journey) -> None:
    logs = journey.logs()
    for name, text in logs.items():
        for line in text.splitlines():
            if line.startswith("Instancing"):  # Zappa's one print at a cold start
                continue
            record = json.loads(line)
            assert record["level"] in ("DEBUG", "INFO", "WARNING", "ERROR"), (name, record)
            assert record["level"] != "DEBUG", f"{name} logs at DEBUG: {line[:200]}"
    assert journey.asked is not None
    reference = journey.asked.headers["x-request-id"]
    web_lines = [json.loads(line) for line in logs["web"].splitlines() if reference in line]
    assert any(r.get("path") == "/api/requests" and r.get("status") == 201 for r in web_lines)
    pushed = [json.loads(line) for line in logs["push_sender"].splitlines()
              if "request notified" in line]
    assert pushed and pushed[0]["correlation_id"] == reference
    assert "?" not in "".join(str(r.get("path", "")) for r in web_lines), "no query strings"


def test_mail_goes_out_through_ses_with_links_to_the_public_address(journey: Journey) -> None:
    """The owner without notifications got the request by mail: the mailer artifact sent it
    through SES (moto keeps what it was sent), its links on the stage's public address."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    bodies = [str(getattr(message, "body", "")) for message in sent]
    assert any(f"{PUBLIC_URL}/" in body for body in bodies), bodies[:2]
    assert all("127.0.0.1" not in body for body in bodies)
