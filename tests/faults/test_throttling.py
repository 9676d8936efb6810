"""DynamoDB throttling and S3 errors between our code and devstack: the SDK retries with backoff,
what still fails is retried by SQS, what can never succeed ends in the dead-letter queue, and
no acknowledged action is without its audit event."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.aws import aws_client
from app.core import footage
from app.models.audit import AuditEvent
from app.models.footage import RequestTarget
from app.models.outbox import OutboxMessage
from app.services.auditing import audit
from devstack.seed import AGENCY_ID
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, ready_events, staged_upload, window
from tests.faults.conftest import Lane, assert_chain_whole
from tests.faults.proxy import Call, Fault, FaultProxy, op
from tests.support import session_client, unique_email
from tests.video.samples import make_h264


def mentioning(service: str, operation: str, *texts: str) -> Callable[[Call], bool]:
    first = op(service, operation)
    return lambda c: first(c) and all(c.mentions(t) for t in texts)


def test_clients_retry_in_standard_mode(settings: Any, outcome: Any) -> None:
    """What the faults below lean on: boto3 clients (app/aws.py) and PynamoDB's both retry
    throttling and 5xx answers with exponential backoff and jitter."""
    boto = aws_client(settings, "dynamodb").meta.config.retries
    pynamo = AuditEvent._get_connection().connection.client.meta.config.retries
    assert boto["mode"] == "standard" and boto["total_max_attempts"] >= 4
    assert pynamo["mode"] == "standard" and pynamo["total_max_attempts"] >= 4
    outcome(f"boto3: {boto}; PynamoDB: {pynamo}")


def asked_target(signed_in: Any) -> tuple[str, Any]:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    camera = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    asked = ask(detective, [camera], *window())
    assert asked.status_code == 201, asked.text
    return str(asked.json()["targets"][0]["id"]), owner_account


def approve(app_via_proxy: str, settings: Any, account: Any, target_id: str) -> int:
    phone = session_client(app_via_proxy, settings, account)
    return int(phone.send_json("POST", f"/api/targets/{target_id}/answer",
                               {"action": "approve"}).status_code)


def answer_events(account: Any, target_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(account.user.user_id)
            if e.action.startswith("answer.") and target_id in e.details]


def test_answer_while_dynamodb_throttles(app_via_proxy: str, proxy: FaultProxy, signed_in: Any,
                                         settings: Any, outcome: Any) -> None:
    target_id, account = asked_target(signed_in)
    proxy.add(Fault("target write throttled", mentioning("dynamodb", "PutItem", target_id),
                    code="ProvisionedThroughputExceededException", times=2))
    proxy.add(Fault("audit append throttled",
                    mentioning("dynamodb", "TransactWriteItems", target_id),
                    code="ThrottlingException", times=2))
    assert approve(app_via_proxy, settings, account, target_id) == 200
    puts = proxy.calls("dynamodb", "PutItem", target_id)
    appends = proxy.calls("dynamodb", "TransactWriteItems", target_id)
    assert [s.fault != "" for s in puts] == [True, True, False]  # retried, then written
    assert [s.fault != "" for s in appends] == [True, True, False]
    assert RequestTarget.get(target_id).status == footage.APPROVED
    assert answer_events(account, target_id) == ["answer.approved"]
    assert_chain_whole(AGENCY_ID)
    outcome("200 after 2 throttled PutItem and 2 throttled TransactWriteItems were retried; "
            "1 audit event; chain verifies")


def test_audit_append_committed_but_answered_500(app_via_proxy: str, proxy: FaultProxy,
                                                 signed_in: Any, settings: Any,
                                                 outcome: Any) -> None:
    """DynamoDB wrote the event, the answer was lost; the SDK's retry finds the seq taken."""
    target_id, account = asked_target(signed_in)
    proxy.add(Fault("500 after the append", mentioning("dynamodb", "TransactWriteItems",
                                                       target_id),
                    kind="after", status=500, code="InternalServerError"))
    assert approve(app_via_proxy, settings, account, target_id) == 200
    assert len(proxy.calls("dynamodb", "TransactWriteItems", target_id)) == 2
    assert answer_events(account, target_id) == ["answer.approved"]  # not twice
    assert_chain_whole(AGENCY_ID)
    outcome("the retried transaction was refused (seq taken) and recognised as its own "
            "event: 200, 1 audit event; chain verifies")


def test_audit_throttling_outlasts_the_sdk_retries(app_via_proxy: str, proxy: FaultProxy,
                                                   signed_in: Any, settings: Any,
                                                   outcome: Any) -> None:
    target_id, account = asked_target(signed_in)
    proxy.add(Fault("audit append throttled 5 times",
                    mentioning("dynamodb", "TransactWriteItems", target_id),
                    code="ProvisionedThroughputExceededException", times=5))
    assert approve(app_via_proxy, settings, account, target_id) == 200
    assert len(proxy.calls("dynamodb", "TransactWriteItems", target_id)) == 6
    assert RequestTarget.get(target_id).status == footage.APPROVED
    assert answer_events(account, target_id) == ["answer.approved"]
    assert_chain_whole(AGENCY_ID)
    outcome("SDK gave up after 4 attempts, audit.record tried again: 200, 1 audit event; "
            "chain verifies")


def test_clip_worker_through_s3_errors(lane: Lane, proxy: FaultProxy, signed_in: Any,
                                       devstack: Any, tmp_path: Path, outcome: Any) -> None:
    source = make_h264(tmp_path / "s3.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    original = f"originals/{target.request_id}/{target.target_id}/"
    clip = f"evidence/{target.request_id}/{target.target_id}/clip.mp4"
    proxy.add(Fault("SlowDown on the original", mentioning("s3", "GET", original),
                    status=503, code="SlowDown", times=2))
    proxy.add(Fault("InternalError on the clip", mentioning("s3", "PUT", clip),
                    status=500, code="InternalError"))
    lane.send("clips", body)
    assert lane.run("clips", timeout=2) == {"handled": 1, "errors": []}
    # The original is read by ranges (and hashed whole): the first read met both SlowDowns.
    faulted = [s.fault != "" for s in proxy.calls("s3", "GET", original)]
    assert faulted[:3] == [True, True, False] and not any(faulted[3:])
    assert [s.fault != "" for s in proxy.calls("s3", "PUT", clip)] == [True, False]
    assert RequestTarget.get(target.target_id).status == footage.READY
    assert ready_events(target) == 1
    assert lane.run("clips", timeout=10) == {"handled": 1, "errors": []}  # the package
    assert_chain_whole(target.agency_id)
    outcome("2 SlowDown (503) on GetObject and 1 InternalError (500) on PutObject retried; "
            "clip ready once, 1 clip.ready event")


def test_mail_throttled_past_the_sdk_retries_is_retried_by_sqs(lane: Lane, proxy: FaultProxy,
                                                                outcome: Any) -> None:
    message_id, to = uuid.uuid4().hex, unique_email("throttled")
    proxy.add(Fault("outbox throttled 4 times", mentioning("dynamodb", "PutItem", message_id),
                    code="ProvisionedThroughputExceededException", times=4))
    lane.send("mail", {"message_id": message_id, "to": to, "subject": "Hello", "text": "Hi"})
    assert lane.run("mail") == {"handled": 0, "errors": []}  # reported as a failed item
    lane.wait_visible("mail")
    assert lane.run("mail") == {"handled": 1, "errors": []}
    assert len(proxy.calls("dynamodb", "PutItem", message_id)) == 5
    assert [m.message_id for m in OutboxMessage.scan(OutboxMessage.to == to)] == [message_id]
    outcome("4 throttled attempts failed the first delivery; SQS redelivered; 1 mail")


def test_hopeless_message_ends_in_the_dead_letter_queue(lane: Lane, proxy: FaultProxy,
                                                         outcome: Any) -> None:
    message_id, to = uuid.uuid4().hex, unique_email("hopeless")
    proxy.add(Fault("outbox write forbidden", mentioning("dynamodb", "PutItem", message_id),
                    code="AccessDeniedException", times=None))
    body = {"message_id": message_id, "to": to, "subject": "Hello", "text": "Hi"}
    lane.send("mail", body)
    deadline = time.monotonic() + 20
    while message_id not in "".join(lane.dead_letters("mail")):
        assert time.monotonic() < deadline, "the message never reached the dead-letter queue"
        lane.run("mail")
    assert json.dumps(body) in lane.dead_letters("mail")
    assert len(proxy.calls("dynamodb", "PutItem", message_id)) == 3  # maxReceiveCount
    assert lane.counts("mail") == (0, 0)
    assert list(OutboxMessage.scan(OutboxMessage.to == to)) == []
    outcome("AccessDenied is not retried by the SDK; 3 receives, then parked in the DLQ")
