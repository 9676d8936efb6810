"""Accounts and their roles."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.core.footage import DEFAULT_AGENCY_OFFENSES, Policy
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
    # Access receipts (owners): "push" at once, "digest" by email daily, "both"; None is off.
    receipts = UnicodeAttribute(null=True)
    # The language chosen for pages, pushes and e-mails (app/web/i18n.py); None: the browser's.
    language = UnicodeAttribute(null=True)
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
    # Footage requests and evidence (app.core.footage.Policy holds the defaults).
    offenses: ListAttribute[str] = ListAttribute(null=True)  # categories detectives may ask about
    requests_need_supervisor = BooleanAttribute(default=False)
    request_expire_days = NumberAttribute(default=7)
    request_remind_after_hours = NumberAttribute(default=48)
    retention_days = NumberAttribute(default=90)  # clips and originals are deleted after this
    timezone = UnicodeAttribute(default="UTC")  # IANA name: times in notifications and mail
    # Where the program's maps open: its city's centre (`agency create --centre`).
    centre_lat = NumberAttribute(null=True)
    centre_lon = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    def policy(self) -> Policy:
        return Policy(
            max_window_minutes=int(self.max_window_minutes or 120),
            offenses=tuple(self.offenses) if self.offenses else DEFAULT_AGENCY_OFFENSES,
            needs_supervisor=bool(self.requests_need_supervisor),
            expire_days=int(self.request_expire_days or 7),
            remind_after_hours=int(self.request_remind_after_hours or 48),
            retention_days=int(self.retention_days or 90),
            timezone=self.timezone or "UTC",
        )
