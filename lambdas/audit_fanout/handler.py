"""Appends one audit event per owner for a police read queued by the web app.

Triggered by the audit-fanout queue. Each owner's event goes in once per notice: a marker keyed
by the message's notice id and the owner is written in the same transaction as the event
(audit.record_once), so a redelivered message, a worker killed half-way through its owners, or
a message queued twice by a retried SendMessage appends only the events still missing. A
malformed message goes to the DLQ. Each notice is the owner's: written by the system about the
owner, naming the police user who caused it in its details (app.services.auditing.notices.record).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app.services.auditing import audit, notices
from lambdas.common import correlated, make_logger, settings

logger = make_logger("audit-fanout")
processor = BatchProcessor(event_type=EventType.SQS)


class BadNotice(ValueError):
    """The queued message cannot be read; it ends in the dead-letter queue."""


def record_handler(record: SQSRecord) -> None:
    settings()  # points the models at this deployment's tables
    try:
        body = json.loads(record.body)
        # "actor" [id, role, ip]: messages queued before notices were the owner's.
        user_id, role = (body["by"] if "by" in body else body["actor"])[:2]
        agency_id, action, owners = body["agency_id"], body["action"], dict(body["owners"])
        # Messages queued before notice ids existed: SQS's message id survives redelivery.
        notice_id = str(body.get("notice_id") or record.message_id)
    except (ValueError, KeyError, TypeError) as exc:
        raise BadNotice(f"unreadable notice: {exc}") from exc
    by = audit.Actor(str(user_id), str(role))
    appended = 0
    for owner_id, details in sorted(owners.items()):
        if notices.record(notice_id, str(agency_id), by, str(action), str(owner_id),
                          dict(details)) is not None:
            appended += 1
    logger.info("owner notices appended", extra={"action": action, "owners": len(owners),
                                                 "appended": appended})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
