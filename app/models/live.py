"""Live shares: an owner's "share now" (from the app or a bridge trigger), ending by itself."""

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
    owner_label = UnicodeAttribute()  # where police were told it was, when it started
    agency_id = UnicodeAttribute()
    camera_ids: ListAttribute[str] = ListAttribute()
    # Each camera's alias in this share, in the order of camera_ids: police know the cameras
    # only by these (app.core.live_view). Shares started before aliases get theirs on first use.
    camera_aliases: ListAttribute[str] = ListAttribute(null=True)
    source = UnicodeAttribute()  # where it was started: app, bridge, ask (police asked), police
    # A view police opened themselves (an "always" camera inside its schedule, for an
    # incident): who opened it and for which incident. It ends when nobody has watched it for
    # a while, when the incident closes, at the owner's limit, or when the owner ends it.
    incident_id = UnicodeAttribute(null=True)
    opened_by = UnicodeAttribute(null=True)
    phone = BooleanAttribute(null=True)  # the owner's phone sends its own camera too
    preroll_seconds = NumberAttribute(default=120)
    started_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    ended_by = UnicodeAttribute(null=True)
    video_deleted_at = UTCDateTimeAttribute(null=True)  # its pieces are gone from storage
    # Who is watching: JSON {user id: {"name", "role", "first", "last"}}; the owner reads it.
    viewers = UnicodeAttribute(default="{}")
    # Which recording each camera's bridge sends: JSON {camera id: "sub"} for the cameras
    # whose viewers want the low-resolution substream (a tile of the wall); a camera not named
    # sends its main stream. The bridge reads it in its state (bridges.state).
    quality = UnicodeAttribute(null=True, attr_name="q")
    version = VersionAttribute()

    agency_index = AgencyShareIndex()
    owner_index = OwnerShareIndex()


SOURCE_POLICE = "police"  # a LiveShare police opened (app.services.realtime.incidents)
PHONE = "phone"  # the stream name of the owner's phone camera in a share
QUALITIES = ("main", "sub")  # a camera's main stream, or its low-resolution substream


class LiveSegment(BaseModel):
    """One piece of a share's live video (a whole fMP4 or WebM file), stored under
    `live/<share_id>/<camera's alias in the share, or "phone">/<name>` in the uploads bucket
    (police fetch it by that key: it never names the camera). `ready` once the sender said
    it finished and S3 holds exactly the announced bytes; only ready pieces are played.
    DynamoDB's TTL removes the item a day after the share's end (the bucket's lifecycle rule
    and the retention worker remove the video)."""

    base_name = "live-segments"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "live-segments"

    stream = UnicodeAttribute(hash_key=True)  # <share_id>/<camera_id or "phone">
    name = UnicodeAttribute(range_key=True)  # sortable by time: 20260314T120305.123Z.mp4
    key = UnicodeAttribute()
    mime = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute(null=True)
    run = UnicodeAttribute(null=True)
    ready = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()
