"""What CAD/AVL systems send: calls for service and officer locations, expiring by TTL."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from app.models.base import BaseModel


class FieldEvent(BaseModel):
    base_name = "field-events"
    ttl_attribute = "expires_epoch"

    class Meta:
        table_name = "field-events"

    agency_id = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)  # "call#<id>" or "unit#<id>"
    kind = UnicodeAttribute()  # call, unit
    source_id = UnicodeAttribute()
    lat = NumberAttribute()
    lon = NumberAttribute()
    label = UnicodeAttribute()
    detail = UnicodeAttribute(default="")
    updated_at = UTCDateTimeAttribute()
    expires_epoch = NumberAttribute()  # DynamoDB TTL; readers check it too (TTL is lazy)
    # A call's assigned units (their ids), a unit's officers (their accounts' e-mail
    # addresses, lower case): who is on the call, for the incident's bulletins.
    unit_ids: ListAttribute[str] = ListAttribute(null=True, attr_name="units")
    officer_emails: ListAttribute[str] = ListAttribute(null=True, attr_name="officers")


class ApiKey(BaseModel):
    """An agency-scoped key for the ingest API; only its digest is stored."""

    base_name = "api-keys"

    class Meta:
        table_name = "api-keys"

    key_id = UnicodeAttribute(hash_key=True)  # digest of the key
    public_id = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revoked = BooleanAttribute(default=False)
