"""The evidence manifest, and the parts of the asked window the clip has no video for.

Pure: no AWS. The manifest says who asked for what window, the recorder's clock offset, what
the original was (its SHA-256 over every byte, its sound), how the clip was made and why, and
every gap: the asked window before the owner's file starts, after it ends, and where the
owner's bridge saw the camera send nothing (app.core.gaps), each in real UTC time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.core import footage
from app.core import gaps as gap_rules
from app.models.footage import FootageRequest, RequestTarget
from app.services import clock
from bridge.masking import Masks
from lambdas.clip_cutter import sound
from lambdas.clip_cutter.cutting import CutResult
from lambdas.clip_cutter.pictures import tool_versions
from lambdas.clip_cutter.probing import ProbeResult

Gap = tuple[datetime, datetime, str]  # real UTC start, end, kind
# A stretch shorter than this is not missing video: it is the time between two pictures.
SHORTEST_GAP_S = 0.1


def file_real_start(target: RequestTarget, offset_s: float) -> datetime:
    """The real time of the file's first frame (the recorder's time less its offset)."""
    starts = target.video_starts_at
    assert starts is not None
    return starts - timedelta(seconds=offset_s)


def gaps_in(request: FootageRequest, target: RequestTarget, probe: ProbeResult,
            offset_s: float) -> list[Gap]:
    """Every part of the asked window with no video, in order: before the file starts, after
    it ends, and the camera's outages a bridge reported (clipped to the window)."""
    asked_start, asked_end = request.window_start, request.window_end
    first = file_real_start(target, offset_s)
    last = first + timedelta(seconds=probe.duration_s)
    found: list[Gap] = []
    if first > asked_start:
        found.append((asked_start, min(first, asked_end), gap_rules.BEFORE_FILE))
    if last < asked_end:
        found.append((max(last, asked_start), asked_end, gap_rules.AFTER_FILE))
    for reported in target.source_gaps or []:
        start, end = max(reported.start, asked_start), min(reported.end, asked_end)
        found.append((start, end, gap_rules.CAMERA_OFFLINE))
    kept = [g for g in found if (g[1] - g[0]).total_seconds() >= SHORTEST_GAP_S]
    return sorted(kept, key=lambda gap: (gap[0], gap[1]))


def clip_audio(cut: CutResult, probe: ProbeResult, include: bool
               ) -> dict[str, Any] | str | None:
    """The clip's sound: what went in, why none did, or None when the original had none."""
    if probe.audio is None:
        return None
    if not include:
        return sound.LEFT_OUT
    return cut.audio


def manifest_for(request: FootageRequest, target: RequestTarget, probe: ProbeResult,
                 cut: CutResult, original_sha: str, clip_sha: str,
                 window: tuple[float, float], offset_s: float, gaps: list[Gap],
                 read: str, masks: Masks | None = None) -> dict[str, Any]:
    starts = target.video_starts_at
    assert starts is not None
    real = file_real_start(target, offset_s)
    return {
        "format": "porchlight-evidence-manifest/1",
        "request": {"id": request.request_id, "case_number": request.case_number,
                    "offense": request.offense, "agency_id": request.agency_id,
                    "asked_by": request.detective_id, "message": request.message,
                    "place": {"lat": float(request.lat), "lon": float(request.lon)},
                    "window": {"start": request.window_start.isoformat(),
                               "end": request.window_end.isoformat()}},
        "camera": camera_for_police(target),
        "recorder": {"clock_offset_s": offset_s, "offset_words": footage.offset_words(offset_s),
                     "file_starts_at_recorder_time": starts.isoformat(),
                     "file_starts_at_real_time": real.isoformat()},
        "original": {"key": target.upload_key, "name": target.upload_name,
                     "bytes": probe.size_bytes, "sha256": original_sha,
                     "sha256_covers": "every byte of the original as the owner uploaded it",
                     "read": read,
                     "container": probe.container, "codec": probe.codec,
                     "width": probe.width, "height": probe.height, "fps": probe.fps,
                     "duration_s": probe.duration_s,
                     "variable_frame_rate": probe.variable_frame_rate,
                     "audio": probe.audio},
        "clip": {"sha256": clip_sha, "method": cut.method, "method_why": cut.why,
                 "reencoded_frames": cut.reencoded_frames, "codec": cut.codec,
                 "width": cut.width, "height": cut.height, "fps": cut.fps,
                 "frames": cut.frames, "duration_s": cut.duration_s,
                 "audio": clip_audio(cut, probe, bool(target.include_audio)),
                 "asked_seconds_in_file": list(window),
                 "seconds_in_file": [cut.start_s, cut.end_s],
                 "real_start": (real + timedelta(seconds=cut.start_s)).isoformat(),
                 "real_end": (real + timedelta(seconds=cut.end_s)).isoformat(),
                 "gaps": [gap_rules.as_dict(*gap) for gap in gaps],
                 "truncated": bool(gaps)},
        "privacy_masks": masks_for_manifest(masks or Masks(), "the clip worker"),
        "tools": tool_versions(),
        "made_at": clock.now().isoformat(),
    }


MOTION = "motion"  # an activity marker's kind (a Gap item, as the board's gaps are)


def activity_for_manifest(moving: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    """The clip's activity markers as the manifest records them: real times, and how found."""
    return {"method": "OpenCV frame differencing: motion only, nothing about who or what "
                      "moved (lambdas/clip_cutter/activity.py)",
            "stretches": [{"start": a.isoformat(), "end": b.isoformat()} for a, b in moving]}


MASKED_WORDS = ("Parts of this view are masked by the owner: every picture has them blacked "
                "out before police receive it. The original stays with the owner.")


def masks_for_manifest(masks: Masks, by: str) -> dict[str, Any]:
    """What the manifest says of the owner's privacy masks: whether any were applied, which
    (ids, corners as fractions of the view as shown, and their fingerprint), and by whom."""
    if not masks:
        return {"applied": False}
    return {"applied": True, "by": by, "fingerprint": masks.fingerprint,
            "masks": masks.as_json(), "words": MASKED_WORDS}


def camera_for_police(target: RequestTarget) -> dict[str, Any]:
    """The camera as the status board shows it: the owner never named, a hidden camera's id
    never given (its name only because the owner chose to send its footage)."""
    camera: dict[str, Any] = {"target_id": target.target_id,
                              "nickname": footage.police_label(target.nickname, target.visibility,
                                                             target.status)}
    if target.visibility != "hidden":
        camera["camera_id"] = target.camera_id
    return camera
