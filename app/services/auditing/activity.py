"""Audit events as each reader may read them: a user's own activity (as JSON, and as the paged
receipt of My activity, in sentences from app.core.activity_words), an owner's trail of one
request, and the excerpt an evidence package carries. The rules are app.core.audit_views; this
module finds the events and what each reader may know (their program's staff and requests,
an owner's own cameras)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from app.core import localtime, roles
from app.core.activity_words import Case, Known, by_day, sentence
from app.core.audit_views import NOT_PEOPLE, NOTICE_ACTIONS, WITHHELD, Reader, view
from app.models.audit import AuditEvent
from app.models.cameras import Camera
from app.models.footage import FootageRequest, RequestTarget
from app.models.live import LiveShare
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Cursor

# A user's activity reads their own events past others' notices that name them as actor
# (appended before notices were the owner's), but never more than this many.
SCAN_MAX = 2000
# Events of a request start with it; a little earlier covers clocks of other writers.
EARLIER = timedelta(minutes=1)
PAGE_SIZE = 20  # events on a page of My activity: a phone's few screens, not thousands of px


def _details(event: AuditEvent) -> dict[str, Any]:
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _own(user_id: str, limit: int, before: Cursor | None = None) -> list[AuditEvent]:
    """Events where the user is the subject or the actor, newest first (older than `before`):
    like audit.activity_of, without the notices of others it would find under the user as
    actor."""
    since = AuditEvent.at <= before.at if before else None

    def older(event: AuditEvent) -> bool:
        return before is None or (event.at, int(event.seq)) < (before.at, before.seq)

    seen: dict[tuple[str, int], AuditEvent] = {}
    about = AuditEvent.subject_index.query(user_id, since, scan_index_forward=False,
                                           page_size=limit)
    for event in islice((e for e in about if older(e)), limit):
        seen[(event.chain, int(event.seq))] = event
    kept = 0
    for scanned, event in enumerate(AuditEvent.actor_index.query(
            user_id, since, scan_index_forward=False, page_size=limit)):
        if kept >= limit or scanned >= SCAN_MAX:
            break
        if not older(event) or (event.action in NOTICE_ACTIONS and event.subject_id != user_id):
            continue
        seen[(event.chain, int(event.seq))] = event
        kept += 1
    return sorted(seen.values(), key=lambda e: (e.at, int(e.seq)), reverse=True)[:limit]


def known_to(reader: User, ids: Iterable[str]) -> frozenset[str]:
    """Which of these ids a police reader may see: their program's staff and requests. Anyone
    else (an owner, a departed account) is not theirs to know."""
    wanted = {i for i in ids if i and i not in NOT_PEOPLE and i != reader.user_id}
    if not wanted or reader.role not in roles.POLICE_ROLES:
        return frozenset()
    known: set[str] = set()
    people = {u.user_id: u for u in User.batch_get(sorted(wanted))}
    known |= {i for i, u in people.items()
              if u.role in roles.INVITED_ROLES and u.agency_id == reader.agency_id}
    rest = sorted(wanted - set(people))
    if rest:
        known |= {r.request_id for r in FootageRequest.batch_get(rest)
                  if r.agency_id == reader.agency_id}
    return frozenset(known)


def _views(reader: User, events: list[AuditEvent]) -> list[dict[str, Any]]:
    who = Reader.of(reader.user_id, reader.role,
                    known_to(reader, (e.subject_id for e in events)))
    shown = (view(audit.event_json(e), who) for e in events)
    return [v for v in shown if v is not None]


def activity_for(reader: User, limit: int = 100) -> list[dict[str, Any]]:
    """The reader's own activity (what they did, what others did about them), newest first, as
    they may read it."""
    return _views(reader, _own(reader.user_id, limit))


@dataclass(frozen=True)
class Receipt:
    """One event of My activity: as the reader may read it, in a sentence, and when."""

    event: dict[str, Any]
    sentence: str
    at: datetime


@dataclass(frozen=True)
class ActivityPage:
    days: list[tuple[str, list[Receipt]]]  # "Today", "Yesterday", "Friday 4 December" ...
    next: Cursor | None  # where older activity starts; None on the last page


def activity_page(reader: User, before: Cursor | None, zone: str,
                  size: int = PAGE_SIZE, language: str = "en") -> ActivityPage:
    """A page of the reader's activity as a receipt: a sentence per event in the reader's words
    and `language` (the page's), under the day it happened in the program's zone, and where the
    next (older) page starts."""
    events = _own(reader.user_id, size + 1, before)
    more = len(events) > size
    events = events[:size]
    shown = _views(reader, events)
    known = _known(reader, shown, zone, language)
    receipts = []
    for event in shown:
        moment = datetime.fromisoformat(str(event["at"]))
        receipts.append((moment, Receipt(event, sentence(event, known), moment)))
    today = clock.now().astimezone(localtime.zone(zone)).date()
    return ActivityPage(by_day(receipts, today, zone, language),
                        Cursor.after(events[-1]) if more else None)


def _ids(shown: list[dict[str, Any]], key: str, listed: bool = False) -> set[str]:
    """The ids the events' details hold under `key`, alone or in a list (only in a list when
    `listed`: a notice's "cameras" is its names, joined)."""
    found: set[str] = set()
    for event in shown:
        value = event["details"].get(key)
        for item in value if isinstance(value, list) else [] if listed else [value]:
            if isinstance(item, str) and 0 < len(item) <= 64:
                found.add(item)
    return found


def _known(reader: User, shown: list[dict[str, Any]], zone: str, language: str = "en"
           ) -> Known:
    """What the sentences may name besides the events: the reader's own cameras (an owner's;
    police never get an owner's name for a camera here) and the cases of requests the reader
    may know (an owner's own, or police's own program's)."""
    if reader.role not in roles.PUBLIC_ROLES:
        made = {str(e["subject_id"]) for e in shown if str(e["action"]).startswith("request.")
                and e.get("subject_id") not in NOT_PEOPLE | {WITHHELD}}
        requests = [r for r in _batch(FootageRequest, _ids(shown, "request_id") | made)
                    if r.agency_id == reader.agency_id]
        return Known(reader.user_id, zone, cases=_cases(requests), language=language)
    cameras: dict[str, str] = {}
    rows = [t for t in _batch(RequestTarget, _ids(shown, "target_id"))
            if t.owner_id == reader.user_id]
    cameras |= {t.target_id: t.nickname for t in rows}
    aliases: dict[str, str] = {}
    for share in _batch(LiveShare, _ids(shown, "share")):
        if share.owner_id == reader.user_id and share.camera_aliases:
            aliases |= dict(zip(share.camera_aliases, share.camera_ids, strict=False))
    wanted = _ids(shown, "camera") | _ids(shown, "cameras", listed=True) | set(aliases.values())
    mine = {c.camera_id: c.nickname for c in _batch(Camera, wanted)
            if c.owner_id == reader.user_id}
    cameras |= mine | {alias: mine[c] for alias, c in aliases.items() if c in mine}
    requests = list(_batch(FootageRequest, {t.request_id for t in rows}))
    return Known(reader.user_id, zone, cameras, _cases(requests), language)


def _batch(model: Any, keys: set[str]) -> list[Any]:
    return list(model.batch_get(sorted(keys))) if keys else []


def _cases(requests: list[FootageRequest]) -> dict[str, Case]:
    return {r.request_id: Case(r.case_number, r.offense) for r in requests}


def about_request(owner_id: str, request: FootageRequest) -> list[AuditEvent]:
    """Every event about the owner that names this request (oldest first): however many other
    events the owner has, the query starts when the request was made."""
    since = clock.iso(request.created_at - EARLIER)
    return [e for e in AuditEvent.subject_index.query(owner_id, AuditEvent.at >= since)
            if _details(e).get("request_id") == request.request_id]


def owner_trail(owner: User, target: RequestTarget, request: FootageRequest
                ) -> list[dict[str, Any]]:
    """Who did what with this camera's request, newest first, as its owner may read it: the
    request's notices and this camera's answers, uploads and plays."""
    who = Reader.of(owner.user_id, owner.role)
    events = [e for e in about_request(owner.user_id, request)
              if _details(e).get("target_id") in (None, target.target_id)]
    shown = (view(audit.event_json(e), who)
             for e in sorted(events, key=lambda e: (e.at, int(e.seq)), reverse=True))
    return [v for v in shown if v is not None]


def package_excerpt(request: FootageRequest, target: RequestTarget) -> list[dict[str, Any]]:
    """The request's trail as it concerns this camera, as police may read it: made, approved,
    and this camera's answers, upload, cut and plays. Owners' notices, the owner's other
    cameras, ids and addresses stay out (app.core.audit_views)."""
    events = {(e.chain, int(e.seq)): e for e in AuditEvent.subject_index.query(
        request.request_id)}  # created, approved
    for event in about_request(target.owner_id, request):
        if _details(event).get("target_id") == target.target_id:
            events[(event.chain, int(event.seq))] = event
    reader = Reader.package(frozenset({request.request_id}))
    ordered = sorted(events.values(), key=lambda e: (e.at, int(e.seq)))
    shown = (view(audit.event_json(e), reader) for e in ordered)
    return [v for v in shown if v is not None]
