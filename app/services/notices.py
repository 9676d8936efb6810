"""Owner notices: every police read of registry data reaches each owner concerned.

The request records one agency-level audit event and enqueues the owners it touched; the
audit-fanout worker appends one event per owner to the chain, so a map view or an export that
touches thousands of owners does not make the officer wait for thousands of appends.
Each message carries a notice id, so the worker appends each owner's event once however often
SQS delivers it (or a retried SendMessage queued it twice).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.services.audit import Actor

BATCH = 200  # owners per SQS message (well under SQS's 256 KB)


def enqueue(settings: Settings, agency_id: str, actor: Actor, action: str,
            per_owner: Mapping[str, Mapping[str, Any]]) -> int:
    """Queue one audit event per owner (owner id → details); returns the messages sent."""
    owners = sorted(per_owner)
    sqs = aws_client(settings, "sqs")
    sent = 0
    for start in range(0, len(owners), BATCH):
        chunk = owners[start:start + BATCH]
        body = {"notice_id": uuid.uuid4().hex, "agency_id": agency_id,
                "actor": [actor.user_id, actor.role, actor.ip], "action": action,
                "owners": {o: dict(per_owner[o]) for o in chunk}}
        sqs.send_message(QueueUrl=settings.audit_queue_url, MessageBody=json.dumps(body))
        sent += 1
    return sent
