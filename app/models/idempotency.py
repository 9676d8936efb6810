"""The table of "done once" records: Powertools' idempotency utility (the clip worker's jobs),
and the markers of audit.record_once() (ids "audit-once#..."), which go in the same transaction
as their audit event.

Powertools owns its items; this model exists so devstack and the CDK stack create the table
from the same definitions as every other table (key `id`, TTL on `expiration`).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from app.models.base import BaseModel


class IdempotencyRecord(BaseModel):
    base_name = "idempotency"
    ttl_attribute = "expiration"

    class Meta:
        table_name = "idempotency"

    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute(null=True)  # epoch seconds: DynamoDB's TTL deletes it then
