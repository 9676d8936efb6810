"""Delivers queued mail: SES on AWS, the outbox table in devstack.

Triggered by the mail queue. The outbox put is conditional on the message id, so a redelivered
message is not stored twice. SES delivery is at-least-once: a crash between SES accepting a mail
and SQS deleting the message can send it twice (SES itself does not deduplicate). A message
that keeps failing is retried by SQS and then parked in the dead-letter queue.
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

from lambdas.common import correlated, make_logger, settings
from lambdas.mailer.deliver import MailMessage, deliver

logger = make_logger("mailer")
processor = BatchProcessor(event_type=EventType.SQS)


class BadMailMessage(ValueError):
    """The queued message cannot be read; retrying will not help, so it ends in the DLQ."""


def parse(body: str) -> MailMessage:
    try:
        data = json.loads(body)
        return MailMessage(message_id=str(data["message_id"]), to=str(data["to"]),
                           subject=str(data["subject"]), text=str(data["text"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadMailMessage(f"unreadable mail message: {exc}") from exc


def record_handler(record: SQSRecord) -> None:
    message = parse(record.body)
    delivered = deliver(settings(), message)
    logger.info("mail handled", extra={"message_id": message.message_id, "new": delivered})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
