"""Exactly the asked window at stream-copy speed: the smart cut.

The owner approved a window; police get the pictures shown in it, no more. A copy can only
start at a keyframe, and the keyframe before the window shows seconds nobody approved, so:

  head  the pictures from the window's start up to the first IDR keyframe inside it are
        decoded (from the keyframe before the start) and re-encoded by x264;
  copy  from that keyframe on, the recorder's own packets are copied, in decode order, until
        one shows a picture at or past the window's end;
  tail  pictures inside the window that come after that one in decode order (B-frames that
        lean on a picture past the end) are decoded again from the last keyframe and
        re-encoded, so nothing past the end is in the file, shown or not.

Order in one track. Packets are written in decode order with decode times (dts) that rise and
never pass their presentation times (pts). Copied packets keep the recorder's dts, which run
D = pts - dts of the keyframe behind their pts (the B-frame delay). The head is encoded without
B-frames, so its decode order is its display order and its dts are its pts less D: all before
the keyframe's. The tail's pictures all show after every copied one (checked), so their dts
can follow the last copied dts. Matroska gives no dts for reordered packets (FFmpeg guesses
some): the clip's are made as FFmpeg's muxer makes them, for head, copy and tail alike.

Parameter sets: see lambdas/clip_cutter/h264.py. When the two cannot share a track, or the
window holds no IDR keyframe, splice() raises and cut() re-encodes the whole window instead,
saying why.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av.error
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from lambdas.clip_cutter import h264
from lambdas.clip_cutter.encode import splice_encoder
from lambdas.clip_cutter.reading import (
    DAMAGED,
    Sink,
    UnusableVideo,
    Window,
    frame_step,
    keyframe_at_or_before,
)
from lambdas.clip_cutter.sound import Sound

REORDER = 16  # H.264 keeps at most 16 pictures waiting for display
SOUND_AFTER_S = 2  # how far past the window's end the file is read for its sound
GUESSED_DTS = frozenset({"matroska,webm"})  # demuxers whose decode times are guesses
HEAD_MAX_PACKETS = 30 * 60 * 2  # a keyframe interval longer than 2 minutes: re-encode instead


class NotSpliceable(Exception):
    """The window cannot be cut this way; `why` says so for the manifest."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass
class Spliced:
    method: str  # "stream_copy" (every picture copied) or "smart_cut"
    why: str
    first_pts: int  # the clip's first picture, in the source's ticks
    end_pts: int  # the end of its last picture
    frames: int
    reencoded: int  # pictures re-encoded (head and tail)
    copied: int


class _DecodeTimes:
    """Decode times for a stream whose container gives none (Matroska), as FFmpeg's muxer
    makes them: each packet, in decode order, takes the smallest of the last `depth` + 1
    presentation times (the first ones count back from the first packet by a frame each).
    Right when no picture waits for more than `depth` later ones in decode order."""

    def __init__(self, depth: int, step: int) -> None:
        self.depth, self.step = depth, step
        self.times: list[int] = []

    def next(self, pts: int) -> int:
        if not self.times:
            self.times = [pts - (self.depth - k) * self.step for k in range(self.depth)]
        bisect.insort(self.times, pts)
        return self.times.pop(0)


@dataclass
class _Track:
    """The clip's video track: packets in decode order, times moved so the clip starts at 0."""

    output: OutputContainer
    stream: Stream
    origin: int  # source ticks of the clip's first picture
    delay: int  # D, in ticks (with the recorder's own decode times)
    step: int
    sound: Sound | None
    time_base: Fraction
    guessed: _DecodeTimes | None  # without the recorder's decode times
    frames: int = 0
    last_dts: int | None = None
    end_pts: int = 0
    max_pts: int | None = None

    def add(self, data: bytes, pts: int, dts: int | None, duration: int, key: bool) -> None:
        """A packet in decode order; `dts` None: worked out (_DecodeTimes)."""
        if self.guessed is not None:
            dts = self.guessed.next(pts)
        assert dts is not None
        if self.last_dts is not None and dts <= self.last_dts:
            raise NotSpliceable("the recorder's pictures are in an order we cannot copy")
        if dts > pts:
            raise NotSpliceable("the recorder's pictures are in an order we cannot copy")
        packet = Packet(data)
        packet.pts, packet.dts = pts - self.origin, dts - self.origin
        packet.duration = duration
        packet.time_base = self.time_base
        packet.is_keyframe = key
        packet.stream = self.stream
        self.output.mux_one(packet)
        self.last_dts = dts
        self.frames += 1
        self.end_pts = max(self.end_pts, pts + duration)
        self.max_pts = pts if self.max_pts is None else max(self.max_pts, pts)
        if self.sound is not None:
            self.sound.release(float(dts * self.time_base))


def _dts(packet: Packet, trusted: bool) -> int | None:
    """The packet's decode time, when the container keeps them (Matroska's are guesses)."""
    return packet.dts if trusted else None


def _past(packet: Packet, end: Fraction, run: int, trusted: bool) -> bool:
    """No later packet can show a picture before `end`: this one decodes at or after it (dts
    never passes pts), or, without decode times, REORDER packets in a row show after it."""
    dts = _dts(packet, trusted)
    if dts is not None:
        return dts >= end
    return run > REORDER


def _decode_all(context: VideoCodecContext, packets: list[Packet]) -> Iterator[VideoFrame]:
    """Every picture these packets make (a packet the decoder refuses is skipped)."""
    try:
        for packet in packets:
            try:
                yield from context.decode(packet)
            except av.error.InvalidDataError:
                continue
        yield from context.decode(None)
    except av.error.FFmpegError as error:
        raise UnusableVideo(DAMAGED) from error
    finally:
        context.flush_buffers()


class _Reencoder:
    """x264 making pictures one by one: (sample, pts, duration, keyframe) as they come out, in
    order (no B-frames), the first an IDR. Holds no decoded picture longer than x264 does."""

    def __init__(self, encoder: VideoCodecContext, ours: h264.ParameterSets, step: int,
                 time_base: Fraction) -> None:
        self.encoder, self.ours, self.step, self.time_base = encoder, ours, step, time_base
        self.durations: dict[int, int] = {}
        self.count = 0

    def _out(self, packets: list[Packet]) -> Iterator[tuple[bytes, int, int, bool]]:
        for packet in packets:
            assert packet.pts is not None
            yield (h264.sample(h264.split_annexb(bytes(packet)), self.ours), packet.pts,
                   self.durations.pop(packet.pts, self.step), packet.is_keyframe)

    def encode(self, frame: VideoFrame) -> Iterator[tuple[bytes, int, int, bool]]:
        assert frame.pts is not None
        self.durations[frame.pts] = frame.duration or self.step
        frame.pict_type = av.video.frame.PictureType.NONE
        frame.time_base = self.time_base
        self.count += 1
        yield from self._out(self.encoder.encode(frame))

    def finish(self) -> Iterator[tuple[bytes, int, int, bool]]:
        yield from self._out(self.encoder.encode(None))


def splice(container: InputContainer, stream: VideoStream, output: OutputContainer,
           window: Window, threads: int | None, sound: Sound | None) -> Spliced:
    """Write exactly the window's pictures into a new video track of `output` (see the module).

    Raises NotSpliceable when the window cannot be cut this way: mostly before anything is
    written, but also part-way (pictures in an order the track cannot take), so the caller
    starts the clip again from nothing.
    """
    feed: tuple[Stream, Sink] | None = (sound.source, sound.take) if sound else None
    keyframe, packets = keyframe_at_or_before(container, stream, window.start, feed)
    step = frame_step(stream)
    time_base = stream.time_base or Fraction(1, 1000)
    trusted = container.format.name not in GUESSED_DTS
    before, first_idr, recorder = _scan(keyframe, packets, window, stream, trusted)
    try:
        ours_id = h264.free_id(recorder.ids())
        encoder = splice_encoder(stream, ours_id, threads)
        ours = h264.read_annexb(encoder.extradata or b"")
    except h264.NotJoinable as exc:
        raise NotSpliceable(str(exc)) from exc
    except av.error.FFmpegError as exc:
        raise NotSpliceable("x264 cannot make pictures like the recorder's") from exc
    assert first_idr.pts is not None
    stream.codec_context.thread_type = "AUTO"
    stream.codec_context.thread_count = 0 if threads is None else threads
    first_dts = _dts(first_idr, trusted)
    delay = first_idr.pts - first_dts if first_dts is not None else 0
    guessed = None if first_dts is not None else _DecodeTimes(
        (stream.codec_context.reorder_depth or 0) + 1, step)

    def track_from(origin: int) -> _Track:
        """The clip's track, its first picture at `origin` (source ticks)."""
        track = output.add_stream_from_template(stream)
        track.time_base = time_base
        track.codec_context.extradata = h264.avcc(recorder, ours, encoder.level or 0)
        track.codec_tag = "avc1"
        if sound is not None:
            sound.start(float(origin * time_base))
        return _Track(output, track, origin, delay, step, sound, time_base, guessed)

    head = _Reencoder(encoder, ours, step, time_base)
    writer: _Track | None = None
    for frame in _decode_all(stream.codec_context, before):
        if frame.pts is None or not window.start <= frame.pts < first_idr.pts:
            continue
        writer = writer or track_from(frame.pts)
        for sample, pts, duration, key in head.encode(frame):
            writer.add(sample, pts, pts - delay, duration, key)
    writer = writer or track_from(first_idr.pts)
    for sample, pts, duration, key in head.finish():
        writer.add(sample, pts, pts - delay, duration, key)
    reencoded = writer.frames
    copied, missing, last_key = _copy(first_idr, packets, window, recorder, writer, trusted)
    if sound is not None:
        _read_sound_to_the_end(packets, sound, window.end + SOUND_AFTER_S / time_base)
    if missing:
        reencoded += _tail(container, stream, last_key, missing, window, writer, threads,
                           (ours_id, ours), trusted)
    head_s = float((first_idr.pts - writer.origin) * time_base)
    return Spliced(method="smart_cut" if reencoded else "stream_copy",
                   why=_why(reencoded, head.count, head_s, len(missing)),
                   first_pts=writer.origin, end_pts=writer.end_pts, frames=writer.frames,
                   reencoded=reencoded, copied=copied)


def _scan(keyframe: Packet, packets: Iterator[Packet], window: Window, stream: VideoStream,
          trusted: bool) -> tuple[list[Packet], Packet, h264.ParameterSets]:
    """The packets before the first IDR keyframe at or after the start, and that keyframe."""
    head: list[Packet] = []
    run = 0
    recorder: h264.ParameterSets | None = None
    for packet in itertools.chain([keyframe], packets):
        if packet.pts is None:
            raise NotSpliceable("some of the recorder's pictures carry no time")
        if packet.is_keyframe and packet.pts >= window.start:
            try:
                recorder = recorder or h264.read_parameter_sets(
                    stream.codec_context.extradata, bytes(packet))
                if h264.is_idr(recorder.nals(bytes(packet))):
                    if packet.pts >= window.end:
                        break
                    return head, packet, recorder
            except h264.NotJoinable as exc:
                raise NotSpliceable(str(exc)) from exc
        run = run + 1 if packet.pts >= window.end else 0
        if _past(packet, window.end, run, trusted) or len(head) > HEAD_MAX_PACKETS:
            break
        head.append(packet)
    raise NotSpliceable("the asked time holds no keyframe of the recorder's to copy from")


def _copy(first_idr: Packet, packets: Iterator[Packet], window: Window,
          recorder: h264.ParameterSets, writer: _Track, trusted: bool
          ) -> tuple[int, list[int], int]:
    """Copy from the keyframe until a picture at or past the end; the pictures inside the
    window that come after it (their pts), and the last keyframe copied (its pts)."""
    assert first_idr.pts is not None
    copied = 0
    missing: list[int] = []
    stopped = False
    run = 0
    last_key = first_idr.pts
    for packet in itertools.chain([first_idr], packets):
        assert packet.pts is not None
        run = run + 1 if packet.pts >= window.end else 0
        if _past(packet, window.end, run, trusted):
            break
        if packet.pts >= window.end:
            stopped = True
            continue
        if packet.pts < first_idr.pts:
            continue  # shown before the keyframe: not after an IDR, and re-encoded if it were
        if packet.is_discard:
            raise NotSpliceable("the file hides pictures inside the asked time")
        if stopped:
            missing.append(packet.pts)
            continue
        try:
            data = h264.sample(recorder.nals(bytes(packet)), recorder)
        except h264.NotJoinable as exc:
            raise NotSpliceable(str(exc)) from exc
        if packet.is_keyframe:
            last_key = packet.pts
        writer.add(data, packet.pts, _dts(packet, trusted), packet.duration or writer.step,
                   packet.is_keyframe)
        copied += 1
    if missing and writer.max_pts is not None and min(missing) < writer.max_pts:
        raise NotSpliceable("the recorder's pictures are in an order we cannot copy")
    return copied, missing, last_key


def _tail(container: InputContainer, stream: VideoStream, last_key: int, missing: list[int],
          window: Window, writer: _Track, threads: int | None,
          ours: tuple[int, h264.ParameterSets], trusted: bool) -> int:
    """Decode again from the last copied keyframe and re-encode the missing pictures."""
    keyframe, packets = keyframe_at_or_before(container, stream, Fraction(last_key))
    wanted = set(missing)
    needed: list[Packet] = []
    run = 0
    for packet in itertools.chain([keyframe], packets):
        assert packet.pts is not None
        run = run + 1 if packet.pts >= window.end else 0
        if _past(packet, window.end, run, trusted):
            break
        needed.append(packet)
    encoder = splice_encoder(stream, ours[0], threads)
    if h264.read_annexb(encoder.extradata or b"") != ours[1]:
        raise NotSpliceable("x264 made different picture settings for the end")
    tail = _Reencoder(encoder, ours[1], writer.step, writer.time_base)
    made: list[tuple[bytes, int, int, bool]] = []
    for frame in _decode_all(stream.codec_context, needed):
        if frame.pts in wanted:
            made.extend(tail.encode(frame))
    made.extend(tail.finish())
    if tail.count != len(wanted):
        raise NotSpliceable("the last pictures before the asked end could not be decoded")
    last = writer.last_dts or 0
    for sample, pts, duration, key in made:
        last = max(last + 1, pts - writer.delay)
        writer.add(sample, pts, last, duration, key)
    return tail.count


def _read_sound_to_the_end(packets: Iterator[Packet], sound: Sound, until: Fraction) -> None:
    """Read on past the last picture until the sound reaches the window's end (the file
    interleaves them loosely), but not far: a sound track may end early."""
    for packet in packets:
        if sound.done or (packet.pts is not None and packet.pts > until):
            return


def _pictures(count: int) -> str:
    return "1 picture" if count == 1 else f"{count} pictures"


def _why(reencoded: int, head: int, head_s: float, missing: int) -> str:
    if not reencoded:
        return ("the asked start is one of the recorder's keyframes: every picture is the "
                "recorder's own, copied")
    parts = []
    if head:
        parts.append(f"the {_pictures(head)} ({head_s:.2f} s) from the asked start to the "
                     "recorder's next keyframe")
    if missing:
        parts.append(f"the last {_pictures(missing)} before the asked end, which lean on a "
                     "picture after it")
    return ("re-encoded " + " and ".join(parts) + "; every other picture is the recorder's "
            "own, copied")
