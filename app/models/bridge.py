"""Bridges: the small program an owner runs on their own network, paired to their account."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class OwnerDeviceIndex(GlobalSecondaryIndex["BridgeDevice"]):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class BridgeDevice(BaseModel):
    """One paired bridge. Its credential is `pbd_<device_id>_<secret>`; only the secret's
    digest is stored, and revoking the device ends every call it makes at once."""

    base_name = "bridge-devices"

    class Meta:
        table_name = "bridge-devices"

    device_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    name = UnicodeAttribute()
    secret_digest = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    # The Porchlight cameras this bridge says it serves (from its config, on every state call):
    # only their approved requests are offered to it, and the owner's app names the bridge.
    camera_ids: ListAttribute[str] = ListAttribute(null=True)
    # How its cameras are, as it last said (app.services.cameras.bridges.read_health): JSON
    # [{camera_id, state, problem, behind_s, last_at, buffer_s}], for the owner's Bridges page.
    health = UnicodeAttribute(null=True)
    # Presence on the device channel (app/services/realtime/channel.py), from the bridge's
    # status messages and its last will: whether it is connected, when the app last heard, and
    # when (by the bridge's clock) the connection it heard about began, so that a late last
    # will of an earlier connection cannot mark a reconnected bridge offline.
    connected = BooleanAttribute(null=True)
    status_at = UTCDateTimeAttribute(null=True)
    connected_since = UTCDateTimeAttribute(null=True)
    # Camera setup from the app (app/services/cameras/bridge_setup.py): JSON {scan, found_at,
    # found: [...], orders: [...]}, and the public half of the bridge's sealing key (base64
    # SPKI) the owner's browser seals recorder passwords with. Never a password in the clear.
    setup = UnicodeAttribute(null=True)
    sealing_key = UnicodeAttribute(null=True)
    # The owner's cap on what the bridge uploads, all cameras together (kb/s; absent or 0: none)
    max_upload_kbps = NumberAttribute(null=True)

    owner_index = OwnerDeviceIndex()
