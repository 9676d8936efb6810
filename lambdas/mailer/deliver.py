"""The delivery itself, separate from the Lambda plumbing so it can be reasoned about alone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.exceptions import PutError

from app.aws import aws_client
from app.config import Settings
from app.models.outbox import OutboxMessage
from app.services import clock

OUTBOX_KEEP_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class MailMessage:
    message_id: str
    to: str
    subject: str
    text: str


def deliver(settings: Settings, message: MailMessage) -> bool:
    """Send one message. Returns False when it had already been delivered (a redelivery)."""
    if settings.mail_transport == "outbox":
        item = OutboxMessage(message_id=message.message_id, to=message.to,
                             subject=message.subject, text=message.text,
                             sent_at=clock.iso(clock.now()),
                             expires_epoch=int(time.time()) + OUTBOX_KEEP_SECONDS)
        try:
            item.save(condition=OutboxMessage.message_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
    aws_client(settings, "ses").send_email(
        Source=settings.mail_from,
        Destination={"ToAddresses": [message.to]},
        Message={"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}},
        Tags=[{"Name": "message_id", "Value": message.message_id}],
    )
    return True
