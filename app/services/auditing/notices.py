"""Owner notices: every police read of registry data reaches each owner concerned.

The request records one agency-level audit event and enqueues the owners it touched; the
audit-fanout worker appends one event per owner to the chain, so a map view or an export that
touches thousands of owners does not make the officer wait for thousands of appends.
Each message carries a notice id, so the worker appends each owner's event once however often
SQS delivers it (or a retried SendMessage queued it twice).

A notice is the owner's, not the officer's: it is written by the system with the owner as its
subject, and says in its details which police user caused it (`by`, `by_role`). So it is indexed
under the owner alone, never in the officer's own activity (where it would name the owner and
their cameras, hidden ones included), and it carries no IP address: the officer's address is on
the officer's own event of the read, which the auditor reads. See app.core.audit_views.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core.audit_views import NOTICE_ACTIONS
from app.models.audit import AuditEvent
from app.services.auditing import audit
from app.services.auditing.audit import Actor

BATCH = 200  # owners per SQS message (well under SQS's 256 KB)


def enqueue(settings: Settings, agency_id: str, actor: Actor, action: str,
            per_owner: Mapping[str, Mapping[str, Any]]) -> int:
    """Queue one audit event per owner (owner id → details); returns the messages sent."""
    if action not in NOTICE_ACTIONS:
        raise ValueError(f"{action} is not an owner notice (app.core.audit_views)")
    owners = sorted(per_owner)
    sqs = aws_client(settings, "sqs")
    sent = 0
    for start in range(0, len(owners), BATCH):
        chunk = owners[start:start + BATCH]
        body = {"notice_id": uuid.uuid4().hex, "agency_id": agency_id,
                "by": [actor.user_id, actor.role], "action": action,
                "owners": {o: dict(per_owner[o]) for o in chunk}}
        sqs.send_message(QueueUrl=settings.audit_queue_url, MessageBody=json.dumps(body))
        sent += 1
    return sent


def record(notice_id: str, agency_id: str, by: Actor, action: str, owner_id: str,
           details: Mapping[str, Any]) -> AuditEvent | None:
    """Append one owner's notice once (None when it went in before): by the system, about the
    owner, naming in its details the police user who caused it."""
    return audit.record_once(f"notice#{notice_id}#{owner_id}", agency_id, audit.SYSTEM, action,
                             owner_id, {**details, "by": by.user_id, "by_role": by.role})


def caused_by(event: AuditEvent) -> tuple[str, str]:
    """(user id, role) of whoever caused the event: a notice's `by`, else its actor. Notices
    appended before they were the owner's name the officer as their actor."""
    if event.action in NOTICE_ACTIONS and event.actor_id == audit.SYSTEM.user_id:
        try:
            details = json.loads(event.details or "{}")
        except ValueError:
            details = {}
        if isinstance(details, dict) and details.get("by"):
            return str(details["by"]), str(details.get("by_role", ""))
    return event.actor_id, event.actor_role
