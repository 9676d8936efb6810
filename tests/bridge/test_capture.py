"""How pictures are timed (bridge.capture), without a camera: packets read late never make
pictures look newer, a camera's clock is used only when it agrees with the box's, and skipping
to live keeps the newest keyframe."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bridge.capture import CaptureClock, LiveQueue, QueueEnded, Timing

TB = Fraction(1, 90_000)
T0 = 1_800_000_000.0  # the box's clock when the stream's time 0 was captured


def ticks(seconds: float) -> int:
    return round(seconds * 90_000)


def test_late_reads_do_not_move_arrival_times() -> None:
    clock = CaptureClock(TB, lambda: None)  # a camera without RTCP sender reports
    for n in range(30):  # read the moment they come: 40 ms after capture
        clock.observe(ticks(n / 15), T0 + n / 15 + 0.04)
    for n in range(30, 60):  # then a busy box reads them ever later
        clock.observe(ticks(n / 15), T0 + n / 15 + 0.04 + (n - 30) * 0.2)
    assert not clock.uses_camera_clock
    assert clock.at(ticks(3.5)) == pytest.approx(T0 + 3.5 + 0.04, abs=0.01)


def test_the_camera_clock_is_used_only_when_it_agrees() -> None:
    agreeing = CaptureClock(TB, lambda: int(T0 * 1e6))
    off = CaptureClock(TB, lambda: int((T0 - 90) * 1e6))  # its clock 90 s behind the box's
    for n in range(30):
        for clock in (agreeing, off):
            clock.observe(ticks(n / 15), T0 + n / 15 + 0.05)
    assert agreeing.uses_camera_clock and agreeing.at(ticks(1)) == pytest.approx(T0 + 1)
    assert agreeing.camera_offset_s == pytest.approx(-0.05, abs=0.001)
    assert not off.uses_camera_clock
    assert off.camera_offset_s == pytest.approx(-90.05, abs=0.001)
    assert off.at(ticks(1)) == pytest.approx(T0 + 1.05, abs=0.001)  # by arrival instead


def test_skipping_to_live_keeps_the_newest_keyframe() -> None:
    queue: LiveQueue[str] = LiveQueue()
    for n, key in enumerate("KppKppKp"):
        queue.put(f"{key}{n}", float(n), key == "K")
    assert queue.skip_to_keyframe() == (6, True)
    kept = [queue.get(0), queue.get(0)]
    assert [(q.item, q.arrival, q.keyframe) for q in kept if q] == [("K6", 6.0, True),
                                                                    ("p7", 7.0, False)]
    queue.put("p8", 8.0, False)
    assert queue.skip_to_keyframe() == (1, False)  # no keyframe: all goes, wait for one
    queue.end(None)
    with pytest.raises(QueueEnded):
        queue.get(0)


def test_timing_tells_the_runner_what_was_skipped() -> None:
    reasons: list[str] = []
    timing = Timing(on_skip=reasons.append)
    timing.skipped(4.2, "fell behind")
    timing.behind_s = 1.234
    assert reasons == ["fell behind"]
    assert timing.status()["skips"] == 1 and timing.status()["skipped_s"] == 4.2
    assert timing.status()["behind_s"] == 1.23
