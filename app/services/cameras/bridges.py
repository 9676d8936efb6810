"""Pairing an owner's bridge: a one-time code shown in the app, a revocable device credential.

The owner taps "Pair a bridge" and reads an 8-letter code (10 minutes, single use) into the
bridge's `pair` command; the bridge trades it for a credential it keeps in its state folder.
The bridge then asks what it should do (`state`): which of the owner's cameras it may serve,
which live shares are running (with their pre-roll), and which approved footage requests wait
for a video. Every pairing and revocation is in the owner's activity.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from app.config import Settings
from app.core import footage, roles, tokens
from app.core import masks as mask_rules
from app.core.errors import NotFoundError, UnauthorizedError, ValidationError
from app.core.texts import gettext
from app.models.base import condition_failed
from app.models.bridge import BridgeDevice
from app.models.cameras import Camera
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.footage import bridge_clips, canvass
from app.services.people import accounts, single_use, throttle
from app.services.realtime import channel, live

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
CODE_TTL = 10 * 60
PREFIX = "pbd_"
MAX_DEVICES = 10


@dataclass(frozen=True)
class Paired:
    device: BridgeDevice
    credential: str


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def pairing_code(settings: Settings, owner: User, ip: str) -> str:
    """A fresh code for the owner's next bridge, shown as ABCD-EFGH."""
    if owner.role not in roles.BRIDGE_HOLDERS:
        raise UnauthorizedError("Only camera owners and agency admins pair bridges.")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    single_use.issue(settings, "bridge-pair", "-", owner.agency_id, CODE_TTL, token=code,
                         user_id=owner.user_id, created_by=owner.user_id)
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "bridge.code_shown",
                 owner.user_id, {})
    return f"{code[:4]}-{code[4:]}"


def pair(settings: Settings, code: str, name: str, ip: str) -> Paired:
    throttle.check_address(settings, "pair", ip)  # codes are short: wrong ones are counted
    name = (name or "").strip()[:60] or "Bridge"
    try:
        item = single_use.take(_normal(code), "bridge-pair")
    except ValidationError:
        throttle.count_failure(settings, "pair", ip)
        raise
    owner = accounts.get_user(item.user_id or "")
    mine = [d for d in BridgeDevice.owner_index.query(owner.user_id) if not d.revoked_at]
    if len(mine) >= MAX_DEVICES:
        raise ValidationError(gettext("This account has %(max)s bridges already; remove one "
                                      "in the app first.", max=MAX_DEVICES),
                              {"code": gettext("too many bridges")})
    device_id, secret = uuid.uuid4().hex, tokens.new_token(32)
    device = BridgeDevice(device_id=device_id, owner_id=owner.user_id,
                          agency_id=owner.agency_id, name=name,
                          secret_digest=tokens.digest(secret), created_at=clock.now())
    device.save()
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "bridge.paired",
                 owner.user_id, {"device": device_id, "name": name})
    return Paired(device, f"{PREFIX}{device_id}_{secret}")


def authenticate(header: str) -> BridgeDevice:
    """The device behind `Authorization: Bearer pbd_…`; revoked or unknown ones are refused."""
    refused = UnauthorizedError("This bridge is not paired, or its pairing was removed. "
                                "Pair it again from the app.")
    scheme, _, credential = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not credential.startswith(PREFIX) or len(credential) > 120:
        raise refused
    device_id, _, secret = credential[len(PREFIX):].partition("_")
    device = BridgeDevice.find(device_id)
    if device is None or device.revoked_at or not hmac.compare_digest(
            device.secret_digest, tokens.digest(secret)):
        raise refused
    return device


def devices_of(owner: User) -> list[BridgeDevice]:
    return sorted(BridgeDevice.owner_index.query(owner.user_id), key=lambda d: d.created_at)


def owned_device(owner: User, device_id: str) -> BridgeDevice:
    """The owner's paired bridge (revoked or not); another owner's is "not found", as one
    that does not exist."""
    device = BridgeDevice.find(device_id)
    if device is None or device.owner_id != owner.user_id:
        raise NotFoundError("No such bridge.")
    return device


def revoke(owner: User, device_id: str, ip: str) -> None:
    device = owned_device(owner, device_id)
    if device.revoked_at is None:
        device.update(actions=[BridgeDevice.revoked_at.set(clock.now())])
        audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "bridge.revoked",
                     owner.user_id, {"device": device_id, "name": device.name})


POLL_SECONDS = 5  # how soon a share started in the app reaches a bridge without the channel


def cameras_for(owner_id: str) -> list[dict[str, Any]]:
    return [{"camera_id": c.camera_id, "nickname": c.nickname, "tier": c.tier,
             "paused": bool(c.paused), "masks": mask_rules.loads(c.masks)}
            for c in registry.cameras_of(owner_id)]


def state(settings: Settings, device: BridgeDevice, declared: list[str] | None = None,
          health: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the bridge should do now: the owner's cameras, running shares, the approved
    requests for the cameras it serves, and the device channel to listen on (None without
    one). `poll_seconds` is how often to ask while the channel is not connected.

    `declared` are the Porchlight camera ids in the bridge's config: only their requests are
    offered (another bridge of the same owner may serve the others), and the owner's app shows
    which bridge serves which camera. Ids that are not the owner's are ignored, and so is the
    health (read_health) of a camera the bridge does not serve."""
    owner = accounts.get_user(device.owner_id)
    cameras = cameras_for(device.owner_id)
    owned = {c["camera_id"] for c in cameras}
    serves = sorted({c for c in (declared or []) if c in owned})
    actions: list[Any] = [BridgeDevice.last_seen_at.set(clock.now())]
    if declared is not None and serves != sorted(device.camera_ids or []):
        actions.append(BridgeDevice.camera_ids.set(serves))
    if health is not None:
        kept = [h for h in health if h["camera_id"] in owned]
        actions.append(BridgeDevice.health.set(json.dumps(kept, separators=(",", ":"))))
    device.update(actions=actions)
    waiting = []
    for target in canvass.targets_for_owner(owner):
        # approved, or a clip this bridge started whose upload did not finish (it tries again)
        if target.status != footage.APPROVED and not bridge_clips.bridge_uploading(target):
            continue
        if declared is not None and target.camera_id not in serves:
            continue
        asked = canvass.request_of(target)
        waiting.append({"target_id": target.target_id, "camera_id": target.camera_id,
                        "window_start": asked.window_start.isoformat(),
                        "window_end": asked.window_end.isoformat()})

    now = clock.now()
    shares = [{"share_id": s.share_id, "camera_ids": list(s.camera_ids),
               "started_at": s.started_at.isoformat(), "ends_at": s.ends_at.isoformat(),
               "preroll_seconds": int(s.preroll_seconds), "quality": live.quality_of(s)}
              for s in live.shares_of(owner) if live.is_active(s, now)]
    return {"device_id": device.device_id, "cameras": cameras, "requests": waiting,
            "shares": shares, "poll_seconds": POLL_SECONDS,
            "channel": channel.for_bridge(settings, device)}


HEALTH_HEADER = "X-Porchlight-Health"  # bridge/http_uplink.py sends it with each state call
HEALTH_STATES = ("starting", "live", "behind", "reconnecting", "ended", "stopped")
MAX_HEALTH = 50


def read_health(header: str) -> list[dict[str, Any]] | None:
    """A bridge's word on its cameras (bridge.runner.Runner.health), checked field by field:
    what does not fit is left out, and a header that cannot be read at all is None (nothing
    is kept). Only shown to the bridge's own holder."""
    if not header or len(header) > 8000:
        return None
    try:
        said = json.loads(header)
    except (ValueError, RecursionError):  # (thousands of "[" nest past Python's stack)
        return None
    if not isinstance(said, list):
        return None
    kept = []
    for item in said[:MAX_HEALTH]:
        if not isinstance(item, dict) or not isinstance(item.get("camera_id"), str) or \
                item.get("state") not in HEALTH_STATES:
            continue
        behind, buffered = item.get("behind_s"), item.get("buffer_s")
        last = _when(item.get("last_at"))
        kept.append({"camera_id": item["camera_id"][:64], "state": item["state"],
                     "problem": str(item.get("problem") or "")[:160],
                     "behind_s": float(behind) if isinstance(behind, int | float)
                     and not isinstance(behind, bool) and 0 <= behind < 1e6 else None,
                     "last_at": last.isoformat() if last else None,
                     "buffer_s": float(buffered) if isinstance(buffered, int | float)
                     and not isinstance(buffered, bool) and 0 <= buffered < 1e7 else None})
    return kept


@dataclass(frozen=True)
class CameraHealth:
    """One camera of a bridge as its holder's Bridges page shows it."""

    camera_id: str
    name: str
    state: str
    problem: str
    behind_s: float | None
    last_at: datetime | None
    buffer_minutes: float | None


@dataclass(frozen=True)
class BridgeHealth:
    online: bool
    channel: bool  # told at once through the device channel (else it asks every few seconds)
    cameras: list[CameraHealth]


def health_of(holder: User) -> dict[str, BridgeHealth]:
    """device id → how each of the holder's bridges and its cameras are now."""
    now = clock.now()
    names = {c.camera_id: c.nickname for c in registry.cameras_of(holder.user_id)}
    out = {}
    for device in devices_of(holder):
        said = json.loads(device.health or "[]")
        cameras = [CameraHealth(h["camera_id"], names.get(h["camera_id"], "A removed camera"),
                                h["state"], h.get("problem") or "", h.get("behind_s"),
                                _when(h.get("last_at")),
                                round(h["buffer_s"] / 60, 1) if h.get("buffer_s") is not None
                                else None) for h in said]
        out[device.device_id] = BridgeHealth(online(device, now), bool(device.connected),
                                             cameras)
    return out


def served_by(owner: User) -> dict[str, str]:
    """camera id → the name of the paired bridge that serves it (for the owner's pages)."""
    out: dict[str, str] = {}
    for device in devices_of(owner):
        if device.revoked_at is None:
            for camera_id in device.camera_ids or []:
                out.setdefault(camera_id, device.name)
    return out


def owner_of(device: BridgeDevice) -> User:
    return accounts.get_user(device.owner_id)


# ---------------------------------------------------------------- the device channel


def online(device: BridgeDevice, now: datetime) -> bool:
    """Whether the bridge can be reached now: connected to the channel (and still asking, at
    least every few channel polls, in case its last will was lost), or asking often enough
    without it. A revoked bridge never is."""
    if device.revoked_at is not None or device.last_seen_at is None:
        return False
    quiet = now - device.last_seen_at
    if device.connected:
        return quiet <= timedelta(seconds=3 * channel.CHANNEL_POLL_SECONDS)
    return quiet <= timedelta(seconds=3 * POLL_SECONDS)


def serving_bridges(cameras: Iterable[Camera]) -> dict[str, BridgeDevice]:
    """camera id → the online bridge that declares it (BridgeDevice.camera_ids), for cameras
    that have one; the owners' bridges are read once per owner."""
    now = clock.now()
    by_owner: dict[str, list[str]] = {}
    for camera in cameras:
        by_owner.setdefault(camera.owner_id, []).append(camera.camera_id)
    out: dict[str, BridgeDevice] = {}
    for owner_id, camera_ids in by_owner.items():
        up = [d for d in BridgeDevice.owner_index.query(owner_id) if online(d, now)]
        up.sort(key=lambda d: (bool(d.connected), d.last_seen_at), reverse=True)
        for camera_id in camera_ids:
            found = next((d for d in up if camera_id in (d.camera_ids or [])), None)
            if found is not None:
                out[camera_id] = found
    return out


STATES = {"online": True, "offline": False}


def handle_status(device_id: str, payload: Mapping[str, Any]) -> bool:
    """A bridge's status message (`{"state": "online"|"offline", "cameras": [...], "at": ...,
    "since": ...}`, on its status topic or as its last will): note whether it is connected.
    Only for a paired, not revoked device; anything else is ignored. `since` names the
    connection the message is about (when it began, by the bridge's clock): a message about an
    earlier connection than the last one heard (a late last will) changes nothing. True when
    noted."""
    connected = STATES.get(str(payload.get("state")))
    since = _when(payload.get("since") or payload.get("at"))
    if connected is None or since is None or not device_id or len(device_id) > 64:
        return False
    device = BridgeDevice.find(device_id)
    if device is None or device.revoked_at is not None:
        return False
    actions = [BridgeDevice.connected.set(connected), BridgeDevice.status_at.set(clock.now()),
               BridgeDevice.connected_since.set(since)]
    try:
        device.update(actions=actions, condition=BridgeDevice.device_id.exists()
                      & BridgeDevice.revoked_at.does_not_exist()
                      & (BridgeDevice.connected_since.does_not_exist()
                         | (BridgeDevice.connected_since <= since)))
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
