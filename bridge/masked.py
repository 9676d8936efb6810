"""Masked copies of a camera's video, made on the bridge just before they are uploaded.

The buffer keeps the camera's video as it came (the owner's own copy). What leaves for the
police (a live share's pieces, an approved request's clip) is first decoded, the owner's
privacy masks blacked out of every picture (bridge/masking.py), and encoded again: the copy is
uploaded, then deleted. A camera with no masks is sent as it is, unchanged.

Timing is kept: every picture keeps its timestamp (converted to the encoder's 90 kHz clock),
so a masked live piece sits on its run's timeline exactly where the original did, and a
player appending pieces sees no jump. The copy is a fragmented MP4 that starts on a keyframe,
like every segment (bridge/segment.py); a masked clip is one MP4 with its index first, as
the buffer's clips are.
"""

from __future__ import annotations

import dataclasses
import os
from fractions import Fraction
from pathlib import Path

import av
import av.error

from bridge import masking
from bridge.buffer import avc1_codecs, sha256_file
from bridge.masking import Masks
from bridge.segment import Segment
from bridge.segment_writers import CLIP_OPTIONS, ENCODE_TIME_BASE, X264_OPTIONS, EncodeWriter
from bridge.source_types import SourceError


def masked_file(src: Path, dst: Path, masks: Masks, *, clip: bool = False) -> int:
    """Write `src` to `dst` with `masks` blacked out of every picture; the pictures written.
    A segment (fragmented MP4), or with `clip` one MP4 with its index first. SourceError
    when `src` cannot be read (the caller skips it, as a pruned segment)."""
    ticks = ENCODE_TIME_BASE.denominator
    writer: EncodeWriter | None = None
    end: int | None = None
    try:
        with av.open(os.fspath(src)) as source:
            stream = source.streams.video[0]
            time_base = stream.time_base or Fraction(1, 90_000)
            fps = float(stream.average_rate) if stream.average_rate else None
            last: int | None = None
            for frame in source.decode(stream):
                if frame.pts is None:
                    continue
                pts = round(frame.pts * time_base * ticks)
                if last is not None and pts <= last:
                    continue
                if writer is None:
                    writer = EncodeWriter(dst, frame.width & ~1, frame.height & ~1, fps,
                                          X264_OPTIONS, CLIP_OPTIONS if clip else None)
                writer.encode(masking.apply(frame, masks), pts)
                last = pts
                end = pts + round(frame.duration * time_base * ticks) if frame.duration else None
    except (av.error.FFmpegError, OSError) as error:
        if writer is not None:
            writer.close(None)
        dst.unlink(missing_ok=True)
        raise SourceError(f"{src.name} could not be masked ({error})") from error
    if writer is None:
        dst.unlink(missing_ok=True)
        raise SourceError(f"{src.name} holds no picture to mask")
    writer.close(end)
    return writer.frames


def masked_segment(segment: Segment, masks: Masks, work_dir: Path) -> Segment:
    """A masked copy of a buffered segment, in `work_dir` (the caller deletes it once sent):
    the same name, times and run; its own file, size, hash and codecs."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"masked-{segment.camera}-{segment.name}"
    frames = masked_file(segment.path, path, masks)
    return dataclasses.replace(segment, path=path, size=path.stat().st_size,
                               sha256=sha256_file(path), mode="encode", frames=frames,
                               codecs=avc1_codecs(path))
