"""Registered cameras: where they are, where they look, and what their owner shares."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from app.models.base import BaseModel


class OwnerIndex(GlobalSecondaryIndex["Camera"]):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


# What a search needs of a camera, and no more: the index carries the police place but not
# the exact one, so even a bug in the search path cannot leak what the owner chose to hide.
SEARCH_ATTRIBUTES = [
    "owner_id", "agency_id", "nickname", "place_lat", "place_lon", "heading_deg", "fov_deg",
    "range_m", "mount", "tier", "visibility", "retention_days", "confirmed_at", "paused",
]


class CellIndex(GlobalSecondaryIndex["Camera"]):
    """Coarse geohash cell: one Query per covering cell answers a radius search."""

    class Meta:
        index_name = "cell-index"
        projection = IncludeProjection(SEARCH_ATTRIBUTES)

    cell = UnicodeAttribute(hash_key=True)
    geohash = UnicodeAttribute(range_key=True)


class Camera(BaseModel):
    base_name = "cameras"

    class Meta:
        table_name = "cameras"

    camera_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    nickname = UnicodeAttribute()
    lat = NumberAttribute()  # the exact place: the owner's, never shown to police unless exact
    lon = NumberAttribute()
    # Where police see it (exact, or the ~100 m cell centre for approximate and hidden cameras).
    # The geo index is built on this place, so a search never touches the exact one.
    place_lat = NumberAttribute()
    place_lon = NumberAttribute()
    geohash = UnicodeAttribute()
    cell = UnicodeAttribute()
    heading_deg = NumberAttribute()
    fov_deg = NumberAttribute()
    range_m = NumberAttribute()
    mount = UnicodeAttribute()
    facing = UnicodeAttribute()
    retention_days = NumberAttribute()
    tier = UnicodeAttribute()  # registered, on_request, on_alert, always
    visibility = UnicodeAttribute()  # exact, approximate, hidden
    street = UnicodeAttribute(default="")
    org_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="owner")  # "owner", or "agency" for the agency's own
    refused_offenses: ListAttribute[str] = ListAttribute(default=list)  # a list of strings
    paused = BooleanAttribute(default=False)
    photo_key = UnicodeAttribute(null=True)
    attested_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)
    confirmed_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    owner_index = OwnerIndex()
    cell_index = CellIndex()
