"""Cutting a camera's stream into closed segments: CopySegmenter for H.264 packets kept as the
camera sends them, EncodeSegmenter for decoded pictures made H.264 here (ever lighter when the
box cannot keep up).

Segments of one unbroken connection (a run) abut and carry continuous timestamps from 0; each
one closed goes to the sink as a ClosedSegment.
"""


from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from bridge.segment_writers import (
    ENCODE_TIME_BASE,
    X264_OPTIONS,
    CopyWriter,
    EncodeWriter,
    new_part,
)
from bridge.source_types import ClosedSegment, SegmentSink, SourceError

logger = logging.getLogger(__name__)

LIGHTER = (  # a converted camera the box cannot keep up with: ever lighter encoding
    ("", X264_OPTIONS),
    ("converted with libx264's fastest preset to keep up", {**X264_OPTIONS, "preset": "ultrafast"}),
    ("converted at half the frame rate with libx264's fastest preset to keep up",
     {**X264_OPTIONS, "preset": "ultrafast"}),
)
LIGHTER_FOR_S = 120.0  # a lighter step is undone after this long without falling behind
MAX_TIMESTAMP_JUMP_S = 10.0  # a bigger jump between two packets means the camera's clock moved
NO_KEYFRAME_S = 30.0  # a stream with no keyframe this long cannot be cut: give up and reconnect


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)



class CopySegmenter:
    """Cuts a stream of H.264 packets (decode order) into segments that start on keyframes.

    A segment closes at the first keyframe at or after segment_seconds. Each packet is held
    back until the next one arrives, so the last picture of a segment lasts exactly until the
    next segment's first: segments of a run abut with no hole and no overlap. Pictures that
    follow a segment's first keyframe in decode order but are shown before it (an open GOP's
    leading B-frames) cannot be decoded without the previous segment and are left out.
    """

    def __init__(self, template: VideoStream, segment_seconds: float, work_dir: Path,
                 sink: SegmentSink, camera: str) -> None:
        self.template = template
        self.time_base = template.time_base or Fraction(1, 90_000)
        self.segment_ticks = Fraction(segment_seconds) / self.time_base
        self.jump_ticks = Fraction(MAX_TIMESTAMP_JUMP_S) / self.time_base
        self.work_dir = work_dir
        self.sink = sink
        self.camera = camera
        self.width = template.codec_context.width
        self.height = template.codec_context.height
        self.writer: CopyWriter | None = None
        self.pending: Packet | None = None
        self.pending_dts = 0
        self.run = ""
        self.origin = 0
        self.segment_dts = 0
        self.segment_pts = 0
        self.segment_wall = 0.0
        self.last_dts: int | None = None
        self.last_keyframe_dts: int | None = None
        self.keyframe_interval_s: float | None = None
        self.waiting_since: int | None = None  # dts of the first packet while no keyframe came
        self.skipped = 0
        # live cameras: a picture's capture time (s since the epoch) from its timestamp,
        # asked when a segment closes; without it, the `wall` fed with its first packet
        self.stamp: Callable[[int], float] | None = None

    def feed(self, packet: Packet, wall: float) -> None:
        dts = packet.dts if packet.dts is not None else packet.pts
        if dts is None:
            self.skipped += 1
            return
        pts = packet.pts if packet.pts is not None and packet.pts >= dts else dts
        packet.dts, packet.pts = dts, pts
        if self.last_dts is not None and not (
                self.last_dts < dts <= self.last_dts + self.jump_ticks):
            logger.warning("Camera %s: the camera's timestamps jumped; the current segment is "
                           "closed and a new run starts at the next keyframe.", self.camera)
            self.close(None)
        if packet.is_keyframe:
            self._keyframe(dts, pts, wall)
        if self.writer is None:
            self._no_keyframe_yet(dts)
            return  # waiting for a keyframe to start on
        if pts < self.segment_pts:
            return  # an open GOP's leading picture: undecodable without the last segment
        self.last_dts = dts
        self._hold(packet, dts)

    def _no_keyframe_yet(self, dts: int) -> None:
        if self.waiting_since is None:
            self.waiting_since = dts
        elif (dts - self.waiting_since) * self.time_base > NO_KEYFRAME_S:
            raise SourceError(f"the camera sent no keyframe in {NO_KEYFRAME_S:g} s, so its "
                              "video cannot be cut into pieces; check its I-frame interval")

    def _keyframe(self, dts: int, pts: int, wall: float) -> None:
        self.waiting_since = None
        if self.last_keyframe_dts is not None and dts > self.last_keyframe_dts:
            self.keyframe_interval_s = float((dts - self.last_keyframe_dts) * self.time_base)
        self.last_keyframe_dts = dts
        if self.writer is not None and dts - self.segment_dts < self.segment_ticks:
            return
        self.close(dts)
        if not self.run:
            self.run = uuid.uuid4().hex[:12]
            self.origin = dts
        self.writer = CopyWriter(new_part(self.work_dir), self.template, self.origin)
        self.segment_dts = dts
        self.segment_pts = pts
        self.segment_wall = wall

    def _hold(self, packet: Packet, dts: int) -> None:
        assert self.writer is not None
        if self.pending is not None:
            self.pending.duration = dts - self.pending_dts
            self.writer.write(self.pending)
        self.pending = packet
        self.pending_dts = dts

    def close(self, end_dts: int | None) -> None:
        """Finish the open segment (if any). `end_dts`: where the next one starts; None when
        the run ends here (a drop, a stop, a timestamp jump): the next segment starts a new
        run."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        last_end = self.segment_dts
        try:
            if self.pending is not None:
                if end_dts is not None and end_dts > self.pending_dts:
                    length = end_dts - self.pending_dts
                else:
                    length = self.pending.duration or self._frame_ticks()
                self.pending.duration = length
                last_end = self.pending_dts + length
                writer.write(self.pending)
        except SourceError:
            writer.path.unlink(missing_ok=True)  # half a segment is no use
            raise
        finally:
            self.pending = None
            writer.close()
        run = self.run
        if end_dts is None:  # the run ends: the next keyframe starts a new one
            self.run = ""
            self.last_dts = None
            self.last_keyframe_dts = None
        duration = float((last_end - self.segment_dts) * self.time_base)
        start = self.stamp(self.segment_pts) if self.stamp else self.segment_wall
        self.sink(ClosedSegment(
            path=writer.path, start=_utc(start), duration_s=duration, mode="copy",
            width=self.width, height=self.height, frames=writer.frames, run=run,
            media_start_s=float((self.segment_dts - self.origin) * self.time_base),
            keyframe_interval_s=self.keyframe_interval_s))

    def _frame_ticks(self) -> int:
        rate = self.template.average_rate or self.template.guessed_rate
        if rate:
            return max(int(round(1 / (rate * self.time_base))), 1)
        return max(int(round(Fraction(1, 30) / self.time_base)), 1)


class EncodeSegmenter:
    """Encodes decoded pictures to H.264 segments, a fresh encoder (so a keyframe) per segment.

    Pictures come with their time on the run's timeline in seconds (from the source's
    timestamps, or from arrival for MJPEG, which has none). A segment closes at the first
    picture at or after segment_seconds; the last picture lasts until that one.

    A box that cannot keep up makes it lighter (`lighten`): first libx264's fastest preset,
    then every second picture only; each step is undone after LIGHTER_FOR_S without falling
    behind again.
    """

    def __init__(self, segment_seconds: float, work_dir: Path, sink: SegmentSink,
                 camera: str, fps: float | None) -> None:
        self.segment_ticks = round(segment_seconds * ENCODE_TIME_BASE.denominator)
        self.work_dir = work_dir
        self.sink = sink
        self.camera = camera
        self.fps = fps
        self.writer: EncodeWriter | None = None
        self.run = uuid.uuid4().hex[:12]
        self.segment_pts = 0
        self.segment_wall = 0.0
        self.last_pts: int | None = None
        # live cameras: a picture's capture time (s since the epoch) from its time on the
        # run's timeline, asked when a segment closes; without it, the `wall` it came with
        self.stamp: Callable[[float], float] | None = None
        self.lighter = 0  # 0: as configured; 1: fastest preset; 2: also every second picture
        self.lighter_since = 0.0
        self.fed = 0

    def lighten(self, now: float) -> str:
        """Encode with less work from the next segment on; words for the status page."""
        self.lighter = min(self.lighter + 1, len(LIGHTER) - 1)
        self.lighter_since = now
        return LIGHTER[self.lighter][0]

    def _relax(self, now: float) -> None:
        if self.lighter and now - self.lighter_since > LIGHTER_FOR_S:
            self.lighter -= 1
            self.lighter_since = now

    def feed(self, frame: VideoFrame, media_s: float, wall: float) -> None:
        self.fed += 1
        if self.lighter >= 2 and self.writer is not None and self.fed % 2:
            return  # every second picture only: the one before lasts until the next
        pts = round(media_s * ENCODE_TIME_BASE.denominator)
        if self.last_pts is not None and pts <= self.last_pts:
            pts = self.last_pts + 1  # two pictures at one instant: keep the order
        width, height = frame.width & ~1, frame.height & ~1
        size_changed = self.writer is not None and (self.writer.width, self.writer.height) != (
            width, height)
        if (self.writer is None or size_changed
                or pts - self.segment_pts >= self.segment_ticks):
            self.close(pts)
            self._relax(wall)
            self.writer = EncodeWriter(new_part(self.work_dir), width, height, self.fps,
                                        LIGHTER[self.lighter][1])
            self.segment_pts = pts
            self.segment_wall = wall
        assert self.writer is not None
        self.writer.encode(frame, pts)
        self.last_pts = pts

    def close(self, end_pts: int | None) -> None:
        """Finish the open segment (if any); `end_pts` None: the run ends here (a drop, a
        stop, a skip to live), and what comes next starts a new one."""
        writer, self.writer = self.writer, None
        run, last_pts = self.run, self.last_pts
        if end_pts is None:
            self.run, self.last_pts = uuid.uuid4().hex[:12], None
        if writer is None:
            return
        if end_pts is None and last_pts is not None:
            end_pts = last_pts + round(ENCODE_TIME_BASE.denominator / (self.fps or 15))
        writer.close(end_pts)
        if not writer.frames:
            writer.path.unlink(missing_ok=True)
            return
        duration = ((end_pts or self.segment_pts) - self.segment_pts) / ENCODE_TIME_BASE.denominator
        media_start = self.segment_pts / ENCODE_TIME_BASE.denominator
        start = self.stamp(media_start) if self.stamp else self.segment_wall
        self.sink(ClosedSegment(
            path=writer.path, start=_utc(start), duration_s=duration,
            mode="encode", width=writer.width, height=writer.height, frames=writer.frames,
            run=run, media_start_s=media_start))
