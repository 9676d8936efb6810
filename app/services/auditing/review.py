"""What auditors read: the log searched and paged, one event, exports and the anomaly flags.

Each of these reads is itself an audit event in the auditor's program chain (`audit.viewed`,
`audit.event_viewed`, `audit.exported`, `audit.flags_viewed`), so oversight is overseen too.
Auditors only read: nothing here changes an event.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any

from app.config import Settings
from app.core.csvcells import write_csv
from app.core.errors import NotFoundError
from app.models.audit import AuditEvent, AuditHead
from app.models.users import User
from app.services.auditing import anomalies, audit, checkpoints
from app.services.auditing.audit import Cursor
from app.services.auditing.event_checks import Finding, findings_for
from app.services.people import accounts

PAGE_SIZE = 200  # as the API has always answered
PAGE_SIZE_MAX = 200
EXPORT_MAX = 10_000  # events in one export; narrow the filter for more
SCAN_MAX = 20_000  # events read for one page before the auditor is offered to read on
CSV_COLUMNS = ("chain", "seq", "at", "actor", "role", "action", "subject", "case", "details",
               "hash", "proof")


@dataclass
class ReviewFilter(audit.AuditFilter):
    """The audit filter plus what auditors also search by."""

    subject_id: str | None = None
    case: str | None = None
    text: str | None = None
    before: Cursor | None = None

    def described(self) -> dict[str, str]:
        """The filter as recorded with the auditor's read and written into exports."""
        values = {"actor": self.actor_id, "action": self.action, "subject": self.subject_id,
                  "case": self.case, "text": self.text, "since": self.since,
                  "until": self.until}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    next: Cursor | None  # None on the last page
    stopped: bool = False  # SCAN_MAX events read before the page filled


# ---------------------------------------------------------------- searching


def _range(since: str | None, upper: str | None) -> Any:
    if since and upper:
        return AuditEvent.at.between(since, upper)
    if since:
        return AuditEvent.at >= since
    if upper:
        return AuditEvent.at <= upper
    return None


def _chain_newest(chain: str, flt: ReviewFilter) -> Iterator[AuditEvent]:
    # Within a chain seq order is time order: the cursor's seq starts the query where it left.
    condition = None
    if flt.before and flt.before.seq and len(flt.chains) == 1:
        condition = AuditEvent.seq < flt.before.seq
    for event in AuditEvent.query(chain, condition, scan_index_forward=False):
        if flt.since and event.at < flt.since:
            return
        yield event


def _newest_first(events: Iterable[AuditEvent]) -> Iterator[AuditEvent]:
    """An index gives time order only; events of the same millisecond are put in seq order,
    so a page boundary between them is exact."""
    for _at, same in groupby(events, key=lambda e: e.at):
        yield from sorted(same, key=lambda e: int(e.seq), reverse=True)


def _source(flt: ReviewFilter) -> Iterator[AuditEvent]:
    """Newest first, from the narrowest index the filter allows."""
    bounds = [b for b in (flt.until, flt.before.at if flt.before else None) if b]
    condition = _range(flt.since, min(bounds) if bounds else None)
    for index, key in ((AuditEvent.actor_index, flt.actor_id),
                       (AuditEvent.subject_index, flt.subject_id),
                       (AuditEvent.action_index, flt.action)):
        if key:
            return _newest_first(index.query(key, range_key_condition=condition,
                                             scan_index_forward=False))
    names = flt.chains or [h.chain for h in audit.chains()]
    return heapq.merge(*(_chain_newest(name, flt) for name in names),
                       key=lambda e: (e.at, int(e.seq)), reverse=True)


def details_of(event: AuditEvent) -> dict[str, Any]:
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _values(value: Any) -> Iterator[str]:
    """Every value in the details, nested ones too (the keys are not searched)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    else:
        yield str(value)


def _keeps(flt: ReviewFilter, event: AuditEvent) -> bool:
    if flt.chains and event.chain not in flt.chains:
        return False
    for wanted, value in ((flt.actor_id, event.actor_id), (flt.action, event.action),
                          (flt.subject_id, event.subject_id)):
        if wanted and wanted != value:
            return False
    if (flt.since and event.at < flt.since) or (flt.until and event.at > flt.until):
        return False
    if flt.before and (event.at, int(event.seq)) >= (flt.before.at, flt.before.seq):
        return False
    if flt.text and flt.text.casefold() not in "\n".join(_values(details_of(event))).casefold():
        return False
    return not flt.case or str(details_of(event).get("case") or "").strip().casefold() == \
        flt.case.strip().casefold()


def page(flt: ReviewFilter) -> Page:
    """One page of matching events, newest first, and where the next one starts."""
    shown: list[AuditEvent] = []
    for scanned, event in enumerate(_source(flt), start=1):
        if _keeps(flt, event):
            if len(shown) == flt.limit:
                return Page(shown, Cursor.after(shown[-1]))
            shown.append(event)
        if scanned >= SCAN_MAX:
            return Page(shown, Cursor.after(event), stopped=True)
    return Page(shown, None)


def matching(flt: ReviewFilter, most: int) -> tuple[list[AuditEvent], bool]:
    """Up to `most` matching events, newest first, and whether more matched."""
    found = list(islice((e for e in _source(flt) if _keeps(flt, e)), most + 1))
    return found[:most], len(found) > most


# ---------------------------------------------------------------- audited reads


def _actor(auditor: User, ip: str) -> audit.Actor:
    return audit.Actor(auditor.user_id, auditor.role, ip)


def review(auditor: User, flt: ReviewFilter, ip: str) -> Page:
    found = page(flt)
    details: dict[str, Any] = {"filter": flt.described(), "count": len(found.events)}
    if flt.before:
        details["before"] = flt.before.at
    audit.record(auditor.agency_id, _actor(auditor, ip), "audit.viewed", "-", details)
    return found


@dataclass(frozen=True)
class EventView:
    event: AuditEvent
    findings: list[Finding]
    people: dict[str, User]  # the actor and the subject, when they still exist
    newest: bool  # no event after it yet


def _head_seq(chain: str) -> int:
    try:
        return int(AuditHead.get(chain, consistent_read=True).seq)
    except AuditHead.DoesNotExist:
        return 0


def open_event(settings: Settings, auditor: User, chain: str, seq: str, ip: str) -> EventView:
    """One event of the auditor's program, what checking it found, and who it names."""
    if chain != audit.chain_for(auditor.agency_id) or not seq.isdigit() or len(seq) > 12:
        raise NotFoundError("No such event in your program's audit log.")
    try:
        event = AuditEvent.get(chain, int(seq), consistent_read=True)
    except AuditEvent.DoesNotExist as exc:
        raise NotFoundError("No such event in your program's audit log.") from exc
    view = EventView(event, findings_for(settings, event),
                     people(i for i in (event.actor_id, event.subject_id)
                            if i not in ("-", "anonymous", "system")),
                     newest=_head_seq(chain) <= int(event.seq))
    audit.record(auditor.agency_id, _actor(auditor, ip), "audit.event_viewed", "-",
                 {"chain": chain, "seq": int(event.seq), "action": event.action})
    return view


def _exported(auditor: User, flt: ReviewFilter, ip: str, kind: str, count: int,
              capped: bool) -> None:
    audit.record(auditor.agency_id, _actor(auditor, ip), "audit.exported", "-",
                 {"format": kind, "filter": flt.described(), "count": count, "capped": capped})


def export_json(settings: Settings, auditor: User, flt: ReviewFilter, ip: str
                ) -> tuple[dict[str, Any], bool]:
    """Events with their inclusion proofs (tools/audit_proof.py checks them) and the filter."""
    events, capped = matching(flt, EXPORT_MAX)
    body = checkpoints.export(settings, events)
    body.update(filter=flt.described(), limit=EXPORT_MAX, capped=capped)
    if capped:
        body["note"] = (f"Only the newest {EXPORT_MAX:,} matching events are in this export; "
                        "narrow the dates for older ones.")
    _exported(auditor, flt, ip, "json", len(events), capped)
    return body, capped


def _proof_status(covering: list[checkpoints.Checkpoint], event: AuditEvent) -> str:
    for checkpoint in covering:
        entry = checkpoint.entry(event.chain)
        if entry and int(entry["from_seq"]) <= int(event.seq) <= int(entry["seq"]):
            return f"proven in checkpoint {checkpoint.seq}"
    return "newer than the latest checkpoint"


def csv_row(event: AuditEvent, proof: str) -> list[str]:
    details = details_of(event)
    subject = "" if event.subject_id == "-" else event.subject_id
    return [event.chain, str(int(event.seq)), event.at, event.actor_id, event.actor_role,
            event.action, subject, str(details.get("case") or ""), event.details or "",
            event.hash, proof]


def export_csv(auditor: User, flt: ReviewFilter, ip: str) -> tuple[str, bool]:
    """One row per event, newest first; every cell safe to open in a spreadsheet."""
    events, capped = matching(flt, EXPORT_MAX)
    covering = checkpoints.all_checkpoints()
    text = write_csv([CSV_COLUMNS, *(csv_row(e, _proof_status(covering, e)) for e in events)])
    _exported(auditor, flt, ip, "csv", len(events), capped)
    return text, capped


def flags(auditor: User, period: str, ip: str) -> tuple[anomalies.Review, dict[str, User]]:
    """The anomaly flags of the auditor's program, and the people they are about."""
    found = anomalies.review(auditor.agency_id, period)
    audit.record(auditor.agency_id, _actor(auditor, ip), "audit.flags_viewed", "-",
                 {"period": period, "checked": found.checked,
                  "flags": [f"{f.kind}:{f.actor_id}" for f in found.flags]})
    return found, people({f.actor_id for f in found.flags})


def people(user_ids: Iterable[str]) -> dict[str, User]:
    """Who the ids are, for the ones that still exist."""
    found = {}
    for user_id in sorted(set(user_ids)):
        try:
            found[user_id] = accounts.get_user(user_id)
        except NotFoundError:
            continue
    return found
