"""Reading an owner's upload: where it comes from, its packets, keyframes to start from, and a
file's SHA-256.

An upload is a local path or a Source: a file the worker reads by byte ranges without
downloading it (lambdas/clip_cutter/s3source.py), handed to FFmpeg as a file object.

Times are the container's own ticks (the stream's time base); a window is kept in those ticks.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO, Protocol

import av
import av.error
from av.container import InputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.stream import VideoStream

PathLike = str | os.PathLike[str]

DAMAGED = ("The pictures in this file cannot be read, so it may be damaged. Export it again from "
           "the recorder and upload the new file.")
TOO_SLOW = ("This file takes too long to read, so it is probably much longer or larger than "
            "it says. Export only the asked time (with a few minutes either side) and upload "
            "that.")
KEYFRAME_SEEK_TRIES = 8
# Demuxers without an index, which seek by bisecting the bytes and may land late.
BYTE_SEEKERS = frozenset({"mpegts", "mpeg"})
# FFmpeg's reads of a file object: large enough that a 1 MB/s stream costs few Python calls.
FILE_OBJECT_BUFFER = 256 * 1024
CHUNK = 1024 * 1024


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


class Source(Protocol):
    """A file read through byte ranges: its size, a name for logs, and fresh read handles
    (each with its own position) that share what was already fetched."""

    name: str
    size: int

    def open(self) -> BinaryIO: ...


Readable = PathLike | Source


def is_source(src: Readable) -> bool:
    return not isinstance(src, str | os.PathLike)


def size_of(src: Readable) -> int:
    if isinstance(src, str | os.PathLike):
        return os.stat(src).st_size
    return int(src.size)


def open_bytes(src: Readable) -> BinaryIO:
    if isinstance(src, str | os.PathLike):
        return open(src, "rb")  # noqa: SIM115 - the caller closes it
    return src.open()


@contextmanager
def open_container(src: Readable) -> Iterator[InputContainer]:
    """FFmpeg's reader on the file: by its path (FFmpeg's own I/O) or on a Source's handle
    (closed with the reader: FFmpeg does not close what it was given)."""
    if isinstance(src, str | os.PathLike):
        with av.open(os.fspath(src), "r") as container:
            yield container
        return
    with src.open() as handle, av.open(handle, "r", buffer_size=FILE_OBJECT_BUFFER) as container:
        yield container


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def decode_order_times(container: InputContainer) -> bool:
    """AVI keeps no presentation times: its timestamps count frames in decode order.

    Every AVI chunk is one frame period, so without B-frames a frame's decode time is its
    presentation time; with B-frames the decoder's output takes the decode times in order.
    """
    return container.format.name == "avi"


Sink = Callable[[Packet], None]


def real_packets(container: InputContainer, stream: VideoStream,
                 sound: tuple[Stream, Sink] | None = None) -> Iterator[Packet]:
    """The video stream's packets, without the empty one PyAV sends at the end.

    In AVI, which keeps no presentation times, each packet's time is its decode time (see
    decode_order_times); FFmpeg's AVI demuxer reports a pts one frame later than that.
    With `sound` (an audio stream and a sink), that stream's packets are read in the same pass
    and handed to the sink as they come.
    """
    decode_order = decode_order_times(container)
    deadline = _deadline.get()
    streams = (stream, sound[0]) if sound else (stream,)
    for packet in container.demux(*streams):
        if deadline is not None and time.monotonic() > deadline:
            raise UnusableVideo(TOO_SLOW)
        if not packet.size:
            continue
        if sound and packet.stream_index != stream.index:
            sound[1](packet)
            continue
        if decode_order and packet.dts is not None:
            packet.pts = packet.dts
        yield packet


def origin(stream: VideoStream) -> int:
    """The first frame's time, in the stream's ticks."""
    return stream.start_time if stream.start_time is not None else 0


def frame_step(stream: VideoStream) -> int:
    """One frame's duration in the stream's ticks, from its average rate (at least 1)."""
    rate = stream.average_rate or stream.guessed_rate or Fraction(30)
    return max(round(1 / (rate * stream.time_base)), 1) if stream.time_base else 1


@dataclass
class Window:
    """The asked window in the source's ticks (time_base units, absolute timestamps)."""

    start: Fraction
    end: Fraction
    truncated: bool  # the asked end is past the file's end


def _first_keyframe(packets: Iterator[Packet]) -> Packet:
    keyframe = next((p for p in packets if p.is_keyframe and p.pts is not None), None)
    if keyframe is None:
        raise UnusableVideo(DAMAGED)
    return keyframe


def keyframe_at_or_before(container: InputContainer, stream: VideoStream, target: Fraction,
                          sound: tuple[Stream, Sink] | None = None
                          ) -> tuple[Packet, Iterator[Packet]]:
    """The keyframe packet at or before `target` (or the first one) and the packets after it.

    Demuxers seek by their own means (MP4 by its index of decode times, MPEG-TS by bisecting
    the bytes), so the keyframe landed on is checked; when its picture comes after `target`,
    the seek goes back one second, then two, four, ... At the stream's start, a demuxer that
    still lands late (MPEG-TS) is sent to the file's first byte.
    """
    first = origin(stream)
    seek_to = max(math.floor(target), first)
    back = max(round(1 / stream.time_base), 1) if stream.time_base else 1000
    for _ in range(KEYFRAME_SEEK_TRIES):
        container.seek(seek_to, stream=stream, backward=True, any_frame=False)
        packets = real_packets(container, stream, sound)
        keyframe = next((p for p in packets if p.is_keyframe and p.pts is not None), None)
        if keyframe is not None and keyframe.pts is not None and keyframe.pts <= target:
            return keyframe, packets
        if seek_to <= first:
            return _from_first_byte(container, stream, keyframe, packets, sound)
        seek_to = max(seek_to - back, first)  # landed late, or past the last keyframe
        back *= 2
    raise UnusableVideo(DAMAGED)


def _from_first_byte(container: InputContainer, stream: VideoStream, keyframe: Packet | None,
                     packets: Iterator[Packet], sound: tuple[Stream, Sink] | None
                     ) -> tuple[Packet, Iterator[Packet]]:
    """The first keyframe read from byte 0, or the given one where byte seeks are refused."""
    if keyframe is not None and container.format.name not in BYTE_SEEKERS:
        return keyframe, packets  # formats with an index: their timestamp seek was exact
    try:
        container.seek(0, unsupported_byte_offset=True)
    except (av.error.FFmpegError, OSError):
        if keyframe is None:
            raise UnusableVideo(DAMAGED) from None
        return keyframe, packets
    packets = real_packets(container, stream, sound)
    return _first_keyframe(packets), packets
