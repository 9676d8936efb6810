"""The whole-window re-encode: decode from the keyframe before the window and encode the
pictures shown in it (encode.py says the x264 settings and why).

Each frame keeps its own timestamp, so variable-frame-rate input keeps its timing. AVI keeps no
presentation times (FFmpeg reports them one frame late): its decode times are used, handed to
the pictures in display order. Memory: one decoded frame plus the encoder's own look-ahead.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Iterator
from fractions import Fraction

import av.error
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from bridge.masking import Masks
from lambdas.clip_cutter import sound
from lambdas.clip_cutter.encode import Encoder
from lambdas.clip_cutter.probing import video_stream
from lambdas.clip_cutter.reading import (
    DAMAGED,
    Sink,
    UnusableVideo,
    Window,
    decode_order_times,
    frame_step,
    keyframe_at_or_before,
    origin,
)

logger = logging.getLogger(__name__)


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


def reencode_window(source: InputContainer, output: OutputContainer, window: Window,
              threads: int | None, noise: sound.Sound | None, masks: Masks | None = None
              ) -> Encoder:
    """Decode from the keyframe before the start and encode the pictures shown in the window:
    from the first one shown at or after its start to the last one shown before its end. A
    window that falls between two pictures (a camera taking one a second) gets the picture on
    screen during it. `masks` are blacked out of every picture (bridge/masking.py)."""
    stream = video_stream(source)
    encoder = Encoder(output, stream, threads, masks)
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
