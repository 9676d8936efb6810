"""What a buffered segment is, shared by the buffer, the share logic and the Uplink.

No video libraries are imported here, so code that only moves segments around (an Uplink
implementation, for one) stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Mode = Literal["copy", "encode"]


def utc(moment: datetime) -> datetime:
    """`moment` as a timezone-aware UTC datetime (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: 2026-03-14T12:03:05.123Z."""
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


@dataclass(frozen=True)
class Segment:
    """One closed piece of one camera's video, as it sits in the buffer.

    A fragmented MP4 (ftyp, moov, then moof+mdat pairs; no mfra) holding H.264 yuv420p, video
    only, starting on a keyframe: a browser's Media Source Extensions can append the whole file.
    `start` is when its first picture was captured (UTC, on the bridge's clock: see
    bridge.capture), `end` that plus the pictures' duration. Segments of one `run` (one
    unbroken connection to the camera) carry continuous timestamps inside the file, starting at
    0 when the run started:
    `media_start_s` is where this segment begins on that timeline. A new run starts again at 0,
    so a player appending segments across runs uses SourceBuffer.mode = "sequence" (or sets
    timestampOffset from `start`).
    """

    camera: str  # the local camera id (config [[camera]] id)
    name: str  # the file name, from the start time: 20260314T120305.123Z.mp4
    path: Path
    start: datetime
    end: datetime
    duration_s: float  # from the pictures' timestamps
    size: int  # bytes
    sha256: str  # of the file, hex
    mode: Mode  # "copy": the camera's own H.264; "encode": made here with libx264
    width: int
    height: int
    frames: int
    run: str  # one id per unbroken connection to the camera
    media_start_s: float  # where the segment starts on its run's timeline, seconds
    codec: str = "h264"
    codecs: str = ""  # RFC 6381 string for MSE, from the file's avcC: "avc1.64001f"

    @property
    def mime(self) -> str:
        """What a player passes to MediaSource.addSourceBuffer() for this segment."""
        return f'video/mp4; codecs="{self.codecs or "avc1.640028"}"'

    def to_json(self) -> dict[str, Any]:
        return {"kind": "segment", "camera": self.camera, "name": self.name,
                "start": iso(self.start), "end": iso(self.end),
                "duration_s": round(self.duration_s, 6), "size": self.size,
                "sha256": self.sha256, "mode": self.mode, "codec": self.codec,
                "width": self.width, "height": self.height, "frames": self.frames,
                "run": self.run, "media_start_s": round(self.media_start_s, 6),
                "codecs": self.codecs}

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path) -> Segment:
        return cls(camera=str(data["camera"]), name=str(data["name"]),
                   path=folder / str(data["name"]), start=parse_iso(data["start"]),
                   end=parse_iso(data["end"]), duration_s=float(data["duration_s"]),
                   size=int(data["size"]), sha256=str(data["sha256"]),
                   mode="copy" if data["mode"] == "copy" else "encode",
                   codec=str(data.get("codec", "h264")), width=int(data["width"]),
                   height=int(data["height"]), frames=int(data["frames"]),
                   run=str(data["run"]), media_start_s=float(data["media_start_s"]),
                   codecs=str(data.get("codecs", "")))


@dataclass(frozen=True)
class Gap:
    """A time with no video from a camera: it dropped, the bridge was not running, or the
    bridge fell behind live and skipped it."""

    camera: str
    start: datetime
    end: datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": "gap", "camera": self.camera, "start": iso(self.start),
                "end": iso(self.end), "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Gap:
        return cls(camera=str(data["camera"]), start=parse_iso(data["start"]),
                   end=parse_iso(data["end"]), reason=str(data.get("reason", "")))
