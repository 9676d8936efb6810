"""Privacy masks: the owner's polygons blacked out of every picture before it leaves the owner.

One implementation, used by the bridge (its live pieces and clips, before upload) and by the
clip worker (every clip cut from an owner's upload): both import this module.

A mask is a polygon the owner drew over the camera's view as people see it, its corners as
fractions of the view's width and height (0..1, from the top left). A picture is stored the
way the camera or phone wrote it: a phone's portrait video is stored sideways with a display
rotation that players apply. So each corner is first turned into the stored picture's
orientation (`stored_points`), then scaled to its size: one mask fits every resolution the
camera sends (main stream, substream) and every rotation.

Masked samples are black: luma at the format's black (16 in video range, 0 in full range),
chroma at 128. Everything outside the masks is the decoded picture as it was (the encoder
that follows then re-encodes it, as it would any picture).

A mask covers every pixel whose centre is inside its polygon (numpy, exact: the bridge ships
no OpenCV). Where OpenCV is installed (the clip worker) `cv2.fillPoly` adds the pixels its
outline touches, so a mask there is up to a pixel larger, never smaller
(tests/unit/test_masking.py checks both).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from av.video.frame import VideoFrame

MAX_MASKS = 8
MAX_POINTS = 32
GROW_PX = 2  # each mask reaches this far past its outline (see coverage)
Point = tuple[float, float]
Polygon = tuple[Point, ...]
# The formats masked as they are; any other is converted to yuv420p first.
PLANAR_420 = {"yuv420p": 16, "yuvj420p": 0}  # format -> the luma of black


@dataclass(frozen=True)
class Masks:
    """An owner's masks for one camera: polygons, each with the id the audit and manifest use."""

    polygons: tuple[tuple[str, Polygon], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.polygons)

    @property
    def ids(self) -> list[str]:
        return [mask_id for mask_id, _ in self.polygons]

    @property
    def fingerprint(self) -> str:
        """Which masks a piece or clip was made with: a short SHA-256 of their JSON (the
        server computes the same, app/core/masks.py, to check what a bridge says it did)."""
        if not self.polygons:
            return ""
        said = json.dumps(self.as_json(), separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(said.encode()).hexdigest()[:16]

    def as_json(self) -> list[dict[str, Any]]:
        return [{"id": mask_id, "points": [[x, y] for x, y in points]}
                for mask_id, points in self.polygons]


def from_json(data: Any) -> Masks:
    """Masks from their JSON form ([{"id", "points": [[x, y], ...]}, ...]), as the server sends
    them (it checked them when the owner saved them: app/core/masks.py). ValueError when they
    are not that shape: a bridge given masks it cannot read must not send the camera at all."""
    if not data:
        return Masks()
    if not isinstance(data, list) or len(data) > MAX_MASKS:
        raise ValueError(f"masks must be a list of at most {MAX_MASKS} shapes")
    polygons: list[tuple[str, Polygon]] = []
    for item in data:
        points = tuple((float(x), float(y)) for x, y in item["points"])
        if not 3 <= len(points) <= MAX_POINTS or not all(
                0.0 <= v <= 1.0 for point in points for v in point):
            raise ValueError(f"mask {item.get('id')!r} is not a polygon inside the view")
        polygons.append((str(item["id"]), points))
    return Masks(tuple(polygons))


def stored_points(points: Iterable[Point], rotation: int) -> list[Point]:
    """Corners drawn on the view as shown, in the stored picture's orientation.

    `rotation` is the display rotation PyAV reports (VideoFrame.rotation): 90 means the stored
    picture is shown turned a quarter counter-clockwise (OpenCV and browsers agree)."""
    turn = round(rotation / 90) % 4
    if turn == 1:
        return [(1.0 - v, u) for u, v in points]
    if turn == 2:
        return [(1.0 - u, 1.0 - v) for u, v in points]
    if turn == 3:
        return [(v, 1.0 - u) for u, v in points]
    return list(points)


def _fill_numpy(width: int, height: int, polygons: list[list[Point]]) -> np.ndarray:
    """Pixels whose centre is inside any polygon (even-odd rule), without OpenCV."""
    inside = np.zeros((height, width), dtype=bool)
    ys = np.arange(height, dtype=np.float64)[:, None] + 0.5
    xs = np.arange(width, dtype=np.float64)[None, :] + 0.5
    for points in polygons:
        odd = np.zeros((height, width), dtype=bool)
        for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
            if y1 == y2:
                continue
            crosses = (ys >= min(y1, y2)) & (ys < max(y1, y2))  # one column: per row
            x_at = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
            odd ^= crosses & (xs < x_at)
        inside |= odd
    return inside


def _fill(width: int, height: int, polygons: list[list[Point]]) -> np.ndarray:
    inside = _fill_numpy(width, height, polygons)
    try:
        import cv2  # the clip worker has OpenCV; the bridge does not need it
    except ImportError:
        return inside
    canvas = np.zeros((height, width), dtype=np.uint8)
    shift = 8  # sub-pixel corners: cv2 takes fixed-point coordinates
    scaled = [np.array([[round((x - 0.5) * (1 << shift)), round((y - 0.5) * (1 << shift))]
                        for x, y in points], dtype=np.int32) for points in polygons]
    for corners in scaled:  # one by one: where two masks overlap, both cover it
        cv2.fillPoly(canvas, [corners], 255, lineType=cv2.LINE_8, shift=shift)
    return inside | canvas.astype(bool)


def _grown(inside: np.ndarray, pixels: int) -> np.ndarray:
    """`inside` and every pixel within `pixels` of it (a square neighbourhood)."""
    height, width = inside.shape
    rows = np.pad(inside, ((0, 0), (pixels, pixels)))
    wide = np.zeros_like(inside)
    for dx in range(2 * pixels + 1):
        wide |= rows[:, dx:dx + width]
    cols = np.pad(wide, ((pixels, pixels), (0, 0)))
    grown = np.zeros_like(inside)
    for dy in range(2 * pixels + 1):
        grown |= cols[dy:dy + height, :]
    return grown


@lru_cache(maxsize=32)
def coverage(masks: Masks, width: int, height: int, rotation: int = 0) -> np.ndarray:
    """Which pixels of a stored `width` x `height` picture the masks cover (bool, rows first):
    the polygons, grown by GROW_PX so that the encoder's blending of the edge (4:2:0 colour,
    the deblocking filter) falls outside them, not inside."""
    polygons = [[(x * width, y * height) for x, y in stored_points(points, rotation)]
                for _, points in masks.polygons]
    return _grown(_fill(width, height, polygons), GROW_PX)


@lru_cache(maxsize=32)
def _planes(masks: Masks, width: int, height: int, rotation: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The luma mask, and the chroma one (a chroma sample is blacked when any of its four
    luma samples is: no colour fringe bleeds out of a masked area)."""
    luma = coverage(masks, width, height, rotation)
    chroma = np.asarray(luma.reshape(height // 2, 2, width // 2, 2).any(axis=(1, 3)), dtype=bool)
    return luma, chroma


def apply(frame: VideoFrame, masks: Masks, rotation: int | None = None) -> VideoFrame:
    """The picture with the masks blacked out: a new frame (a decoder's own frame may be a
    reference for the next pictures, so it is never written in place), at the same time.
    The masks are placed by the frame's display rotation, which the new frame does not carry
    (PyAV cannot set it): an encoder takes it from the frame it was given, and a caller that
    converted the frame first (losing it too) passes the original's `rotation`. Without
    masks, the frame itself."""
    if not masks:
        return frame
    width, height = frame.width & ~1, frame.height & ~1  # 4:2:0 pictures are even-sized
    picture = frame
    if frame.format.name not in PLANAR_420 or (width, height) != (frame.width, frame.height):
        picture = frame.reformat(width=width, height=height, format="yuv420p")
    black = PLANAR_420[picture.format.name]
    data = picture.to_ndarray()  # the Y rows, then U's and V's (a quarter of the samples each)
    turn = int(frame.rotation or 0) if rotation is None else rotation
    luma, chroma = _planes(masks, width, height, turn)
    samples = data.reshape(-1)  # a view: Y (width x height), then U and V (a quarter each)
    size, quarter = width * height, width * height // 4
    samples[:size].reshape(height, width)[luma] = black
    for start in (size, size + quarter):
        samples[start:start + quarter].reshape(height // 2, width // 2)[chroma] = 128
    out = VideoFrame.from_ndarray(data, format=picture.format.name)
    out.pts = frame.pts
    if frame.time_base is not None:
        out.time_base = frame.time_base
    out.duration = frame.duration
    out.color_range = picture.color_range
    return out
