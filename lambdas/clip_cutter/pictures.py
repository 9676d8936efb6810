"""Pictures for people to look at: the clip's poster frame and its contact sheet, and the
versions of the tools that made a clip (for the evidence manifest).

OpenCV reads and inspects the decoded clip frames: poster() and contact_sheet() seek, scale,
draw the time on tiles and encode JPEG. (OpenCV applies a phone's display rotation.)
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.frame import VideoFrame

from lambdas.clip_cutter.probing import probe
from lambdas.clip_cutter.reading import DAMAGED, PathLike, UnusableVideo
from lambdas.clip_cutter.times import mmss

TILE_WIDTH = 320


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
            _label(tile, mmss(when))
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
