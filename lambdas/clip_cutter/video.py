"""The clip worker's video layer: check an owner's upload and cut exactly the asked window.

No AWS here: an upload is a local path or a Source read by byte ranges (reading.py); the
Lambda handler moves the files.

Which library does what, and why:

- PyAV (FFmpeg's libraries) reads containers and packets. probe() uses it because it names the
  container and codec exactly as FFmpeg does, gives the video stream's own duration and start
  time and packet timestamps (for variable frame rate), and sees audio streams; OpenCV's reader
  gives none of these reliably. cut() uses it for the packet-level copy and for the decode
  side of a re-encode, where each frame keeps its own timestamp, so variable-frame-rate input
  keeps its timing.
- PyAV writes every clip: the OpenCV wheel has no H.264 encoder (its mp4v output does not play
  in browsers). Clips are H.264 in MP4, yuv420p, `movflags=+faststart`.
- OpenCV draws the pictures people look at (pictures.py).

The clip is the window's pictures, no more: its first picture is the first one shown at or
after the asked start, its last the last one shown before the asked end. An H.264 source is
cut by a smart cut (splice.py): copied from its first IDR keyframe inside the window, the
pictures before that keyframe (and any at the end that lean on a picture past the window)
re-encoded. Anything else, and an H.264 source whose pictures cannot share a track with
re-encoded ones, is re-encoded whole (encode.py says the x264 settings and why); CutResult.why
says which and why, for the evidence manifest.

Times: a window is given in the source file's own seconds, counted from its first video frame
(ProbeResult.start_s is that frame's timestamp in the container, often 0). window_in_file()
turns a real-time window and the owner's stated recorder clock offset into those seconds.

Containers differ in what their timestamps mean, and cut() allows for it:
- MP4/MOV apply their edit lists when read: B-frame delay shows as negative decode times, and
  pictures that a trimmed phone video hides come marked "discard"; the decoder drops them.
- AVI keeps no presentation times (FFmpeg reports them one frame late); its decode times are
  used, and H.264 with B-frames in AVI is re-encoded, since putting its pictures in display
  order needs the decoder.
- MPEG-TS seeks by bisecting bytes and can land after the asked time: every seek is checked
  against the keyframe it reached, and backs off until that keyframe is early enough.
- Matroska gives no decode times for reordered pictures: splice.py works them out.

Sound goes into the clip only when asked (sound.py); the probe says whether there is any.

Memory stays bounded: packets and frames are streamed; a smart cut holds the packets of one
keyframe interval (the head) and its re-encoded pictures, the re-encode one decoded frame plus
the encoder's own look-ahead.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import math
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from lambdas.clip_cutter import containers, sound
from lambdas.clip_cutter.encode import CLIP_CODEC, CLIP_PIX_FMT, X264_CRF, X264_PRESET, Encoder
from lambdas.clip_cutter.reading import (
    DAMAGED,
    TOO_SLOW,
    PathLike,
    Readable,
    Sink,
    Source,
    UnusableVideo,
    Window,
    WindowOutside,
    decode_order_times,
    frame_step,
    is_source,
    keyframe_at_or_before,
    open_bytes,
    open_container,
    origin,
    real_packets,
    size_of,
    time_box,
)
from lambdas.clip_cutter.splice import NotSpliceable, splice

__all__ = ["CLIP_CODEC", "CLIP_PIX_FMT", "DAMAGED", "TOO_SLOW", "X264_CRF", "X264_PRESET",
           "CutResult", "ProbeResult", "Readable", "Source", "UnusableVideo", "WindowOutside",
           "cut", "mmss", "probe", "sha256_file", "time_box", "window_in_file"]

logger = logging.getLogger(__name__)

EMPTY = "The file is empty."
NOT_VIDEO = ("This file is not a video we can read. Export it again from the recorder as MP4, "
             "MOV, AVI or MKV.")
STILL_PICTURE = ("This file is a still picture, not a video. Export the video from the recorder "
                 "as MP4, MOV, AVI or MKV.")
NO_PICTURES = ("This file has sound but no pictures. Export the video from the recorder as MP4, "
               "MOV, AVI or MKV.")
CUT_OFF = ("The file seems cut off part-way: export it again from the recorder and upload the "
           "new file.")

MAX_PIXELS = 7680 * 4320  # 8K: larger pictures are not a camera's, and one would need GBs
MAX_DURATION_S = 6 * 3600  # a request asks for minutes; hours of video are not an answer
TOO_LARGE = ("The pictures in this file are {width}×{height}, larger than any camera makes. "
             "Export the video again at the recorder's normal size.")
TOO_LONG = ("This file is {hours:.0f} hours long. Export only the asked time (with a few minutes "
            "either side) and upload that.")
# H.264 pixel formats that browsers play as they are (yuvj420p is yuv420p at full range).
COPYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
# Demuxers that read single pictures: a photo renamed .mp4 opens as a one-frame "video".
PICTURE_DEMUXERS = re.compile(r"^(image2|.*_pipe)$")
FIRST_FRAME_PACKETS = 300  # packets read to find the first picture before calling it damaged
TIMING_PACKETS = 300  # packets whose timestamps tell whether the frame rate varies
# Packets read in decode order end with pictures whose neighbours in display order come later
# (B-frames): the highest times of an unfinished read are left out of the judgement.
REORDER_SLACK = 16
VFR_SPREAD = 0.10  # frame gaps varying by more than this share of the usual gap: variable
CHUNK = 1024 * 1024
WHY_FORCED = "re-encoded as asked"


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
    audio: dict[str, Any] | None = None  # codec, channels, sample_rate of the first sound track


@dataclass(frozen=True)
class CutResult:
    method: str  # "stream_copy", "smart_cut" or "reencode"
    why: str  # how the pictures were made, and why that way (for the manifest)
    start_s: float  # the clip's first picture, in the source's seconds (from its first frame)
    end_s: float  # the end of its last picture, in the source's seconds
    duration_s: float  # of the written clip
    frames: int
    reencoded_frames: int  # pictures made by x264 (all of them for "reencode")
    codec: str  # always "h264"
    width: int
    height: int
    fps: float  # average over the clip
    truncated: bool  # the window ran past the end of the file; the clip stops at the file's end
    audio: dict[str, Any] | None = None  # the sound put in the clip, None when none


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
    """Seconds (to the microsecond, as datetimes give them) in the stream's ticks: 0.4 s is
    exactly frame 12 at 30 fps, not a hair after it."""
    return Fraction(round(seconds * 1_000_000), 1_000_000) / time_base


def _seconds(ticks: int | Fraction, time_base: Fraction) -> float:
    return float(ticks * time_base)


def mmss(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- probe


@contextmanager
def _open(src: Readable) -> Iterator[InputContainer]:
    with ExitStack() as stack:
        try:
            container = stack.enter_context(open_container(src))
        except av.error.FFmpegError as error:
            logger.info("FFmpeg cannot open %s: %s", getattr(src, "name", src), error)
            with open_bytes(src) as handle:
                known = containers.known_container(handle.read(12))
            raise UnusableVideo(DAMAGED if known else NOT_VIDEO) from error
        yield container


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


def _first_pass(container: InputContainer, stream: VideoStream) -> bool:
    """Read the file from its start: whether the frame rate varies.

    Decodes until one picture comes out (UnusableVideo(DAMAGED) when none does within
    FIRST_FRAME_PACKETS packets) and keeps the presentation times of the first TIMING_PACKETS
    packets. It reads on from where the file was opened, without seeking: some demuxers
    (MPEG-TS) land after the asked place when they seek.
    """
    times: list[int] = []
    pictured = False
    finished = True
    try:
        for count, packet in enumerate(real_packets(container, stream)):
            if packet.pts is not None and not packet.is_discard:
                times.append(packet.pts)
            pictured = pictured or bool(packet.decode())
            if len(times) >= TIMING_PACKETS and pictured:
                finished = False
                break
            if count >= FIRST_FRAME_PACKETS and not pictured:
                finished = False
                break
        pictured = pictured or bool(stream.decode(None))
    except av.error.FFmpegError as error:
        raise UnusableVideo(DAMAGED) from error
    if not pictured:
        raise UnusableVideo(DAMAGED)
    return _gaps_vary(times, finished)


def _gaps_vary(times: list[int], finished: bool) -> bool:
    """Whether the gaps between presentation times vary by more than VFR_SPREAD.

    The times are sorted into display order; a read that stopped part-way leaves out its
    REORDER_SLACK latest times, whose display-order neighbours may not have been read yet
    (a P-frame read before the B-frames shown ahead of it would look like a long gap).
    """
    ordered = sorted(times)
    if not finished:
        ordered = ordered[:-REORDER_SLACK]
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a]
    if len(gaps) < 3:
        return False
    usual = sorted(gaps)[len(gaps) // 2]
    return max(gaps) - min(gaps) > max(2, VFR_SPREAD * usual)


def _duration_s(container: InputContainer, stream: VideoStream) -> float:
    time_base = stream.time_base or Fraction(1, 1000)
    if stream.duration:
        return _seconds(stream.duration, time_base)
    if container.duration:  # Matroska and others keep only the container's duration
        container_start = (container.start_time or 0) / av.time_base
        return container.duration / av.time_base + container_start - _seconds(
            origin(stream), time_base)
    return 0.0


def _frame_rate(stream: VideoStream, frames: int | None, duration_s: float) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return frames / duration_s if frames and duration_s else 0.0


def probe(src: Readable) -> ProbeResult:
    """Describe a video file; raise UnusableVideo when no clip can be made from it.

    Refused: an empty file, a file that is not a video (random bytes, a still picture, sound
    only), a file cut off part-way (the container's own sizes say it should be longer), a
    file whose first picture cannot be decoded, pictures larger than 8K (refused before any is
    decoded) and a file longer than six hours.
    """
    size = size_of(src)
    if size == 0:
        raise UnusableVideo(EMPTY)
    with open_bytes(src) as handle:
        if containers.cut_off(handle, size):
            raise UnusableVideo(CUT_OFF)
    with _open(src) as container:
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
            start_s=_seconds(origin(stream), time_base),
            frames=frames,
            size_bytes=size,
            variable_frame_rate=variable,
            has_audio=bool(container.streams.audio),
            audio=sound.describe(sound.first_audio(container)),
        )


# ---------------------------------------------------------------- re-encode


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


def _decoded(source: InputContainer, stream: VideoStream, keyframe: Packet,
             packets: Iterator[Packet], threads: int | None) -> Iterator[VideoFrame]:
    """Frames from the keyframe on, in presentation order, with timestamps."""
    stream.codec_context.thread_type = "AUTO"
    stream.codec_context.thread_count = 0 if threads is None else threads
    first_pts = keyframe.pts if keyframe.pts is not None else origin(stream)
    step = frame_step(stream)
    last_pts: int | None = None
    for frame in _pictures(keyframe, packets, stream, decode_order_times(source)):
        pts = frame.pts
        if pts is None:  # decoders of some old formats do not say: count on from the last
            pts = first_pts if last_pts is None else last_pts + step
        if last_pts is not None and pts <= last_pts:
            continue  # a repeated or out-of-order timestamp: that moment is already out
        frame.pts = last_pts = pts
        yield frame


def _reencode(source: InputContainer, output: OutputContainer, window: Window,
              threads: int | None, noise: sound.Sound | None) -> Encoder:
    """Decode from the keyframe before the start and encode the pictures shown in the window:
    from the first one shown at or after its start to the last one shown before its end. A
    window that falls between two pictures (a camera taking one a second) gets the picture on
    screen during it."""
    stream = _video_stream(source)
    encoder = Encoder(output, stream, threads)
    feed: tuple[Stream, Sink] | None = (noise.source, noise.take) if noise else None
    keyframe, packets = keyframe_at_or_before(source, stream, window.start, feed)
    held: VideoFrame | None = None  # the latest picture before the start
    for frame in _decoded(source, stream, keyframe, packets, threads):
        assert frame.pts is not None
        if frame.pts < window.start:
            held = frame
            continue
        if frame.pts >= window.end:
            break
        _encode(encoder, frame, stream, noise)
    if held is not None and encoder.frames == 0:
        _encode(encoder, held, stream, noise)
    if noise is not None:
        for packet in packets:  # read on for the sound up to the window's end
            if noise.done or (packet.pts is not None and packet.pts > window.end + 2 / (
                    stream.time_base or Fraction(1, 1000))):
                break
    encoder.close()
    return encoder


def _encode(encoder: Encoder, frame: VideoFrame, stream: VideoStream,
            noise: sound.Sound | None) -> None:
    assert frame.pts is not None
    if noise is not None:
        if encoder.first_pts is None:
            noise.start(float(frame.pts * stream.time_base))  # type: ignore[operator]
        noise.release(float(frame.pts * stream.time_base))  # type: ignore[operator]
    encoder.write(frame)


# ---------------------------------------------------------------- cut


def _why_not_spliced(info: ProbeResult, source: InputContainer, stream: VideoStream
                     ) -> str | None:
    """Why the pictures cannot be copied at all (None: they can, around a smart cut)."""
    if info.codec != "h264":
        return (f"the recorder's video is {info.codec.upper()}, which browsers do not play: "
                "every picture is re-encoded as H.264")
    if stream.codec_context.pix_fmt not in COPYABLE_PIX_FMTS:
        return (f"the recorder's pictures are {stream.codec_context.pix_fmt}, which browsers do "
                "not play: every picture is re-encoded as yuv420p")
    if decode_order_times(source) and stream.codec_context.has_b_frames:
        return ("AVI keeps no display times to put the recorder's B-frames in order by: every "
                "picture is re-encoded")
    return None


def _check_bounds(start_s: float, end_s: float) -> None:
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise ValueError(f"window bounds must be finite numbers, not {start_s!r}, {end_s!r}")
    if end_s <= start_s:
        raise ValueError(f"the window ends ({end_s}) at or before its start ({start_s})")


def _window(info: ProbeResult, start_s: float, end_s: float, stream: VideoStream) -> Window:
    if start_s >= info.duration_s or end_s <= 0:
        raise WindowOutside(
            f"The time asked for is not in this video, which runs for {mmss(info.duration_s)} "
            "(minutes:seconds): check the recorder's clock and the time of the export.",
            info.duration_s)
    truncated = end_s > info.duration_s
    time_base = stream.time_base or Fraction(1, 1000)
    first = origin(stream)
    return Window(start=first + _ticks(max(start_s, 0.0), time_base),
                  end=first + _ticks(min(end_s, info.duration_s), time_base),
                  truncated=truncated)


def cut(src: Readable, dst: PathLike, start_s: float, end_s: float, *,
        threads: int | None = None, reencode: bool = False, audio: bool = False,
        info: ProbeResult | None = None) -> CutResult:
    """Cut [start_s, end_s) of `src` into an H.264 MP4 clip at `dst`.

    The window is in the source file's own seconds, counted from its first video frame (the
    caller has applied the recorder's clock offset: see window_in_file()). The clip is H.264 in
    MP4, yuv420p, `movflags=+faststart`, its timestamps from 0. It holds the window's pictures
    only: the first shown at or after start_s to the last shown before end_s.

    H.264 sources in yuv420p are smart-cut (the recorder's own pictures copied from its first
    IDR keyframe in the window, the rest re-encoded: see splice.py); "stream_copy" when the
    window starts on a keyframe and nothing needed re-encoding. Anything else (MJPEG, HEVC,
    MPEG-4, 4:2:2 or 10-bit H.264) is re-encoded with libx264 (encode.py). `reencode=True`
    forces a re-encode (privacy masks will need it); `threads` sets decoder and encoder
    threads (None: FFmpeg chooses, 1: one core). Frame timestamps are kept, so variable frame
    rate stays variable. A display rotation (phones) is kept. `audio=True` puts the first sound
    track in too, cut to the same pictures (sound.py); otherwise the clip is silent.

    A window running past the file's end gives a clip to the end with truncated=True; one that
    does not overlap the video at all raises WindowOutside; end_s <= start_s raises ValueError.
    `src` is only read; `dst` is written through a temporary file beside it and replaced at the
    end, so a failed cut leaves no partial clip. `info` is src's probe() when already known.
    """
    _check_bounds(start_s, end_s)
    info = info or probe(src)
    destination = Path(dst)
    if not is_source(src) and destination.exists() and os.path.samefile(
            src, destination):  # type: ignore[arg-type]
        raise ValueError("the clip must not overwrite its source")
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        with _open(src) as source:
            stream = _video_stream(source)
            window = _window(info, start_s, end_s, stream)
            why = WHY_FORCED if reencode else _why_not_spliced(info, source, stream)
            try:
                result = _write(source, partial, window, why, threads, audio)
                spliced = True
            except NotSpliceable as exc:
                logger.info("re-encoding the whole window: %s", exc.why)
                why, spliced = f"{exc.why}: every picture is re-encoded", False
        if not spliced:  # a fresh reader: the smart cut's decoder is spent
            with _open(src) as source:
                result = _write(source, partial, window, why, threads, audio)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _write(source: InputContainer, partial: Path, window: Window, why_reencode: str | None,
           threads: int | None, audio: bool) -> CutResult:
    """One attempt: a smart cut (`why_reencode` None) or a whole re-encode."""
    stream = _video_stream(source)
    time_base = stream.time_base or Fraction(1, 1000)
    track = sound.first_audio(source) if audio else None
    with av.open(os.fspath(partial), "w", format="mp4",
                 options={"movflags": "+faststart"}) as output:
        end_s = float(window.end * time_base)
        noise = sound.Sound(output, track, end_s) if track is not None else None
        first: int | None
        if why_reencode is None:
            spliced = splice(source, stream, output, window, threads, noise)
            method, why = spliced.method, spliced.why
            first, last_end, frames = spliced.first_pts, spliced.end_pts, spliced.frames
            reencoded = spliced.reencoded
            width, height = stream.codec_context.width, stream.codec_context.height
        else:
            encoder = _reencode(source, output, window, threads, noise)
            method, why = "reencode", why_reencode
            first, last_end, frames = encoder.first_pts, encoder.end_pts, encoder.frames
            reencoded = frames
            width, height = encoder.stream.width, encoder.stream.height
        if noise is not None:
            noise.close(float(last_end * time_base))
    if first is None or frames == 0:
        raise UnusableVideo(DAMAGED)
    first_frame = origin(stream)
    duration_s = _seconds(last_end - first, time_base)
    return CutResult(
        method=method,
        why=why,
        start_s=_seconds(first - first_frame, time_base),
        end_s=_seconds(last_end - first_frame, time_base),
        duration_s=duration_s,
        frames=frames,
        reencoded_frames=reencoded,
        codec=CLIP_CODEC,
        width=width,
        height=height,
        fps=frames / duration_s if duration_s > 0 else 0.0,
        truncated=window.truncated,
        audio=noise.described() if noise is not None else None,
    )
