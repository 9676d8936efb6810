"""Incidents in progress: the real-time operator's screen for one call.

An operator (a detective or supervisor at the crime center's desk) opens an incident from a
CAD call the ingest API delivered (`app.services.realtime.field`) or from a point on the map.
Opening it runs the registry search around the scene, audited and noticed to each owner like
any search; the cameras it found (never hidden ones: police never hold their ids) are the
incident's, nearest and pointing at the scene first. For each the screen says what can be had
now (`app.core.realtime.availability`, from the owner's rules alone).

An "always" camera inside its schedule, whose bridge is online, is opened by police themselves
(`watch`): a live share of that one camera, `source` "police", recorded against the incident,
in the owner's activity and receipts, played through the same player and piece API as an
owner's share (`app.services.realtime.police` and `video`), so every ask for pieces checks the
owner's rules again. The bridge is woken through the device channel and sends the camera's
pieces from the live edge. The view ends by itself when nobody has watched it for
`live.IDLE_AFTER` (the bridge's next piece is refused), at the owner's longest session, when the
owner ends it, or when the incident is closed (`close`): then every share recorded against the
incident ends at once, and the players stop at their next ask.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from app.config import Settings
from app.core import geo, live_view, realtime, roles, sharing
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.core.footage import OFFENSE_WORDS
from app.core.search import Hit, classify
from app.core.texts import gettext
from app.models.cameras import Camera
from app.models.field import FieldEvent
from app.models.incident import Incident
from app.models.live import SOURCE_POLICE, LiveShare
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import bridges, registry
from app.services.governance.policy import policy_for
from app.services.realtime import asks, channel, live, pulls

OPERATORS = (roles.DETECTIVE, roles.SUPERVISOR)
RADIUS_DEFAULT_M = 150
MAX_CAMERAS = 60  # kept with the incident, nearest and pointing at the scene first
MAX_OPEN = 50  # open incidents listed
MAX_TILES = 16  # tiles on the wall at once
VIEW_PREROLL_SECONDS = 4  # a police view starts at the live edge: the last closed piece
RECENT_INCIDENTS = timedelta(days=2)  # the list reads incidents opened since


def _operator(officer: User) -> None:
    if officer.role not in OPERATORS:
        raise ForbiddenError("Only detectives and supervisors open incidents.")


def _text(data: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        errors[name] = gettext("at most %(max)s characters", max=limit)
        return ""
    return value.strip()


def _number(data: dict[str, Any], name: str, low: float, high: float,
            errors: dict[str, str]) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not low <= value <= high:
        errors[name] = gettext("a number from %(low)s to %(high)s", low=format(low, "g"),
                               high=format(high, "g"))
        return 0.0
    return float(value)


def _call(agency_id: str, call_id: str) -> FieldEvent:
    try:
        call = FieldEvent.get(agency_id, f"call#{call_id}")
    except DoesNotExist:
        call = None
    if call is None or call.expires_epoch <= clock.now().timestamp():
        raise ValidationError(gettext("No open CAD call has this id."),
                              {"call_id": gettext("not an open call")})
    return call


def open_incident(settings: Settings, officer: User, data: dict[str, Any], ip: str
                  ) -> Incident:
    """Open an incident from a CAD call (`call_id`) or a point (`lat`, `lon`, `label`)."""
    _operator(officer)
    errors: dict[str, str] = {}
    call_id = _text(data, "call_id", 64, errors)
    case_number = _text(data, "case_number", 40, errors)
    offense = _text(data, "offense", 40, errors)
    if offense and offense not in OFFENSE_WORDS:
        errors["offense"] = gettext("one of: %(codes)s", codes=", ".join(OFFENSE_WORDS))
    limit = registry.max_radius(officer.agency_id)
    radius = (_number(data, "radius_m", 10, limit, errors) if data.get("radius_m") is not None
              else min(RADIUS_DEFAULT_M, limit))
    if call_id and not errors:
        call = _call(officer.agency_id, call_id)
        lat, lon, label, detail = float(call.lat), float(call.lon), call.label, call.detail
        happened_at = call.updated_at
    else:
        lat = _number(data, "lat", -90, 90, errors)
        lon = _number(data, "lon", -180, 180, errors)
        label = _text(data, "label", 120, errors)
        detail = _text(data, "detail", 200, errors)
        happened_at = clock.now()
        if not call_id and not label:
            errors.setdefault("label", gettext("say what is happening, e.g. 'Robbery in "
                                               "progress'"))
    if errors:
        raise ValidationError(gettext("The incident cannot be opened."), errors)
    now = clock.now()
    found = registry.search(settings, officer, registry.SearchRequest(
        lat, lon, radius, happened_at, case_number), ip)
    incident = Incident(incident_id=uuid.uuid4().hex, agency_id=officer.agency_id,
                        call_id=call_id or None, label=label, detail=detail, lat=lat, lon=lon,
                        radius_m=radius, case_number=case_number, offense=offense,
                        happened_at=happened_at,
                        opened_by=officer.user_id, opened_at=now,
                        camera_ids=[h.camera_id for h in found.hits[:MAX_CAMERAS]])
    incident.save()
    audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip), "incident.opened",
                 "-", {"incident": incident.incident_id, "call": call_id, "case": case_number,
                       "lat": round(lat, 5), "lon": round(lon, 5), "radius_m": radius,
                       "cameras": len(incident.camera_ids)})
    return incident


def incident_of(officer: User, incident_id: str) -> Incident:
    """An incident of the officer's program; another program's is "not found"."""
    _operator(officer)
    incident = Incident.find(incident_id)
    if incident is None or incident.agency_id != officer.agency_id:
        raise NotFoundError("No such incident.")
    return incident


def open_incidents(officer: User) -> list[Incident]:
    _operator(officer)
    since = clock.now() - RECENT_INCIDENTS
    return [i for i in Incident.agency_index.query(
        officer.agency_id, Incident.opened_at >= since, scan_index_forward=False,
        limit=MAX_OPEN * 4) if i.closed_at is None][:MAX_OPEN]


def _shares(incident: Incident, now: datetime) -> list[LiveShare]:
    """Running shares of the program that show this incident's cameras, or were opened for
    it."""
    wanted = set(incident.camera_ids)
    since = now - timedelta(minutes=sharing.LIVE_MINUTES_MAX)
    return [s for s in LiveShare.agency_index.query(
        incident.agency_id, LiveShare.started_at >= since, scan_index_forward=False)
        if live.is_active(s, now) and (s.incident_id == incident.incident_id
                                       or wanted & set(s.camera_ids))]


def _hits(incident: Incident, cameras: dict[str, Camera], now: datetime) -> list[Hit]:
    found = [cameras[c] for c in incident.camera_ids if c in cameras]
    return classify((registry.as_candidate(c) for c in found), float(incident.lat),
                    float(incident.lon), float(incident.radius_m), incident.happened_at,
                    now).hits


def screen(officer: User, incident_id: str) -> dict[str, Any]:
    """The incident as the operator's screen shows it: each camera with where it is from the
    scene, what can be had of it now, and its tile on the wall when it plays."""
    incident = incident_of(officer, incident_id)
    now = clock.now()
    zone = policy_for(incident.agency_id).timezone
    cameras = registry.named_by_police(officer, incident.camera_ids)
    online = bridges.serving_bridges(list(cameras.values()))
    shares: list[LiveShare] = _shares(incident, now) if incident.closed_at is None else []
    asked = asks.latest(incident.incident_id)
    pulled = pulls.pulls_of(incident)
    rows = []
    for hit in _hits(incident, cameras, now):
        camera = cameras[hit.camera_id]
        showing = [s for s in shares if hit.camera_id in s.camera_ids]
        owner_until = max((s.ends_at for s in showing if s.source != SOURCE_POLICE),
                          default=None)
        rules = live.rules_of(camera)
        state = realtime.availability(rules, officer.agency_id, now, zone,
                                      bridge_online=hit.camera_id in online,
                                      owner_sharing_until=owner_until)
        # how many recent minutes police may take now (0: none)
        recent = rules.recent_minutes if hit.camera_id in online and sharing.pull_decision(
            rules, officer.agency_id, rules.recent_minutes,
            incident.offense or pulls.OFFENSE).allowed else 0
        tile = None
        if showing and incident.closed_at is None:
            share = showing[0]
            tile = {"share_id": share.share_id,
                    "stream": live.aliases_of(share)[hit.camera_id],
                    "by": "police" if share.source == SOURCE_POLICE else "owner",
                    "until": share.ends_at.isoformat()}
        bearing = geo.bearing_deg(float(incident.lat), float(incident.lon), hit.lat, hit.lon)
        rows.append({"camera_id": hit.camera_id, "name": hit.nickname, "lat": hit.lat,
                     "lon": hit.lon, "approximate": hit.approximate,
                     "distance_m": hit.distance_m,
                     "where": realtime.where_from_scene(hit.distance_m, bearing),
                     "covers": hit.covers, "limits": hit.rules,
                     "availability": state.kind, "availability_words": gettext(state.words),
                     "reason": state.reason, "tile": tile,
                     "ask": asks.ask_json(asked[hit.camera_id]) if hit.camera_id in asked
                     else None,
                     "recent_minutes": recent, "pulls": pulled.get(hit.camera_id, [])})
    return {"incident": incident_json(incident), "cameras": rows}


def incident_json(incident: Incident) -> dict[str, Any]:
    return {"incident_id": incident.incident_id, "label": incident.label,
            "detail": incident.detail, "call_id": incident.call_id,
            "case_number": incident.case_number, "offense": incident.offense or "",
            "lat": float(incident.lat),
            "lon": float(incident.lon), "radius_m": float(incident.radius_m),
            "happened_at": incident.happened_at.isoformat(),
            "opened_at": incident.opened_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None}


def open_camera(officer: User, incident_id: str, camera_id: str) -> tuple[Incident, Camera]:
    """An open incident of the officer's program and one of its cameras (what watching,
    asking, pulling act on). A camera police may not name (hidden, another program's, not
    this incident's) is "not found", as one that does not exist."""
    incident = incident_of(officer, incident_id)
    if incident.closed_at is not None:
        raise ConflictError("This incident is closed.")
    camera = registry.named_by_police(officer, [camera_id]).get(camera_id)
    if camera is None or camera_id not in incident.camera_ids:
        raise NotFoundError("No such camera in this incident.")
    return incident, camera


def watch(settings: Settings, officer: User, incident_id: str, camera_id: str, ip: str
          ) -> dict[str, Any]:
    """Police open one of the incident's cameras live themselves: only an "always" camera
    inside its owner's schedule, whose bridge is online. A refusal is audited and says why."""
    incident, camera = open_camera(officer, incident_id, camera_id)
    actor = Actor(officer.user_id, officer.role, ip)
    now = clock.now()
    for share in _shares(incident, now):
        if share.source == SOURCE_POLICE and share.camera_ids == [camera_id]:
            return _tile(share, camera_id)  # already open: one view, watched by many
    zone = policy_for(incident.agency_id).timezone
    online = camera_id in bridges.serving_bridges([camera])
    decision = realtime.police_view(live.rules_of(camera), officer.agency_id, now, zone, online)
    if not decision.allowed or decision.until is None:
        audit.record(officer.agency_id, actor, "live.refused", camera.owner_id,
                     {"incident": incident.incident_id, "camera": camera_id,
                      "reason": decision.reason})
        raise ForbiddenError(f"This camera cannot be opened now: {decision.reason}")
    alias = live_view.new_alias()
    share = LiveShare(
        share_id=uuid.uuid4().hex, owner_id=camera.owner_id, agency_id=incident.agency_id,
        owner_label=live_view.where([live.seen(camera, alias)]), camera_ids=[camera_id],
        camera_aliases=[alias], source=SOURCE_POLICE, preroll_seconds=VIEW_PREROLL_SECONDS,
        started_at=now, ends_at=decision.until, incident_id=incident.incident_id,
        opened_by=officer.user_id, quality=json.dumps({camera_id: "sub"}))  # a tile: substream
    share.save()
    # The owner reads this (activity, receipts): which camera, for which incident, until when.
    audit.record(officer.agency_id, actor, "live.opened", camera.owner_id,
                 {"share": share.share_id, "incident": incident.incident_id,
                  "case": incident.case_number, "cameras": [camera_id],
                  "aliases": {camera_id: alias}, "until": decision.until.isoformat(),
                  "reason": decision.reason})
    channel.wake_owner(settings, camera.owner_id, "watch", share_id=share.share_id)
    return _tile(share, camera_id)


def _tile(share: LiveShare, camera_id: str) -> dict[str, Any]:
    return {"share_id": share.share_id, "stream": live.aliases_of(share)[camera_id],
            "until": share.ends_at.isoformat()}


def close(officer: User, incident_id: str, ip: str) -> Incident:
    """Close the incident: every share opened for it ends now (its players stop at their
    next ask, within a second or two)."""
    incident = incident_of(officer, incident_id)
    actor = Actor(officer.user_id, officer.role, ip)
    if incident.closed_at is None:
        now = clock.now()
        incident.update(actions=[Incident.closed_at.set(now),
                                 Incident.closed_by.set(officer.user_id)])
        ended = 0
        for share in _shares(incident, now):
            if share.incident_id == incident.incident_id:
                ended += live.close(share, actor, "incident closed")
        audit.record(officer.agency_id, actor, "incident.closed", "-",
                     {"incident": incident.incident_id, "views_ended": ended})
    return incident

