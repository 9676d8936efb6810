"""SQS delivers at least once: a message whose acknowledgement was lost comes back with the same
message id, and a SendMessage retried after SQS had stored it queues the same body twice.
Either way the job's effect happens once."""

from __future__ import annotations

import uuid
from typing import Any

from app.config import aws_endpoints
from app.models.outbox import OutboxMessage
from app.services.auditing import audit, notices
from tests.faults.conftest import Lane, assert_chain_whole, chain_events
from tests.faults.proxy import Fault, FaultProxy, op
from tests.support import unique_email

DETECTIVE = audit.Actor("det-faults", "detective", "127.0.0.1")


def notice(lane: Lane, devstack: Any, owners: int = 3, via: FaultProxy | None = None
           ) -> tuple[str, list[str]]:
    """A police read touching `owners` owners, queued on the lane (through `via` if given)."""
    agency = f"faults-{uuid.uuid4().hex[:8]}"
    ids = [f"owner-{n}-{uuid.uuid4().hex[:8]}" for n in range(owners)]
    settings = devstack.settings.with_overrides(
        audit_queue_url=lane.url("audit-fanout"),
        aws_endpoints=aws_endpoints(via.endpoint_env() if via else devstack.endpoint_env()))
    notices.enqueue(settings, agency, DETECTIVE, "registry.camera_exported",
                    {owner: {"cameras": 1} for owner in ids})
    return agency, ids


def test_fanout_acknowledgement_lost(lane: Lane, proxy: FaultProxy, devstack: Any,
                                     outcome: Any) -> None:
    agency, owners = notice(lane, devstack)
    proxy.add(Fault("DeleteMessageBatch refused", op("sqs", "DeleteMessageBatch"), status=400,
                    code="ReceiptHandleIsInvalid"))
    first = lane.run("audit-fanout")
    # Every owner's event went in; the poll then failed deleting the message (not acked).
    assert first["handled"] == 0 and "ReceiptHandleIsInvalid" in first["errors"][0]
    assert len(chain_events(agency)) == 3

    lane.wait_visible("audit-fanout")  # the same message, the same message id, again
    assert lane.run("audit-fanout") == {"handled": 1, "errors": []}
    assert sorted(e.subject_id for e in chain_events(agency)) == sorted(owners)
    assert assert_chain_whole(agency) == 3
    assert lane.counts("audit-fanout") == (0, 0)
    outcome("delivered twice, 3 events (not 6); chain verifies")


def test_notice_queued_twice_by_a_retried_send(lane: Lane, proxy: FaultProxy, devstack: Any,
                                               outcome: Any) -> None:
    """SQS stored the message but its answer was a 500: botocore sends it again."""
    proxy.add(Fault("500 after SendMessage", op("sqs", "SendMessage", "registry.camera_exported"),
                    kind="after", status=500, code="InternalError"))
    agency, owners = notice(lane, devstack, via=proxy)
    assert len(proxy.calls("sqs", "SendMessage", agency)) == 2  # the SDK retried
    assert lane.counts("audit-fanout")[0] == 2  # and both copies are queued
    assert lane.run("audit-fanout", polls=2)["handled"] == 2
    assert sorted(e.subject_id for e in chain_events(agency)) == sorted(owners)
    assert assert_chain_whole(agency) == 3
    outcome("2 copies queued and handled, 3 events (not 6); chain verifies")


def test_mail_delivered_twice(lane: Lane, outcome: Any) -> None:
    message_id, to = uuid.uuid4().hex, unique_email("twice")
    body = {"message_id": message_id, "to": to, "subject": "Hello", "text": "Hi"}
    lane.send("mail", body)
    lane.send("mail", body)
    assert lane.run("mail", polls=2)["handled"] == 2
    assert [m.message_id for m in OutboxMessage.scan(OutboxMessage.to == to)] == [message_id]
    outcome("2 deliveries, 1 mail")
