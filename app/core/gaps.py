"""Parts of an asked window that the evidence does not show, and how people are told.

A gap is real UTC time, start before end, of one of three kinds. The clip worker finds the first
two from the owner's file and the recorder's clock; a bridge reports the third for the clips it
cuts. The manifest, the detective's board and the owner's page all say them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.core import localtime

BEFORE_FILE = "before_file"  # the asked window starts before the owner's file
AFTER_FILE = "after_file"  # the asked window ends after the owner's file
CAMERA_OFFLINE = "camera_offline"  # the camera sent no pictures (a bridge saw the outage)
KINDS = (BEFORE_FILE, AFTER_FILE, CAMERA_OFFLINE)

WHY = {BEFORE_FILE: "the video starts later than the asked time",
       AFTER_FILE: "the video ends before the asked time",
       CAMERA_OFFLINE: "camera offline"}


def as_dict(start: datetime, end: datetime, kind: str) -> dict[str, Any]:
    """One gap as the manifest and the API carry it."""
    if kind not in KINDS:
        raise ValueError(f"unknown gap kind {kind!r}")
    if end <= start:
        raise ValueError("a gap ends after it starts")
    return {"start": start.isoformat(), "end": end.isoformat(), "kind": kind,
            "seconds": round((end - start).total_seconds(), 3)}


def words(start: datetime, end: datetime, kind: str, zone: str) -> str:
    """'no video 00:32:11–00:32:44 (Chicago time, 33 s): camera offline': seconds always,
    the zone named. The detective's board and the owner's page both say it."""
    seconds = round((end - start).total_seconds())
    return (f"no video {localtime.clock(start, zone, True)}–{localtime.clock(end, zone, True)} "
            f"({localtime.zone_label(zone)}, {seconds} s): {WHY.get(kind, kind)}")
