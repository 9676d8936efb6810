"""Incidents: a call in progress, opened on the real-time operator's screen."""

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


class AgencyIncidentIndex(GlobalSecondaryIndex["Incident"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    opened_at = UTCDateTimeAttribute(range_key=True)


class Incident(BaseModel):
    """One incident of a program, opened from a CAD call or a point on the map."""

    base_name = "incidents"

    class Meta:
        table_name = "incidents"

    incident_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    call_id = UnicodeAttribute(null=True)  # the CAD call's id, when opened from one
    label = UnicodeAttribute()  # "Robbery in progress, 2nd Ave N & Commerce"
    detail = UnicodeAttribute(default="")
    lat = NumberAttribute()
    lon = NumberAttribute()
    radius_m = NumberAttribute()
    case_number = UnicodeAttribute(default="")
    offense = UnicodeAttribute(default="")  # app.core.footage.OFFENSE_WORDS, when set
    happened_at = UTCDateTimeAttribute()  # the call's time (the search's incident time)
    opened_by = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    closed_at = UTCDateTimeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    # The cameras the opening search found (ids police may hold: exact and approximate ones,
    # never hidden ones), nearest first; the screen works from these.
    camera_ids: ListAttribute[str] = ListAttribute(default=list)
    version = VersionAttribute()

    agency_index = AgencyIncidentIndex()


class IncidentAskIndex(GlobalSecondaryIndex["LiveAsk"]):
    class Meta:
        index_name = "incident-index"
        projection = AllProjection()

    incident_id = UnicodeAttribute(hash_key=True)
    asked_at = UTCDateTimeAttribute(range_key=True)


class LiveAsk(BaseModel):
    """Police asked an owner to share one camera live for an incident (an "on alert" camera,
    or an "always" one outside its schedule). The owner answers from the notification's
    buttons (single-use tokens) or in the app, until `expires_at`; DynamoDB's TTL removes the
    item a day later."""

    base_name = "live-asks"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "live-asks"

    ask_id = UnicodeAttribute(hash_key=True)
    incident_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    camera_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    asked_by = UnicodeAttribute()
    asked_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    answer = UnicodeAttribute(null=True)  # "shared" or "declined"
    answered_at = UTCDateTimeAttribute(null=True)
    share_id = UnicodeAttribute(null=True)
    expires_epoch = NumberAttribute()
    version = VersionAttribute()

    incident_index = IncidentAskIndex()


class AgencyBulletinIndex(GlobalSecondaryIndex["Bulletin"]):
    class Meta:
        index_name = "agency-index"
        projection = AllProjection()

    agency_id = UnicodeAttribute(hash_key=True)
    sent_at = UTCDateTimeAttribute(range_key=True)


class Bulletin(BaseModel):
    """A still (optional) and a description an operator sent to responding officers for an
    incident. The still is in the uploads bucket under `still_key`; DynamoDB's TTL removes the
    item, and the retention worker the still, after KEEP (app.services.realtime.bulletins)."""

    base_name = "bulletins"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "bulletins"

    bulletin_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    incident_id = UnicodeAttribute()
    sent_by = UnicodeAttribute()
    sent_by_name = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()
    text = UnicodeAttribute()
    recipients: ListAttribute[str] = ListAttribute(default=list)
    still_key = UnicodeAttribute(null=True)
    # The tile the still was frozen from: its share and the camera behind it (the camera's
    # owner gets a receipt).
    source_share = UnicodeAttribute(null=True)
    source_camera = UnicodeAttribute(null=True)
    expires_epoch = NumberAttribute()

    agency_index = AgencyBulletinIndex()
