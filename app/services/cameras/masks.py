"""An owner's privacy masks on a camera: saved, audited, and sent to the owner's bridges.

The rules of a mask are in app/core/masks.py; how pictures are masked in bridge/masking.py.
From the moment masks are saved, every picture of the camera that leaves the owner is masked:
the clip worker reads them when it cuts (lambdas/clip_cutter/handler.py), the bridge gets them
in its state answer (woken now through the device channel where there is one), and the server
refuses a live piece made with other masks than the camera's (app/services/realtime/video.py).
A bridge's clip is masked by the bridge and again by the clip worker, which masks every clip
it cuts.
"""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.core import masks as rules
from app.models.cameras import Camera
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.realtime import channel


def of(camera: Camera) -> list[rules.Mask]:
    return rules.loads(camera.masks)


def save(settings: Settings, owner: User, camera_id: str, data: Any, ip: str) -> Camera:
    """Replace the camera's masks with `data` (ValidationError on `masks` when they cannot be
    used; nothing changes then). Audited when anything changed: which masks were added,
    changed or removed (ids, never where they are on the view)."""
    camera = registry.owned(owner, camera_id)
    before = of(camera)
    after = rules.check(data)
    diff = rules.changes(before, after)
    if not any(diff.values()):
        return camera
    camera.masks = rules.dumps(after)
    camera.updated_at = clock.now()
    camera.save()  # the version attribute refuses a concurrent edit
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.masks_changed",
                 owner.user_id, {"camera": camera.camera_id, "nickname": camera.nickname,
                                 **diff, "masks": len(after),
                                 "fingerprint": rules.fingerprint(after)})
    channel.wake_owner(settings, owner.user_id, "masks", camera_id=camera.camera_id)
    return camera

