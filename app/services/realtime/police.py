"""Live shares as police see them: the program's list, opening a share, the push text.

Police know a share's cameras only by their aliases in it, and see of each what its map
visibility allows (`app.core.live_view`): an exact camera's nickname and street, an
approximate camera's rounded place only, and of a hidden camera only that it is there. What
police read is worked out from the cameras as they are now, so an owner who hides a camera
mid-share hides it from the next page, poll or push. Police's own audit events (opened,
refused) name the cameras by alias too: an officer reads the events they are the actor of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.core import live_view, sharing
from app.core.errors import ConflictError, ForbiddenError, GoneError
from app.core.live_view import SharedCamera
from app.models.cameras import Camera
from app.models.live import SOURCE_POLICE, LiveShare
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.governance.policy import policy_for
from app.services.realtime import live

# The reason a refused live view records when its share had ended (a word, not words: the
# anomaly flags count these, app.services.auditing.anomalies; the owner reads
# app.core.activity_words).
SHARE_ENDED = "ended"


def registered(camera_ids: list[str]) -> dict[str, Camera]:
    """The cameras still registered among these ids (one batch read)."""
    wanted = list(dict.fromkeys(camera_ids))
    return {c.camera_id: c for c in Camera.batch_get(wanted)} if wanted else {}


def seen_by_police(share: LiveShare, cameras: dict[str, Camera]) -> list[SharedCamera]:
    """The share's cameras (those still registered) as police may see them, in share order."""
    aliases = live.aliases_of(share)
    return [live.seen(cameras[c], aliases[c]) for c in share.camera_ids if c in cameras]


def police_where(share: LiveShare) -> str:
    """Where the share is, in words police may read now (the push text names it)."""
    return live_view.where(seen_by_police(share, registered(list(share.camera_ids))))


@dataclass(frozen=True)
class PoliceShare:
    """An active share as the police list shows it."""

    share: LiveShare
    cameras: list[SharedCamera]

    @property
    def where(self) -> str:
        return live_view.where(self.cameras)

    def as_json(self) -> dict[str, Any]:
        share = self.share
        return {"share_id": share.share_id, "where": self.where,
                "cameras": [c.as_json() for c in self.cameras], "phone": bool(share.phone),
                "started_at": share.started_at.isoformat(), "ends_at": share.ends_at.isoformat()}


def active_for_agency(officer: User) -> list[LiveShare]:
    if officer.role not in live.POLICE:
        raise ForbiddenError("Only detectives and supervisors watch live shares.")
    now = clock.now()
    since = now - timedelta(minutes=sharing.LIVE_MINUTES_MAX)
    return [s for s in LiveShare.agency_index.query(
        officer.agency_id, LiveShare.started_at >= since, scan_index_forward=False)
        if live.is_active(s, now)]


def police_list(officer: User) -> list[PoliceShare]:
    """The shares open to the officer's program now, each camera as police may see it."""
    shares = active_for_agency(officer)
    cameras = registered([c for s in shares for c in s.camera_ids])
    return [PoliceShare(s, seen_by_police(s, cameras)) for s in shares]


def open_view(officer: User, share_id: str, ip: str) -> dict[str, Any]:
    """Police open a live share: each camera is checked against its owner's rules now."""
    share = live.police_share(officer, share_id)
    now = clock.now()
    actor = Actor(officer.user_id, officer.role, ip)
    if not live.is_active(share, now):
        audit.record(officer.agency_id, actor, "live.refused", share.owner_id,
                     {"share": share.share_id, "reason": SHARE_ENDED})
        raise ConflictError("This live share has ended.")
    zone = policy_for(share.agency_id).timezone
    cameras = registered(list(share.camera_ids))
    aliases = live.aliases_of(share)
    seen, shown = [], []
    for camera_id in (c for c in share.camera_ids if c in cameras):
        camera, alias = cameras[camera_id], aliases[camera_id]
        decision = live.decision(share, camera, officer.agency_id, now, zone)
        if not decision.allowed:
            audit.record(officer.agency_id, actor, "live.refused", share.owner_id,
                         {"share": share.share_id, "camera": alias, "reason": decision.reason})
        seen.append(live.seen(camera, alias))
        shown.append({**seen[-1].as_json(), "allowed": decision.allowed,
                      "reason": decision.reason,
                      "until": decision.until.isoformat() if decision.until else None})
    if not any(c["allowed"] for c in shown):
        raise ForbiddenError("The owner's rules do not allow watching these cameras now.")
    live.note_viewer(share, officer, now)
    audit.record(officer.agency_id, actor, "live.viewed", share.owner_id,
                 {"share": share.share_id,
                  "cameras": [c["stream"] for c in shown if c["allowed"]]})
    return {"share_id": share.share_id, "where": live_view.where(seen),
            "ends_at": share.ends_at.isoformat(), "cameras": shown}


def leave_view(officer: User, share_id: str) -> dict[str, Any]:
    """The officer's player left the share (its page went away): their time watching ends now.
    Said again (a second tab, a retried request), it changes nothing."""
    share = live.police_share(officer, share_id)
    if not live.is_active(share, clock.now()):
        raise GoneError("This live share has ended.")
    if officer.user_id not in live.viewers_of(share):
        raise ConflictError("Open the live share first.")
    live.note_left(share, officer, clock.now())
    if share.source == SOURCE_POLICE and all("left" in v for v in live.viewers_of(share).values()):
        # a view police opened, and nobody watches it any more: the bridge stops sending now
        live.close(share, Actor(officer.user_id, officer.role, ""), "left")
    return {"share_id": share.share_id, "left": True}
