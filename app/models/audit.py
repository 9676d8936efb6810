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
# canonical JSON read back from DynamoDB is byte-for-byte what was hashed. The IP address and the
# details are covered through `sealed` (see app.core.auditchain), so they can be erased when an
# owner leaves the program without breaking the chain.
BODY_FIELDS = (
    "event_id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "subject_id",
    "agency_id",
    "sealed",
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
    sealed = UnicodeAttribute()  # SHA-256 over salt, ip and details: what the hash covers
    salt = UnicodeAttribute(null=True)  # gone once the event's personal data is erased
    erased_at = UnicodeAttribute(null=True)
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()

    actor_index = ActorIndex()
    subject_index = SubjectIndex()
    action_index = ActionIndex()

    def body(self) -> dict[str, object]:
        """The hashed fields."""
        data: dict[str, object] = {name: getattr(self, name) for name in BODY_FIELDS}
        data["chain"] = self.chain
        data["seq"] = int(self.seq)
        return data

    def as_record(self) -> dict[str, object]:
        """Everything verify_chain checks: the hashed body, the hash, the sealed fields."""
        data = self.body()
        data.update(hash=self.hash, ip=self.ip, details=self.details)
        if self.salt is not None:
            data["salt"] = self.salt
        if self.erased_at is not None:
            data["erased_at"] = self.erased_at
        return data


class AuditHead(BaseModel):
    """The latest seq and hash of each chain, moved in the same transaction as each append."""

    base_name = "audit-heads"

    class Meta:
        table_name = "audit-heads"

    chain = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute()
    hash = UnicodeAttribute()


class AuditCheckpoint(BaseModel):
    """A signed checkpoint: a Merkle root over every chain's head (and, per chain, over the
    events added since the previous checkpoint), its time, and the previous checkpoint's hash.
    Public: anyone may mirror the feed (see app.services.auditing.checkpoints)."""

    base_name = "audit-checkpoints"

    class Meta:
        table_name = "audit-checkpoints"

    feed = UnicodeAttribute(hash_key=True)  # one feed: "checkpoints"
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    statement = UnicodeAttribute()  # the canonical JSON that is signed
    hash = UnicodeAttribute()  # SHA-256 of the statement: the next checkpoint's "previous"
    signature = UnicodeAttribute()  # base64, DER ECDSA P-256 over the statement
    key_id = UnicodeAttribute()
    chains = UnicodeAttribute()  # JSON list of the chain leaves, sorted by chain


class ReceiptCursor(BaseModel):
    """How far the receipts worker has read each chain (and when it last sent digests)."""

    base_name = "receipt-cursors"

    class Meta:
        table_name = "receipt-cursors"

    key = UnicodeAttribute(hash_key=True)  # a chain name, or "digest"
    seq = NumberAttribute(default=0)
    at = UnicodeAttribute(null=True)
