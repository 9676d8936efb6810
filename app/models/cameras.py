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

    owner_id = UnicodeAttribute(hash_key=True, attr_name="o")
    created_at = UTCDateTimeAttribute(range_key=True)


# What a search needs of a camera, and no more: the index carries the police place but not
# the exact one, so even a bug in the search path cannot leak what the owner chose to hide.
# These attributes are stored under short names (attr_name below): DynamoDB counts every
# attribute name in an item's size, and the size decides how many items fit a 1 MB Query page
# and how many read units a search costs. Long names made a projected item 352 bytes; the
# short ones keep a 1 km search in a dense district to one page per Query.
SEARCH_ATTRIBUTES = ["o", "n", "pa", "po", "h", "f", "r", "m", "t", "v", "d", "c", "p",
                     "sc", "ml", "ro"]


def index_cell(agency_id: str, cell: str) -> str:
    """The cell-index hash key: a search reads its own agency's cameras and nobody else's."""
    return f"{agency_id}#{cell}"


class CellIndex(GlobalSecondaryIndex["Camera"]):
    """Agency and coarse geohash cell: one Query per covering range answers a radius search."""

    class Meta:
        index_name = "cell-index"
        projection = IncludeProjection(SEARCH_ATTRIBUTES)

    cell = UnicodeAttribute(hash_key=True)  # index_cell(agency, geohash[:5])
    geohash = UnicodeAttribute(range_key=True)


class AgencyIndex(GlobalSecondaryIndex["Camera"]):
    """Every camera of one agency: the police map, the export and the tier counts.

    Like cell-index it carries the police place and never the exact one.
    """

    class Meta:
        index_name = "agency-index"
        projection = IncludeProjection([*SEARCH_ATTRIBUTES, "facing", "source"])

    agency_id = UnicodeAttribute(hash_key=True)
    camera_id = UnicodeAttribute(range_key=True)


class Camera(BaseModel):
    base_name = "cameras"

    class Meta:
        table_name = "cameras"

    camera_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute(attr_name="o")
    agency_id = UnicodeAttribute()
    nickname = UnicodeAttribute(attr_name="n")
    lat = NumberAttribute()  # the exact place: the owner's, never shown to police unless exact
    lon = NumberAttribute()
    # Where police see it (exact, or the ~100 m cell centre for approximate and hidden cameras).
    # The geo index is built on this place, so a search never touches the exact one.
    place_lat = NumberAttribute(attr_name="pa")
    place_lon = NumberAttribute(attr_name="po")
    geohash = UnicodeAttribute()
    cell = UnicodeAttribute()
    heading_deg = NumberAttribute(attr_name="h")
    fov_deg = NumberAttribute(attr_name="f")
    range_m = NumberAttribute(attr_name="r")
    mount = UnicodeAttribute(attr_name="m")
    facing = UnicodeAttribute()
    retention_days = NumberAttribute(attr_name="d")
    tier = UnicodeAttribute(attr_name="t")  # registered, on_request, on_alert, always
    visibility = UnicodeAttribute(attr_name="v")  # exact, approximate, hidden
    street = UnicodeAttribute(default="")
    org_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="owner")  # "owner", or "agency" for the agency's own
    # The owner's sharing rules (app.core.sharing), projected so police see them with the camera.
    refused_offenses: ListAttribute[str] = ListAttribute(default=list, attr_name="ro")
    schedule = UnicodeAttribute(default="", attr_name="sc")  # when "always" is live
    max_live_minutes = NumberAttribute(default=30, attr_name="ml")
    # How many of the last minutes police may pull from the bridge's buffer for an incident in
    # progress without asking (0: never). Not projected into the search index: read from the
    # camera itself (the incident screen does).
    recent_minutes = NumberAttribute(default=0, attr_name="rm")
    paused = BooleanAttribute(default=False, attr_name="p")
    photo_key = UnicodeAttribute(null=True)
    # The owner's privacy masks over the view, canonical JSON ("" when none: app/core/masks.py)
    masks = UnicodeAttribute(default="", attr_name="mk")
    attested_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)
    confirmed_at = UTCDateTimeAttribute(attr_name="c")
    version = VersionAttribute()

    owner_index = OwnerIndex()
    cell_index = CellIndex()
    agency_index = AgencyIndex()
