"""The ring buffer on disk: the last N minutes of one camera, as closed segment files.

Layout, under state_dir/buffer/<camera>/:

    20260314T120305.123Z.mp4   one segment per file, named by its start time (UTC)
    index.jsonl                one JSON line per segment and per gap, oldest first
    .incoming/                 segments being written (moved in when closed)

The index is appended as segments close and rewritten only when it holds more stale lines
(pruned segments) than live ones, which keeps an SD card's writes low. On start, the index is
read back, entries whose file is missing are dropped, files not in the index (left by a crash)
are removed, and everything older than the buffer's length is pruned: nothing stays on the box
longer than buffer_minutes, except segments an active share still has to upload ("pinned").

Memory: the index (a few hundred small entries) and, while concatenating, one packet or one
picture at a time; never a whole segment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.container import OutputContainer
from av.packet import Packet
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from bridge.card import no_video_card
from bridge.segment import Gap, Segment, iso, utc
from bridge.segment_writers import X264_OPTIONS
from bridge.source_types import ClosedSegment

logger = logging.getLogger(__name__)

INDEX = "index.jsonl"
INCOMING = ".incoming"
CHUNK = 1024 * 1024
CLIP_OPTIONS = {"movflags": "+faststart"}
HOLE_S = 1.0  # this long or longer without pictures inside a clip's window is a gap


def now_utc() -> datetime:
    return datetime.now(UTC)


def segment_name(start: datetime) -> str:
    """20260314T120305.123Z.mp4: sorts in time order, readable, safe in every file system."""
    moment = utc(start)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z.mp4"


def avc1_codecs(path: Path) -> str:
    """The RFC 6381 codecs string ("avc1.PPCCLL") of an MP4's H.264 track, from its avcC box
    (near the start of a fragmented MP4); "" when there is none."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    at = head.find(b"avcC")
    if at < 0 or len(head) < at + 8:
        return ""
    profile, constraints, level = head[at + 5], head[at + 6], head[at + 7]
    return f"avc1.{profile:02x}{constraints:02x}{level:02x}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class NoFootage(Exception):
    """The buffer holds no video for the asked window (too old, or not recorded)."""


@dataclass(frozen=True)
class ClipResult:
    """What concatenate() wrote."""

    path: Path
    start: datetime  # bridge clock (UTC) of the clip's first picture
    end: datetime  # of the end of its last picture
    duration_s: float
    frames: int
    method: str  # "stream_copy" or "reencode" (when segments differ in picture format)
    segments: tuple[str, ...]  # file names used
    gaps: tuple[Gap, ...]  # times inside the asked window without pictures (see concatenate)


class SegmentBuffer:
    """One camera's ring buffer. Thread-safe: the camera's reader adds, shares read."""

    def __init__(self, folder: Path, camera: str, keep_seconds: float,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self.folder = folder
        self.camera = camera
        self.keep_seconds = keep_seconds
        self.clock = clock
        self.work_dir = folder / INCOMING
        self._lock = threading.RLock()
        self._segments: list[Segment] = []
        self._gaps: list[Gap] = []
        self._pins: Counter[str] = Counter()
        self._stale_lines = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        self.work_dir.mkdir(exist_ok=True)
        self._load()

    # ------------------------------------------------------------ index

    @property
    def index_path(self) -> Path:
        return self.folder / INDEX

    def _load(self) -> None:
        for leftover in self.work_dir.iterdir():
            leftover.unlink(missing_ok=True)
        if self.index_path.exists():
            for number, line in enumerate(self.index_path.read_text("utf-8").splitlines(), 1):
                self._load_line(line, number)
        known = {segment.name for segment in self._segments} | {INDEX, INCOMING}
        for path in self.folder.iterdir():
            if path.name not in known and path.is_file():
                logger.info("Camera %s: removing %s, which the buffer's index does not list "
                            "(left by a crash).", self.camera, path.name)
                path.unlink(missing_ok=True)
        self._segments.sort(key=lambda segment: segment.start)
        self._gaps.sort(key=lambda gap: gap.start)
        self.prune()
        self._rewrite_index()

    def _load_line(self, line: str, number: int) -> None:
        if not line.strip():
            return
        try:
            data = json.loads(line)
            if data.get("kind") == "gap":
                self._gaps.append(Gap.from_json(data))
                return
            segment = Segment.from_json(data, self.folder)
        except (ValueError, KeyError, TypeError):
            logger.warning("Camera %s: line %d of the buffer's index is damaged and was "
                           "skipped.", self.camera, number)
            return
        if segment.path.is_file():
            self._segments.append(segment)

    def _append_index(self, entry: dict[str, Any]) -> None:
        with open(self.index_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, separators=(",", ":")) + "\n")

    def _rewrite_index(self) -> None:
        entries: list[Segment | Gap] = sorted([*self._segments, *self._gaps],
                                              key=lambda item: item.start)
        partial = self.index_path.with_suffix(".tmp")
        with open(partial, "w", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry.to_json(), separators=(",", ":")) + "\n")
        os.replace(partial, self.index_path)
        self._stale_lines = 0

    # ------------------------------------------------------------ writing

    def add(self, closed: ClosedSegment) -> Segment:
        """Take over a closed segment from the reader: move it in, index it, prune."""
        with self._lock:
            name = segment_name(closed.start)
            taken = {segment.name for segment in self._segments[-8:]}
            suffix = 1
            while name in taken:  # two segments in one millisecond: only after a clock jump
                name = segment_name(closed.start).replace(".mp4", f"-{suffix}.mp4")
                suffix += 1
            path = self.folder / name
            os.replace(closed.path, path)
            segment = Segment(
                camera=self.camera, name=name, path=path, start=utc(closed.start),
                end=utc(closed.end), duration_s=closed.duration_s, size=path.stat().st_size,
                sha256=sha256_file(path), mode=closed.mode, width=closed.width,
                height=closed.height, frames=closed.frames, run=closed.run,
                media_start_s=closed.media_start_s, codecs=avc1_codecs(path))
            self._segments.append(segment)
            if len(self._segments) > 1 and self._segments[-2].start > segment.start:
                self._segments.sort(key=lambda item: item.start)  # the clock went back
            self._append_index(segment.to_json())
            self.prune()
            return segment

    def add_gap(self, start: datetime, end: datetime, reason: str) -> Gap:
        """Record a time with no video (a camera drop), so a clip or a viewer can say so."""
        with self._lock:
            gap = Gap(camera=self.camera, start=utc(start), end=utc(end), reason=reason)
            self._gaps.append(gap)
            self._append_index(gap.to_json())
            return gap

    def prune(self, now: datetime | None = None) -> int:
        """Delete segments (and gap notes) older than the buffer's length; not pinned ones."""
        with self._lock:
            cutoff = utc(now or self.clock()) - timedelta(seconds=self.keep_seconds)
            keep: list[Segment] = []
            removed = 0
            for segment in self._segments:
                if segment.end <= cutoff and not self._pins[segment.name]:
                    segment.path.unlink(missing_ok=True)
                    removed += 1
                else:
                    keep.append(segment)
            self._segments = keep
            gaps = [gap for gap in self._gaps if gap.end > cutoff]
            removed_gaps = len(self._gaps) - len(gaps)
            self._gaps = gaps
            self._stale_lines += removed + removed_gaps
            if self._stale_lines > max(len(self._segments) + len(self._gaps), 16):
                self._rewrite_index()
            return removed

    # ------------------------------------------------------------ reading

    def segments(self) -> list[Segment]:
        with self._lock:
            return list(self._segments)

    def gaps(self) -> list[Gap]:
        with self._lock:
            return list(self._gaps)

    def segments_between(self, start: datetime, end: datetime) -> list[Segment]:
        """Segments that overlap [start, end), oldest first: a share's pre-roll, a request's
        window."""
        start, end = utc(start), utc(end)
        with self._lock:
            return [s for s in self._segments if s.start < end and s.end > start]

    def gaps_between(self, start: datetime, end: datetime) -> list[Gap]:
        start, end = utc(start), utc(end)
        with self._lock:
            return [g for g in self._gaps if g.start < end and g.end > start]

    def segments_after(self, after: datetime | None) -> list[Segment]:
        """Segments that started after `after` (all of them when None), oldest first."""
        with self._lock:
            if after is None:
                return list(self._segments)
            moment = utc(after)
            return [segment for segment in self._segments if segment.start > moment]

    def pin(self, names: Iterable[str]) -> None:
        """Keep these segments past the buffer's length (an active share still needs them)."""
        with self._lock:
            self._pins.update(names)

    def unpin(self, names: Iterable[str]) -> None:
        with self._lock:
            self._pins.subtract(names)
            self._pins = +self._pins

    def stats(self) -> dict[str, Any]:
        with self._lock:
            segments = self._segments
            return {
                "segments": len(segments),
                "bytes": sum(segment.size for segment in segments),
                "seconds": round(sum(segment.duration_s for segment in segments), 3),
                "from": iso(segments[0].start) if segments else None,
                "to": iso(segments[-1].end) if segments else None,
                "gaps": len(self._gaps),
            }

    # ------------------------------------------------------------ cutting a window

    def concatenate(self, start: datetime, end: datetime, dst: Path) -> ClipResult:
        """One MP4 (H.264, faststart) of the window, by stream copy.

        It starts at the keyframe at or before `start` and ends at the keyframe at or after
        `end` (so up to one keyframe interval more on each side), or where the buffer's video
        does. Time in the clip follows the pictures' capture time. The result's `gaps` are
        the stretches of the window without pictures: the gaps marked in the buffer (a drop,
        a skip to live) and any hole of HOLE_S or more between segments, cut to the window.
        A window with a gap inside the clip, or whose segments differ in picture format (the
        camera came back with other settings), is re-encoded instead, cut to the picture:
        each hole then shows a "NO VIDEO / CAMERA OFFLINE" picture until the video resumes,
        never the last picture standing still. NoFootage when nothing overlaps.
        """
        start, end = utc(start), utc(end)
        with self._lock:
            segments = self.segments_between(start, end)
            if not segments:
                raise NoFootage(f"the buffer of camera {self.camera} holds no video between "
                                f"{iso(start)} and {iso(end)}")
            names = [segment.name for segment in segments]
            self.pin(names)
            gaps = window_gaps(segments, self.gaps_between(start, end), start, end)
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            partial = dst.with_name(dst.name + ".part")
            inside = [gap for gap in gaps
                      if gap.start > segments[0].start and gap.end < segments[-1].end]
            if not inside and _same_format(segments):
                result = _copy_window(segments, start, end, partial)
            else:
                result = _reencode_window(segments, start, end, partial)
            os.replace(partial, dst)
        finally:
            self.unpin(names)
        return ClipResult(path=dst, start=result.start, end=result.end,
                          duration_s=result.duration_s, frames=result.frames,
                          method=result.method, segments=tuple(names), gaps=tuple(gaps))


def window_gaps(segments: list[Segment], marked: list[Gap], start: datetime,
                end: datetime) -> list[Gap]:
    """The stretches of [start, end) without pictures, oldest first: `marked` gaps and holes
    of HOLE_S or more between `segments` (a drop nobody marked), cut to the window and joined
    where they touch. A window reaching before the oldest segment or after the newest is not a
    gap unless one is marked there (the buffer may simply not hold that time)."""
    camera = segments[0].camera if segments else ""
    found = [(max(gap.start, start), min(gap.end, end), 0, gap.reason) for gap in marked]
    covered: datetime | None = None
    for segment in sorted(segments, key=lambda item: item.start):
        if covered is not None and (segment.start - covered).total_seconds() >= HOLE_S:
            found.append((max(covered, start), min(segment.start, end), 1,
                          "the camera sent no video"))
        covered = segment.end if covered is None else max(covered, segment.end)
    joined: list[Gap] = []
    for gap_start, gap_end, _unmarked, reason in sorted(found):  # a marked gap's reason first
        if gap_end <= gap_start:
            continue
        if joined and gap_start <= joined[-1].end:
            last = joined[-1]
            joined[-1] = Gap(camera, last.start, max(last.end, gap_end), last.reason)
        else:
            joined.append(Gap(camera, gap_start, gap_end, reason))
    return joined


# ---------------------------------------------------------------- concatenation helpers


@dataclass
class _Written:
    start: datetime
    end: datetime
    duration_s: float
    frames: int
    method: str


def _signature(path: Path) -> tuple[int, int, bytes, str | None]:
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return ctx.width, ctx.height, bytes(ctx.extradata or b""), ctx.pix_fmt


def _same_format(segments: list[Segment]) -> bool:
    """Whether every segment's H.264 can follow the first one's in a single stream."""
    first = _signature(segments[0].path)
    return all(_signature(segment.path) == first for segment in segments[1:])


def _packets(path: Path) -> Generator[tuple[Packet, VideoStream], None, None]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size and packet.dts is not None and packet.pts is not None:
                yield packet, stream


def _start_keyframe(segment: Segment, start: datetime) -> int | None:
    """The dts of the last keyframe at or before `start` in the segment (None: its first)."""
    chosen: int | None = None
    first: int | None = None
    with closing(_packets(segment.path)) as packets:
        for packet, stream in packets:
            assert packet.dts is not None
            first = packet.dts if first is None else first
            time_base = stream.time_base or Fraction(1, 90_000)
            when = segment.start + timedelta(seconds=float((packet.dts - first) * time_base))
            if packet.is_keyframe and (when <= start or chosen is None):
                chosen = packet.dts
            if when > start:
                break
    return chosen


class _Placer:
    """Where each run's pictures go in the clip: runs keep their own (continuous) timeline and
    are placed at their bridge-clock start, never before the end of what came before."""

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        self.origin: datetime | None = None  # bridge clock at the clip's time 0
        self.run: str | None = None
        self.shift = Fraction(0)  # seconds added to a file time to get the clip time
        self.end = Fraction(0)  # clip seconds where the last written picture ends

    def enter(self, segment: Segment, first_file_s: Fraction, first_wall: datetime) -> None:
        if self.origin is None:
            self.origin = first_wall
        if segment.run != self.run:
            at = Fraction((first_wall - self.origin).total_seconds())
            self.shift = max(at, self.end) - first_file_s
            self.run = segment.run


def _copy_window(segments: list[Segment], start: datetime, end: datetime,
                 partial: Path) -> _Written:
    keyframe = _start_keyframe(segments[0], start)
    with av.open(str(partial), "w", format="mp4", options=CLIP_OPTIONS) as output:
        writer = _ClipCopy(output)
        for index, segment in enumerate(segments):
            if not writer.copy_segment(segment, keyframe if index == 0 else None, end):
                break
    if writer.frames == 0 or writer.placer.origin is None:
        partial.unlink(missing_ok=True)
        raise NoFootage("the window holds no complete picture")
    duration = float(writer.placer.end)
    return _Written(start=writer.placer.origin,
                    end=writer.placer.origin + timedelta(seconds=duration),
                    duration_s=duration, frames=writer.frames, method="stream_copy")


class _ClipCopy:
    def __init__(self, output: OutputContainer) -> None:
        self.output = output
        self.stream: VideoStream | None = None
        self.placer = _Placer(Fraction(1, 90_000))
        self.frames = 0
        self.last_dts: int | None = None

    def copy_segment(self, segment: Segment, from_dts: int | None, end: datetime) -> bool:
        """Copy the segment's packets; False once the window's end is reached."""
        first_pts: int | None = None
        with closing(_packets(segment.path)) as packets:
            for packet, source in packets:
                assert packet.dts is not None and packet.pts is not None
                time_base = source.time_base or Fraction(1, 90_000)
                if first_pts is None and from_dts is not None and packet.dts < from_dts:
                    continue
                file_first = round(Fraction(segment.media_start_s) / time_base)
                wall = segment.start + timedelta(seconds=float((packet.dts - file_first)
                                                               * time_base))
                if packet.is_keyframe and wall >= end and self.frames:
                    return False
                if first_pts is None:
                    first_pts = packet.pts
                    self._open(source)
                    self.placer.enter(segment, packet.dts * time_base, wall)
                if packet.pts < first_pts:
                    continue  # a leading picture of an open GOP: needs what came before
                self._write(packet, time_base)
        return True

    def _open(self, source: VideoStream) -> None:
        if self.stream is None:
            self.stream = self.output.add_stream_from_template(source)
            self.stream.time_base = source.time_base
            self.placer.time_base = source.time_base or Fraction(1, 90_000)

    def _write(self, packet: Packet, time_base: Fraction) -> None:
        assert self.stream is not None and packet.dts is not None and packet.pts is not None
        out_base = self.placer.time_base
        dts = round((packet.dts * time_base + self.placer.shift) / out_base)
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
        pts = dts + round((packet.pts - packet.dts) * time_base / out_base)
        duration = round((packet.duration or 0) * time_base / out_base)
        packet.dts, packet.pts, packet.duration = dts, pts, duration
        packet.stream = self.stream
        self.output.mux_one(packet)
        self.last_dts = dts
        self.frames += 1
        self.placer.end = max(self.placer.end, (dts + max(duration, 1)) * out_base)


def _reencode_window(segments: list[Segment], start: datetime, end: datetime,
                     partial: Path) -> _Written:
    """Decode the window's segments and encode them as one H.264 stream, cut to the picture."""
    time_base = Fraction(1, 90_000)
    placer = _Placer(time_base)
    last_pts: int | None = None
    step = round(Fraction(1, 30) / time_base)  # a picture's length, updated as they come
    frames = 0
    with av.open(str(partial), "w", format="mp4", options=CLIP_OPTIONS) as output:
        stream = output.add_stream("libx264", rate=30, options=X264_OPTIONS)
        stream.width, stream.height = segments[0].width & ~1, segments[0].height & ~1
        stream.pix_fmt = "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        for segment in segments:
            for frame, wall, file_s in _frames(segment):
                if not start <= wall < end:
                    continue
                placer.enter(segment, file_s, wall)
                pts = round((file_s + placer.shift) / time_base)
                if last_pts is not None:
                    pts = max(pts, last_pts + 1)
                    if (pts - last_pts - step) * time_base >= HOLE_S:  # an outage: say so
                        output.mux(stream.encode(_card(stream, last_pts + step, time_base)))
                        frames += 1
                    step = pts - last_pts if pts - last_pts < 2 * step else step
                picture = frame.reformat(width=stream.width, height=stream.height,
                                         format="yuv420p")
                picture.pict_type = PictureType.NONE
                picture.pts, picture.time_base = pts, time_base
                output.mux(stream.encode(picture))
                placer.end = (pts + step) * time_base
                last_pts = pts
                frames += 1
        output.mux(stream.encode(None))
    if not frames or placer.origin is None:
        partial.unlink(missing_ok=True)
        raise NoFootage("the window holds no complete picture")
    duration = float(placer.end)
    return _Written(start=placer.origin, end=placer.origin + timedelta(seconds=duration),
                    duration_s=duration, frames=frames, method="reencode")


def _card(stream: VideoStream, pts: int, time_base: Fraction) -> VideoFrame:
    """The "no video" picture, from `pts` until the next picture."""
    card = no_video_card(stream.width, stream.height)
    card.pict_type = PictureType.I  # a keyframe: a player seeking into the outage shows it
    card.pts, card.time_base = pts, time_base
    return card


def _frames(segment: Segment) -> Iterator[tuple[VideoFrame, datetime, Fraction]]:
    """A segment's pictures with their capture time and their time in the file (s). The
    segment's start is its first picture's (its keyframe, shown first: with B-frames its
    presentation time is later than the decode time media_start_s counts from)."""
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base or Fraction(1, 90_000)
        origin: Fraction | None = None
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            file_s = frame.pts * time_base
            origin = file_s if origin is None else origin
            wall = segment.start + timedelta(seconds=float(file_s - origin))
            yield frame, wall, file_s
