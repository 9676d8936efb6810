"""Workers SIGKILLed mid-job: the message comes back after its visibility timeout and the next
delivery finishes the job, once in effect (no second mail, audit event or clip; no gap).

Each worker runs in a process of its own; the fault proxy forwards one chosen call to moto (so
it happened) and then kills the caller before it hears the answer: the worst moment to die.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from app.core import footage
from app.models.footage import Evidence, FootageRequest, RequestTarget
from app.models.outbox import OutboxMessage
from app.services.auditing import audit, notices
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, ready_events, staged_upload, window
from tests.faults.conftest import Lane, assert_chain_whole, chain_events
from tests.faults.proxy import Fault, mentioning
from tests.support import unique_email
from tests.video.samples import make_h264

DETECTIVE = audit.Actor("det-faults", "detective", "127.0.0.1")


def mails_to(address: str) -> list[OutboxMessage]:
    return list(OutboxMessage.scan(OutboxMessage.to == address))


def test_mailer_killed_after_its_outbox_write(lane: Lane, outcome: Any) -> None:
    message_id, to = uuid.uuid4().hex, unique_email("killed-mailer")
    lane.send("mail", {"message_id": message_id, "to": to, "subject": "Hello", "text": "Hi"})
    lane.run_killed("mail", Fault("kill after PutItem outbox",
                                  mentioning("dynamodb", "PutItem", message_id)))
    assert [m.message_id for m in mails_to(to)] == [message_id]  # delivered, then it died
    # Never acknowledged: SQS still holds it, in flight or, once the 1 s visibility has passed
    # on a busy machine, visible again.
    assert sum(lane.counts("mail")) == 1

    lane.wait_visible("mail")
    assert lane.run("mail") == {"handled": 1, "errors": []}
    assert [m.message_id for m in mails_to(to)] == [message_id]
    assert lane.counts("mail") == (0, 0)
    outcome("redelivered after 1 s, acknowledged; 1 mail in the outbox")


def test_audit_fanout_killed_between_two_owners(lane: Lane, devstack: Any, outcome: Any) -> None:
    agency = f"faults-{uuid.uuid4().hex[:8]}"
    owners = [f"owner-{n}-{uuid.uuid4().hex[:8]}" for n in range(3)]
    settings = devstack.settings.with_overrides(audit_queue_url=lane.url("audit-fanout"))
    notices.enqueue(settings, agency, DETECTIVE, "registry.camera_found",
                    {owner: {"camera_id": f"cam-{n}"} for n, owner in enumerate(owners)})
    lane.run_killed("audit-fanout", Fault("kill after the first owner's append",
                                          mentioning("dynamodb", "TransactWriteItems",
                                                     owners[0])))
    assert [e.subject_id for e in chain_events(agency)] == [owners[0]]

    lane.wait_visible("audit-fanout")
    assert lane.run("audit-fanout") == {"handled": 1, "errors": []}
    events = chain_events(agency)
    assert sorted(e.subject_id for e in events) == sorted(owners)  # each owner exactly once
    assert assert_chain_whole(agency) == 3
    outcome("redelivery appended only the 2 missing events; chain 1..3 verifies")


def test_push_sender_killed_after_queueing_the_fallback_email(
        lane: Lane, signed_in: Any, outcome: Any) -> None:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    camera = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    asked = ask(detective, [camera], *window())
    assert asked.status_code == 201, asked.text
    target = RequestTarget.get(asked.json()["targets"][0]["id"])

    # A reminder (reminders do not skip owners already told); the owner has no push device,
    # so the worker queues an email, and dies before noting that it did.
    lane.send("push", {"request_id": target.request_id, "reminder": True})
    lane.run_killed("push", Fault("kill after SendMessage to the mail queue",
                                  mentioning("sqs", "SendMessage", owner_account.email)))
    lane.wait_visible("push")
    assert lane.run("push") == {"handled": 1, "errors": []}
    assert lane.counts("mail")[0] == 2  # the same email queued twice, by the two runs
    assert lane.run("mail") == {"handled": 2, "errors": []}
    reminders = [m for m in mails_to(owner_account.email) if m.subject.startswith("Reminder")]
    assert len(reminders) == 1, [m.message_id for m in reminders]
    outcome("email queued twice under one message id; the owner got 1 reminder")


def test_clip_worker_killed_between_ready_and_its_audit_event(
        lane: Lane, signed_in: Any, devstack: Any, tmp_path: Path, outcome: Any) -> None:
    source = make_h264(tmp_path / "kill.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    lane.send("clips", body)
    table = devstack.env["PORCHLIGHT_TABLE_PREFIX"] + "request-targets"
    lane.run_killed("clips", Fault("kill after the row became ready",
                                   mentioning("dynamodb", "PutItem", table, target.target_id,
                                              f'"{footage.READY}"')), timeout=2)
    assert RequestTarget.get(target.target_id).status == footage.READY
    assert ready_events(target) == 0  # the worker died before the audit event

    lane.wait_visible("clips")  # after the killed Lambda's timeout, as on AWS
    assert lane.run("clips", timeout=2) == {"handled": 1, "errors": []}
    assert ready_events(target) == 1
    assert Evidence.get(target.target_id).clip_sha256 in json.dumps(
        [e.details for e in chain_events(target.agency_id) if e.action == "clip.ready"
         and target.target_id in e.details])
    assert FootageRequest.get(target.request_id).state == "closed"
    # It died before queueing the package too: the redelivery queued it.
    assert lane.run("clips", timeout=10) == {"handled": 1, "errors": []}
    assert Evidence.get(target.target_id).package_key
    assert_chain_whole(target.agency_id)
    outcome("redelivery found the row ready, appended the missing clip.ready once and "
            "queued the package")
