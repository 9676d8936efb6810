"""Camera readers: turn a camera's stream into closed H.264 segments, one file at a time.

read_camera() reads one camera until told to stop (pyav_reader.py for RTSP and files,
mjpeg_reader.py for MJPEG over HTTP; segmenters.py and segment_writers.py make the files),
probe() tries one once, and remove_partials() clears what a crash left behind.

Two paths:

- **Stream copy** (H.264 yuv420p from RTSP or a file): PyAV reads packets and writes them into
  the segment unchanged (no decode, no re-encode), so a box as small as a Raspberry Pi can keep
  several 1080p cameras. A segment starts on a keyframe, so its length is segment_seconds
  rounded up to the camera's keyframe interval (its "GOP"; set the camera's I-frame interval to
  1 or 2 seconds for segments of the asked length).
- **Encode** (MJPEG over HTTP, and anything else: HEVC, MJPEG files, 10-bit or 4:2:2 H.264):
  pictures are decoded and encoded to H.264 yuv420p with libx264 (veryfast, zerolatency), a new
  encoder per segment, so every segment starts with a keyframe and decodes on its own.

Every segment is a fragmented MP4 (`frag_keyframe+empty_moov+default_base_moof`, no mfra
trailer) that Media Source Extensions can append, video only: audio is never recorded. Its
timestamps are continuous across one unbroken connection (a "run"), starting at 0 (see
Segment). Its start is when its first picture was captured (UTC, on the bridge's clock): from
the camera's RTCP sender reports where it sends them, otherwise from when its packets arrived,
read on a thread of their own (bridge.capture). A reader that falls more than `max_behind_s`
behind live skips to live and the skipped stretch becomes a gap, rather than sending old video
as if it were current.

Memory: one packet (or one decoded picture) at a time, plus what the MP4 muxer holds of the
fragment it is writing (one keyframe interval), never a whole segment.

File sources play at real time (paced by their timestamps) so they behave like a camera;
`loop = true` starts them again at the end with the timeline continuing.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from bridge.capture import Timing
from bridge.config import CameraConfig
from bridge.mjpeg_reader import MjpegReader
from bridge.pyav_reader import PyAVReader
from bridge.source_types import (
    ClosedSegment,
    InfoSink,
    ReaderOptions,
    SegmentSink,
    SourceEnded,
    SourceError,
    SourceInfo,
)

logger = logging.getLogger(__name__)


def read_camera(camera: CameraConfig, options: ReaderOptions, work_dir: Path,
                sink: SegmentSink, stop: threading.Event,
                on_info: InfoSink | None = None, timing: Timing | None = None) -> None:
    """Read one camera until `stop` is set, handing each closed segment to `sink`.

    Returns when stopped. Raises SourceError when the camera cannot be reached or drops (the
    open segment is finished and handed over first), SourceEnded when a file without loop
    ends. The caller reconnects. `timing` (live cameras) receives how pictures are timed, how
    far behind live the reader is, and each stretch skipped to catch up.
    """
    if camera.kind == "mjpeg":
        MjpegReader(camera, options, work_dir, sink, stop, timing).run(on_info)
    else:
        PyAVReader(camera, options, work_dir, sink, stop, timing).run(on_info)


@dataclass(frozen=True)
class ProbeReport:
    camera: str
    source: str  # with any password hidden
    ok: bool
    info: SourceInfo | None = None
    segment_seconds: float | None = None  # the first segment written
    segment_bytes: int | None = None
    keyframe_interval_s: float | None = None
    problem: str | None = None

    def describe(self) -> str:
        if not self.ok or self.info is None:
            return f"{self.camera}: PROBLEM: {self.problem}"
        text = f"{self.camera}: {self.info.describe()}"
        if self.segment_seconds is not None:
            text += (f"; a first segment of {self.segment_seconds:.2f} s "
                     f"({(self.segment_bytes or 0) / 1024:.0f} KiB) was written and removed")
        if self.keyframe_interval_s:
            text += f"; a keyframe every {self.keyframe_interval_s:.2f} s"
        return text


def probe(camera: CameraConfig, segment_seconds: float = 2.0,
          timeout_s: float = 20.0) -> ProbeReport:
    """Connect to a camera once and write one segment into a scratch folder (then remove it)."""
    stop = threading.Event()
    found: dict[str, object] = {}

    def take_segment(closed: ClosedSegment) -> None:
        if "segment" not in found:
            found["segment"] = closed
            found["bytes"] = closed.path.stat().st_size
        stop.set()

    def take_info(info: SourceInfo) -> None:
        found["info"] = info

    timer = threading.Timer(timeout_s, stop.set)
    timer.daemon = True
    timer.start()
    scratch = Path(tempfile.mkdtemp(prefix="porchlight-probe-"))
    problem: str | None = None
    try:
        read_camera(camera, ReaderOptions(segment_seconds=segment_seconds), scratch,
                    take_segment, stop, take_info)
    except (SourceError, SourceEnded) as error:
        problem = str(error)
    finally:
        timer.cancel()
        timer.join()
        shutil.rmtree(scratch, ignore_errors=True)
    return _report(camera, found, problem, timeout_s)


def _report(camera: CameraConfig, found: dict[str, object], problem: str | None,
            timeout_s: float) -> ProbeReport:
    info = found.get("info")
    closed = found.get("segment")
    if not isinstance(info, SourceInfo):
        return ProbeReport(camera.id, camera.safe_source, False,
                           problem=problem or f"no video came within {timeout_s:g} s")
    if not isinstance(closed, ClosedSegment):
        return ProbeReport(camera.id, camera.safe_source, False, info=info,
                           problem=problem or f"the camera answered but no segment was "
                           f"complete within {timeout_s:g} s")
    size = found.get("bytes")
    return ProbeReport(camera.id, camera.safe_source, True, info=info,
                       segment_seconds=closed.duration_s,
                       segment_bytes=size if isinstance(size, int) else None,
                       keyframe_interval_s=closed.keyframe_interval_s)


def remove_partials(work_dir: Path) -> None:
    """Remove half-written segments a crash left behind."""
    if work_dir.is_dir():
        for leftover in work_dir.glob("*.part"):
            try:
                os.remove(leftover)
            except OSError as error:
                logger.warning("Could not remove the half-written file %s: %s", leftover,
                               error.strerror)
