"""Single-use tokens (password reset, invitation) and login throttling counters."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class AgencyTokenIndex(GlobalSecondaryIndex["OneTimeToken"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OneTimeToken(BaseModel):
    base_name = "tokens"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "tokens"

    token_id = UnicodeAttribute(hash_key=True)  # digest of the token sent by email
    kind = UnicodeAttribute()  # "reset" or "invite"
    email = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    agency_id = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()
    used_at = UTCDateTimeAttribute(null=True)

    agency_index = AgencyTokenIndex()


class Throttle(BaseModel):
    """A counter per key ("email:<digest>", "ip:<address>") for login throttling and lockout."""

    base_name = "throttle"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "throttle"

    key = UnicodeAttribute(hash_key=True)
    window_start = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    expires_epoch = NumberAttribute()
