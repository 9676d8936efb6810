"""Activity markers on a clip with known motion (bench.beyond.motion_clip: a still, noisy
street in which a figure walks across during known stretches only)."""

from __future__ import annotations

from pathlib import Path

from bench.beyond import MOTION, marker_scores, motion_clip
from lambdas.clip_cutter import activity


def test_markers_find_the_motion_and_little_else(tmp_path: Path) -> None:
    clip = motion_clip(tmp_path / "street.mp4", seconds=34, fps=10)
    truth = tuple(span for span in MOTION if span[1] <= 34)
    found = activity.markers(clip)
    assert len(found) == len(truth)
    recall, precision = marker_scores(found, truth, 34, 10)
    assert recall >= 0.95 and precision >= 0.9, (found, recall, precision)


def test_a_still_picture_has_no_markers(tmp_path: Path) -> None:
    clip = motion_clip(tmp_path / "still.mp4", seconds=8, fps=10, motion=())
    assert activity.markers(clip) == []


def test_moving_pictures_close_together_make_one_stretch() -> None:
    times = [(i / 10, i in (10, 11, 12, 17, 18, 40)) for i in range(60)]
    assert activity.stretches(times) == [(0.9, 1.8)]  # 4.0 alone is too short to keep
