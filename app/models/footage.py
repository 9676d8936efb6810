"""Footage requests, the cameras they ask, the evidence that comes back, and push subscriptions."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class Gap(MapAttribute):
    """A stretch of an asked window with no video, in real UTC time (app.core.gaps says the
    kinds and the words): before the owner's file starts, after it ends, or the camera was
    offline (a bridge's recorder saw no pictures)."""

    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    kind = UnicodeAttribute()  # app.core.gaps.KINDS


class AgencyRequestIndex(GlobalSecondaryIndex["FootageRequest"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class FootageRequest(BaseModel):
    """What a detective asked: one case, one offense, one window, one place, several cameras."""

    base_name = "requests"

    class Meta:
        table_name = "requests"

    request_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    detective_id = UnicodeAttribute()
    detective_name = UnicodeAttribute()
    case_number = UnicodeAttribute()
    offense = UnicodeAttribute()
    window_start = UTCDateTimeAttribute()
    window_end = UTCDateTimeAttribute()
    lat = NumberAttribute()
    lon = NumberAttribute()
    message = UnicodeAttribute(default="")
    state = UnicodeAttribute()  # app.core.footage.REQUEST_STATES
    approved_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    reminded_at = UTCDateTimeAttribute(null=True)
    skipped_refusing = NumberAttribute(default=0)  # owners not asked: they refuse this offense
    # Recent minutes pulled for an incident in progress (app.services.realtime.pulls): the
    # incident, and no owner was asked (their standing rule approved it).
    incident_id = UnicodeAttribute(null=True)
    version = VersionAttribute()

    agency_index = AgencyRequestIndex()


class RequestTargetIndex(GlobalSecondaryIndex["RequestTarget"]):
    class Meta:
        index_name = "request-index"
        projection = AllProjection()

    request_id = UnicodeAttribute(hash_key=True)
    target_id = UnicodeAttribute(range_key=True)


class OwnerTargetIndex(GlobalSecondaryIndex["RequestTarget"]):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class RequestTarget(BaseModel):
    """One camera a request asks: its owner's answer, the upload, and the clip's progress."""

    base_name = "request-targets"

    class Meta:
        table_name = "request-targets"

    target_id = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    camera_id = UnicodeAttribute()
    nickname = UnicodeAttribute()  # as it was when asked
    visibility = UnicodeAttribute()  # as it was when asked: a hidden owner stays anonymous
    tier = UnicodeAttribute()
    status = UnicodeAttribute()  # app.core.footage statuses
    reason = UnicodeAttribute(default="")  # the owner's decline reason, or why processing failed
    # the idempotency key of the owner's answer when a phone sent it from its outbox: the same
    # answer sent again is recognised (app.core.idempotency)
    answer_key = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    notified_at = UTCDateTimeAttribute(null=True)
    seen_at = UTCDateTimeAttribute(null=True)
    clock_offset_s = NumberAttribute(null=True)
    video_starts_at = UTCDateTimeAttribute(null=True)  # recorder time of the file's first frame
    upload_key = UnicodeAttribute(null=True)
    upload_id = UnicodeAttribute(null=True)
    upload_name = UnicodeAttribute(null=True)
    upload_bytes = NumberAttribute(null=True)
    include_audio = BooleanAttribute(default=False)  # the owner chose to send the sound too
    # originals this camera's clip was once cut from, before the owner sent a file covering
    # more of the window; kept (written once) and deleted with the evidence
    earlier_uploads = ListAttribute(of=UnicodeAttribute, default=list)
    # the owner said they have no file covering the parts of the window the clip misses
    no_other_file = BooleanAttribute(default=False)
    # stretches the owner's bridge reported without pictures inside the clip it sent
    source_gaps = ListAttribute(of=Gap, default=list)
    attempts = NumberAttribute(default=0)
    version = VersionAttribute()

    request_index = RequestTargetIndex()
    owner_index = OwnerTargetIndex()


class Evidence(BaseModel):
    """What the clip worker made of one upload. Retention deletes it with its S3 objects."""

    base_name = "evidence"

    class Meta:
        table_name = "evidence"

    target_id = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    original_key = UnicodeAttribute()
    original_sha256 = UnicodeAttribute()
    clip_key = UnicodeAttribute()
    clip_sha256 = UnicodeAttribute()
    poster_key = UnicodeAttribute()
    sheet_key = UnicodeAttribute()
    manifest_key = UnicodeAttribute()
    package_key = UnicodeAttribute(null=True)  # None until the package is made, after the clip
    method = UnicodeAttribute()  # stream_copy, smart_cut or reencode
    clip_seconds = NumberAttribute()
    truncated = BooleanAttribute(default=False)
    gaps = ListAttribute(of=Gap, default=list)  # every part of the asked window with no video
    made_at = UTCDateTimeAttribute()
    delete_after = UTCDateTimeAttribute()
    legal_hold = BooleanAttribute(default=False)  # S3 holds the files too (services.legal_holds)
    hold_reason = UnicodeAttribute(default="")
    # the owner's privacy masks blacked out of the clip (their ids; none: nothing was masked)
    mask_ids: ListAttribute[str] = ListAttribute(default=list, attr_name="mi")
    # the case timeline: the real time of the clip's first picture (its recorder's clock
    # offset applied), that offset, and its moments of motion (kind "motion"), in real time
    real_start = UTCDateTimeAttribute(null=True, attr_name="rs")
    clock_offset_s = NumberAttribute(null=True, attr_name="co")
    activity = ListAttribute(of=Gap, default=list, attr_name="ac")
    hold_changing_until = UTCDateTimeAttribute(null=True)  # a supervisor's change under way


class UserSubscriptionIndex(GlobalSecondaryIndex["PushSubscription"]):
    class Meta:
        index_name = "user-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class PushSubscription(BaseModel):
    """One browser's push subscription (per device); keyed by its endpoint's digest."""

    base_name = "push-subscriptions"

    class Meta:
        table_name = "push-subscriptions"

    subscription_id = UnicodeAttribute(hash_key=True)  # sha256 of the endpoint
    user_id = UnicodeAttribute()
    endpoint = UnicodeAttribute()
    p256dh = UnicodeAttribute()
    auth = UnicodeAttribute()
    device = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    last_sent_at = UTCDateTimeAttribute(null=True)

    user_index = UserSubscriptionIndex()
