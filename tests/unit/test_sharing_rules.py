"""The owner's sharing rules: schedules (across midnight, in the program's zone, over DST),
tiers, session length and refused categories; no live access is granted outside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import sharing
from app.core.errors import ValidationError

ZONE = "America/Chicago"


def at(text: str) -> datetime:
    """A wall-clock time in Chicago, like '2026-11-23 22:30' (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE))


def rules(tier: str = "always", schedule: str = "", paused: bool = False,
          refused: tuple[str, ...] = ()) -> sharing.Rules:
    return sharing.Rules(tier, paused, schedule, 30, refused, "metro")


def test_a_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    windows = sharing.parse_schedule("mon-fri 22:00-06:00")
    assert sharing.in_schedule(windows, at("2026-11-23 22:00"), ZONE)  # Monday 22:00
    assert sharing.in_schedule(windows, at("2026-11-24 05:59"), ZONE)  # Tuesday early
    assert not sharing.in_schedule(windows, at("2026-11-24 06:00"), ZONE)
    assert not sharing.in_schedule(windows, at("2026-11-23 21:59"), ZONE)
    assert not sharing.in_schedule(windows, at("2026-11-23 03:00"), ZONE)  # Sunday night's
    assert sharing.in_schedule(windows, at("2026-11-29 02:00"), ZONE) is False  # Sun, none
    assert sharing.in_schedule(windows, at("2026-11-28 03:00"), ZONE)  # Fri night → Sat


def test_the_schedule_is_read_in_the_programs_zone() -> None:
    windows = sharing.parse_schedule("mon 22:00-23:00")
    utc = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)  # Monday 22:30 in Chicago
    assert sharing.in_schedule(windows, utc, ZONE)
    assert not sharing.in_schedule(windows, utc, "Europe/Berlin")


def test_daylight_saving_follows_the_wall_clock() -> None:
    windows = sharing.parse_schedule("sun 01:00-04:00")
    # 2026-03-08: Chicago springs forward at 02:00; 03:30 wall clock is inside.
    assert sharing.in_schedule(windows, at("2026-03-08 03:30"), ZONE)
    assert not sharing.in_schedule(windows, at("2026-03-08 04:00"), ZONE)


@pytest.mark.parametrize("line", ["mon 25:00-26:00", "funday 10:00-11:00", "mon 10:00",
                                  "mon 10:60-11:00", "10:00-11:00", "mon-fri 22:00-24:30"])
def test_unreadable_lines_are_named(line: str) -> None:
    with pytest.raises(ValidationError) as caught:
        sharing.parse_schedule(f"sat 00:00-24:00\n{line}")
    assert "line 2" in caught.value.errors["schedule"]


def test_tiers_decide_who_may_watch_live() -> None:
    now = at("2026-11-23 23:00")
    assert sharing.live_decision(rules("always", "mon-fri 22:00-06:00"), "metro", now,
                                 ZONE).allowed
    outside = sharing.live_decision(rules("always", "mon-fri 22:00-06:00"), "metro",
                                    at("2026-11-23 12:00"), ZONE)
    assert not outside.allowed and "Outside the owner's schedule" in outside.reason
    assert not sharing.live_decision(rules("on_request"), "metro", now, ZONE).allowed
    assert not sharing.live_decision(rules("registered"), "metro", now, ZONE).allowed
    assert not sharing.live_decision(rules("on_alert"), "metro", now, ZONE).allowed
    sharing_now = sharing.live_decision(rules("on_alert"), "metro", now, ZONE,
                                        alert_ends_at=now + timedelta(minutes=90))
    assert sharing_now.allowed and sharing_now.until == now + timedelta(minutes=30)  # max 30
    assert not sharing.live_decision(rules("always", paused=True), "metro", now, ZONE).allowed
    assert not sharing.live_decision(rules("always"), "other-pd", now, ZONE).allowed
    assert not sharing.live_decision(rules("on_alert"), "metro", now, ZONE,
                                     alert_ends_at=now - timedelta(seconds=1)).allowed


def test_refused_categories_are_never_asked() -> None:
    assert not sharing.request_decision(rules(refused=("drug_offense",)), "drug_offense").allowed
    assert sharing.request_decision(rules(refused=("drug_offense",)), "robbery").allowed


days = st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)
minutes = st.integers(0, 24 * 60 - 1)


@st.composite
def schedules(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        start, end = draw(minutes), draw(st.integers(1, 24 * 60))
        names = ",".join(sharing.DAYS[d] for d in draw(days))
        lines.append(f"{names} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    return "\n".join(lines)


def brute_force_minutes(text: str) -> set[int]:
    """Every minute of the week (0 = Monday 00:00) the schedule covers, spelled out."""
    covered: set[int] = set()
    for window in sharing.parse_schedule(text):
        first = window.day * 24 * 60 + window.start
        covered |= {(first + i) % (7 * 24 * 60) for i in range(window.length)}
    return covered


@settings(max_examples=150, deadline=None)
@given(schedules(), st.integers(0, 7 * 24 * 60 - 1), st.sampled_from(["always", "on_alert",
                                                                      "on_request",
                                                                      "registered"]))
def test_no_live_access_outside_the_rules(text: str, minute_of_week: int, tier: str) -> None:
    # A week without a clock change: Monday 2026-11-23 00:00 in Chicago.
    moment = at("2026-11-23 00:00") + timedelta(minutes=minute_of_week)
    decision = sharing.live_decision(rules(tier, text), "metro", moment, ZONE)
    allowed_by_hand = tier == "always" and minute_of_week in brute_force_minutes(text)
    assert decision.allowed == allowed_by_hand, (text, minute_of_week, tier, decision)
