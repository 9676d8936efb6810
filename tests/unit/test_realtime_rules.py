"""No live view is granted outside the owner's rules: a property over every tier, schedule,
pause, agency, moment and share state (app.core.realtime, app.core.sharing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import realtime, sharing

ZONE = "America/Chicago"
SCHEDULES = ["", "mon-fri 22:00-06:00", "sat,sun 00:00-24:00", "wed 09:00-09:30",
             "daily 12:00-13:00"]

rules = st.builds(
    sharing.Rules,
    tier=st.sampled_from(["registered", "on_request", "on_alert", "always"]),
    paused=st.booleans(),
    schedule=st.sampled_from(SCHEDULES),
    max_live_minutes=st.integers(5, sharing.LIVE_MINUTES_MAX),
    refused_offenses=st.sampled_from([(), ("robbery",), ("robbery", "other")]),
    agency_id=st.sampled_from(["pd-a", "pd-b"]),
    recent_minutes=st.integers(0, sharing.RECENT_MINUTES_MAX),
)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.just(UTC))


def inside(rule: sharing.Rules, moment: datetime) -> bool:
    return sharing.in_schedule(sharing.parse_schedule(rule.schedule), moment, ZONE)


@settings(max_examples=400, deadline=None)
@given(rule=rules, moment=moments, agency=st.sampled_from(["pd-a", "pd-b"]),
       online=st.booleans())
def test_police_open_only_always_cameras_inside_their_schedule(
        rule: sharing.Rules, moment: datetime, agency: str, online: bool) -> None:
    decision = realtime.police_view(rule, agency, moment, ZONE, online)
    if decision.allowed:
        assert rule.tier == "always" and not rule.paused and agency == rule.agency_id
        assert online and inside(rule, moment)
        assert decision.until is not None
        assert decision.until <= moment + timedelta(minutes=rule.max_live_minutes)
    elif rule.tier == "always" and not rule.paused and agency == rule.agency_id and online:
        assert not inside(rule, moment)


@settings(max_examples=400, deadline=None)
@given(rule=rules, moment=moments, agency=st.sampled_from(["pd-a", "pd-b"]),
       online=st.booleans(), share_left=st.one_of(st.none(), st.integers(-600, 600)))
def test_live_now_only_inside_the_rules(rule: sharing.Rules, moment: datetime, agency: str,
                                        online: bool, share_left: int | None) -> None:
    until = None if share_left is None else moment + timedelta(seconds=share_left)
    said = realtime.availability(rule, agency, moment, ZONE, bridge_online=online,
                                 owner_sharing_until=until)
    if said.kind == realtime.LIVE_NOW:
        assert agency == rule.agency_id and not rule.paused
        owner_sharing = until is not None and until > moment and rule.tier in (
            "on_alert", "always")
        assert owner_sharing or (rule.tier == "always" and online and inside(rule, moment))
    if said.kind == realtime.ON_TAP:  # an ask the owner may answer, never an opening
        assert rule.tier in ("on_alert", "always") and not rule.paused
    if agency != rule.agency_id or rule.paused or rule.tier in ("registered", "on_request"):
        assert said.kind == realtime.LATER


@settings(max_examples=400, deadline=None)
@given(rule=rules, agency=st.sampled_from(["pd-a", "pd-b"]), minutes=st.integers(-5, 60),
       offense=st.sampled_from(["robbery", "other", "theft"]))
def test_recent_minutes_only_as_many_as_the_owner_allows(rule: sharing.Rules, agency: str,
                                                         minutes: int, offense: str) -> None:
    decision = sharing.pull_decision(rule, agency, minutes, offense)
    if decision.allowed:
        assert agency == rule.agency_id and not rule.paused
        assert 1 <= minutes <= rule.recent_minutes
        assert offense not in rule.refused_offenses


def test_directions_read_as_words() -> None:
    assert realtime.compass(0) == "north" and realtime.compass(44) == "north-east"
    assert realtime.compass(359) == "north" and realtime.compass(200) == "south"
    assert realtime.where_from_scene(3, 90) == "at the scene"
    assert realtime.where_from_scene(120, 92) == "120 m east"
