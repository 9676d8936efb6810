"""Mail delivered locally: the devstack outbox. On AWS, mail goes through SES instead."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from app.models.base import BaseModel


class OutboxMessage(BaseModel):
    base_name = "outbox"
    ttl_attribute = "expires_epoch"
    devstack_only = True  # never created on AWS: mail goes through SES there

    class Meta:
        table_name = "outbox"

    message_id = UnicodeAttribute(hash_key=True)
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    text = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    expires_epoch = NumberAttribute()
