"""The probe refuses pictures larger than 8K before decoding any, and files of many hours;
reading stops with a reason once the time box runs out."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from lambdas.clip_cutter import cutting, probing
from lambdas.clip_cutter.reading import TOO_SLOW, UnusableVideo, time_box
from tests.video.samples import make_h264


def test_pictures_larger_than_8k_are_refused_before_one_is_decoded(tmp_path: Path) -> None:
    big = make_h264(tmp_path / "big.mp4", width=7712, height=4352, fps=1, seconds=1, gop=1,
                    bframes=0)
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UnusableVideo, match="7712×4352, larger than any camera"):
        probing.probe(big)
    assert time.monotonic() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KB


def test_a_file_of_eight_k_or_less_is_measured_as_usual(tmp_path: Path) -> None:
    ordinary = make_h264(tmp_path / "hd.mp4", width=1280, height=720, seconds=1, gop=30)
    found = probing.probe(ordinary)
    assert (found.width, found.height) == (1280, 720)
    assert found.duration_s < probing.MAX_DURATION_S


def test_reading_past_the_time_box_stops_with_a_reason(tmp_path: Path) -> None:
    ordinary = make_h264(tmp_path / "short.mp4", width=160, height=120, seconds=2, gop=30)
    with time_box(-1), pytest.raises(UnusableVideo) as refused:
        probing.probe(ordinary)
    assert refused.value.reason == TOO_SLOW
    with time_box(60):  # time enough: the same file cuts as usual
        assert cutting.cut(ordinary, tmp_path / "clip.mp4", 0.0, 1.0).frames > 0
    assert probing.probe(ordinary).duration_s > 1  # the box ends with its block
