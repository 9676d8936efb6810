"""The case timeline: every clip of a request on one real-time axis, with where each camera
is (as police may see it) and its moments of motion; and its export, which lets anyone
reproduce the alignment.

A clip's real start is the time of its first picture, its recorder's clock offset applied
(the clip worker records it on the Evidence item; an older item's is read from its manifest).
Picture `s` seconds into the clip was captured at real start + s. Gaps are the parts of the
asked window a clip has no video for, as the board says them.

Who sees what: as the board (`canvass.readable_request`: the detective who asked, the
agency's supervisors). A camera's place is the police place its owner's visibility choice
allows (`registry.as_candidate`, `search.shown_place`): none for a hidden or paused camera.
Playing a clip goes through the evidence link (audited, the owner told); the export is
audited too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core import footage
from app.core.search import shown_place
from app.models.cameras import Camera
from app.models.footage import Evidence, RequestTarget
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.footage import canvass
from app.services.governance.policy import policy_for

FORMAT = "porchlight-case-timeline/1"
ALIGNMENT = ("Each clip's picture at second s of the clip (from its first picture) was "
             "captured at real time `real_start` + s: the recorder's clock offset "
             "(`clock_offset_s`, the recorder's clock minus real time) is already applied. "
             "Play every clip at (T - real_start) to see real time T on all of them.")


def _real_start(settings: Settings, evidence: Evidence) -> datetime:
    if evidence.real_start is not None:
        return evidence.real_start
    body = aws_client(settings, "s3").get_object(Bucket=settings.clips_bucket,
                                                  Key=evidence.manifest_key)["Body"].read()
    return datetime.fromisoformat(json.loads(body)["clip"]["real_start"])


def _place(target: RequestTarget, camera: Camera | None) -> dict[str, Any] | None:
    """Where police may see the camera, and which way it looks; None when they may not (or
    it is no longer registered)."""
    if target.visibility == "hidden" or camera is None:
        return None
    candidate = registry.as_candidate(camera)
    shown = shown_place(candidate)
    if shown is None:
        return None
    lat, lon, approximate = shown
    return {"lat": lat, "lon": lon, "approximate": approximate,
            "heading_deg": candidate.heading_deg, "fov_deg": candidate.fov_deg,
            "range_m": candidate.range_m}


def _clip(settings: Settings, target: RequestTarget, evidence: Evidence, zone: str,
          camera: Camera | None) -> dict[str, Any]:
    start = _real_start(settings, evidence)
    seconds = float(evidence.clip_seconds)
    offset = float(evidence.clock_offset_s if evidence.clock_offset_s is not None
                   else target.clock_offset_s or 0)
    return {"id": target.target_id,
            "camera": footage.police_label(target.nickname, target.visibility, target.status),
            "start": start.isoformat(),
            "end": (start + timedelta(seconds=seconds)).isoformat(),
            "seconds": seconds, "clock_offset_s": offset,
            "offset_words": footage.offset_words(offset),
            "clip_sha256": evidence.clip_sha256,
            "gaps": [canvass.gap_json(gap, zone) for gap in evidence.gaps or []],
            "activity": [{"start": a.start.isoformat(), "end": a.end.isoformat()}
                         for a in evidence.activity or []],
            "masked": bool(evidence.mask_ids), "place": _place(target, camera)}


def case_timeline(settings: Settings, officer: User, request_id: str) -> dict[str, Any]:
    """Every ready clip of the request, earliest first, on one real-time axis."""
    request = canvass.readable_request(officer, request_id)
    zone = policy_for(request.agency_id).timezone
    ready = [t for t in canvass.targets_of(request_id) if t.status == footage.READY]
    cameras = {c.camera_id: c for c in Camera.batch_get(
        list({t.camera_id for t in ready if t.visibility != "hidden"}))}
    clips = []
    for target in ready:
        evidence = canvass.evidence_of(target.target_id)
        if evidence is not None:
            clips.append(_clip(settings, target, evidence, zone,
                               cameras.get(target.camera_id)))
    clips.sort(key=lambda clip: (clip["start"], clip["camera"]))
    return {"id": request.request_id, "case_number": request.case_number,
            "offense": request.offense, "zone": zone,
            "window_start": request.window_start.isoformat(),
            "window_end": request.window_end.isoformat(), "clips": clips}


def export(settings: Settings, officer: User, request_id: str, ip: str) -> dict[str, Any]:
    """The timeline as part of the case's evidence: each clip's real-time span, its offset,
    its SHA-256 (the clip in its evidence package), gaps and activity; audited."""
    timeline = case_timeline(settings, officer, request_id)
    made = clock.now()
    audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip),
                 "case.timeline_exported", "-",
                 {"request_id": request_id, "case": timeline["case_number"],
                  "targets": [clip["id"] for clip in timeline["clips"]]})
    return {"format": FORMAT, "request_id": timeline["id"],
            "case_number": timeline["case_number"], "made_at": made.isoformat(),
            "made_by": officer.user_id, "zone": timeline["zone"], "alignment": ALIGNMENT,
            "window": {"start": timeline["window_start"], "end": timeline["window_end"]},
            "clips": [{key: clip[key] for key in (
                "id", "camera", "clip_sha256", "start", "end", "seconds", "clock_offset_s",
                "offset_words", "gaps", "activity", "masked")} for clip in timeline["clips"]]}
