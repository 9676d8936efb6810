"""Checking an owner's upload before anything is cut: what it holds (ProbeResult), or why no
clip can be made from it (UnusableVideo, with one plain sentence for the owner).

PyAV (FFmpeg's libraries) reads it: it names the container and codec exactly as FFmpeg does,
gives the video stream's own duration and start time and packet timestamps (for variable frame
rate), and sees audio streams; OpenCV's reader gives none of these reliably.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import av.error
from av.container import InputContainer
from av.video.stream import VideoStream

from lambdas.clip_cutter import containers, sound
from lambdas.clip_cutter.reading import (
    DAMAGED,
    Readable,
    UnusableVideo,
    open_bytes,
    open_container,
    origin,
    real_packets,
    size_of,
)
from lambdas.clip_cutter.times import in_seconds

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
# Demuxers that read single pictures: a photo renamed .mp4 opens as a one-frame "video".
PICTURE_DEMUXERS = re.compile(r"^(image2|.*_pipe)$")
FIRST_FRAME_PACKETS = 300  # packets read to find the first picture before calling it damaged
TIMING_PACKETS = 300  # packets whose timestamps tell whether the frame rate varies
# Packets read in decode order end with pictures whose neighbours in display order come later
# (B-frames): the highest times of an unfinished read are left out of the judgement.
REORDER_SLACK = 16
VFR_SPREAD = 0.10  # frame gaps varying by more than this share of the usual gap: variable


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


@contextmanager
def open_video(src: Readable) -> Iterator[InputContainer]:
    with ExitStack() as stack:
        try:
            container = stack.enter_context(open_container(src))
        except av.error.FFmpegError as error:
            logger.info("FFmpeg cannot open %s: %s", getattr(src, "name", src), error)
            with open_bytes(src) as handle:
                known = containers.known_container(handle.read(12))
            raise UnusableVideo(DAMAGED if known else NOT_VIDEO) from error
        yield container


def video_stream(container: InputContainer) -> VideoStream:
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
        return in_seconds(stream.duration, time_base)
    if container.duration:  # Matroska and others keep only the container's duration
        container_start = (container.start_time or 0) / av.time_base
        return container.duration / av.time_base + container_start - in_seconds(
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
    with open_video(src) as container:
        stream = video_stream(container)
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
            start_s=in_seconds(origin(stream), time_base),
            frames=frames,
            size_bytes=size,
            variable_frame_rate=variable,
            has_audio=bool(container.streams.audio),
            audio=sound.describe(sound.first_audio(container)),
        )
