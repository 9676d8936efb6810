"""Audit events as each reader may read them: a user's own activity, an owner's trail of one
request, and the excerpt an evidence package carries. The rules are app.core.audit_views; this
module finds the events and what each reader may know (their program's staff and requests)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from app.core import roles
from app.core.audit_views import NOT_PEOPLE, NOTICE_ACTIONS, Reader, view
from app.models.audit import AuditEvent
from app.models.requests import FootageRequest, RequestTarget
from app.models.users import User
from app.services import audit, clock

# A user's activity reads their own events past others' notices that name them as actor
# (appended before notices were the owner's), but never more than this many.
SCAN_MAX = 2000
# Events of a request start with it; a little earlier covers clocks of other writers.
EARLIER = timedelta(minutes=1)


def _details(event: AuditEvent) -> dict[str, Any]:
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _own(user_id: str, limit: int) -> list[AuditEvent]:
    """Events where the user is the subject or the actor, newest first: like
    audit.activity_of, without the notices of others it would find under the user as actor."""
    seen: dict[tuple[str, int], AuditEvent] = {}
    for event in AuditEvent.subject_index.query(user_id, scan_index_forward=False, limit=limit):
        seen[(event.chain, int(event.seq))] = event
    kept = 0
    for scanned, event in enumerate(AuditEvent.actor_index.query(
            user_id, scan_index_forward=False, page_size=limit)):
        if kept >= limit or scanned >= SCAN_MAX:
            break
        if event.action in NOTICE_ACTIONS and event.subject_id != user_id:
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


def activity_for(reader: User, limit: int = 100) -> list[dict[str, Any]]:
    """The reader's own activity (what they did, what others did about them), newest first, as
    they may read it."""
    events = _own(reader.user_id, limit)
    who = Reader.of(reader.user_id, reader.role,
                    known_to(reader, (e.subject_id for e in events)))
    shown = (view(audit.event_json(e), who) for e in events)
    return [v for v in shown if v is not None]


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
