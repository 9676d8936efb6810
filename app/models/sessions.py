"""Server-side sessions: listed and revoked by their owner, expired by idle and absolute limits."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class UserSessionIndex(GlobalSecondaryIndex["Session"]):
    class Meta:
        index_name = "user-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Session(BaseModel):
    base_name = "sessions"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "sessions"

    # The digest of the cookie's token: a copy of this table gives nobody a session.
    session_id = UnicodeAttribute(hash_key=True)
    public_id = UnicodeAttribute()  # short id shown in "my sessions", safe to put in URLs
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen = UTCDateTimeAttribute()
    mfa_ok = BooleanAttribute(default=False)
    user_agent = UnicodeAttribute(default="")
    ip = UnicodeAttribute(default="")
    expires_epoch = NumberAttribute()  # DynamoDB TTL; checked in code too (TTL is lazy)

    user_index = UserSessionIndex()
