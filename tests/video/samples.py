"""Test videos made with PyAV: small, deterministic, and each frame says which frame it is.

Every picture carries its own frame number in a row of black and white blocks across the top
(FRAME_BITS blocks of BLOCK px, most significant bit first), big enough to survive lossy
compression, so a test can decode any frame of a clip and tell which source frame it is. The
rest of the picture moves (shifting gradients and a square) so the encoder has real work.
Widths and heights are multiples of 4 (the frames are built as yuv420p arrays).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.stream import VideoStream

FRAME_BITS = 12
BLOCK = 16  # px per bit block; rows 0..BLOCK-1 hold the frame number
NDArray = np.ndarray


@functools.lru_cache(maxsize=8)
def _base(width: int, height: int) -> tuple[NDArray, NDArray, NDArray]:
    """Still gradients (luma index 0..179, two chroma planes) that frame_planes() moves."""
    x = np.arange(width, dtype=np.int32)[None, :]
    y = np.arange(height, dtype=np.int32)[:, None]
    luma = ((x * 150 // max(width - 1, 1) + y * 40 // max(height - 1, 1)) % 180).astype(np.uint8)
    half = (height // 2, width // 2)
    chroma_u = np.broadcast_to(np.arange(half[1]) % 60, half).astype(np.uint8)
    chroma_v = np.broadcast_to((np.arange(half[0]) % 50)[:, None], half).astype(np.uint8)
    return luma, chroma_u, chroma_v


def frame_planes(index: int, width: int, height: int) -> NDArray:
    """Frame `index` as one yuv420p array (height * 3 / 2 rows): moving content plus its number.

    Built in YUV directly (width and height multiples of 4), so making a sample costs mostly
    the encoder's time.
    """
    base_luma, base_u, base_v = _base(width, height)
    shades = np.arange(256, dtype=np.int32)
    luma = ((shades + index * 3) % 180 + 40).astype(np.uint8)[base_luma]
    chroma_u = ((shades + index) % 60 + 100).astype(np.uint8)[base_u]
    chroma_v = (150 - (shades + index) % 50).astype(np.uint8)[base_v]
    side = max(height // 6, 8)
    left = (index * 5) % max(width - side, 1)
    top = BLOCK * 2 + (index * 3) % max(height - side - BLOCK * 2, 1)
    luma[top:top + side, left:left + side] = 220
    luma[:BLOCK + 4, :] = 128
    chroma_u[:(BLOCK + 4) // 2, :] = 128
    chroma_v[:(BLOCK + 4) // 2, :] = 128
    for bit in range(FRAME_BITS):
        on = (index >> (FRAME_BITS - 1 - bit)) & 1
        luma[2:BLOCK + 2, bit * BLOCK:(bit + 1) * BLOCK] = 235 if on else 16
    return np.concatenate([luma, chroma_u.reshape(-1, width), chroma_v.reshape(-1, width)])


def video_frame(index: int, width: int, height: int, pts: int,
                time_base: Fraction) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(frame_planes(index, width, height), format="yuv420p")
    frame.pts = pts
    frame.time_base = time_base
    return frame


def frame_picture(index: int, width: int, height: int) -> NDArray:
    """Frame `index` as an RGB picture (for still images)."""
    return video_frame(index, width, height, 0, Fraction(1)).to_ndarray(format="rgb24")


def read_frame_number(bgr_or_rgb: NDArray) -> int:
    """The frame number drawn by frame_picture(), read back from a decoded picture."""
    grey = bgr_or_rgb.mean(axis=2) if bgr_or_rgb.ndim == 3 else bgr_or_rgb
    number = 0
    for bit in range(FRAME_BITS):
        centre = grey[BLOCK // 2 - 2:BLOCK // 2 + 6,
                      bit * BLOCK + BLOCK // 2 - 4:bit * BLOCK + BLOCK // 2 + 4]
        number = (number << 1) | int(centre.mean() > 128)
    return number


def _h264_stream(container: av.container.OutputContainer, rate: Fraction, width: int,
                 height: int, gop: int, bframes: int) -> VideoStream:
    stream = container.add_stream("libx264", rate=rate, options={
        "preset": "ultrafast",
        "crf": "26",
        "x264-params": (f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}:"
                        "b-adapt=0:log-level=error"),
    })
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.codec_context.gop_size = gop
    stream.codec_context.max_b_frames = bframes
    return stream


def _sine_frames(seconds: float, rate: int = 48_000) -> Iterator[av.AudioFrame]:
    samples = 1024
    total = int(seconds * rate)
    for start in range(0, total, samples):
        t = (np.arange(start, start + samples) / rate).astype(np.float32)
        tone = (0.2 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp",
                                           layout="stereo")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield frame


def make_h264(path: str | os.PathLike[str], *, width: int = 640, height: int = 360,
              fps: int = 30, seconds: float = 40.0, gop: int = 60, bframes: int = 2,
              audio: bool = False, rotation: int | None = None,
              options: dict[str, str] | None = None) -> Path:
    """H.264 (constant frame rate) in the container named by the file's extension."""
    target = Path(path)
    count = round(seconds * fps)
    with av.open(str(target), "w", options=options or {}) as container:
        video = _h264_stream(container, Fraction(fps), width, height, gop, bframes)
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=48_000) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        for index in range(count):
            container.mux(video.encode(video_frame(index, width, height, index,
                                                   Fraction(1, fps))))
        container.mux(video.encode(None))
        if sound is not None:
            for chunk in _sine_frames(seconds):
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return target


VFR_INTERVALS_MS = (33, 33, 17, 50, 33, 100, 25, 33, 67, 40)  # repeated: gaps vary 17..100 ms


def vfr_times(seconds: float) -> list[float]:
    """Frame times (s) of the variable-frame-rate sample: VFR_INTERVALS_MS repeated."""
    times: list[float] = []
    now_ms = 0
    index = 0
    while now_ms < seconds * 1000:
        times.append(now_ms / 1000)
        now_ms += VFR_INTERVALS_MS[index % len(VFR_INTERVALS_MS)]
        index += 1
    return times


def make_vfr_h264(path: str | os.PathLike[str], *, width: int = 320, height: int = 240,
                  seconds: float = 12.0, gop: int = 30) -> Path:
    """H.264 MP4 whose frame gaps vary (17 to 100 ms), on a 1/90000 time base."""
    target = Path(path)
    tick = Fraction(1, 90_000)
    with av.open(str(target), "w") as container:
        video = _h264_stream(container, Fraction(30), width, height, gop, 2)
        video.codec_context.time_base = tick
        video.time_base = tick
        for index, when in enumerate(vfr_times(seconds)):
            container.mux(video.encode(video_frame(index, width, height,
                                                   round(when * 90_000), tick)))
        container.mux(video.encode(None))
    return target


def make_mjpeg_avi(path: str | os.PathLike[str], *, width: int = 320, height: int = 240,
                   fps: int = 15, seconds: float = 12.0) -> Path:
    """Motion JPEG in AVI, as many older DVRs and IP cameras export."""
    target = Path(path)
    with av.open(str(target), "w") as container:
        video = container.add_stream("mjpeg", rate=fps, options={"q:v": "5"})
        video.width = width
        video.height = height
        video.pix_fmt = "yuvj420p"
        for index in range(round(seconds * fps)):
            frame = video_frame(index, width, height, index, Fraction(1, fps))
            container.mux(video.encode(frame.reformat(format="yuvj420p")))
        container.mux(video.encode(None))
    return target


def make_hevc_mkv(path: str | os.PathLike[str], *, width: int = 320, height: int = 180,
                  fps: int = 25, seconds: float = 6.0) -> Path:
    """HEVC in Matroska (as newer phones and recorders make), re-encoded by cut()."""
    target = Path(path)
    with av.open(str(target), "w") as container:
        video = container.add_stream("libx265", rate=fps, options={
            "preset": "ultrafast", "x265-params": "log-level=error:keyint=50"})
        video.width = width
        video.height = height
        video.pix_fmt = "yuv420p"
        for index in range(round(seconds * fps)):
            container.mux(video.encode(video_frame(index, width, height, index,
                                                   Fraction(1, fps))))
        container.mux(video.encode(None))
    return target


def make_trimmed_mov(source: str | os.PathLike[str], path: str | os.PathLike[str],
                     trim_s: float) -> Path:
    """The source's video with its first `trim_s` seconds hidden by an edit list, as a phone's
    editor trims: the pictures stay in the file (the GOP must still decode) but are not shown."""
    target = Path(path)
    with av.open(str(source)) as original, av.open(str(target), "w") as trimmed:
        stream = original.streams.video[0]
        assert stream.time_base is not None
        shift = round(trim_s / stream.time_base)
        copy = trimmed.add_stream_from_template(stream)
        copy.time_base = stream.time_base
        for packet in original.demux(stream):
            if packet.size and packet.pts is not None and packet.dts is not None:
                packet.pts -= shift
                packet.dts -= shift
                packet.stream = copy
                trimmed.mux_one(packet)
    return target


def make_image_as_mp4(path: str | os.PathLike[str]) -> Path:
    """A PNG picture saved under a .mp4 name."""
    target = Path(path)
    ok, data = cv2.imencode(".png", frame_picture(7, 320, 240))
    assert ok
    target.write_bytes(data.tobytes())
    return target


def make_random_bytes(path: str | os.PathLike[str], size: int = 256 * 1024) -> Path:
    target = Path(path)
    target.write_bytes(np.random.default_rng(20261122).integers(0, 256, size, np.uint8)
                       .tobytes())
    return target


def make_truncated(source: str | os.PathLike[str], path: str | os.PathLike[str],
                   fraction: float = 0.3) -> Path:
    """The first `fraction` of another file's bytes, as an interrupted upload leaves it."""
    data = Path(source).read_bytes()
    target = Path(path)
    target.write_bytes(data[:int(len(data) * fraction)])
    return target


@dataclass(frozen=True)
class Samples:
    """Every sample the tests use, made once into one folder."""

    h264: Path  # 640x360, 30 fps, 40 s, GOP 60, 2 B-frames, MP4 (moov at the end)
    h264_faststart: Path  # the same stream, 10 s, moov first
    phone_mov: Path  # 384x216 H.264 + AAC, 8 s, rotated 90 degrees
    trimmed_mov: Path  # h264_faststart with its first 1.5 s hidden by an edit list
    vfr: Path  # 320x240 H.264 MP4, frame gaps 17..100 ms, 12 s, GOP 30
    mjpeg: Path  # 320x240 MJPEG AVI, 15 fps, 12 s
    hevc: Path  # 320x180 HEVC MKV, 25 fps, 6 s
    other_h264: dict[str, Path]  # 320x240 H.264, 30 fps, 10 s, GOP 60 in MKV, MPEG-TS and AVI
    bad: dict[str, Path]  # name -> a file no clip can be made from


H264_FPS = 30
H264_GOP = 60
H264_BFRAMES = 2
H264_SECONDS = 40.0
VFR_GOP = 30
TRIM_S = 1.5


def build_all(folder: Path) -> Samples:
    h264 = make_h264(folder / "h264.mp4", fps=H264_FPS, seconds=H264_SECONDS, gop=H264_GOP,
                     bframes=H264_BFRAMES)
    faststart = make_h264(folder / "h264_faststart.mp4", seconds=10.0,
                          options={"movflags": "+faststart"})
    audio_only = folder / "sound.m4a"
    with av.open(str(audio_only), "w") as container:
        sound = container.add_stream("aac", rate=48_000)
        sound.layout = "stereo"
        for chunk in _sine_frames(2.0):
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    jpeg = folder / "photo.mp4"
    ok, data = cv2.imencode(".jpg", frame_picture(3, 320, 240))
    assert ok
    jpeg.write_bytes(data.tobytes())
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    mjpeg = make_mjpeg_avi(folder / "mjpeg.avi")
    return Samples(
        h264=h264,
        h264_faststart=faststart,
        trimmed_mov=make_trimmed_mov(faststart, folder / "trimmed.mov", TRIM_S),
        phone_mov=make_h264(folder / "phone.mov", width=384, height=216, seconds=8.0,
                            audio=True, rotation=90),
        vfr=make_vfr_h264(folder / "vfr.mp4", gop=VFR_GOP),
        mjpeg=mjpeg,
        hevc=make_hevc_mkv(folder / "hevc.mkv"),
        other_h264={
            "mkv": make_h264(folder / "h264.mkv", width=320, height=240, seconds=10.0),
            "mpegts": make_h264(folder / "h264.ts", width=320, height=240, seconds=10.0),
            "avi": make_h264(folder / "h264.avi", width=320, height=240, seconds=10.0),
            "avi_no_b_frames": make_h264(folder / "h264_no_b.avi", width=320, height=240,
                                         seconds=10.0, bframes=0),
        },
        bad={
            "empty": empty,
            "truncated_mp4": make_truncated(h264, folder / "truncated.mp4"),
            "truncated_faststart_mp4": make_truncated(faststart, folder / "truncated_fs.mp4"),
            "truncated_avi": make_truncated(mjpeg, folder / "truncated.avi"),
            "png_as_mp4": make_image_as_mp4(folder / "picture.mp4"),
            "jpeg_as_mp4": jpeg,
            "random_bytes": make_random_bytes(folder / "random.mp4"),
            "sound_only": audio_only,
        },
    )
