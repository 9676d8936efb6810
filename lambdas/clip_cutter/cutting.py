"""Cutting exactly the asked window of an owner's upload into an H.264 MP4 clip.

No AWS here: an upload is a local path or a Source read by byte ranges (reading.py); the
Lambda handler moves the files.

Which library does what, and why:

- PyAV (FFmpeg's libraries) reads containers and packets: probe() uses it (probing.py says
  why), and cut() uses it for the packet-level copy and for the decode side of a re-encode
  (reencode.py), where each frame keeps its own timestamp, so variable-frame-rate input keeps
  its timing.
- PyAV writes every clip: the OpenCV wheel has no H.264 encoder (its mp4v output does not play
  in browsers). Clips are H.264 in MP4, yuv420p, `movflags=+faststart`.
- OpenCV draws the pictures people look at (pictures.py).

The clip is the window's pictures, no more: its first picture is the first one shown at or
after the asked start, its last the last one shown before the asked end. An H.264 source is
cut by a smart cut (splice.py): copied from its first IDR keyframe inside the window, the
pictures before that keyframe (and any at the end that lean on a picture past the window)
re-encoded. Anything else, and an H.264 source whose pictures cannot share a track with
re-encoded ones, is re-encoded whole (encode.py says the x264 settings and why); CutResult.why
says which and why, for the evidence manifest. The window is in the source file's own seconds
(times.py says how a real-time window becomes them).

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

import logging
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from bridge.masking import Masks
from lambdas.clip_cutter import sound
from lambdas.clip_cutter.encode import CLIP_CODEC
from lambdas.clip_cutter.probing import ProbeResult, open_video, probe, video_stream
from lambdas.clip_cutter.reading import (
    DAMAGED,
    PathLike,
    Readable,
    UnusableVideo,
    Window,
    WindowOutside,
    decode_order_times,
    is_source,
    origin,
)
from lambdas.clip_cutter.reencode import reencode_window
from lambdas.clip_cutter.splice import NotSpliceable, splice
from lambdas.clip_cutter.times import in_seconds, in_ticks, mmss

logger = logging.getLogger(__name__)

# H.264 pixel formats that browsers play as they are (yuvj420p is yuv420p at full range).
COPYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
WHY_FORCED = "re-encoded as asked"
WHY_MASKED = "every picture is re-encoded to black out the owner's privacy masks"
NO_MASKS = Masks()


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
    return Window(start=first + in_ticks(max(start_s, 0.0), time_base),
                  end=first + in_ticks(min(end_s, info.duration_s), time_base),
                  truncated=truncated)


def cut(src: Readable, dst: PathLike, start_s: float, end_s: float, *,
        threads: int | None = None, reencode: bool = False, audio: bool = False,
        info: ProbeResult | None = None, masks: Masks = NO_MASKS) -> CutResult:
    """Cut [start_s, end_s) of `src` into an H.264 MP4 clip at `dst`.

    The window is in the source file's own seconds, counted from its first video frame (the
    caller has applied the recorder's clock offset: see window_in_file()). The clip is H.264 in
    MP4, yuv420p, `movflags=+faststart`, its timestamps from 0. It holds the window's pictures
    only: the first shown at or after start_s to the last shown before end_s.

    H.264 sources in yuv420p are smart-cut (the recorder's own pictures copied from its first
    IDR keyframe in the window, the rest re-encoded: see splice.py); "stream_copy" when the
    window starts on a keyframe and nothing needed re-encoding. Anything else (MJPEG, HEVC,
    MPEG-4, 4:2:2 or 10-bit H.264) is re-encoded with libx264 (encode.py). `reencode=True`
    forces a re-encode; so do the owner's privacy `masks`, blacked out of every picture
    (bridge/masking.py; none: nothing is re-encoded for them); `threads` sets decoder and encoder
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
        with open_video(src) as source:
            stream = video_stream(source)
            window = _window(info, start_s, end_s, stream)
            why = (WHY_MASKED if masks else WHY_FORCED if reencode
                   else _why_not_spliced(info, source, stream))
            try:
                result = _write(source, partial, window, why, threads, audio, masks)
                spliced = True
            except NotSpliceable as exc:
                logger.info("re-encoding the whole window: %s", exc.why)
                why, spliced = f"{exc.why}: every picture is re-encoded", False
        if not spliced:  # a fresh reader: the smart cut's decoder is spent
            with open_video(src) as source:
                result = _write(source, partial, window, why, threads, audio, masks)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _write(source: InputContainer, partial: Path, window: Window, why_reencode: str | None,
           threads: int | None, audio: bool, masks: Masks = NO_MASKS) -> CutResult:
    """One attempt: a smart cut (`why_reencode` None) or a whole re-encode."""
    stream = video_stream(source)
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
            encoder = reencode_window(source, output, window, threads, noise, masks)
            method, why = "reencode", why_reencode
            first, last_end, frames = encoder.first_pts, encoder.end_pts, encoder.frames
            reencoded = frames
            width, height = encoder.stream.width, encoder.stream.height
        if noise is not None:
            noise.close(float(last_end * time_base))
    if first is None or frames == 0:
        raise UnusableVideo(DAMAGED)
    first_frame = origin(stream)
    duration_s = in_seconds(last_end - first, time_base)
    return CutResult(
        method=method,
        why=why,
        start_s=in_seconds(first - first_frame, time_base),
        end_s=in_seconds(last_end - first_frame, time_base),
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
