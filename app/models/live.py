"""Live shares: an owner's "share now" (from the app or a bridge trigger), ending by itself."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class AgencyShareIndex(GlobalSecondaryIndex["LiveShare"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class OwnerShareIndex(GlobalSecondaryIndex["LiveShare"]):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class LiveShare(BaseModel):
    base_name = "live-shares"

    class Meta:
        table_name = "live-shares"

    share_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    owner_label = UnicodeAttribute()  # what police see: the cameras' street or nickname
    agency_id = UnicodeAttribute()
    camera_ids: ListAttribute[str] = ListAttribute()
    source = UnicodeAttribute()  # app, bridge, phone
    preroll_seconds = NumberAttribute(default=120)
    started_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    ended_by = UnicodeAttribute(null=True)
    # Who is watching: JSON {user id: {"name", "role", "first", "last"}}; the owner reads it.
    viewers = UnicodeAttribute(default="{}")
    version = VersionAttribute()

    agency_index = AgencyShareIndex()
    owner_index = OwnerShareIndex()
