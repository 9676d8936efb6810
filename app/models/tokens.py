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
    kind = UnicodeAttribute()  # "reset", "invite", "signup", "org_invite", "bridge-pair", ...
    email = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    agency_id = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    # A sign-up waiting for its link: the name given and the chosen password's hash (argon2id),
    # which finishing the sign-up asks for again (app/services/people/signups.py).
    display_name = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    # What a notification button's token acts on, and how (a live ask: its id; "share", "decline")
    subject_id = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)

    agency_index = AgencyTokenIndex()


class Throttle(BaseModel):
    """A counter per key for rate limits and lockouts (app/services/people/throttle.py): per
    address and action ("login:ip:<address>:<window>"), per account and factor ("password:<digest>",
    "code:<digest>"), sign-up mails per address ("mail:signup:<digest>:<window>"); and each
    address's reset record ("reset:<digest>": mails this hour and the newest link,
    app/services/people/resets.py)."""

    base_name = "throttle"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "throttle"

    key = UnicodeAttribute(hash_key=True)
    window_start = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    newest = UnicodeAttribute(null=True)  # a reset record: the digest of the newest link
    expires_epoch = NumberAttribute()
