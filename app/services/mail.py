"""Queueing mail: the request only enqueues; the mailer worker delivers (SES, or the outbox)."""

from __future__ import annotations

import json
import uuid

from app.aws import aws_client
from app.config import Settings


def enqueue(settings: Settings, to: str, subject: str, text: str,
            message_id: str | None = None) -> str:
    """Queue one mail. A worker that may run a job twice passes a message id derived from the
    job: the mailer delivers each message id once (the outbox's conditional put)."""
    message_id = message_id or uuid.uuid4().hex
    body = {"message_id": message_id, "to": to, "subject": subject, "text": text}
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.mail_queue_url, MessageBody=json.dumps(body)
    )
    return message_id
