"""Camera readers: turn a camera's stream into closed H.264 segments, one file at a time.

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

import errno
import io
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from http.client import HTTPMessage, HTTPResponse
from pathlib import Path
from typing import IO, Any, BinaryIO

import av
import av.error
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from bridge.capture import CaptureClock, LiveQueue, Queued, QueueEnded, Timing
from bridge.config import CameraConfig
from bridge.segment import Mode

logger = logging.getLogger(__name__)

FMP4_OPTIONS = {
    # fragmented MP4 that MSE can append: an empty moov, one fragment per keyframe, fragment
    # offsets from their own moof, and no mfra index at the end.
    "movflags": "frag_keyframe+empty_moov+default_base_moof+skip_trailer+frag_discont",
    # ... and at least every second, so the muxer never holds more than ~1 s of video even
    # when a camera sends keyframes rarely
    "frag_duration": "1000000",
    # keep the run's timeline in the file (tfdt) instead of restarting every file at 0
    "avoid_negative_ts": "disabled",
    "use_editlist": "0",
}
COPYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
ENCODE_TIME_BASE = Fraction(1, 90_000)
X264_OPTIONS = {"preset": "veryfast", "tune": "zerolatency", "crf": "23"}
LIGHTER = (  # a converted camera the box cannot keep up with: ever lighter encoding
    ("", X264_OPTIONS),
    ("converted with libx264's fastest preset to keep up", {**X264_OPTIONS, "preset": "ultrafast"}),
    ("converted at half the frame rate with libx264's fastest preset to keep up",
     {**X264_OPTIONS, "preset": "ultrafast"}),
)
LIGHTER_FOR_S = 120.0  # a lighter step is undone after this long without falling behind
MAX_TIMESTAMP_JUMP_S = 10.0  # a bigger jump between two packets means the camera's clock moved
NO_KEYFRAME_S = 30.0  # a stream with no keyframe this long cannot be cut: give up and reconnect
MAX_JPEG_BYTES = 16 * 1024 * 1024
USER_AGENT = "porchlight-bridge/0.1"


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


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ---------------------------------------------------------------- segment writers


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Report a failure to write the buffer (a full disk) as such, not as a camera problem."""
    try:
        yield
    except (av.error.FFmpegError, OSError) as error:
        message = getattr(error, "strerror", None) or str(error)
        raise SourceError(f"the buffer cannot be written in {path.parent} ({message})") from error


def _open_output(path: Path) -> OutputContainer:
    with _writing(path):
        return av.open(str(path), "w", format="mp4", options=FMP4_OPTIONS)


def _new_part(work_dir: Path) -> Path:
    path = work_dir / f"{uuid.uuid4().hex}.part"
    with _writing(path):
        work_dir.mkdir(parents=True, exist_ok=True)
    return path


class _CopyWriter:
    """One fMP4 segment of copied H.264 packets, on the run's timeline (stream ticks)."""

    def __init__(self, path: Path, template: VideoStream, origin: int) -> None:
        self.path = path
        self.output = _open_output(path)
        self.stream = self.output.add_stream_from_template(template)
        self.time_base = template.time_base or Fraction(1, 90_000)
        self.stream.time_base = self.time_base
        self.origin = origin
        self.frames = 0

    def write(self, packet: Packet) -> None:
        assert packet.pts is not None and packet.dts is not None
        packet.pts -= self.origin
        packet.dts -= self.origin
        packet.stream = self.stream
        with _writing(self.path):
            self.output.mux_one(packet)
        self.frames += 1

    def close(self) -> None:
        with _writing(self.path):
            self.output.close()


class _EncodeWriter:
    """One fMP4 segment encoded with its own libx264 (so it starts with a keyframe)."""

    def __init__(self, path: Path, width: int, height: int, fps: float | None,
                 options: dict[str, str] = X264_OPTIONS) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.output = _open_output(path)
        rate = Fraction(round(fps)) if fps and fps >= 1 else Fraction(15)
        self.stream = self.output.add_stream("libx264", rate=rate, options=options)
        self.stream.width = width
        self.stream.height = height
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = ENCODE_TIME_BASE
        self.stream.codec_context.time_base = ENCODE_TIME_BASE
        self.pending: Packet | None = None  # held back until the next picture gives its length
        self.frames = 0

    def encode(self, frame: VideoFrame, pts: int) -> None:
        picture = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        # A decoded JPEG comes marked as an I picture, and libx264 obeys that mark: left as it
        # is, every picture would become a keyframe (and the stream ten times bigger).
        picture.pict_type = PictureType.NONE
        picture.pts = pts
        picture.time_base = ENCODE_TIME_BASE
        for packet in self.stream.encode(picture):
            self._hold(packet)

    def _hold(self, packet: Packet) -> None:
        if self.pending is not None:
            if self.pending.dts is not None and packet.dts is not None:
                self.pending.duration = max(packet.dts - self.pending.dts, 1)
            self._mux(self.pending)
        self.pending = packet

    def _mux(self, packet: Packet) -> None:
        with _writing(self.path):
            self.output.mux_one(packet)
        self.frames += 1

    def close(self, end_pts: int | None) -> None:
        for packet in self.stream.encode(None):
            self._hold(packet)
        if self.pending is not None:
            if end_pts is not None and self.pending.dts is not None and end_pts > self.pending.dts:
                self.pending.duration = end_pts - self.pending.dts
            elif not self.pending.duration:
                self.pending.duration = ENCODE_TIME_BASE.denominator // 15
            self._mux(self.pending)
            self.pending = None
        with _writing(self.path):
            self.output.close()


# ---------------------------------------------------------------- segmenters


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
        self.writer: _CopyWriter | None = None
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
        self.writer = _CopyWriter(_new_part(self.work_dir), self.template, self.origin)
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
        self.writer: _EncodeWriter | None = None
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
            self.writer = _EncodeWriter(_new_part(self.work_dir), width, height, self.fps,
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


# ---------------------------------------------------------------- PyAV sources (RTSP, files)


def _plain_av_error(error: Exception, where: str) -> str:
    """A plain sentence for an FFmpeg error while opening or reading a camera."""
    if isinstance(error, av.error.HTTPUnauthorizedError):
        return f"{where} refused the user name or password (user and password in the config)"
    if isinstance(error, av.error.HTTPForbiddenError):
        return f"{where} refused access (forbidden)"
    if isinstance(error, av.error.HTTPNotFoundError | av.error.FileNotFoundError):
        return f"{where} has no stream at that path"
    if isinstance(error, av.error.ConnectionRefusedError):
        return f"nothing answers at {where} (connection refused; is the camera on?)"
    if isinstance(error, av.error.ExitError | av.error.TimeoutError | TimeoutError):
        return f"{where} did not answer in time"
    if isinstance(error, av.error.InvalidDataError):
        return f"{where} sends something that is not video the bridge can read"
    # (strerror: FFmpeg's message without the address it opened, which holds the password)
    message = getattr(error, "strerror", None) or type(error).__name__
    return f"{where} cannot be read: {message}"


def _open_pyav(camera: CameraConfig, options: ReaderOptions) -> InputContainer:
    where = f"the camera at {camera.safe_source}"
    if camera.kind == "file":
        where = f"the file {camera.file_path}"
        try:
            return av.open(str(camera.file_path), "r")
        except (av.error.FFmpegError, OSError) as error:
            raise SourceError(_plain_av_error(error, where)) from error
    failed: list[str] = []
    for transport in _transports(camera):
        ffmpeg_options = {
            "rtsp_transport": transport,
            "timeout": str(int(options.read_timeout_s * 1_000_000)),  # socket I/O, microseconds
            "max_delay": "500000",
        }
        if transport == "udp":
            ffmpeg_options["buffer_size"] = str(4 * 1024 * 1024)  # a 1080p keyframe's burst
        try:
            # (connect_url holds the password: FFmpeg's exceptions name the address they
            # opened, so they are never chained on; the reason is scrubbed of the password too)
            container = av.open(camera.connect_url, "r", options=ffmpeg_options,
                                timeout=(options.open_timeout_s, options.read_timeout_s))
        except (av.error.FFmpegError, OSError) as error:
            failed.append(camera.scrub(_plain_av_error(error, f"{where} over {transport.upper()}")))
            if getattr(error, "errno", None) == errno.EPROTONOSUPPORT:
                # the server refuses this transport: start with the other one next time (a
                # server may still be setting up after the refusal and fail the other at once)
                _PREFERRED[camera.id, camera.source] = "udp" if transport == "tcp" else "tcp"
            if not _other_transport_may_help(error):
                break
            continue
        _PREFERRED[camera.id, camera.source] = transport
        return container
    raise SourceError("; ".join(failed)) from None


# (camera id, address) → the RTSP transport to try first ("auto")
_PREFERRED: dict[tuple[str, str], str] = {}


def _transports(camera: CameraConfig) -> tuple[str, ...]:
    """RTSP transports to try, in order: the camera's `transport`, or for "auto" TCP (which
    loses no packets through home routers and Wi-Fi) then UDP, the one that worked last first."""
    if camera.transport in ("tcp", "udp"):
        return (camera.transport,)
    if _PREFERRED.get((camera.id, camera.source)) == "udp":
        return ("udp", "tcp")
    return ("tcp", "udp")


def _other_transport_may_help(error: Exception) -> bool:
    """A camera that is off, or refuses the password, or has no such stream, answers the
    same over either transport (RTSP's own connection is TCP either way)."""
    return not isinstance(error, av.error.ConnectionRefusedError | av.error.HTTPUnauthorizedError
                          | av.error.HTTPForbiddenError | av.error.HTTPNotFoundError
                          | av.error.FileNotFoundError)


def _video_stream(container: InputContainer, where: str) -> VideoStream:
    if not container.streams.video:
        raise SourceError(f"{where} sends no video")
    stream = container.streams.video[0]
    if not stream.codec_context.width:
        raise SourceError(f"{where} sends video the bridge cannot read (no picture size)")
    return stream


def _info_of(camera: CameraConfig, stream: VideoStream) -> SourceInfo:
    ctx = stream.codec_context
    pix_fmt = ctx.pix_fmt
    copy = stream.codec_context.name == "h264" and (pix_fmt is None
                                                    or pix_fmt in COPYABLE_PIX_FMTS)
    rate = stream.average_rate or stream.guessed_rate
    return SourceInfo(kind=camera.kind, codec=ctx.name, width=ctx.width, height=ctx.height,
                      fps=float(rate) if rate else None, mode="copy" if copy else "encode",
                      pix_fmt=pix_fmt)


class _Pacer:
    """Waits until a packet's time has come (file sources), or makes up arrival times."""

    def __init__(self, options: ReaderOptions, stop: threading.Event) -> None:
        self.options = options
        self.stop = stop
        self.mono0: float | None = None
        self.wall0 = 0.0

    def arrive(self, media_s: float, live: bool = False) -> float:
        """Wall-clock arrival (seconds) of something at `media_s` on the run's timeline.

        A live camera paces itself: its packets are stamped as they come."""
        if live:
            return self.options.clock()
        if self.mono0 is None:
            self.mono0 = time.monotonic() - media_s
            self.wall0 = self.options.clock() - media_s
        if not self.options.pace:
            return self.wall0 + media_s  # as fast as possible, stamped as if in real time
        delay = self.mono0 + media_s - time.monotonic()
        if delay > 0:
            self.stop.wait(delay)
        return self.options.clock()


class _PyAVReader:
    """Reads an RTSP camera or a file with PyAV, feeding the copy or encode segmenter.

    A live camera is read on a thread of its own (`_demux`), which only stamps each packet
    with its arrival and queues it; this thread works through the queue, skipping to live when
    it falls more than `max_behind_s` behind (bridge.capture).
    """

    def __init__(self, camera: CameraConfig, options: ReaderOptions, work_dir: Path,
                 sink: SegmentSink, stop: threading.Event, timing: Timing | None = None) -> None:
        self.camera = camera
        self.timing = timing or Timing()
        self.demuxer: threading.Thread | None = None
        self.options = options
        self.work_dir = work_dir
        self.sink = sink
        self.stop = stop
        self.is_file = camera.kind == "file"
        self.pacer = _Pacer(options, stop)
        self.shift = 0  # ticks added to every timestamp (a looping file continues its timeline)
        self.next_dts: int | None = None  # where the next loop's first packet goes
        self.copy: CopySegmenter | None = None
        self.encode: EncodeSegmenter | None = None
        self.origin: int | None = None

    def run(self, on_info: InfoSink | None) -> None:
        where = (f"the file {self.camera.file_path}" if self.is_file
                 else f"the camera at {self.camera.safe_source}")
        container = _open_pyav(self.camera, self.options)
        try:
            stream = _video_stream(container, where)
            info = _info_of(self.camera, stream)
            if on_info:
                on_info(info)
            if info.mode == "copy":
                self.copy = CopySegmenter(stream, self.options.segment_seconds, self.work_dir,
                                          self.sink, self.camera.id)
            else:
                stream.thread_type = "AUTO"
                self.encode = EncodeSegmenter(self.options.segment_seconds, self.work_dir,
                                              self.sink, self.camera.id, info.fps)
            if not self.is_file:
                self._read_live(container, stream, where)
                return
            while True:
                self._read_through(container, stream, where)
                if self.stop.is_set():
                    return
                if not self.camera.loop:
                    raise SourceEnded(f"{where} has reached its end")
                container.close()
                container = _open_pyav(self.camera, self.options)
                stream = _video_stream(container, where)
                if self.copy is not None:
                    self.copy.template = stream
                self.shift = 0
        finally:
            self._finish()
            if self.demuxer is None or not self.demuxer.is_alive():
                container.close()
            else:  # still inside FFmpeg (its read timeout ends it): closing now would crash
                logger.warning("Camera %s: its reading thread did not stop in time.",
                               self.camera.id)

    # ------------------------------------------------------------ live cameras

    def _read_live(self, container: InputContainer, stream: VideoStream, where: str) -> None:
        time_base = stream.time_base or Fraction(1, 90_000)
        capture = CaptureClock(time_base, lambda: container.start_time_realtime)
        queue: LiveQueue[Packet] = LiveQueue()
        halt = threading.Event()
        if self.copy is not None:
            self.copy.stamp = capture.at
        if self.encode is not None:
            self.encode.stamp = lambda media_s: capture.at(
                (self.origin or 0) + round(Fraction(media_s) / time_base))
        self.demuxer = threading.Thread(target=self._demux, name=f"camera-{self.camera.id}-read",
                                        args=(container, stream, capture, queue, halt),
                                        daemon=True)
        self.demuxer.start()
        skipped_from: float | None = None  # capture time of the first packet left out
        try:
            while not self.stop.is_set():
                try:
                    queued = queue.get(0.5)
                except QueueEnded as ended:
                    if self.stop.is_set():
                        return
                    raise SourceError(self._ended(ended, where)) from None
                if queued is None:
                    continue
                packet = queued.item
                ticks = packet.pts if packet.pts is not None else packet.dts
                if ticks is None:
                    continue
                now = self.options.clock()
                if now - queued.arrival > self.options.max_behind_s:
                    if skipped_from is None:
                        skipped_from = capture.at(ticks)
                    self._fall_back(stream, queue, now - queued.arrival)
                    continue
                if skipped_from is not None:
                    if not queued.keyframe:
                        continue  # nothing decodes before the next keyframe
                    self._skipped(skipped_from, capture.at(ticks))
                    skipped_from = None
                self._live_packet(queued, stream, time_base)
                self._note(capture, ticks)
        finally:
            halt.set()
            self.demuxer.join(self.options.read_timeout_s + 2)

    def _note(self, capture: CaptureClock, ticks: int) -> None:
        """For status pages: how pictures are timed, how far behind live this one was."""
        self.timing.behind_s = self.options.clock() - capture.at(ticks)
        self.timing.clock = "camera" if capture.uses_camera_clock else "arrival"
        self.timing.camera_offset_s = capture.camera_offset_s
        if self.encode is not None:
            self.timing.lighter = LIGHTER[self.encode.lighter][0]

    def _demux(self, container: InputContainer, stream: VideoStream, capture: CaptureClock,
               queue: LiveQueue[Packet], halt: threading.Event) -> None:
        """The reading thread: every packet, the moment it comes, stamped and queued."""
        error: BaseException | None = None
        try:
            for packet in container.demux(stream):
                if halt.is_set() or self.stop.is_set():
                    break
                if not packet.size:
                    continue
                arrival = self.options.clock()
                ticks = packet.pts if packet.pts is not None else packet.dts
                if ticks is not None:
                    capture.observe(ticks, arrival)
                queue.put(packet, arrival, packet.is_keyframe)
        except av.error.EOFError:
            pass
        except Exception as failure:  # handed to the camera's thread, which says it
            error = failure
        finally:
            queue.end(error)

    def _ended(self, ended: QueueEnded, where: str) -> str:
        error = ended.error
        if error is None:
            return f"{where} closed the stream"
        if isinstance(error, av.error.FFmpegError | OSError):
            return self.camera.scrub(_plain_av_error(error, where))
        return f"unexpected error while reading {where}: {type(error).__name__}"

    def _fall_back(self, stream: VideoStream, queue: LiveQueue[Packet], behind: float) -> None:
        """Too far behind live: close the piece being written, drop what waits before the
        newest keyframe, and (converting) encode lighter from now on."""
        logger.warning("Camera %s: %.1f s behind live (this box cannot %s it fast enough); "
                       "skipping to live video. The skipped time is marked as a gap.",
                       self.camera.id, behind, "convert" if self.encode else "store")
        self._finish()
        self.origin = None  # the next run's timeline starts at 0 again
        if self.encode is not None:
            stream.codec_context.flush_buffers()
            self.encode.lighten(self.options.clock())
        queue.skip_to_keyframe()

    def _skipped(self, start: float, end: float) -> None:
        seconds = max(end - start, 0.0)
        logger.info("Camera %s: live again after skipping %.1f s of video.", self.camera.id,
                    seconds)
        work = "converting" if self.encode else "storing"
        self.timing.skipped(seconds, f"the bridge fell behind {work} this camera and skipped "
                                     f"{seconds:.0f} s of its video to catch up with live")

    def _live_packet(self, queued: Queued[Packet], stream: VideoStream,
                     time_base: Fraction) -> None:
        packet = queued.item
        when = packet.dts if packet.dts is not None else packet.pts
        if when is None:
            return
        self._media_s(when, time_base)
        self._feed(packet, stream, time_base, queued.arrival)

    # ------------------------------------------------------------ files

    def _finish(self) -> None:
        if self.copy is not None:
            self.copy.close(None)
        if self.encode is not None:
            self.encode.close(None)

    def _read_through(self, container: InputContainer, stream: VideoStream, where: str) -> None:
        time_base = stream.time_base or Fraction(1, 90_000)
        first = True
        try:
            for packet in container.demux(stream):
                if self.stop.is_set():
                    return
                if not packet.size:
                    continue
                if first and self.next_dts is not None and packet.dts is not None:
                    self.shift = self.next_dts - packet.dts
                first = False
                self._move(packet)
                self._packet(packet, stream, time_base)
            if self.encode is not None:
                self._frames(stream.decode(None), time_base)
        except (av.error.FFmpegError, OSError) as error:
            if isinstance(error, av.error.EOFError):
                return
            reason = self.camera.scrub(_plain_av_error(error, where))
        else:
            return
        raise SourceError(reason)  # outside the except: FFmpeg's error (the address) not kept

    def _move(self, packet: Packet) -> None:
        if self.shift:
            if packet.pts is not None:
                packet.pts += self.shift
            if packet.dts is not None:
                packet.dts += self.shift
        if packet.dts is not None:
            self.next_dts = packet.dts + (packet.duration or 1)

    def _media_s(self, ticks: int, time_base: Fraction) -> float:
        if self.origin is None:
            self.origin = ticks
        return float((ticks - self.origin) * time_base)

    def _packet(self, packet: Packet, stream: VideoStream, time_base: Fraction) -> None:
        when = packet.dts if packet.dts is not None else packet.pts
        if when is None:
            return
        wall = self.pacer.arrive(self._media_s(when, time_base), live=not self.is_file)
        self._feed(packet, stream, time_base, wall)

    def _feed(self, packet: Packet, stream: VideoStream, time_base: Fraction,
              arrival: float) -> None:
        """One packet to the segmenter: copied as it is, or decoded for conversion."""
        if self.copy is not None:
            self.copy.feed(packet, arrival)
            return
        try:
            frames = stream.decode(packet)
        except av.error.InvalidDataError:
            logger.debug("Camera %s: a damaged picture was skipped.", self.camera.id)
            return
        self._frames(frames, time_base, arrival)

    def _frames(self, frames: list[VideoFrame], time_base: Fraction,
                wall: float | None = None) -> None:
        assert self.encode is not None
        for frame in frames:
            if frame.pts is None:
                continue
            media_s = self._media_s(frame.pts, time_base)
            arrival = wall if wall is not None else self.pacer.arrive(media_s,
                                                                      live=not self.is_file)
            self.encode.feed(frame, media_s, arrival)


# ---------------------------------------------------------------- MJPEG over HTTP


class _BasicAuth(urllib.request.HTTPBasicAuthHandler):
    """Answers a camera's Basic challenge; closes the refused answer first (urllib leaves its
    connection open)."""

    def http_error_401(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: HTTPMessage) -> Any:
        fp.close()
        return super().http_error_401(req, fp, code, msg, headers)


class _DigestAuth(urllib.request.HTTPDigestAuthHandler):
    """Answers a camera's Digest challenge; closes the refused answer first."""

    def http_error_401(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: HTTPMessage) -> Any:
        fp.close()
        return super().http_error_401(req, fp, code, msg, headers)


def _open_http(camera: CameraConfig, options: ReaderOptions) -> HTTPResponse:
    # The source holds no credentials (CameraConfig takes them out); they go to urllib as they
    # are, which answers the camera's Basic or Digest challenge with them.
    url = camera.source
    handlers: list[urllib.request.BaseHandler] = []
    if camera.user is not None or camera.password is not None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, camera.user or "", camera.password or "")
        handlers += [_BasicAuth(manager), _DigestAuth(manager)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    where = f"the camera at {camera.safe_source}"
    try:
        # (one timeout for connecting and for every read after)
        response = opener.open(request, timeout=options.read_timeout_s)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 401:
            raise SourceError(f"{where} refused the user name or password (user and password "
                              "in the config)") from None
        if error.code == 404:
            raise SourceError(f"{where} has no stream at that path (404)") from None
        raise SourceError(f"{where} answered with an error ({error.code} {error.reason})") from None
    except urllib.error.URLError as error:
        raise SourceError(_plain_socket_error(error.reason, where)) from None
    except OSError as error:
        raise SourceError(_plain_socket_error(error, where)) from None
    assert isinstance(response, HTTPResponse)
    return response


def _plain_socket_error(reason: object, where: str) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return f"nothing answers at {where} (connection refused; is the camera on?)"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"{where} did not answer in time"
    if isinstance(reason, socket.gaierror):
        return f"{where}: that name is not known on this network"
    return f"{where} cannot be reached ({reason})"


def _is_boundary(line: bytes, token: bytes) -> bool:
    stripped = line.strip()
    return stripped.startswith(b"--") and stripped.strip(b"-") == token


def multipart_parts(stream: BinaryIO, boundary: str | None,
                    limit: int = MAX_JPEG_BYTES) -> Iterator[bytes]:
    """The bodies of a multipart/x-mixed-replace stream, one at a time, until it ends.

    Lenient as cameras need: the boundary may be quoted, given with or without its leading
    "--" (several cameras differ between header and body), or missing from the header (then the
    first "--" line names it); a part may come with or without Content-Length.
    """
    token = boundary.strip('"').strip("-").encode() if boundary else None
    at_headers = False
    while True:
        if not at_headers:
            line = stream.readline(1024)
            if not line:
                return
            if token is None and line.startswith(b"--"):
                token = line.strip().strip(b"-")
            if token is None or not _is_boundary(line, token):
                continue
        length = _part_headers(stream)
        if length is None:
            return
        if length >= 0:
            if length > limit:
                raise SourceError(f"a picture from the camera is {length} bytes, more than "
                                  f"the {limit} the bridge accepts")
            data = stream.read(length)
            if len(data) < length:
                return
            at_headers = False
            yield data
            continue
        body, at_headers = _until_boundary(stream, token, limit)
        if body is None:
            return
        yield body


def _part_headers(stream: BinaryIO) -> int | None:
    """Read a part's headers; its Content-Length, -1 when it gives none, None at the end."""
    length = -1
    while True:
        line = stream.readline(4096)
        if not line:
            return None
        if not line.strip():
            return length
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = -1


def _until_boundary(stream: BinaryIO, token: bytes | None,
                    limit: int) -> tuple[bytes | None, bool]:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return None, False
        if token is not None and _is_boundary(line, token):
            body = b"".join(chunks)
            if body.endswith(b"\r\n"):
                body = body[:-2]
            elif body.endswith(b"\n"):
                body = body[:-1]
            return body, True
        chunks.append(line)
        total += len(line)
        if total > limit:
            raise SourceError(f"a picture from the camera is larger than the {limit} bytes the "
                              "bridge accepts; is this an MJPEG stream?")


class _MjpegReader:
    """Reads MJPEG over HTTP, encoding it to H.264 segments. The stream is judged by what it
    holds, not by its Content-Type: multipart parts (multipart/x-mixed-replace, and ffmpeg's
    own server, which sends them as application/octet-stream) or bare JPEGs one after another
    (see _pictures)."""

    def __init__(self, camera: CameraConfig, options: ReaderOptions, work_dir: Path,
                 sink: SegmentSink, stop: threading.Event, timing: Timing | None = None) -> None:
        self.camera = camera
        self.options = options
        self.work_dir = work_dir
        self.sink = sink
        self.stop = stop
        self.timing = timing or Timing()

    def run(self, on_info: InfoSink | None) -> None:
        where = f"the camera at {self.camera.safe_source}"
        response = _open_http(self.camera, self.options)
        segmenter: EncodeSegmenter | None = None
        try:
            pictures = _pictures(response, where)
            decoder = av.CodecContext.create("mjpeg", "r")
            assert isinstance(decoder, VideoCodecContext)
            mono0: float | None = None

            def close() -> None:  # skipping to live: the piece being written ends here
                if segmenter is not None:
                    segmenter.close(None)

            for jpeg, now in _read_ahead(pictures, self.options, self.stop, self.timing,
                                         self.camera.id, close):
                if self.stop.is_set():
                    return
                frame = _decode_jpeg(decoder, jpeg, self.camera.id)
                if frame is None:
                    continue
                if mono0 is None:
                    mono0 = now
                    if on_info:
                        on_info(SourceInfo(kind="mjpeg", codec="mjpeg", width=frame.width,
                                           height=frame.height, fps=None, mode="encode",
                                           pix_fmt=frame.format.name))
                    segmenter = EncodeSegmenter(self.options.segment_seconds, self.work_dir,
                                                self.sink, self.camera.id, None)
                assert segmenter is not None
                segmenter.feed(frame, now - mono0, now)
        except TimeoutError:
            raise SourceError(f"{where} stopped sending pictures for "
                              f"{self.options.read_timeout_s:g} s") from None
        except OSError as error:
            raise SourceError(f"{where} dropped the connection ({error})") from None
        finally:
            if segmenter is not None:
                segmenter.close(None)
            response.close()
        if not self.stop.is_set():
            raise SourceError(f"{where} closed the stream")


def _read_ahead(pictures: Iterator[bytes], options: ReaderOptions, stop: threading.Event,
                timing: Timing, camera: str, close: Callable[[], None]
                ) -> Iterator[tuple[bytes, float]]:
    """Each JPEG with when it arrived, read on a thread of its own as it comes (an MJPEG
    camera's capture time is its arrival), so a slow conversion cannot make pictures look
    newer than they are; more than `max_behind_s` behind, skip to the newest (calling `close`
    first) and tell `timing`. The reading thread's error is raised here."""
    queue: LiveQueue[bytes] = LiveQueue()
    halt = threading.Event()

    def read() -> None:
        error: BaseException | None = None
        try:
            for jpeg in pictures:
                if halt.is_set() or stop.is_set():
                    break
                queue.put(jpeg, options.clock(), True)
        except Exception as failure:  # raised again on the camera's thread
            error = failure
        finally:
            queue.end(error)

    threading.Thread(target=read, name=f"camera-{camera}-read", daemon=True).start()
    skipped_from: float | None = None
    try:
        while not stop.is_set():
            try:
                queued = queue.get(0.5)
            except QueueEnded as ended:
                if ended.error is not None:
                    raise ended.error from None
                return
            if queued is None:
                continue
            now = options.clock()
            if now - queued.arrival > options.max_behind_s:
                if skipped_from is None:
                    logger.warning("Camera %s: %.1f s behind live (this box cannot convert it "
                                   "fast enough); skipping to live video. The skipped time is "
                                   "marked as a gap.", camera, now - queued.arrival)
                    skipped_from = queued.arrival
                    close()
                queue.skip_to_keyframe()  # every JPEG is one: all but the newest go
                continue
            if skipped_from is not None:
                seconds = queued.arrival - skipped_from
                timing.skipped(seconds, "the bridge fell behind converting this camera and "
                                        f"skipped {seconds:.0f} s of its video to catch up "
                                        "with live")
                skipped_from = None
            timing.clock, timing.behind_s = "arrival", now - queued.arrival
            yield queued.item, queued.arrival
    finally:
        halt.set()


SNIFF_BYTES = 8192  # enough of the body to tell multipart parts or JPEGs from anything else
JPEG_START = b"\xff\xd8\xff"
PART_START = re.compile(rb"(?:^|\n)--[^\r\n]{1,200}\r?\n(?:[!-9;-~]+:[^\r\n]*\r?\n)*"
                        rb"\r?\n\xff\xd8")


def _pictures(response: HTTPResponse, where: str) -> Iterator[bytes]:
    """The JPEG pictures of an HTTP answer, however its Content-Type names it.

    A multipart type with a boundary is taken at its word. Anything else is judged by the
    first bytes of the body: a multipart part ("--boundary", headers, a JPEG) or a JPEG's start
    marker. ffmpeg's own HTTP server sends its multipart stream as application/octet-stream,
    and some cameras send bare JPEGs back to back. A single picture (an image/* answer of a
    known length) and anything else (a web page, a login form) are refused in plain words."""
    kind = response.headers.get_content_type()
    boundary = response.headers.get_param("boundary")
    if kind.startswith("multipart/") and isinstance(boundary, str):
        return multipart_parts(response, boundary)
    if kind.startswith("image/") and response.headers.get("Content-Length"):
        raise SourceError(f"{where} gives a single picture ({kind}), not a video stream; use "
                          "the camera's MJPEG stream address (often .../video.mjpg or "
                          "/mjpg/video.mjpg)")
    head = _sniff(response)
    body = io.BufferedReader(_Rejoined(head, response), buffer_size=64 * 1024)
    if head.lstrip().startswith(JPEG_START):
        return jpeg_pictures(body)
    if PART_START.search(head):
        return multipart_parts(body, None)
    raise SourceError(f"{where} does not send an MJPEG stream (it sends {kind}"
                      f"{', and no JPEG pictures' if kind != 'text/html' else ''}); use the "
                      "camera's MJPEG address, or its rtsp:// address")


def _sniff(response: HTTPResponse) -> bytes:
    """The first bytes of the body: up to SNIFF_BYTES, fewer once they tell what it is."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = response.read1(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
        if head.lstrip().startswith(JPEG_START) or PART_START.search(head):
            break
    return head


class _Rejoined(io.RawIOBase):
    """The sniffed head of a body, then the rest of it."""

    def __init__(self, head: bytes, rest: HTTPResponse) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            size = min(len(view), len(self.head))
            view[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read1(len(view))
        view[:len(data)] = data
        return len(data)


def jpeg_pictures(stream: io.BufferedIOBase, limit: int = MAX_JPEG_BYTES) -> Iterator[bytes]:
    """JPEG pictures sent one after another with nothing around them (ffmpeg -f mjpeg, some
    cameras), each from its start marker to its end marker. The segments before the picture
    data are walked by their lengths (an embedded thumbnail holds end markers of its own);
    inside the picture data an end marker cannot occur by chance (FF is always escaped).
    Bytes between pictures are skipped; a picture cut off at the end is left out."""
    buffer = bytearray()
    while True:
        start = buffer.find(JPEG_START)
        while start < 0:
            del buffer[:max(len(buffer) - 2, 0)]  # (a start marker may straddle two reads)
            chunk = stream.read1(64 * 1024)
            if not chunk:
                return
            buffer += chunk
            start = buffer.find(JPEG_START)
        del buffer[:start]
        end = _jpeg_end(buffer)
        while end is None:
            if len(buffer) > limit:
                raise SourceError(f"a picture from the camera is larger than the {limit} bytes "
                                  "the bridge accepts; is this an MJPEG stream?")
            chunk = stream.read1(64 * 1024)
            if not chunk:
                return
            buffer += chunk
            end = _jpeg_end(buffer)
        if end < 0:  # damaged: look for the next picture
            del buffer[:2]
            continue
        yield bytes(buffer[:end])
        del buffer[:end]


def _jpeg_end(data: bytearray) -> int | None:
    """Where the JPEG starting at data[0] ends (after its end marker); None: more bytes are
    needed; -1: it is damaged."""
    at = 2
    while True:
        if at + 4 > len(data):
            return None
        if data[at] != 0xFF:
            return -1
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0xD9:
            return at + 2
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            at += 2
        elif marker == 0xDA:  # start of scan: the picture data runs to the end marker
            end = data.find(b"\xff\xd9", at + 2 + int.from_bytes(data[at + 2:at + 4], "big"))
            return None if end < 0 else end + 2
        else:
            at += 2 + int.from_bytes(data[at + 2:at + 4], "big")


def _decode_jpeg(decoder: VideoCodecContext, jpeg: bytes, camera: str) -> VideoFrame | None:
    try:
        frames = decoder.decode(Packet(jpeg))
    except (av.error.FFmpegError, ValueError):
        logger.debug("Camera %s: a damaged picture was skipped.", camera)
        return None
    return frames[0] if frames else None


# ---------------------------------------------------------------- entry points


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
        _MjpegReader(camera, options, work_dir, sink, stop, timing).run(on_info)
    else:
        _PyAVReader(camera, options, work_dir, sink, stop, timing).run(on_info)


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
