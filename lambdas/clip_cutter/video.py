"""The clip worker's video layer: check an owner's upload, cut the asked window, draw pictures.

Pure functions on local files (no AWS): the Lambda handler downloads the upload, calls these, and
uploads what they write.

Which library does what, and why:

- PyAV (FFmpeg's libraries) reads containers and packets. probe() uses it because it names the
  container and codec exactly as FFmpeg does, gives the video stream's own duration and start
  time and packet timestamps (for variable frame rate), and sees audio streams; OpenCV's reader
  gives none of these reliably. cut() uses it for the packet-level stream copy (OpenCV cannot
  copy packets) and for the decode side of a re-encode, where each frame keeps its own
  timestamp, so variable-frame-rate input keeps its timing.
- PyAV writes every clip: the OpenCV wheel has no H.264 encoder (its mp4v output does not play
  in browsers). Clips are H.264 in MP4, yuv420p, `movflags=+faststart`, video only.
- OpenCV reads and inspects decoded clip frames for people to look at: poster() and
  contact_sheet() seek, scale, draw the time on tiles and encode JPEG.

Times: a window is given in the source file's own seconds, counted from its first video frame
(ProbeResult.start_s is that frame's timestamp in the container, often 0). window_in_file()
turns a real-time window and the owner's stated recorder clock offset into those seconds.

Containers differ in what their timestamps mean, and cut() allows for it:
- MP4/MOV apply their edit lists when read: B-frame delay shows as negative decode times, and
  pictures that a trimmed phone video hides come marked "discard"; a copy that would show
  them again is re-encoded instead (the decoder drops them).
- AVI keeps no presentation times (FFmpeg reports them one frame late); its decode times are
  used, and H.264 with B-frames in AVI is re-encoded, since putting its pictures in display
  order needs the decoder.
- MPEG-TS seeks by bisecting bytes and can land after the asked time: every seek is checked
  against the keyframe it reached, and backs off until that keyframe is early enough.

Memory stays bounded: packets and frames are streamed one at a time; the stream copy holds back
at most the few packets of one B-frame group, the re-encode one decoded frame plus the
encoder's own look-ahead.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import logging
import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import av.error
import cv2
import numpy as np
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

EMPTY = "The file is empty."
NOT_VIDEO = ("This file is not a video we can read. Export it again from the recorder as MP4, "
             "MOV, AVI or MKV.")
STILL_PICTURE = ("This file is a still picture, not a video. Export the video from the recorder "
                 "as MP4, MOV, AVI or MKV.")
NO_PICTURES = ("This file has sound but no pictures. Export the video from the recorder as MP4, "
               "MOV, AVI or MKV.")
CUT_OFF = "The file seems cut off part-way: upload it again."
DAMAGED = ("The pictures in this file cannot be read, so it may be damaged. Export it again from "
           "the recorder and upload the new file.")

MAX_PIXELS = 7680 * 4320  # 8K: larger pictures are not a camera's, and one would need GBs
MAX_DURATION_S = 6 * 3600  # a request asks for minutes; hours of video are not an answer
TOO_LARGE = ("The pictures in this file are {width}×{height}, larger than any camera makes. "
             "Export the video again at the recorder's normal size.")
TOO_LONG = ("This file is {hours:.0f} hours long. Export only the asked time (with a few minutes "
            "either side) and upload that.")
TOO_SLOW = ("This file takes too long to read, so it is probably much longer or larger than "
            "it says. Export only the asked time (with a few minutes either side) and upload "
            "that.")
CLIP_CODEC = "h264"
CLIP_PIX_FMT = "yuv420p"
X264_PRESET = "veryfast"
X264_CRF = "23"
# H.264 pixel formats that browsers play as they are (yuvj420p is yuv420p at full range).
COPYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
# Demuxers that read single pictures: a photo renamed .mp4 opens as a one-frame "video".
PICTURE_DEMUXERS = re.compile(r"^(image2|.*_pipe)$")
FIRST_FRAME_PACKETS = 300  # packets read to find the first picture before calling it damaged
TIMING_PACKETS = 300  # packets whose timestamps tell whether the frame rate varies
VFR_SPREAD = 0.10  # frame gaps varying by more than this share of the usual gap: variable
KEYFRAME_SEEK_TRIES = 8
# Demuxers without an index, which seek by bisecting the bytes and may land late.
BYTE_SEEKERS = frozenset({"mpegts", "mpeg"})
CHUNK = 1024 * 1024
TILE_WIDTH = 320


class UnusableVideo(Exception):
    """A file we cannot make a clip from.

    `reason` is one plain-English sentence for the camera owner, with no jargon.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WindowOutside(UnusableVideo):
    """The asked window does not overlap the video at all."""

    def __init__(self, reason: str, file_duration_s: float) -> None:
        super().__init__(reason)
        self.file_duration_s = file_duration_s


@dataclass(frozen=True)
class ProbeResult:
    container: str  # FFmpeg's demuxer name: "mov,mp4,m4a,3gp,3g2,mj2", "avi", "matroska,webm"
    codec: str  # the video codec as FFmpeg names it: "h264", "mjpeg", "hevc", ...
    width: int
    height: int
    fps: float  # average frame rate
    duration_s: float  # of the video stream, seconds
    start_s: float  # the first video frame's time in seconds (often 0)
    frames: int | None  # when the container says
    size_bytes: int
    variable_frame_rate: bool
    has_audio: bool


@dataclass(frozen=True)
class CutResult:
    method: str  # "stream_copy" or "reencode"
    start_s: float  # where the clip really starts, in the source's seconds (from its first frame)
    end_s: float  # where it really ends, in the source's seconds
    duration_s: float  # of the written clip
    frames: int
    codec: str  # always "h264"
    width: int
    height: int
    fps: float  # average over the clip
    truncated: bool  # the window ran past the end of the file; the clip stops at the file's end


# ---------------------------------------------------------------- times


def window_in_file(asked_start: datetime, asked_end: datetime, file_starts_at: datetime,
                   offset_s: float) -> tuple[float, float]:
    """Seconds into the file (from its first frame) of a window asked in real time.

    Sign convention: `offset_s` is how far the recorder's clock runs AHEAD of real time, so
    recorder time = real time + offset_s. An owner who says "the recorder shows 20:37 when it is
    really 20:00" gives offset_s = +2220; a recorder that is behind gives a negative offset.
    `file_starts_at` is the recorder's time (as the recorder shows it, for example in the file
    name or the burnt-in clock) of the file's first frame; `asked_start` and `asked_end` are real
    times. All three datetimes must be alike: all naive or all timezone-aware.

    The result may be negative or past the file's end; cut() decides what that means.
    """
    start = (asked_start - file_starts_at).total_seconds() + offset_s
    end = (asked_end - file_starts_at).total_seconds() + offset_s
    return start, end


def _ticks(seconds: float, time_base: Fraction) -> Fraction:
    return Fraction(seconds) / time_base


def _seconds(ticks: int | Fraction, time_base: Fraction) -> float:
    return float(ticks * time_base)


def _mmss(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"


# ---------------------------------------------------------------- files


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `at`: (value, length), None if unreadable.

    A size whose value bits are all ones means "unknown" and is returned as -1.
    """
    if at >= len(data) or data[at] == 0:
        return None
    first = data[at]
    length = 8 - first.bit_length() + 1
    if at + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[at + 1:at + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def _matroska_cut_off(head: bytes, size: int) -> bool:
    """True when the Segment says it is longer than the file (EBML header, then Segment)."""
    ebml_id = _vint(head, 0, True)
    ebml_size = _vint(head, 4, False) if ebml_id else None
    if not ebml_size or ebml_size[0] < 0:
        return False
    at = 4 + ebml_size[1] + ebml_size[0]
    segment_id = _vint(head, at, True)
    if not segment_id or segment_id[0] != 0x18538067:
        return False
    segment_size = _vint(head, at + segment_id[1], False)
    if not segment_size or segment_size[0] < 0:  # unknown size: a live recording
        return False
    return at + segment_id[1] + segment_size[1] + segment_size[0] > size


def _mp4_cut_off(handle: BinaryIO, size: int) -> bool:
    """True when an MP4/MOV's top-level boxes run past the file's end or its moov is missing."""
    offset = 0
    seen_moov = False
    while offset + 8 <= size:
        handle.seek(offset)
        head = handle.read(16)
        box_size = int.from_bytes(head[0:4], "big")
        kind = head[4:8]
        if box_size == 1:
            if len(head) < 16:
                return True
            box_size = int.from_bytes(head[8:16], "big")
        elif box_size == 0:  # the last box runs to the end of the file
            box_size = size - offset
        if box_size < 8:
            return False  # not a box structure we understand: let FFmpeg judge
        seen_moov = seen_moov or kind == b"moov"
        if offset + box_size > size:
            return True
        offset += box_size
    return not seen_moov  # (a few stray bytes after the last box are not a cut)


def _cut_off(path: PathLike, size: int) -> bool:
    """Whether the container's own sizes say the file ends early (MP4/MOV, AVI, Matroska)."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head[4:8] == b"ftyp":
            return _mp4_cut_off(handle, size)
        if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
            return 8 + int.from_bytes(head[4:8], "little") > size
        if head[:4] == b"\x1a\x45\xdf\xa3":
            return _matroska_cut_off(head, size)
    return False


def _known_container(path: PathLike) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
            or head[:4] == b"\x1a\x45\xdf\xa3")


# ---------------------------------------------------------------- probe


def _open(path: PathLike) -> InputContainer:
    try:
        return av.open(os.fspath(path), "r")
    except av.error.FFmpegError as error:
        logger.info("FFmpeg cannot open %s: %s", path, error)
        raise UnusableVideo(DAMAGED if _known_container(path) else NOT_VIDEO) from error


def _video_stream(container: InputContainer) -> VideoStream:
    """The first real video stream (not cover art); UnusableVideo when there is none."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    if PICTURE_DEMUXERS.match(container.format.name):
        raise UnusableVideo(STILL_PICTURE)
    if container.streams.audio:  # sound, perhaps with cover art
        raise UnusableVideo(NO_PICTURES)
    raise UnusableVideo(STILL_PICTURE if container.streams.video else NOT_VIDEO)


_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def time_box(seconds: float) -> Iterator[None]:
    """Inside, every read of a file's packets stops with UnusableVideo(TOO_SLOW) once `seconds`
    have passed: a file whose headers lie about its size or length cannot keep the worker busy
    until Lambda kills it (which would leave the owner with no reason)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _real_packets(container: InputContainer, stream: VideoStream) -> Iterator[Packet]:
    """The stream's packets, without the empty one PyAV sends at the end.

    In AVI, which keeps no presentation times, each packet's time is its decode time (see
    _decode_order_times); FFmpeg's AVI demuxer reports a pts one frame later than that.
    """
    decode_order = _decode_order_times(container)
    deadline = _deadline.get()
    for packet in container.demux(stream):
        if deadline is not None and time.monotonic() > deadline:
            raise UnusableVideo(TOO_SLOW)
        if packet.size:
            if decode_order and packet.dts is not None:
                packet.pts = packet.dts
            yield packet


def _first_pass(container: InputContainer, stream: VideoStream) -> bool:
    """Read the file from its start: whether the frame rate varies.

    Decodes until one picture comes out (UnusableVideo(DAMAGED) when none does within
    FIRST_FRAME_PACKETS packets) and keeps the presentation times of the first TIMING_PACKETS
    packets. It reads on from where the file was opened, without seeking: some demuxers
    (MPEG-TS) land after the asked place when they seek.
    """
    times: list[int] = []
    pictured = False
    try:
        for count, packet in enumerate(_real_packets(container, stream)):
            if packet.pts is not None and not packet.is_discard:
                times.append(packet.pts)
            pictured = pictured or bool(packet.decode())
            if len(times) >= TIMING_PACKETS and pictured:
                break
            if count >= FIRST_FRAME_PACKETS and not pictured:
                break
        pictured = pictured or bool(stream.decode(None))
    except av.error.FFmpegError as error:
        raise UnusableVideo(DAMAGED) from error
    if not pictured:
        raise UnusableVideo(DAMAGED)
    return _gaps_vary(times)


def _gaps_vary(times: list[int]) -> bool:
    """Whether the gaps between presentation times vary by more than VFR_SPREAD."""
    ordered = sorted(times)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a]
    if len(gaps) < 3:
        return False
    usual = sorted(gaps)[len(gaps) // 2]
    return max(gaps) - min(gaps) > max(2, VFR_SPREAD * usual)


def _origin(stream: VideoStream) -> int:
    return stream.start_time if stream.start_time is not None else 0


def _duration_s(container: InputContainer, stream: VideoStream) -> float:
    time_base = stream.time_base or Fraction(1, 1000)
    if stream.duration:
        return _seconds(stream.duration, time_base)
    if container.duration:  # Matroska and others keep only the container's duration
        container_start = (container.start_time or 0) / av.time_base
        return container.duration / av.time_base + container_start - _seconds(
            _origin(stream), time_base)
    return 0.0


def _frame_rate(stream: VideoStream, frames: int | None, duration_s: float) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return frames / duration_s if frames and duration_s else 0.0


def probe(path: PathLike) -> ProbeResult:
    """Describe a video file; raise UnusableVideo when no clip can be made from it.

    Refused: an empty file, a file that is not a video (random bytes, a still picture, sound
    only), a file cut off part-way (the container's own sizes say it should be longer), a
    file whose first picture cannot be decoded, pictures larger than 8K (refused before any is
    decoded) and a file longer than six hours.
    """
    size = os.stat(path).st_size
    if size == 0:
        raise UnusableVideo(EMPTY)
    if _cut_off(path, size):
        raise UnusableVideo(CUT_OFF)
    with _open(path) as container:
        stream = _video_stream(container)
        if PICTURE_DEMUXERS.match(container.format.name):
            raise UnusableVideo(STILL_PICTURE)
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > MAX_PIXELS:  # before a single picture is decoded
            raise UnusableVideo(TOO_LARGE.format(width=width, height=height))
        variable = _first_pass(container, stream)
        time_base = stream.time_base or Fraction(1, 1000)
        duration_s = _duration_s(container, stream)
        frames = stream.frames or None
        if duration_s <= 0:
            raise UnusableVideo(DAMAGED)
        if duration_s > MAX_DURATION_S:
            raise UnusableVideo(TOO_LONG.format(hours=duration_s / 3600))
        return ProbeResult(
            container=container.format.name,
            codec=stream.codec_context.name,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=_frame_rate(stream, frames, duration_s),
            duration_s=duration_s,
            start_s=_seconds(_origin(stream), time_base),
            frames=frames,
            size_bytes=size,
            variable_frame_rate=variable,
            has_audio=bool(container.streams.audio),
        )


# ---------------------------------------------------------------- cut


@dataclass
class _Window:
    """The asked window in the source's ticks (time_base units, absolute timestamps)."""

    start: Fraction
    end: Fraction
    truncated: bool


def _first_keyframe(packets: Iterator[Packet]) -> Packet:
    keyframe = next((p for p in packets if p.is_keyframe and p.pts is not None), None)
    if keyframe is None:
        raise UnusableVideo(DAMAGED)
    return keyframe


def _keyframe_at_or_before(container: InputContainer, stream: VideoStream,
                           target: Fraction) -> tuple[Packet, Iterator[Packet]]:
    """The keyframe packet at or before `target` (or the first one) and the packets after it.

    Demuxers seek by their own means (MP4 by its index of decode times, MPEG-TS by bisecting
    the bytes), so the keyframe landed on is checked; when its picture comes after `target`,
    the seek goes back one second, then two, four, ... At the stream's start, a demuxer that
    still lands late (MPEG-TS) is sent to the file's first byte.
    """
    origin = _origin(stream)
    seek_to = max(math.floor(target), origin)
    back = max(round(1 / stream.time_base), 1) if stream.time_base else 1000
    for _ in range(KEYFRAME_SEEK_TRIES):
        container.seek(seek_to, stream=stream, backward=True, any_frame=False)
        packets = _real_packets(container, stream)
        keyframe = _first_keyframe(packets)
        assert keyframe.pts is not None
        if keyframe.pts <= target:
            return keyframe, packets
        if seek_to <= origin:
            return _from_first_byte(container, stream, keyframe, packets)
        seek_to = max(seek_to - back, origin)
        back *= 2
    raise UnusableVideo(DAMAGED)


def _from_first_byte(container: InputContainer, stream: VideoStream, keyframe: Packet,
                     packets: Iterator[Packet]) -> tuple[Packet, Iterator[Packet]]:
    """The first keyframe read from byte 0, or the given one where byte seeks are refused."""
    if container.format.name not in BYTE_SEEKERS:
        return keyframe, packets  # formats with an index: their timestamp seek was exact
    try:
        container.seek(0, unsupported_byte_offset=True)
    except (av.error.FFmpegError, OSError):
        return keyframe, packets
    packets = _real_packets(container, stream)
    return _first_keyframe(packets), packets


class _Remux:
    """Writes copied packets with timestamps moved so that the keyframe is at 0."""

    def __init__(self, output: OutputContainer, stream: VideoStream, keyframe: Packet,
                 step: int) -> None:
        assert keyframe.pts is not None
        self.output = output
        self.stream = stream
        self.shift = keyframe.pts
        self.step = step  # a frame's duration, for packets that do not say theirs
        self.frames = 0
        self.first_pts = self.max_pts = self.end_pts = keyframe.pts  # in the source's ticks
        self.write(keyframe)

    def write(self, packet: Packet) -> None:
        assert packet.pts is not None
        if packet.is_discard:  # a picture the source's edit list hides: keep it hidden
            raise _NeedsReencode
        self.first_pts = min(self.first_pts, packet.pts)
        self.max_pts = max(self.max_pts, packet.pts)
        self.end_pts = max(self.end_pts, packet.pts + (packet.duration or self.step))
        packet.pts -= self.shift
        if packet.dts is not None:
            packet.dts -= self.shift
        packet.stream = self.stream
        self.output.mux_one(packet)
        self.frames += 1


def _stream_copy(source: InputContainer, output: OutputContainer, window: _Window) -> _Remux:
    """Copy packets from the keyframe at or before the start until every picture before the end
    is in, keeping the original pixels.

    Packets come in decode order. Pictures shown after the window's end are kept when a
    picture inside it needs them (the next P-frame after a trailing B-frame) and so are the
    B-frames between, so that the clip has no hole: it may run up to one B-frame group past the
    end. Pictures before the keyframe that follow it in decode order (open GOP) are dropped.
    Raises _NeedsReencode for packets without timestamps or hidden by an edit list.
    """
    stream = _video_stream(source)
    keyframe, packets = _keyframe_at_or_before(source, stream, window.start)
    assert keyframe.pts is not None
    target = output.add_stream_from_template(stream)
    target.time_base = stream.time_base
    remux = _Remux(output, target, keyframe, _frame_step(stream))
    pending: list[Packet] = []  # shown at or after the end: kept only if a later one needs them
    for packet in packets:
        if packet.pts is None:
            raise _NeedsReencode
        if packet.pts < keyframe.pts:
            continue
        if packet.dts is not None and packet.dts >= window.end and packet.pts >= remux.max_pts:
            break
        if packet.pts < window.end:
            for held in pending:
                remux.write(held)
            pending.clear()
            remux.write(packet)
        else:
            pending.append(packet)
    for held in pending:  # B-frames between the last wanted picture and the P-frame after it
        assert held.pts is not None
        if held.pts < remux.max_pts:
            remux.write(held)
    return remux


class _NeedsReencode(Exception):
    """Copying cannot give this window: re-encode instead.

    Raised when a packet has no timestamp, or when the copy would include pictures that the
    source's edit list hides (a phone video trimmed in its editor keeps the pictures before the
    cut point in the file; copying from the keyframe before it would show them again, so the
    decoder, which drops them, makes the clip instead).
    """


def _even(value: int) -> int:
    return max(value - value % 2, 2)


class _Encoder:
    """libx264 into the output, frames timed in the source's time base from the clip's start."""

    def __init__(self, output: OutputContainer, source: VideoStream, threads: int | None) -> None:
        self.output = output
        self.time_base = source.time_base or Fraction(1, 1000)
        rate = source.average_rate or source.guessed_rate or Fraction(30)
        self.stream = output.add_stream("libx264", rate=rate,
                                        options={"preset": X264_PRESET, "crf": X264_CRF})
        self.stream.width = _even(source.codec_context.width)
        self.stream.height = _even(source.codec_context.height)
        self.stream.pix_fmt = CLIP_PIX_FMT
        self.stream.codec_context.time_base = self.time_base
        self.stream.time_base = self.time_base
        # 0 lets x264 choose (about 1.5 threads per core); FFmpeg's own default would be 1.
        self.stream.codec_context.thread_count = 0 if threads is None else threads
        self.frames = 0
        self.first_pts: int | None = None
        self.end_pts = 0
        self.step = _frame_step(source)

    def write(self, frame: VideoFrame) -> None:
        assert frame.pts is not None
        if self.first_pts is None:
            self.first_pts = frame.pts
            if frame.rotation:
                self.stream.set_display_rotation(frame.rotation)
        pts = frame.pts
        duration = frame.duration or self.step
        picture = frame.reformat(width=self.stream.width, height=self.stream.height,
                                 format=CLIP_PIX_FMT)
        picture.pts = pts - self.first_pts
        picture.time_base = self.time_base
        picture.duration = duration
        self.output.mux(self.stream.encode(picture))
        self.frames += 1
        self.end_pts = max(self.end_pts, pts + duration)

    def close(self) -> None:
        self.output.mux(self.stream.encode(None))


def _frame_step(stream: VideoStream) -> int:
    """One frame's duration in the stream's ticks, from its average rate (at least 1)."""
    rate = stream.average_rate or stream.guessed_rate or Fraction(30)
    return max(round(1 / (rate * stream.time_base)), 1) if stream.time_base else 1


def _pictures(keyframe: Packet, packets: Iterator[Packet], stream: VideoStream,
              decode_order: bool) -> Iterator[VideoFrame]:
    """Decoded pictures from the keyframe on; a packet the decoder refuses is skipped (logged).

    With `decode_order` (AVI) the container's timestamps count frames in decode order, which
    B-frames shuffle on display; since each decode slot is also one display slot, each picture
    that comes out takes the earliest decode time not yet taken.
    """
    slots: list[int] = []

    def timed(frames: list[VideoFrame]) -> Iterator[VideoFrame]:
        for frame in frames:
            if decode_order and slots:
                frame.pts = heapq.heappop(slots)
            yield frame

    try:
        for packet in itertools.chain([keyframe], packets):
            if decode_order and packet.dts is not None:
                heapq.heappush(slots, packet.dts)
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                logger.warning("skipped an undecodable packet at pts %s", packet.pts)
                continue
            yield from timed(frames)
        yield from timed(stream.decode(None))
    except av.error.FFmpegError as error:
        raise UnusableVideo(DAMAGED) from error


def _decoded(source: InputContainer, stream: VideoStream, start: Fraction,
             threads: int | None) -> Iterator[VideoFrame]:
    """Frames from the keyframe at or before `start`, in presentation order, with timestamps."""
    stream.codec_context.thread_type = "AUTO"
    stream.codec_context.thread_count = 0 if threads is None else threads
    keyframe, packets = _keyframe_at_or_before(source, stream, start)
    first_pts = keyframe.pts if keyframe.pts is not None else _origin(stream)
    step = _frame_step(stream)
    last_pts: int | None = None
    for frame in _pictures(keyframe, packets, stream, _decode_order_times(source)):
        pts = frame.pts
        if pts is None:  # decoders of some old formats do not say: count on from the last
            pts = first_pts if last_pts is None else last_pts + step
        if last_pts is not None and pts <= last_pts:
            continue  # a repeated or out-of-order timestamp: that moment is already out
        frame.pts = last_pts = pts
        yield frame


def _decode_order_times(container: InputContainer) -> bool:
    """AVI keeps no presentation times: its timestamps count frames in decode order.

    Every AVI chunk is one frame period, so without B-frames a frame's decode time is its
    presentation time; with B-frames the decoder's output takes the decode times in order.
    """
    return container.format.name == "avi"


def _reencode(source: InputContainer, output: OutputContainer, window: _Window,
              threads: int | None) -> _Encoder:
    """Decode from the keyframe before the start and encode the pictures shown in the window.

    The first picture is the one on screen at the window's start (the last one shown at or
    before it); the last is the last one shown before the window's end.
    """
    stream = _video_stream(source)
    encoder = _Encoder(output, stream, threads)
    held: VideoFrame | None = None  # the latest picture before the start
    for frame in _decoded(source, stream, window.start, threads):
        assert frame.pts is not None
        if frame.pts < window.start:
            held = frame
            continue
        if frame.pts >= window.end:
            break
        if held is not None:
            if frame.pts > window.start:
                encoder.write(held)
            held = None
        encoder.write(frame)
    if held is not None and encoder.frames == 0:
        encoder.write(held)
    encoder.close()
    return encoder


def _copyable(info: ProbeResult, source: InputContainer, stream: VideoStream) -> bool:
    """H.264 that browsers play as it is, with presentation times to cut by."""
    if info.codec != "h264" or stream.codec_context.pix_fmt not in COPYABLE_PIX_FMTS:
        return False
    # Without presentation times, B-frames cannot be put in display order without decoding.
    return not (_decode_order_times(source) and stream.codec_context.has_b_frames)


def _check_bounds(start_s: float, end_s: float) -> None:
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise ValueError(f"window bounds must be finite numbers, not {start_s!r}, {end_s!r}")
    if end_s <= start_s:
        raise ValueError(f"the window ends ({end_s}) at or before its start ({start_s})")


def _window(info: ProbeResult, start_s: float, end_s: float, stream: VideoStream) -> _Window:
    if start_s >= info.duration_s or end_s <= 0:
        raise WindowOutside(
            f"The time asked for is not in this video, which runs for {_mmss(info.duration_s)} "
            "(minutes:seconds): check the recorder's clock and the time of the export.",
            info.duration_s)
    truncated = end_s > info.duration_s
    time_base = stream.time_base or Fraction(1, 1000)
    origin = _origin(stream)
    return _Window(start=origin + _ticks(max(start_s, 0.0), time_base),
                   end=origin + _ticks(min(end_s, info.duration_s), time_base),
                   truncated=truncated)


def cut(src: PathLike, dst: PathLike, start_s: float, end_s: float, *,
        threads: int | None = None, reencode: bool = False) -> CutResult:
    """Cut [start_s, end_s) of `src` into an H.264 MP4 clip at `dst`.

    The window is in the source file's own seconds, counted from its first video frame (the
    caller has applied the recorder's clock offset: see window_in_file()). The clip is H.264 in
    MP4, yuv420p, `movflags=+faststart`, video only: any audio is dropped (a request is for
    what the camera saw). Its timestamps start at 0.

    H.264 sources in yuv420p are stream-copied (no re-encode, the original pixels): from the
    keyframe AT OR BEFORE start_s to the last picture before end_s; a trailing B-frame group
    may add up to a few pictures after end_s (see _stream_copy). Anything else (MJPEG, HEVC,
    MPEG-4, 4:2:2 or 10-bit H.264) is re-encoded with libx264 (preset veryfast, crf 23,
    yuv420p, even dimensions) from the picture on screen at start_s. `reencode=True` forces a
    re-encode (privacy masks will need it); `threads` sets decoder and encoder threads (None:
    FFmpeg chooses, 1: one core). Frame timestamps are kept, so variable frame rate stays
    variable. A display rotation (phones) is kept.

    A window running past the file's end gives a clip to the end with truncated=True; one that
    does not overlap the video at all raises WindowOutside; end_s <= start_s raises ValueError.
    `src` is only read; `dst` is written through a temporary file beside it and replaced at the
    end, so a failed cut leaves no partial clip.
    """
    _check_bounds(start_s, end_s)
    info = probe(src)
    destination = Path(dst)
    if destination.exists() and os.path.samefile(src, destination):
        raise ValueError("the clip must not overwrite its source")
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        with _open(src) as source:
            stream = _video_stream(source)
            window = _window(info, start_s, end_s, stream)
            copy = not reencode and _copyable(info, source, stream)
            try:
                result = _write(source, partial, window, "stream_copy" if copy else "reencode",
                                threads)
            except _NeedsReencode:
                result = _write(source, partial, window, "reencode", threads)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _write(source: InputContainer, partial: Path, window: _Window, method: str,
           threads: int | None) -> CutResult:
    stream = _video_stream(source)
    time_base = stream.time_base or Fraction(1, 1000)
    first: int | None  # the clip's first and end times, in the source's ticks
    with av.open(os.fspath(partial), "w", format="mp4",
                 options={"movflags": "+faststart"}) as output:
        if method == "stream_copy":
            remux = _stream_copy(source, output, window)
            first, last_end, frames = remux.first_pts, remux.end_pts, remux.frames
            width, height = stream.codec_context.width, stream.codec_context.height
        else:
            encoder = _reencode(source, output, window, threads)
            first, last_end, frames = encoder.first_pts, encoder.end_pts, encoder.frames
            width, height = encoder.stream.width, encoder.stream.height
    if first is None or frames == 0:
        raise UnusableVideo(DAMAGED)
    origin = _origin(stream)
    duration_s = _seconds(last_end - first, time_base)
    return CutResult(
        method=method,
        start_s=_seconds(first - origin, time_base),
        end_s=_seconds(last_end - origin, time_base),
        duration_s=duration_s,
        frames=frames,
        codec=CLIP_CODEC,
        width=width,
        height=height,
        fps=frames / duration_s if duration_s > 0 else 0.0,
        truncated=window.truncated,
    )


# ---------------------------------------------------------------- pictures


def _capture(path: PathLike) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        raise UnusableVideo(DAMAGED)
    return capture


def _write_jpeg(picture: np.ndarray, dst_jpg: PathLike, quality: int = 85) -> None:
    ok, data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    destination = Path(dst_jpg)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    partial.write_bytes(data.tobytes())
    os.replace(partial, destination)


def poster(clip: PathLike, dst_jpg: PathLike) -> None:
    """The clip's first picture as a JPEG (read with OpenCV, which applies the rotation)."""
    capture = _capture(clip)
    try:
        ok, picture = capture.read()
    finally:
        capture.release()
    if not ok or picture is None:
        raise UnusableVideo(DAMAGED)
    _write_jpeg(picture, dst_jpg)


def _label(tile: np.ndarray, text: str) -> None:
    scale = 0.6
    origin = (8, tile.shape[0] - 10)
    cv2.putText(tile, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(tile, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)


def _picture_at(capture: cv2.VideoCapture, when_s: float, slack_s: float) -> np.ndarray | None:
    """The first picture whose time is at or after `when_s` (less `slack_s`), read onwards."""
    while capture.grab():
        if capture.get(cv2.CAP_PROP_POS_MSEC) / 1000 + slack_s >= when_s:
            ok, picture = capture.retrieve()
            return picture if ok else None
    return None


def contact_sheet(clip: PathLike, dst_jpg: PathLike, every_s: float = 10.0,
                  columns: int = 4) -> int:
    """A grid JPEG of one picture every `every_s` seconds of the clip; returns the tile count.

    Tiles are taken at 0, every_s, 2 * every_s, ... for each time strictly before the clip's
    end, so a clip of exactly 40 s at every 10 s gives 4 tiles (00:00, 00:10, 00:20, 00:30)
    and one of 40.1 s gives 5. Each tile is the first picture at or after its time (within half
    a frame), scaled to 320 px wide, with the time (mm:ss from the clip's start) drawn on it;
    rows have `columns` tiles, the last row padded with black. OpenCV seeks to each time when
    the frame rate is constant (its seek counts frames); with a variable frame rate it reads on
    through the frames instead, so the times stay true. One row of tiles is held at a time.
    """
    if every_s <= 0 or columns < 1:
        raise ValueError("every_s must be positive and columns at least 1")
    info = probe(clip)
    slack_s = 0.5 / info.fps if info.fps else 0.0
    times = [k * every_s for k in range(math.ceil(info.duration_s / every_s) + 1)
             if k * every_s < info.duration_s - 1e-6]
    capture = _capture(clip)
    rows: list[np.ndarray] = []
    tiles: list[np.ndarray] = []
    tile_size: tuple[int, int] | None = None
    try:
        for when in times:
            if not info.variable_frame_rate:
                capture.set(cv2.CAP_PROP_POS_MSEC, when * 1000)
            picture = _picture_at(capture, when, slack_s)
            if picture is None:
                break
            if tile_size is None:
                tile_size = (TILE_WIDTH,
                             max(round(picture.shape[0] * TILE_WIDTH / picture.shape[1]), 1))
            tile = cv2.resize(picture, tile_size, interpolation=cv2.INTER_AREA)
            _label(tile, _mmss(when))
            tiles.append(tile)
            if len(tiles) == columns:
                rows.append(np.hstack(tiles))
                tiles = []
    finally:
        capture.release()
    count = len(rows) * columns + len(tiles)
    if count == 0 or tile_size is None:
        raise UnusableVideo(DAMAGED)
    if tiles:
        blank = np.zeros((tile_size[1], tile_size[0], 3), dtype=np.uint8)
        rows.append(np.hstack(tiles + [blank] * (columns - len(tiles))))
    _write_jpeg(np.vstack(rows), dst_jpg)
    return count


# ---------------------------------------------------------------- versions


@functools.lru_cache(maxsize=1)
def _x264_version() -> str:
    """x264's build, as it writes itself into every stream it encodes ("core 165 ...")."""
    import io

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        frame = VideoFrame(16, 16, "yuv420p")
        frame.pts = 0
        data = b"".join(bytes(packet) for packet in stream.encode(frame) + stream.encode(None))
    found = re.search(rb"x264 - core (\d+)(?: (r\d+ \w+))?", data)
    if not found:
        return "unknown"
    return " ".join(part.decode() for part in found.groups() if part)


def tool_versions() -> dict[str, str]:
    """Versions of the libraries that made a clip, for the evidence manifest."""
    return {
        "pyav": av.__version__,
        "ffmpeg": av.ffmpeg_version_info,
        "opencv": cv2.__version__,
        "libx264": f"core {_x264_version()}",
    }
