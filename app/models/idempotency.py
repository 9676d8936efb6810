"""The table Powertools' idempotency utility writes (the clip worker's "done once" records).

Powertools owns the items; this model exists so devstack and the CDK stack create the table
from the same definitions as every other table (key `id`, TTL on `expiration`).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from app.models.base import BaseModel


class IdempotencyRecord(BaseModel):
    base_name = "idempotency"
    ttl_attribute = "expiration"

    class Meta:
        table_name = "idempotency"

    id = UnicodeAttribute(hash_key=True)
