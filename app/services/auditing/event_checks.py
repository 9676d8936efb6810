"""One audit event checked on its own, for the auditor's event page: its hash, its seal, its
links to the events either side of it, and the signed checkpoint that covers it.

`flask audit verify` and the Verify page check whole chains; this says, for the one event in
front of the auditor, which of those guarantees hold, in plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.config import ConfigError, Settings
from app.core import auditchain, merkle
from app.models.audit import AuditEvent, AuditHead
from app.services.auditing import checkpoints

OK, BROKEN, ERASED, PENDING = "ok", "broken", "erased", "pending"


@dataclass(frozen=True)
class Finding:
    state: str  # OK, BROKEN, ERASED or PENDING
    text: str


def _get(chain: str, seq: int) -> AuditEvent | None:
    try:
        return AuditEvent.get(chain, seq, consistent_read=True)
    except AuditEvent.DoesNotExist:
        return None


def hash_finding(event: AuditEvent) -> Finding:
    body = auditchain.hashed_body(event.as_record())
    if auditchain.event_hash(event.prev_hash, body) == event.hash:
        return Finding(OK, "Its hash is the SHA-256 of the previous event's hash and its "
                           "fields: the fields are as they were written.")
    return Finding(BROKEN, "Its fields do not match its hash: the event was altered after it "
                           "was written.")


def _erasure_of(event: AuditEvent) -> AuditEvent | None:
    """The later `account.erased` event naming the event's actor or subject, if any."""
    people = {event.actor_id, event.subject_id}
    for erasure in AuditEvent.action_index.query(auditchain.ERASED_ACTION,
                                                 AuditEvent.at >= event.at):
        if erasure.chain != event.chain or int(erasure.seq) <= int(event.seq):
            continue
        try:
            pseudonym = json.loads(erasure.details or "{}").get("pseudonym")
        except (ValueError, AttributeError):
            continue
        if pseudonym in people:
            return erasure
    return None


def seal_finding(event: AuditEvent) -> Finding:
    if event.erased_at:
        erasure = _erasure_of(event)
        if erasure is None:
            return Finding(BROKEN, "Its details were removed, but no later erasure of that "
                                   "person is on record.")
        return Finding(ERASED, f"Its details and IP address were erased on {event.erased_at[:10]}"
                               " when the person left the program (recorded as event "
                               f"#{int(erasure.seq)}). The seal its hash covers stays, so the "
                               "chain still verifies.")
    if event.salt is None:
        return Finding(BROKEN, "Its details have neither their salt nor an erasure on record.")
    if auditchain.seal(event.salt, event.ip, event.details) == event.sealed:
        return Finding(OK, "Its details and IP address match their seal.")
    return Finding(BROKEN, "Its details or IP address do not match their seal: they were "
                           "altered.")


def previous_finding(event: AuditEvent) -> Finding:
    seq = int(event.seq)
    if seq == 1:
        if event.prev_hash == auditchain.GENESIS:
            return Finding(OK, "It is the first event of the chain.")
        return Finding(BROKEN, "It is numbered first but points to an earlier event.")
    before = _get(event.chain, seq - 1)
    if before is None:
        return Finding(BROKEN, f"The event before it (#{seq - 1}) is missing.")
    if before.hash != event.prev_hash:
        return Finding(BROKEN, f"It does not point to the event before it (#{seq - 1}): events "
                               "were reordered or one was replaced.")
    return Finding(OK, f"It points to the event before it (#{seq - 1}).")


def next_finding(event: AuditEvent) -> Finding:
    seq = int(event.seq)
    after = _get(event.chain, seq + 1)
    if after is not None:
        if after.prev_hash == event.hash:
            return Finding(OK, f"The event after it (#{seq + 1}) points back to it.")
        return Finding(BROKEN, f"The event after it (#{seq + 1}) does not point back to it.")
    try:
        head = AuditHead.get(event.chain, consistent_read=True)
    except AuditHead.DoesNotExist:
        return Finding(BROKEN, "The chain's recorded head is missing.")
    if int(head.seq) == seq and head.hash == event.hash:
        return Finding(OK, "It is the newest event, and the chain's recorded head matches it.")
    if int(head.seq) > seq:
        return Finding(BROKEN, f"The events after it are missing (the chain's head is at "
                               f"#{int(head.seq)}).")
    return Finding(BROKEN, "It does not match the chain's recorded head.")


def _covering(event: AuditEvent) -> tuple[checkpoints.Checkpoint, dict[str, object]] | None:
    for checkpoint in checkpoints.all_checkpoints():
        entry = checkpoint.entry(event.chain)
        if entry and int(entry["from_seq"]) <= int(event.seq) <= int(entry["seq"]):
            return checkpoint, entry
    return None


def _signature(settings: Settings, checkpoint: checkpoints.Checkpoint) -> tuple[str, str]:
    """(OK, "") when the checkpoint's signature verifies, (BROKEN, why) when it does not, and
    (PENDING, why) when it cannot be checked here."""
    try:
        signer = checkpoints.signer_for(settings)
    except ConfigError:
        return PENDING, "no signing key is configured here, so its signature was not checked"
    if checkpoint.key_id != signer.key_id:
        return PENDING, f"it was signed by another key ({checkpoint.key_id}), not checked here"
    if not checkpoints.verify_signature(signer.public_pem(),
                                        checkpoints.statement_bytes(checkpoint.statement),
                                        checkpoint.signature):
        return BROKEN, "its signature does not verify"
    return OK, ""


def checkpoint_finding(settings: Settings, event: AuditEvent) -> Finding:
    found = _covering(event)
    if found is None:
        return Finding(PENDING, "Newer than the latest checkpoint: the next signed checkpoint "
                                "will cover it.")
    checkpoint, entry = found
    first, last = int(str(entry["from_seq"])), int(str(entry["seq"]))
    batch = list(AuditEvent.query(event.chain, AuditEvent.seq.between(first, last),
                                  consistent_read=True))
    name = f"checkpoint {checkpoint.seq}"
    if checkpoints.batch_root([e.hash for e in batch]) != entry["batch_root"]:
        return Finding(BROKEN, f"Events {first} to {last} changed after {name} covered them.")
    if merkle.root([checkpoints.chain_leaf(c) for c in checkpoint.chains]) != \
            checkpoint.statement.get("root") or \
            checkpoints.statement_hash(checkpoint.statement) != checkpoint.hash:
        return Finding(BROKEN, f"{name.capitalize()} does not match its signed statement.")
    state, why = _signature(settings, checkpoint)
    if state == BROKEN:
        return Finding(BROKEN, f"{name.capitalize()} covers it, but {why}.")
    signed = str(checkpoint.statement.get("at", ""))[:19].replace("T", " ")
    text = (f"Proven in {name} (signed {signed} UTC), which covers events {first} to {last} "
            "of this chain.")
    return Finding(state, text + (f" Note: {why}." if why else ""))


def findings_for(settings: Settings, event: AuditEvent) -> list[Finding]:
    return [hash_finding(event), seal_finding(event), previous_finding(event),
            next_finding(event), checkpoint_finding(settings, event)]
