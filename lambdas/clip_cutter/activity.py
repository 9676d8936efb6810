"""Activity markers: the moments of a clip in which something moves, so a detective can skip
the empty minutes (issue 21, the case timeline).

Motion only, by OpenCV frame differencing: nothing about who or what moved. Each picture is
shrunk to WIDTH pixels wide, grey and blurred (so sensor noise and compression shimmer do
not count); a picture moves when more than MOVING_SHARE of its pixels differ by more than
DIFFERENCE levels from the picture before. Moving pictures closer than JOIN_S make one
stretch; a stretch shorter than SHORTEST_S (a flicker, a headlight sweep of one frame) is
dropped. The result is a list of (start, end) in the clip's own seconds; the handler turns
them into real time with the clip's real start.

Measured by `python -m bench.beyond` against a synthetic clip with known motion.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

WIDTH = 160  # px: the picture is shrunk to this width first
DIFFERENCE = 18  # grey levels (of 255) a pixel must change by to count
MOVING_SHARE = 0.002  # of the picture's pixels: above this, the picture moves
JOIN_S = 1.0  # moving pictures closer than this make one stretch
SHORTEST_S = 0.3  # a shorter stretch is dropped
MAX_MARKERS = 500  # a clip that moves all the time says so in a few long stretches anyway


def _small(picture: np.ndarray) -> np.ndarray:
    height, width = picture.shape[:2]
    size = (WIDTH, max(1, round(height * WIDTH / width)))
    grey = cv2.cvtColor(cv2.resize(picture, size, interpolation=cv2.INTER_AREA),
                        cv2.COLOR_BGR2GRAY)
    return cv2.GaussianBlur(grey, (5, 5), 0)


def moving_times(clip: Path) -> list[tuple[float, bool]]:
    """Each picture's time in the clip (seconds) and whether it moved."""
    capture = cv2.VideoCapture(str(clip))
    found: list[tuple[float, bool]] = []
    before: np.ndarray | None = None
    try:
        while True:
            ok, picture = capture.read()
            if not ok:
                break
            at = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
            small = _small(picture)
            moved = False
            if before is not None:
                changed = cv2.absdiff(small, before) > DIFFERENCE
                moved = float(changed.mean()) > MOVING_SHARE
            found.append((at, moved))
            before = small
    finally:
        capture.release()
    return found


def stretches(times: list[tuple[float, bool]]) -> list[tuple[float, float]]:
    """Moving pictures joined into (start, end) stretches of the clip's seconds."""
    step = (times[-1][0] - times[0][0]) / (len(times) - 1) if len(times) > 1 else 0.0
    found: list[list[float]] = []
    for at, moved in times:
        if not moved:
            continue
        start = at - step  # the motion happened between the picture before and this one
        if found and start - found[-1][1] < JOIN_S:
            found[-1][1] = at
        else:
            found.append([max(start, 0.0), at])
    kept = [(round(a, 3), round(b, 3)) for a, b in found if b - a >= SHORTEST_S]
    while len(kept) > MAX_MARKERS:  # join the closest neighbours until few enough
        gaps = [kept[i + 1][0] - kept[i][1] for i in range(len(kept) - 1)]
        i = gaps.index(min(gaps))
        kept[i:i + 2] = [(kept[i][0], kept[i + 1][1])]
    return kept


def markers(clip: Path) -> list[tuple[float, float]]:
    """The clip's moments of motion, as (start, end) seconds from its start."""
    return stretches(moving_times(clip))
