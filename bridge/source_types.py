"""What the camera readers take and hand over: how to read (ReaderOptions), what was found
at a camera's address (SourceInfo), each finished segment (ClosedSegment), and the two ways a
reading ends (SourceError, SourceEnded).

Shared by the readers, the segmenters and their callers (runner.py, buffer.py). No video
libraries are imported here.
"""


from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bridge.segment import Mode


class SourceError(Exception):
    """The camera cannot be read (now). `reason` is one plain sentence for the owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceEnded(Exception):
    """A file source (without loop) reached its end: nothing more will come."""


@dataclass(frozen=True)
class SourceInfo:
    """What the bridge found at a camera's address."""

    kind: str  # "rtsp", "mjpeg" or "file"
    codec: str  # the camera's codec as FFmpeg names it: "h264", "mjpeg", "hevc", ...
    width: int
    height: int
    fps: float | None  # the stream's nominal rate, when it says
    mode: Mode  # "copy" (H.264 kept as it is) or "encode" (made H.264 here)
    pix_fmt: str | None = None

    def describe(self) -> str:
        rate = f" at {self.fps:.3g} fps" if self.fps else ""
        how = ("kept as the camera sends it (stream copy)" if self.mode == "copy"
               else "re-encoded to H.264 on this box")
        name = {"h264": "H.264", "hevc": "H.265/HEVC"}.get(self.codec, self.codec.upper())
        return f"{name} {self.width}x{self.height}{rate}, {how}"


@dataclass(frozen=True)
class ClosedSegment:
    """A finished segment file, still in the reader's work folder; the buffer takes it over."""

    path: Path
    start: datetime  # UTC, bridge clock, when its first picture was captured
    duration_s: float
    mode: Mode
    width: int
    height: int
    frames: int
    run: str
    media_start_s: float
    keyframe_interval_s: float | None = None  # copy mode: the camera's, when seen

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)


@dataclass(frozen=True)
class ReaderOptions:
    segment_seconds: float = 2.0
    pace: bool = True  # file sources: play at real time (tests may read as fast as they can)
    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    clock: Callable[[], float] = field(default=time.time)  # wall clock, seconds since epoch
    max_behind_s: float = 5.0  # live cameras: further behind than this, skip to live


SegmentSink = Callable[[ClosedSegment], object]
InfoSink = Callable[[SourceInfo], None]
