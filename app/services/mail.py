"""Queueing mail: the request only enqueues; the mailer worker delivers (SES, or the outbox)."""

from __future__ import annotations

import json
import uuid

from app.aws import aws_client
from app.config import Settings


def enqueue(settings: Settings, to: str, subject: str, text: str) -> str:
    message_id = uuid.uuid4().hex
    body = {"message_id": message_id, "to": to, "subject": subject, "text": text}
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.mail_queue_url, MessageBody=json.dumps(body)
    )
    return message_id
