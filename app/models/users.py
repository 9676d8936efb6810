"""Accounts and their roles."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class AgencyIndex(GlobalSecondaryIndex["User"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class User(BaseModel):
    base_name = "users"

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()  # lower-cased
    display_name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    active = BooleanAttribute(default=True)
    mfa_secret = UnicodeAttribute(null=True)
    mfa_pending_secret = UnicodeAttribute(null=True)
    mfa_last_step = NumberAttribute(default=0)  # last accepted TOTP time step (no replay)
    password_changed_at = UTCDateTimeAttribute(null=True)
    org_id = UnicodeAttribute(null=True)  # the organisation the user belongs to, if any
    version = VersionAttribute()

    agency_index = AgencyIndex()

    @property
    def mfa_enrolled(self) -> bool:
        return bool(self.mfa_secret)


class EmailClaim(BaseModel):
    """One item per email address in use, so two sign-ups can never take the same address."""

    base_name = "emails"

    class Meta:
        table_name = "emails"

    email = UnicodeAttribute(hash_key=True)  # lower-cased
    user_id = UnicodeAttribute()


class Organisation(BaseModel):
    """A business district or association that registers cameras for its members."""

    base_name = "organisations"

    class Meta:
        table_name = "organisations"

    org_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    name = UnicodeAttribute()
    admin_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class Agency(BaseModel):
    """A police department running a Porchlight program, with its policy."""

    base_name = "agencies"

    class Meta:
        table_name = "agencies"

    agency_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    city = UnicodeAttribute()
    max_window_minutes = NumberAttribute(default=120)
    max_radius_m = NumberAttribute(default=2000)  # the widest incident search allowed
    created_at = UTCDateTimeAttribute()
