"""Appending to, reading and verifying the hash-chained audit log."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from app.core import auditchain
from app.models.audit import AuditEvent, AuditHead
from app.models.idempotency import IdempotencyRecord
from app.services import clock

MAX_APPEND_ATTEMPTS = 40
# After a lost race a writer waits a random time up to min(cap, base * 2**losses) ("full
# jitter"), so writers that collided spread out instead of colliding again at once. Without it
# 20 concurrent writers on one chain gave up on 12% of appends (bench/audit.py).
BACKOFF_BASE_S = 0.004
BACKOFF_CAP_S = 0.25
# Appends from one process go one at a time. Across processes (Lambda containers) the
# conditional transaction in try_append is what keeps each place in a chain single; moto's
# server does not serialise concurrent transactions, so without this lock a threaded devstack
# could write two events at one seq and report a false break.
_APPEND_LOCK = threading.Lock()
# Errors DynamoDB answers when it is busy, which botocore's own retries did not outlast: the
# append is tried again like a lost race rather than lost (the caller has already acted).
TRANSIENT = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                       "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable",
                       "TransactionInProgressException"})
ONCE_PREFIX = "audit-once#"
ONCE_KEEP_SECONDS = 14 * 24 * 3600  # longer than any redelivery (SQS keeps messages 4 days)


class AuditWriteError(RuntimeError):
    """The event could not be placed in its chain after repeated races."""


class AlreadyRecorded(Exception):
    """record_once(): an event with this key was appended before (a redelivered job)."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page of events starts: just older than the last event shown (the audit
    log and My activity page alike)."""

    at: str
    seq: int

    @classmethod
    def after(cls, event: AuditEvent) -> Cursor:
        return cls(event.at, int(event.seq))


@dataclass(frozen=True)
class Actor:
    """Who did something: a user (id and role), "anonymous" or "system"."""

    user_id: str
    role: str
    ip: str = ""


SYSTEM = Actor("system", "system")


def chain_for(agency_id: str) -> str:
    """Each program (agency) has its own chain, so appends in one never wait on another."""
    return f"agency#{agency_id}"


@dataclass
class AuditFilter:
    actor_id: str | None = None
    action: str | None = None
    since: str | None = None  # ISO timestamps, inclusive
    until: str | None = None
    limit: int = 200
    chains: list[str] = field(default_factory=list)


def record(
    agency_id: str,
    actor: Actor,
    action: str,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the agency's chain; a writer that loses a race re-reads and retries."""
    chain = chain_for(agency_id)
    details_json = auditchain.canonical_json(details or {})
    with _APPEND_LOCK:
        return _append(chain, agency_id, actor, action, subject_id, details_json)


def record_once(
    key: str,
    agency_id: str,
    actor: Actor,
    action: str,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Like record(), for a job that may run twice (an SQS message delivered again, a worker
    killed and its job redone): the event goes in only if no event with this key went in before;
    None when one did. The key's marker is written in the same transaction as the event, so
    there is never an event without its marker nor a marker without its event."""
    chain = chain_for(agency_id)
    details_json = auditchain.canonical_json(details or {})
    with _APPEND_LOCK:
        try:
            return _append(chain, agency_id, actor, action, subject_id, details_json, once=key)
        except AlreadyRecorded:
            return None


def _append(chain: str, agency_id: str, actor: Actor, action: str, subject_id: str | None,
            details_json: str, on_lost: Callable[[], None] | None = None,
            once: str | None = None) -> AuditEvent:
    for attempt in range(MAX_APPEND_ATTEMPTS):
        head = _head(chain)
        event = AuditEvent(
            chain=chain,
            event_id=uuid.uuid4().hex,
            at=clock.iso(clock.now()),
            actor_id=actor.user_id,
            actor_role=actor.role,
            action=action,
            subject_id=subject_id or "-",
            agency_id=agency_id,
            ip=actor.ip,
            details=details_json,
        )
        if try_append(event, head, once):
            return event
        if on_lost is not None:
            on_lost()
        time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt)))
    raise AuditWriteError(f"could not append to {chain} after {MAX_APPEND_ATTEMPTS} attempts")


def try_append(event: AuditEvent, head: AuditHead | None, once: str | None = None) -> bool:
    """Place the event right after `head` (None: first in its chain); False if the place is taken
    or DynamoDB was too busy (the caller re-reads the head and tries again).

    The event is put only if its seq is free, and the chain's head moves from seq-1 to seq in the
    same transaction, so two writers can never share a place in a chain. When the transaction's
    answer is lost (a 500 or a dropped connection after DynamoDB committed it, then botocore's
    retry is refused because the seq is taken), the event found at its seq is this one: that is
    a success, not a lost race, or the caller would append the same event twice.
    With `once`, a marker keyed by it is put in the same transaction; AlreadyRecorded if it exists.
    """
    prev_seq, prev_hash = (int(head.seq), head.hash) if head else (0, auditchain.GENESIS)
    if event.salt is None:
        event.salt = secrets.token_hex(16)
        event.sealed = auditchain.seal(event.salt, event.ip, event.details)
    event.seq = prev_seq + 1
    event.prev_hash = prev_hash
    event.hash = auditchain.event_hash(prev_hash, event.body())
    new_head = AuditHead(chain=event.chain, seq=event.seq, hash=event.hash)
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(event, condition=AuditEvent.seq.does_not_exist())
            if head is None:
                tx.save(new_head, condition=AuditHead.chain.does_not_exist())
            else:
                tx.save(new_head, condition=AuditHead.seq == prev_seq)
            if once is not None:
                tx.save(_marker(once), condition=IdempotencyRecord.id.does_not_exist())
    except TransactWriteError as exc:
        code = exc.cause_response_code
        if code != "TransactionCanceledException" and code not in TRANSIENT:
            raise
        if _landed(event):
            return True
        if once is not None and code == "TransactionCanceledException" and _marker_taken(exc):
            raise AlreadyRecorded(once) from exc
        return False
    return True


def _landed(event: AuditEvent) -> bool:
    """Is this very event (by its random id) the one at its seq?"""
    try:
        found = AuditEvent.get(event.chain, event.seq, consistent_read=True,
                               attributes_to_get=["event_id"])
    except AuditEvent.DoesNotExist:
        return False
    return bool(found.event_id == event.event_id)


def _marker(once: str) -> IdempotencyRecord:
    return IdempotencyRecord(id=ONCE_PREFIX + once,
                             expiration=int(time.time()) + ONCE_KEEP_SECONDS)


def _marker_taken(exc: TransactWriteError) -> bool:
    reasons = exc.cancellation_reasons
    last = reasons[-1] if reasons else None
    return last is not None and last.code == "ConditionalCheckFailed"


def _connection() -> Connection:
    # The table connection's underlying client is made once per configured model.
    return AuditEvent._get_connection().connection


def _head(chain: str) -> AuditHead | None:
    try:
        return AuditHead.get(chain, consistent_read=True)
    except AuditHead.DoesNotExist:
        return None


def chains() -> list[AuditHead]:
    return list(AuditHead.scan())


def iter_chain(chain: str) -> Iterator[AuditEvent]:
    return AuditEvent.query(chain, scan_index_forward=True, consistent_read=True)


def load_chains(only: str | None = None) -> tuple[dict[str, list[dict[str, Any]]],
                                                 dict[str, AuditHead]]:
    """Every chain's events (as_record() dicts, seq order) and the recorded heads.

    The log grows while it is read (verification runs on the live system). The heads are read
    after the events: an append writes its event and moves its head in one transaction, so a
    head read later is at or past every event read before it, and an event past it is a real
    break. Events appended between the two reads are then read up to that head; later ones wait
    for the next verification. Heads read first made every append during the read a false
    "events exist past the recorded head" (bench/load.py found it).
    """
    # A chain with events but no head (head deleted) is read too.
    names = {h.chain for h in chains()} | {e.chain for e in AuditEvent.scan(
        attributes_to_get=["chain"])}
    if only is not None:
        names &= {only}
    loaded: dict[str, list[dict[str, Any]]] = {
        name: [e.as_record() for e in iter_chain(name)] for name in sorted(names)}
    heads = {h.chain: h for h in chains()}
    for name, events in loaded.items():
        last = int(events[-1]["seq"]) if events else 0
        head = heads.get(name)
        if head is not None and int(head.seq) > last:
            events.extend(e.as_record() for e in AuditEvent.query(
                name, AuditEvent.seq.between(last + 1, int(head.seq)), consistent_read=True))
    return loaded, heads


def verify_loaded(events_by_chain: dict[str, list[dict[str, Any]]],
                  heads: dict[str, AuditHead]) -> list[auditchain.Break]:
    breaks: list[auditchain.Break] = []
    for name, events in events_by_chain.items():
        head = heads.get(name)
        if head is None:
            breaks.append(auditchain.Break(name, 0, "", "the chain's head record is missing"))
            continue
        found = auditchain.verify_chain(name, events, int(head.seq), head.hash)
        if found:
            breaks.append(found)
    return breaks


def verify_all(only: str | None = None) -> tuple[int, int, list[auditchain.Break]]:
    """Recompute every chain (or just `only`).

    Returns (chains checked, events checked, the first break of each broken chain).
    """
    events_by_chain, heads = load_chains(only)
    breaks = verify_loaded(events_by_chain, heads)
    return len(events_by_chain), sum(len(v) for v in events_by_chain.values()), breaks


def _matches(event: AuditEvent, flt: AuditFilter) -> bool:
    if flt.actor_id and event.actor_id != flt.actor_id:
        return False
    if flt.action and event.action != flt.action:
        return False
    if flt.since and event.at < flt.since:
        return False
    return not (flt.until and event.at > flt.until)


def _range(flt: AuditFilter) -> Any:
    if flt.since and flt.until:
        return AuditEvent.at.between(flt.since, flt.until)
    if flt.since:
        return AuditEvent.at >= flt.since
    if flt.until:
        return AuditEvent.at <= flt.until
    return None


def _newest_in_chains(flt: AuditFilter) -> list[AuditEvent]:
    """Newest first in each chain (seq order is time order), merged."""
    events = []
    for name in flt.chains or [h.chain for h in chains()]:
        matched = 0
        for event in AuditEvent.query(name, scan_index_forward=False):
            if flt.since and event.at < flt.since:
                break
            if _matches(event, flt):
                events.append(event)
                matched += 1
                if matched >= flt.limit:
                    break
    return sorted(events, key=lambda e: e.at, reverse=True)


def search(flt: AuditFilter) -> list[AuditEvent]:
    """Newest first, for the auditor: uses the narrowest index the filter allows."""
    source: Iterable[AuditEvent]
    if flt.actor_id:
        source = AuditEvent.actor_index.query(flt.actor_id, range_key_condition=_range(flt),
                                              scan_index_forward=False)
    elif flt.action:
        source = AuditEvent.action_index.query(flt.action, range_key_condition=_range(flt),
                                               scan_index_forward=False)
    else:
        source = _newest_in_chains(flt)
    allowed = set(flt.chains)
    out = []
    for event in source:
        if _matches(event, flt) and (not allowed or event.chain in allowed):
            out.append(event)
            if len(out) >= flt.limit:
                break
    return out


def activity_of(user_id: str, limit: int = 100) -> list[AuditEvent]:
    """Events where the user is the actor or the subject, newest first, without duplicates.

    Raw, for checks and tests: what a user is shown of their activity comes from
    app.services.auditing.activity, which applies app.core.audit_views."""
    seen: dict[tuple[str, int], AuditEvent] = {}
    for index in (AuditEvent.actor_index, AuditEvent.subject_index):
        for event in index.query(user_id, scan_index_forward=False, limit=limit):
            seen[(event.chain, int(event.seq))] = event
    return sorted(seen.values(), key=lambda e: e.at, reverse=True)[:limit]


def event_json(event: AuditEvent) -> dict[str, Any]:
    """The event as exported: every hashed field, the hash, and the sealed fields with their
    salt (the raw details string is what the seal covers; `details` is it parsed). Whole, as
    the auditor reads it; anyone else reads it through app.core.audit_views.view."""
    data: dict[str, Any] = event.as_record()
    data["details_json"] = event.details
    data["details"] = json.loads(event.details or "{}")
    return data
