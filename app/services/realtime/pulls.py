"""Recent minutes: police take the last minutes of a camera from its bridge's buffer, as
evidence, for an incident in progress, without waiting for anyone.

Only where the owner allows it, camera by camera (`Camera.recent_minutes`, 0 by default:
never), and only as many minutes as they allow: `app.core.sharing.pull_decision` decides, and
a refusal is audited. A pull is a footage request like any other, made already approved by the
owner's standing rule: one camera, the window [now - N minutes, now], the incident's case
number (or the incident's own reference when CAD gave none) and its offense. The owner's bridge
is woken through the device channel, cuts the window from its buffer and sends it through the
existing clip path (announce, presigned PUT, done), and the clip worker makes the evidence with
its manifest and hashes, on the case board like any other. The owner reads every pull in their
activity and receipts.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.config import Settings
from app.core import footage, sharing
from app.core.errors import ForbiddenError, ValidationError
from app.core.texts import gettext
from app.models.cameras import Camera
from app.models.footage import FootageRequest, RequestTarget
from app.models.incident import Incident
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import bridges
from app.services.governance.policy import policy_for
from app.services.realtime import channel, live

OFFENSE = "other"  # an incident from CAD names no offense category; the operator may set one


def reference(incident: Incident) -> str:
    """The case number evidence is filed under: CAD's, else the incident's own."""
    return incident.case_number or f"INC-{incident.incident_id[:8].upper()}"


def pull(settings: Settings, officer: User, incident: Incident, camera: Camera, minutes: Any,
         ip: str) -> FootageRequest:
    """Take the last `minutes` of one of the incident's cameras as evidence (an open incident
    of the officer's program and its camera: `incidents.open_camera`)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError(gettext("Say how many minutes, as a whole number."),
                              {"minutes": gettext("a whole number")})
    camera_id = camera.camera_id
    actor = Actor(officer.user_id, officer.role, ip)
    offense = incident.offense or OFFENSE
    decision = sharing.pull_decision(live.rules_of(camera), officer.agency_id, minutes, offense)
    if decision.allowed and camera_id not in bridges.serving_bridges([camera]):
        decision = sharing.Decision(False, "The owner's bridge for this camera is offline.")
    if not decision.allowed:
        audit.record(officer.agency_id, actor, "live.pull_refused", camera.owner_id,
                     {"incident": incident.incident_id, "camera": camera_id,
                      "minutes": minutes, "reason": decision.reason})
        raise ForbiddenError(f"Recent minutes cannot be taken: {decision.reason}")
    now = clock.now()
    policy = policy_for(officer.agency_id)
    request = FootageRequest(
        request_id=uuid.uuid4().hex, agency_id=officer.agency_id,
        detective_id=officer.user_id, detective_name=officer.display_name,
        case_number=reference(incident), offense=offense,
        window_start=now - timedelta(minutes=minutes), window_end=now,
        lat=float(incident.lat), lon=float(incident.lon),
        message=f"The last {minutes} minutes, taken for an incident in progress "
                f"({incident.label}) as the owner's rule allows.",
        state="open", created_at=now, expires_at=now + timedelta(days=policy.expire_days),
        incident_id=incident.incident_id)
    request.save()
    target = RequestTarget(
        target_id=uuid.uuid4().hex, request_id=request.request_id,
        agency_id=officer.agency_id, owner_id=camera.owner_id, camera_id=camera_id,
        nickname=camera.nickname, visibility=camera.visibility, tier=camera.tier,
        status=footage.APPROVED, created_at=now, updated_at=now)
    target.save()
    audit.record(officer.agency_id, actor, "request.created", request.request_id, {
        "case": request.case_number, "offense": offense, "cameras": 1, "hidden_radius_m": 0,
        "hidden": 0, "skipped_refusing": 0, "window_start": request.window_start.isoformat(),
        "window_end": request.window_end.isoformat(), "state": "open",
        "incident": incident.incident_id, "pulled": True})
    # The owner reads this: which camera, how many minutes, for which case, by their rule.
    audit.record(officer.agency_id, actor, "live.pulled", camera.owner_id, {
        "incident": incident.incident_id, "case": request.case_number, "camera": camera_id,
        "minutes": minutes, "request_id": request.request_id,
        "target_id": target.target_id, "reason": decision.reason})
    channel.wake_owner(settings, camera.owner_id, "pull", target_id=target.target_id)
    return request


def pulls_of(incident: Incident) -> dict[str, list[dict[str, Any]]]:
    """camera id → the pulls made for this incident (newest first), as the screen lists
    them: the case board's request, its window and where the evidence stands."""
    out: dict[str, list[dict[str, Any]]] = {}
    since = incident.opened_at - timedelta(minutes=1)
    for request in FootageRequest.agency_index.query(
            incident.agency_id, FootageRequest.created_at >= since, scan_index_forward=False):
        if request.incident_id != incident.incident_id:
            continue
        for target in RequestTarget.request_index.query(request.request_id):
            out.setdefault(target.camera_id, []).append({
                "request_id": request.request_id, "target_id": target.target_id,
                "window_start": request.window_start.isoformat(),
                "window_end": request.window_end.isoformat(),
                "status": target.status,
                "status_words": gettext(footage.STATUS_WORDS.get(target.status,
                                                                 target.status))})
    return out
