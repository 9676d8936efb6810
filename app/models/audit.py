"""The audit log: append-only, hash-chained events and each chain's recorded head."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from app.models.base import BaseModel


class ActorIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "actor-index"
        projection = AllProjection()

    actor_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class SubjectIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "subject-index"
        projection = AllProjection()

    subject_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class ActionIndex(GlobalSecondaryIndex["AuditEvent"]):
    class Meta:
        index_name = "action-index"
        projection = AllProjection()

    action = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


# The fields covered by an event's hash, in addition to chain and seq. All are strings, so the
# canonical JSON read back from DynamoDB is byte-for-byte what was hashed.
BODY_FIELDS = (
    "event_id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "subject_id",
    "agency_id",
    "ip",
    "details",
    "prev_hash",
)


class AuditEvent(BaseModel):
    base_name = "audit-events"

    class Meta:
        table_name = "audit-events"

    chain = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()  # ISO 8601 UTC with milliseconds, sortable
    actor_id = UnicodeAttribute()  # user id, "anonymous" or "system"
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    subject_id = UnicodeAttribute()  # the user (or owner) the event is about; "-" when none
    agency_id = UnicodeAttribute()
    ip = UnicodeAttribute()
    details = UnicodeAttribute()  # canonical JSON of the event's details
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()

    actor_index = ActorIndex()
    subject_index = SubjectIndex()
    action_index = ActionIndex()

    def body(self) -> dict[str, object]:
        data: dict[str, object] = {name: getattr(self, name) for name in BODY_FIELDS}
        data["chain"] = self.chain
        data["seq"] = int(self.seq)
        return data


class AuditHead(BaseModel):
    """The latest seq and hash of each chain, moved in the same transaction as each append."""

    base_name = "audit-heads"

    class Meta:
        table_name = "audit-heads"

    chain = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute()
    hash = UnicodeAttribute()
