"""Erases the sealed fields of a departed owner's audit events, then records that it did.

Triggered by the erasure queue with {"user_id", "agency_id"} (app/services/people/leaving.py). Its
role may update audit events, and only their `ip`, `details`, `salt` and `erased_at`
attributes (an IAM condition on dynamodb:Attributes): it cannot change what the chain hashes.
Safe to repeat: events already erased are skipped. A failure is retried, then parked in the DLQ.
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

from app.services.people import leaving
from lambdas.common import correlated, make_logger, settings

logger = make_logger("erasure")
processor = BatchProcessor(event_type=EventType.SQS)


class BadErasure(ValueError):
    """The message cannot be read; it ends in the dead-letter queue."""


def record_handler(record: SQSRecord) -> None:
    settings()
    try:
        body = json.loads(record.body)
        user_id, agency_id = str(body["user_id"]), str(body["agency_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadErasure(f"unreadable erasure: {exc}") from exc
    if not user_id or len(user_id) > 64:
        raise BadErasure("no user id")
    erased = leaving.erase(user_id, agency_id)
    logger.info("erased", extra={"events": erased})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
