"""Share now: an owner opens chosen cameras to their agency's police for a while.

The share ends by itself at `ends_at` (never later than the shortest "longest live session"
among its cameras) or when the owner taps End. Police open it through `open_view`, which asks
`app.core.sharing.live_decision` for every camera on every call: a view outside the owner's
rules is refused and logged, and an ended share refuses the next call at once. Each opening is
an audit event for the owner, and the owner sees who is watching.

The video itself (the bridge's or the phone's pieces, played through Media Source Extensions)
is `app.services.live_video`. When a share ends (the owner's tap, or its end time, noticed by
the retention worker), each police viewer's session (who, which cameras, first and last seen)
becomes one audit event the owner reads.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from app.aws import aws_client
from app.config import Settings
from app.core import roles, sharing
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.models.cameras import Camera
from app.models.live import LiveShare
from app.models.users import User
from app.services import audit, clock, registry
from app.services import requests as footage
from app.services.audit import Actor

PREROLL_SECONDS = 120
MAX_CAMERAS = 8
POLICE = (roles.DETECTIVE, roles.SUPERVISOR)
WATCHING = timedelta(seconds=25)  # a player asks every second and is noted every 10 s


def rules_of(camera: Camera) -> sharing.Rules:
    return sharing.Rules(camera.tier, bool(camera.paused), camera.schedule or "",
                         int(camera.max_live_minutes or sharing.LIVE_MINUTES_DEFAULT),
                         tuple(camera.refused_offenses or []), camera.agency_id)


def _shareable(owner_id: str, camera_ids: Any) -> list[Camera]:
    if not isinstance(camera_ids, list) or not camera_ids or len(camera_ids) > MAX_CAMERAS:
        raise ValidationError(f"Choose 1 to {MAX_CAMERAS} cameras to share.",
                              {"camera_ids": "choose at least one camera"})
    wanted = list(dict.fromkeys(str(c) for c in camera_ids if str(c)))
    if not wanted:
        raise ValidationError(f"Choose 1 to {MAX_CAMERAS} cameras to share.",
                              {"camera_ids": "choose at least one camera"})
    cameras = {c.camera_id: c for c in registry.cameras_of(owner_id)}
    missing = [c for c in wanted if c not in cameras]
    if missing:
        raise ValidationError("Some of these cameras are not yours.",
                              {"camera_ids": "unknown cameras"})
    chosen = [cameras[c] for c in wanted]
    not_live = [c.nickname for c in chosen if c.tier not in ("on_alert", "always")]
    if not_live:
        raise ValidationError(
            f"{', '.join(not_live)} {'is' if len(not_live) == 1 else 'are'} shared through "
            "requests only. To share live, set the tier to 'Shared on alert' first.",
            {"camera_ids": "tier does not allow live sharing"})
    paused = [c.nickname for c in chosen if c.paused]
    if paused:
        raise ValidationError(f"Resume {', '.join(paused)} first.",
                              {"camera_ids": "paused camera"})
    return chosen


def start(settings: Settings, owner: User, camera_ids: Any, minutes: Any, source: str,
          ip: str, phone: bool = False) -> LiveShare:
    """Open the chosen cameras to the owner's agency; tell on-duty police by push."""
    if owner.role not in roles.PUBLIC_ROLES:
        raise ForbiddenError("Only camera owners share their cameras.")
    cameras = _shareable(owner.user_id, camera_ids)
    limit = min(int(c.max_live_minutes or sharing.LIVE_MINUTES_DEFAULT) for c in cameras)
    if source == "bridge" and isinstance(minutes, int) and not isinstance(minutes, bool) \
            and minutes > limit:
        minutes = limit  # a panic button set longer than the owner allows: the longest allowed
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= limit:
        raise ValidationError(f"Share for 1 to {limit} minutes (the longest session these "
                              "cameras allow).", {"minutes": f"1 to {limit}"})
    now = clock.now()
    share = LiveShare(
        share_id=uuid.uuid4().hex, owner_id=owner.user_id, agency_id=owner.agency_id,
        owner_label=police_label(cameras),
        camera_ids=[c.camera_id for c in cameras], source=source,
        preroll_seconds=PREROLL_SECONDS, started_at=now, ends_at=now + timedelta(minutes=minutes),
        phone=phone or None)
    share.save()
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "live.started",
                 owner.user_id, {"share": share.share_id, "cameras": share.camera_ids,
                                 "minutes": minutes, "source": source, "phone": phone})
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.push_queue_url, MessageBody=json.dumps({"share_id": share.share_id}))
    return share


def police_label(cameras: list[Camera]) -> str:
    """The share's place as police read it: never a hidden camera's street or name."""
    places = [c.street or c.nickname for c in cameras if c.visibility != "hidden"]
    if len(places) < len(cameras):
        places.append(HIDDEN_PLACE)
    return " & ".join(dict.fromkeys(places))[:120]


HIDDEN_PLACE = "A place not shown on the map"


def _get(share_id: str) -> LiveShare:
    try:
        return LiveShare.get(share_id or "-", consistent_read=True)
    except DoesNotExist as exc:
        raise NotFoundError("No such live share.") from exc


def owned(owner: User, share_id: str) -> LiveShare:
    share = _get(share_id)
    if share.owner_id != owner.user_id:
        raise NotFoundError("No such live share.")
    return share


def is_active(share: LiveShare, now: datetime) -> bool:
    return share.ended_at is None and share.ends_at > now


def end(owner: User, share_id: str, ip: str, by: str = "owner") -> LiveShare:
    share = owned(owner, share_id)
    if share.ended_at is None:
        for _ in range(5):  # a viewer noted at the same moment must not make "End" fail
            share.ended_at = clock.now()
            share.ended_by = by
            try:
                share.save()
                break
            except PutError:
                share.refresh(consistent_read=True)
        else:
            raise ConflictError("The share could not be ended; tap End again.")
        audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "live.ended",
                     owner.user_id, {"share": share.share_id, "by": by})
        record_sessions(share)
    return share


def record_sessions(share: LiveShare) -> None:
    """One audit event per police viewer of an ended share: who, which cameras, from, to."""
    for user_id, seen in sorted(viewers_of(share).items()):
        audit.record(share.agency_id, Actor(user_id, seen.get("role", ""), ""),
                     "live.session", share.owner_id,
                     {"share": share.share_id, "viewer": seen.get("name", ""),
                      "cameras": list(share.camera_ids) + (["phone"] if share.phone else []),
                      "from": seen.get("first"), "to": seen.get("last")})


def close_expired(now: datetime | None = None) -> int:
    """Mark shares past their end time as ended (by "time") and record their sessions.

    Run by the retention worker. A Scan: shares are few (one per alert), and only those not yet
    marked are returned; at a few thousand shares a day an index on the open ones pays off."""
    now = now or clock.now()
    closed = 0
    for share in LiveShare.scan(LiveShare.ended_at.does_not_exist(), consistent_read=True):
        if share.ends_at > now:
            continue
        share.ended_at, share.ended_by = share.ends_at, "time"
        try:
            share.save()
        except PutError:
            continue  # the owner ended it at this moment: their end() records it
        audit.record(share.agency_id, audit.SYSTEM, "live.ended", share.owner_id,
                     {"share": share.share_id, "by": "time"})
        record_sessions(share)
        closed += 1
    return closed


def shares_of(owner: User) -> list[LiveShare]:
    return list(LiveShare.owner_index.query(owner.user_id, scan_index_forward=False, limit=20))


def active_for_agency(officer: User) -> list[LiveShare]:
    if officer.role not in POLICE:
        raise ForbiddenError("Only detectives and supervisors watch live shares.")
    now = clock.now()
    since = now - timedelta(minutes=sharing.LIVE_MINUTES_MAX)
    return [s for s in LiveShare.agency_index.query(
        officer.agency_id, LiveShare.started_at >= since, scan_index_forward=False)
        if is_active(s, now)]


def open_view(officer: User, share_id: str, ip: str) -> dict[str, Any]:
    """Police open a live share: each camera is checked against its owner's rules now."""
    if officer.role not in POLICE:
        raise ForbiddenError("Only detectives and supervisors watch live shares.")
    share = _get(share_id)
    if share.agency_id != officer.agency_id:
        # Another program's share is "not found", as one that never existed: its owner is
        # no business of this program's police, nor of its audit log.
        raise NotFoundError("No such live share.")
    now = clock.now()
    actor = Actor(officer.user_id, officer.role, ip)
    if not is_active(share, now):
        audit.record(officer.agency_id, actor, "live.refused", share.owner_id,
                     {"share": share.share_id, "reason": "ended"})
        raise ConflictError("This live share has ended.")
    zone = footage.policy_for(share.agency_id).timezone
    cameras = []
    for camera in Camera.batch_get(list(share.camera_ids)):
        decision = sharing.live_decision(rules_of(camera), officer.agency_id, now, zone,
                                         alert_ends_at=share.ends_at)
        if not decision.allowed:
            audit.record(officer.agency_id, actor, "live.refused", share.owner_id,
                         {"share": share.share_id, "camera": camera.camera_id,
                          "reason": decision.reason})
        cameras.append({"camera_id": camera.camera_id,
                        "name": camera.nickname if camera.visibility != "hidden"
                        else "A camera not shown on the map",
                        "allowed": decision.allowed, "reason": decision.reason,
                        "until": decision.until.isoformat() if decision.until else None})
    if not any(c["allowed"] for c in cameras):
        raise ForbiddenError("The owner's rules do not allow watching these cameras now.")
    note_viewer(share, officer, now)
    audit.record(officer.agency_id, actor, "live.viewed", share.owner_id,
                 {"share": share.share_id, "cameras": [c["camera_id"] for c in cameras
                                                       if c["allowed"]]})
    return {"share_id": share.share_id, "where": share.owner_label,
            "ends_at": share.ends_at.isoformat(), "cameras": cameras}


def viewers_of(share: LiveShare) -> dict[str, dict[str, str]]:
    viewers: dict[str, dict[str, str]] = json.loads(share.viewers or "{}")
    return viewers


def note_viewer(share: LiveShare, officer: User, now: datetime) -> None:
    for _ in range(4):
        viewers = json.loads(share.viewers or "{}")
        seen = viewers.get(officer.user_id, {"first": now.isoformat()})
        seen.update(name=officer.display_name, role=officer.role, last=now.isoformat())
        viewers[officer.user_id] = seen
        share.viewers = json.dumps(viewers, sort_keys=True)
        try:
            share.save()
            return
        except PutError:
            share.refresh(consistent_read=True)


def owner_status(owner: User, share_id: str) -> dict[str, Any]:
    share = owned(owner, share_id)
    now = clock.now()
    viewers = viewers_of(share)
    return {"share_id": share.share_id, "active": is_active(share, now),
            "phone": bool(share.phone),
            "ends_at": share.ends_at.isoformat(),
            "ended_at": share.ended_at.isoformat() if share.ended_at else None,
            "viewers": [{"name": v["name"], "role": v["role"], "since": v["first"],
                         "last_seen": v["last"],
                         "watching": now - datetime.fromisoformat(v["last"]) <= WATCHING}
                        for v in viewers.values()]}
