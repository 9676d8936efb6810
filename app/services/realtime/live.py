"""Share now: an owner opens chosen cameras to their agency's police for a while.

The share ends by itself at `ends_at` (never later than the shortest "longest live session"
among its cameras) or when the owner taps End. Police open it through
`app.services.realtime.police.open_view`, which asks
`app.core.sharing.live_decision` for every camera on every call: a view outside the owner's
rules is refused and logged, and an ended share refuses the next call at once. Each opening is
an audit event for the owner, and the owner sees who is watching.

The video itself (the bridge's or the phone's pieces, played through Media Source Extensions)
is `app.services.realtime.video`. When a share ends (the owner's tap, or its end time, noticed by
the retention worker), each police viewer's session (who, which cameras, from, to, and how long
they watched: `app.core.viewing`) becomes one audit event the owner reads.

Police know the cameras of a share only by their aliases in it (drawn here when the share
starts), and see of each only what its map visibility allows (`app.services.realtime.police`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from app.aws import aws_client
from app.config import Settings
from app.core import live_view, roles, sharing, viewing
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.core.live_view import SharedCamera
from app.core.texts import gettext, ngettext
from app.models.base import condition_failed
from app.models.cameras import Camera
from app.models.live import QUALITIES, SOURCE_POLICE, LiveShare
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.realtime import channel

PREROLL_SECONDS = 120
MAX_CAMERAS = 8
POLICE = (roles.DETECTIVE, roles.SUPERVISOR)
IDLE_AFTER = timedelta(seconds=45)  # a view police opened, watched by nobody this long, ends
WATCHING = timedelta(seconds=25)  # a player asks every second, noted every NOTE_SECONDS
VIEWER_NOTE_SECONDS = viewing.NOTE_SECONDS
duration_words = viewing.duration_words


def rules_of(camera: Camera) -> sharing.Rules:
    return sharing.Rules(camera.tier, bool(camera.paused), camera.schedule or "",
                         int(camera.max_live_minutes or sharing.LIVE_MINUTES_DEFAULT),
                         tuple(camera.refused_offenses or []), camera.agency_id,
                         int(camera.recent_minutes or 0))


def decision(share: LiveShare, camera: Camera, viewer_agency: str, now: datetime,
             zone: str) -> sharing.Decision:
    """May police watch this camera of this share now? The one gate every open and every ask
    for pieces goes through. An owner's share opens their "on alert" and "always" cameras
    until it ends; a view police opened themselves is no share of the owner's, so its camera
    must be inside the owner's schedule at every ask (and the view ends at its own end)."""
    if share.source == SOURCE_POLICE:
        allowed = sharing.live_decision(rules_of(camera), viewer_agency, now, zone)
        if allowed.allowed and allowed.until is not None:
            return sharing.Decision(True, allowed.reason, min(allowed.until, share.ends_at))
        return allowed
    return sharing.live_decision(rules_of(camera), viewer_agency, now, zone,
                                 alert_ends_at=share.ends_at)


def _shareable(owner_id: str, camera_ids: Any) -> list[Camera]:
    if not isinstance(camera_ids, list) or not camera_ids or len(camera_ids) > MAX_CAMERAS:
        raise ValidationError(gettext("Choose 1 to %(max)s cameras to share.", max=MAX_CAMERAS),
                              {"camera_ids": gettext("choose at least one camera")})
    wanted = list(dict.fromkeys(str(c) for c in camera_ids if str(c)))
    if not wanted:
        raise ValidationError(gettext("Choose 1 to %(max)s cameras to share.", max=MAX_CAMERAS),
                              {"camera_ids": gettext("choose at least one camera")})
    cameras = {c.camera_id: c for c in registry.cameras_of(owner_id)}
    missing = [c for c in wanted if c not in cameras]
    if missing:
        raise ValidationError(gettext("Some of these cameras are not yours."),
                              {"camera_ids": gettext("unknown cameras")})
    chosen = [cameras[c] for c in wanted]
    not_live = [c.nickname for c in chosen if c.tier not in ("on_alert", "always")]
    if not_live:
        raise ValidationError(
            ngettext("%(names)s is shared through requests only. To share live, set the tier "
                     "to 'Shared on alert' first.",
                     "%(names)s are shared through requests only. To share live, set the tier "
                     "to 'Shared on alert' first.", len(not_live), names=", ".join(not_live)),
            {"camera_ids": gettext("tier does not allow live sharing")})
    paused = [c.nickname for c in chosen if c.paused]
    if paused:
        raise ValidationError(gettext("Resume %(names)s first.", names=", ".join(paused)),
                              {"camera_ids": gettext("paused camera")})
    return chosen


def start(settings: Settings, owner: User, camera_ids: Any, minutes: Any, source: str,
          ip: str, phone: bool = False, incident_id: str | None = None) -> LiveShare:
    """Open the chosen cameras to the owner's agency; tell on-duty police by push. A share
    that answers police's ask for an incident (source "ask") names it, and ends with it."""
    if owner.role not in roles.PUBLIC_ROLES:
        raise ForbiddenError("Only camera owners share their cameras.")
    cameras = _shareable(owner.user_id, camera_ids)
    limit = min(int(c.max_live_minutes or sharing.LIVE_MINUTES_DEFAULT) for c in cameras)
    if source == "bridge" and isinstance(minutes, int) and not isinstance(minutes, bool) \
            and minutes > limit:
        minutes = limit  # a panic button set longer than the owner allows: the longest allowed
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= limit:
        raise ValidationError(gettext("Share for 1 to %(max)s minutes (the longest session "
                                      "these cameras allow).", max=limit),
                              {"minutes": gettext("1 to %(max)s", max=limit)})
    now = clock.now()
    aliases = [live_view.new_alias() for _ in cameras]
    share = LiveShare(
        share_id=uuid.uuid4().hex, owner_id=owner.user_id, agency_id=owner.agency_id,
        owner_label=live_view.where(seen(c, a) for c, a in zip(cameras, aliases, strict=True)),
        camera_ids=[c.camera_id for c in cameras], camera_aliases=aliases, source=source,
        preroll_seconds=PREROLL_SECONDS, started_at=now, ends_at=now + timedelta(minutes=minutes),
        phone=phone or None, incident_id=incident_id)
    share.save()
    # The owner's event maps each camera to its alias, so the log itself reads police's events.
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "live.started",
                 owner.user_id, {"share": share.share_id, "cameras": share.camera_ids,
                                 "aliases": aliases_of(share), "minutes": minutes,
                                 "source": source, "phone": phone,
                                 **({"incident": incident_id} if incident_id else {})})
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.push_queue_url, MessageBody=json.dumps({"share_id": share.share_id}))
    if source != "bridge":  # (a bridge that started it follows it already)
        channel.wake_owner(settings, owner.user_id, "share", share_id=share.share_id)
    return share


# ---------------------------------------------------------------- aliases


def seen(camera: Camera, alias: str) -> SharedCamera:
    """One camera of a share as police may see it (app.core.live_view)."""
    return live_view.shared_camera(alias, camera.visibility, camera.nickname,
                                   camera.street or "", float(camera.place_lat),
                                   float(camera.place_lon))


def aliases_of(share: LiveShare) -> dict[str, str]:
    """Camera id → its alias in this share. Drawn when the share starts; a share started
    before aliases existed draws them on first use (once: a lost race reads the winner's)."""
    for _ in range(5):
        drawn = list(share.camera_aliases or [])
        if len(drawn) == len(share.camera_ids):
            return dict(zip(share.camera_ids, drawn, strict=True))
        share.camera_aliases = [live_view.new_alias() for _ in share.camera_ids]
        try:
            share.save()
        except PutError as exc:
            if not condition_failed(exc):
                raise
            share.refresh(consistent_read=True)
    raise ConflictError("The share changed meanwhile; try again.")


def camera_of(share: LiveShare, stream: str) -> str | None:
    """The camera id behind an alias of this share (None for anything else)."""
    return next((camera_id for camera_id, alias in aliases_of(share).items()
                 if alias == stream), None)


def share_owned_by(owner_id: str, share_id: str) -> LiveShare:
    """A share of this owner (their app or their bridge acts on it); any other is "not
    found", as one that does not exist."""
    share = LiveShare.find(share_id)
    if share is None or share.owner_id != owner_id:
        raise NotFoundError("No such live share.")
    return share


def owned(owner: User, share_id: str) -> LiveShare:
    return share_owned_by(owner.user_id, share_id)


def police_share(officer: User, share_id: str) -> LiveShare:
    """A share of the officer's program, ended or not. Another program's is "not found", as
    one that never existed: its owner is no business of this program's police, nor of its
    audit log."""
    if officer.role not in POLICE:
        raise ForbiddenError("Only detectives and supervisors watch live shares.")
    share = LiveShare.find(share_id)
    if share is None or share.agency_id != officer.agency_id:
        raise NotFoundError("No such live share.")
    return share


def is_active(share: LiveShare, now: datetime) -> bool:
    return share.ended_at is None and share.ends_at > now


def end(owner: User, share_id: str, ip: str, by: str = "owner") -> LiveShare:
    share = owned(owner, share_id)
    close(share, Actor(owner.user_id, owner.role, ip), by)
    return share


def close(share: LiveShare, actor: Actor, by: str) -> bool:
    """End a running share now ("by": owner, time, idle, incident closed, ...): the owner's
    audit event and each viewer's session. False when it had ended already."""
    def end(share: LiveShare) -> bool:
        if share.ended_at is not None:
            return False
        share.ended_at, share.ended_by = clock.now(), by
        return True

    # (a viewer noted at the same moment must not make "End" fail)
    if not _changed(share, end, 5, "The share could not be ended; try again."):
        return False
    audit.record(share.agency_id, actor, "live.ended", share.owner_id,
                 {"share": share.share_id, "by": by})
    record_sessions(share)
    return True


def end_if_idle(share: LiveShare, now: datetime) -> bool:
    """A view police opened themselves (app.services.realtime.incidents) that nobody has
    watched for IDLE_AFTER ends now: the bridge's next piece is refused and it stops sending.
    True when it ended. (An owner's share runs to the time the owner chose.)"""
    if share.source != SOURCE_POLICE or share.ended_at is not None:
        return False
    watched = [datetime.fromisoformat(v["last"]) for v in viewers_of(share).values()
               if "left" not in v and "last" in v]
    if now - max([share.started_at, *watched]) < IDLE_AFTER:
        return False
    return close(share, audit.SYSTEM, "idle")


def record_sessions(share: LiveShare) -> None:
    """One audit event per police viewer of an ended share: who, which cameras, from, to, and
    how long they watched (the end: they left, the share ended, or their last piece)."""
    viewers = sorted(viewers_of(share).items())
    if not viewers:
        return
    ended_at = share.ended_at or clock.now()
    # The viewer reads this event as its actor: the cameras by their aliases, as they saw them.
    streams = list(aliases_of(share).values()) + (["phone"] if share.phone else [])
    for user_id, seen in viewers:
        audit.record(share.agency_id, Actor(user_id, seen.get("role", ""), ""),
                     "live.session", share.owner_id,
                     {"share": share.share_id, "viewer": seen.get("name", ""),
                      "cameras": streams, **viewing.session(seen, ended_at).details()})


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
        except PutError as exc:
            if not condition_failed(exc):
                raise
            continue  # the owner ended it at this moment: their end() records it
        audit.record(share.agency_id, audit.SYSTEM, "live.ended", share.owner_id,
                     {"share": share.share_id, "by": "time"})
        record_sessions(share)
        closed += 1
    return closed


def shares_of(owner: User) -> list[LiveShare]:
    return list(LiveShare.owner_index.query(owner.user_id, scan_index_forward=False, limit=20))


def viewers_of(share: LiveShare) -> dict[str, dict[str, str]]:
    viewers: dict[str, dict[str, str]] = json.loads(share.viewers or "{}")
    return viewers


def note_viewer(share: LiveShare, officer: User, now: datetime) -> None:
    """The officer opened the share or asked for its pieces now (app.core.viewing)."""
    _note(share, officer.user_id, lambda seen: viewing.noted(
        seen, now, officer.display_name, officer.role))


def note_left(share: LiveShare, officer: User, now: datetime) -> None:
    """The officer's player left the share now (its page went away)."""
    _note(share, officer.user_id,
          lambda seen: viewing.leaving(seen, now) if seen is not None else None)


def _note(share: LiveShare, user_id: str,
          change: Callable[[dict[str, Any] | None], dict[str, Any] | None]) -> None:
    def noted(share: LiveShare) -> bool:
        if share.ended_at is not None:
            return False  # its sessions are recorded: nothing more is noted
        viewers = json.loads(share.viewers or "{}")
        seen = change(viewers.get(user_id))
        if seen is None or seen == viewers.get(user_id):
            return False
        viewers[user_id] = seen
        share.viewers = json.dumps(viewers, sort_keys=True)
        return True

    _changed(share, noted, 4, None)


def _changed(share: LiveShare, change: Callable[[LiveShare], bool], attempts: int,
             give_up: str | None) -> bool:
    """Apply `change` (False: nothing to save) and save, reading the share again when another
    write came first (its version moved). After `attempts`: ConflictError(give_up), or
    quietly False without one."""
    for _ in range(attempts):
        if not change(share):
            return False
        try:
            share.save()
            return True
        except PutError as exc:
            if not condition_failed(exc):
                raise
            share.refresh(consistent_read=True)
    if give_up:
        raise ConflictError(give_up)
    return False


def quality_of(share: LiveShare) -> dict[str, str]:
    """Camera id → "sub" for each camera of the share its viewers want on the substream
    (the others: the main stream)."""
    quality: dict[str, str] = json.loads(share.quality or "{}")
    return {camera_id: q for camera_id, q in quality.items() if camera_id in share.camera_ids}


def set_quality(share: LiveShare, camera_id: str, quality: str) -> None:
    """Send this camera of the share as its main stream or its substream from now on."""
    if quality not in QUALITIES:
        raise ValidationError(gettext("The quality is main or sub."),
                              {"quality": gettext("main or sub")})
    def chosen(share: LiveShare) -> bool:
        wanted = quality_of(share)
        if quality == "sub":
            wanted[camera_id] = "sub"
        else:
            wanted.pop(camera_id, None)
        text = json.dumps(wanted, sort_keys=True) if wanted else None
        if text == share.quality:
            return False
        share.quality = text
        return True

    _changed(share, chosen, 4, "The share changed meanwhile; try again.")


def owner_status(owner: User, share_id: str) -> dict[str, Any]:
    share = owned(owner, share_id)
    now = clock.now()
    viewers = viewers_of(share)
    return {"share_id": share.share_id, "active": is_active(share, now),
            "phone": bool(share.phone),
            "ends_at": share.ends_at.isoformat(),
            "ended_at": share.ended_at.isoformat() if share.ended_at else None,
            "viewers": [{"name": v["name"], "role": v["role"], "since": v["first"],
                         "last_seen": v.get("left", v["last"]),
                         "watching": "left" not in v
                         and now - datetime.fromisoformat(v["last"]) <= WATCHING}
                        for v in viewers.values()]}
