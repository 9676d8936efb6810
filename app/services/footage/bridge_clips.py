"""A bridge answers an approved footage request from its buffer: the clip, or "no footage".

The clip comes as an owner's phone upload does (`app.services.footage.uploads`): one multipart
upload of one part under a key of its own, completed by the app with `If-None-Match: *` once S3
holds exactly the announced size. So the clip link the bridge gets (valid an hour, as a 2 GB clip
on a slow line needs) writes to that upload only: once the clip is complete, the upload id is gone
and a PUT to the link has nothing to write to, and the original stays as it was checked.

The bridge says which stretches of the asked window its camera sent no pictures for (it was
offline, or the bridge fell behind and skipped to live): they are kept on the target as
`source_gaps` (real UTC times, kind "camera_offline", cut to the asked window), and the clip
worker and the detective's board say them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core import footage, localtime
from app.core import gaps as gap_kinds
from app.core.errors import ConflictError, ValidationError
from app.core.texts import gettext
from app.models.bridge import BridgeDevice
from app.models.footage import FootageRequest, Gap, RequestTarget
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.footage import canvass, uploads

CLIP_PUT_SECONDS = 3600
MAX_GAPS = 1000
UPLOAD_NAME = "sent by your bridge"  # the name the owner's pages give a bridge's clip


def _bridge_actor(device: BridgeDevice) -> Actor:
    return Actor(device.owner_id, "owner", f"bridge:{device.device_id[:8]}")


def bridge_uploading(target: RequestTarget) -> bool:
    """A clip a bridge started and has not finished (one from before clips came in one part
    of a multipart upload has no upload id)."""
    return target.status == footage.UPLOADING and (
        target.upload_name == UPLOAD_NAME or not target.upload_id)


def start_bridge_clip(settings: Settings, device: BridgeDevice, target_id: str,
                      data: dict[str, Any]) -> dict[str, Any]:
    """The bridge cut an approved request's window from its buffer: where to put the clip."""
    target = canvass.target_owned_by(device.owner_id, target_id)
    if target.status in (footage.PROCESSING, footage.READY):
        return {"stored": True}
    if target.status not in (footage.APPROVED, footage.UPLOADING, footage.FAILED):
        raise ConflictError(f"This request no longer wants video (it is "
                            f"{footage.STATUS_WORDS[target.status]}).")
    if target.status == footage.UPLOADING and not bridge_uploading(target):
        raise ConflictError("The owner is uploading this request's video from their phone.")
    size = data["size"]
    if isinstance(size, bool) or not isinstance(size, int) or \
            not 0 < size <= footage.MAX_UPLOAD_BYTES:
        raise ValidationError(gettext("The clip must be 1 byte to 2 GB."),
                              {"size": gettext("out of range")})
    starts_at = localtime.instant(data["starts_at"], "starts_at")
    ends_at = localtime.instant(data["ends_at"], "ends_at")
    if ends_at <= starts_at:
        raise ValidationError(gettext("The clip ends before it starts."),
                              {"ends_at": gettext("before starts_at")})
    gaps = source_gaps(data.get("gaps"), canvass.request_of(target))
    key, upload_id = uploads.open_original(settings, target, "mp4")
    canvass.move(target, footage.UPLOADING, upload_key=key, upload_id=upload_id,
                 upload_name=UPLOAD_NAME, upload_bytes=size, clock_offset_s=0.0,
                 video_starts_at=starts_at, reason="", source_gaps=gaps)
    audit.record(target.agency_id, _bridge_actor(device), "upload.started", target.owner_id,
                 {"request_id": target.request_id, "target_id": target.target_id,
                  "bytes": size, "via": "bridge", "device": device.device_id,
                  "gaps": len(gaps),
                  "gap_seconds": round(sum((g.end - g.start).total_seconds() for g in gaps), 3)})
    url = uploads.part_url(aws_client(settings, "s3"), settings, target, 1, CLIP_PUT_SECONDS)
    # Content-Type is not signed in a part's URL; named so that no client sends a form type.
    return {"stored": False, "url": url, "headers": {"Content-Type": "video/mp4"}}


def source_gaps(value: Any, request: FootageRequest) -> list[Gap]:
    """The bridge's stretches without pictures, cut to the asked window, in order, overlapping
    ones joined. A gap that is not a start before its end is refused, not dropped."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_GAPS:
        raise ValidationError(gettext("gaps must be a list of at most %(max)s.", max=MAX_GAPS),
                              {"gaps": gettext("a list of {start, end}")})
    spans: list[tuple[datetime, datetime]] = []
    for number, gap in enumerate(value):
        if not isinstance(gap, dict):
            raise ValidationError(gettext("Each gap has a start and an end."),
                                  {"gaps": gettext("item %(number)s", number=number)})
        start = localtime.instant(gap.get("start"), "gaps.start")
        end = localtime.instant(gap.get("end"), "gaps.end")
        if end <= start:
            raise ValidationError(gettext("A gap ends after it starts."),
                                  {"gaps": gettext("item %(number)s", number=number)})
        start, end = max(start, request.window_start), min(end, request.window_end)
        if end > start:
            spans.append((start, end))
    joined: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return [Gap(start=start, end=end, kind=gap_kinds.CAMERA_OFFLINE) for start, end in joined]


def finish_bridge_clip(settings: Settings, device: BridgeDevice, target_id: str
                       ) -> dict[str, Any]:
    """The bridge says the clip is in storage: check S3 holds the announced size, complete it
    (write-once) and queue it for the clip worker."""
    target = canvass.target_owned_by(device.owner_id, target_id)
    if target.status in (footage.PROCESSING, footage.READY):
        return {"stored": True}
    if not bridge_uploading(target) or not target.upload_key:
        raise ConflictError("No clip from this bridge is on its way for this request.")
    if not target.upload_id:  # a link from before clips were write-once: ask for it again
        raise ValidationError(gettext("The clip has not arrived; send it again."),
                              {"clip": gettext("not in storage")})
    s3 = aws_client(settings, "s3")
    try:
        held = uploads.parts_held(s3, settings, target)
    except s3.exceptions.NoSuchUpload as exc:
        raise ConflictError("This clip's upload was replaced; it is not wanted any more."
                            ) from exc
    if not held:
        raise ValidationError(gettext("The clip has not arrived; send it again."),
                              {"clip": gettext("not in storage")})
    size = sum(int(p["Size"]) for p in held)
    if [int(p["PartNumber"]) for p in held] != [1] or size != int(target.upload_bytes or 0):
        raise ValidationError(gettext("The clip that arrived is not the size announced; send it "
                                      "again."), {"size": gettext("does not match")})
    key = target.upload_key
    uploads.assemble(s3, settings, target, held)
    canvass.move(target, footage.PROCESSING, upload_id=None, upload_key=key)
    audit.record(target.agency_id, _bridge_actor(device), "upload.completed", target.owner_id,
                 {"request_id": target.request_id, "target_id": target.target_id,
                  "bytes": size, "via": "bridge"})
    uploads.queue_clip(settings, target)
    return {"stored": True}


def bridge_no_clip(settings: Settings, device: BridgeDevice, target_id: str, reason: str
                   ) -> dict[str, Any]:
    """The bridge's buffer cannot serve this request: answer "no footage" with its reason."""
    target = canvass.target_owned_by(device.owner_id, target_id)
    if target.status == footage.NO_FOOTAGE:
        return {"stored": True}
    if bridge_uploading(target):  # its clip never arrived, and now the buffer has let it go
        uploads.abandon(settings, target)
        target = canvass.move(target, footage.FAILED)
    if target.status not in (footage.APPROVED, footage.FAILED):
        raise ConflictError(f"This request no longer wants video (it is "
                            f"{footage.STATUS_WORDS[target.status]}).")
    reason = " ".join(str(reason or "").split())[:300] or "the bridge holds no video of that time"
    canvass.move(target, footage.NO_FOOTAGE, reason=f"The owner's bridge: {reason}")
    audit.record(target.agency_id, _bridge_actor(device), "answer.no_footage", target.owner_id,
                 {"request_id": target.request_id, "target_id": target.target_id,
                  "via": "bridge", "reason": reason})
    canvass.close_if_done(canvass.request_of(target))
    return {"stored": True}
