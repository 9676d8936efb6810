"""Anomaly flags: each fires on a scenario built for it and stays quiet on an ordinary week
(a few detectives searching and requesting during the day, a supervisor on the map, a live share
watched while it runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.services.auditing import anomalies
from app.services.auditing.anomalies import Seen

CHAIN = "agency#unit-pd"
ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)  # a Monday morning
SINCE = NOW - timedelta(days=7)
DETECTIVES = ("d1", "d2", "d3")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


class Log:
    """A program's audit events, as the rules read them."""

    def __init__(self) -> None:
        self.events: list[Seen] = []

    def add(self, actor: str, action: str, when: datetime, role: str = "detective",
            **details: Any) -> Seen:
        event = Seen(CHAIN, len(self.events) + 1, when.astimezone(UTC), actor, role, action,
                     "-", details)
        self.events.append(event)
        return event

    def search(self, actor: str, when: datetime, case: str, lat: float, lon: float) -> Seen:
        return self.add(actor, "registry.searched", when, case=case, lat=lat, lon=lon,
                        radius_m=150)

    def flags(self, zone: ZoneInfo = ZONE) -> list[anomalies.Flag]:
        return anomalies.find(self.events, zone, SINCE, NOW)


def ordinary_week() -> Log:
    """Monday to Friday: three detectives each search two incidents a day (each about a
    kilometre from the others) and ask for footage within the hour, open the map in the morning
    and play a clip in the afternoon; a supervisor opens the map; one search is refined three
    times in ten minutes; a detective follows up a case asked about the week before; a live
    share is watched while it runs, and one detective opens it a minute too late."""
    log = Log()
    log.add("d3", "request.created", local(10, 11), case="26-OLD")  # before the period
    for day in range(16, 21):
        for n, det in enumerate(DETECTIVES):
            for k, hour in enumerate((10, 14)):
                case = f"26-{day}{n}{k}"
                log.search(det, local(day, hour, 5 * n), case, 41.80 + 0.01 * (3 * n + k),
                           -87.70 + 0.01 * (day - 16))
                log.add(det, "request.created", local(day, hour + 1, 5 * n), case=case)
            log.add(det, "registry.viewed", local(day, 9, 10 * n), cameras=12)
            log.add(det, "clip.viewed", local(day, 16, 10 * n), case=f"26-{day}{n}0")
        log.add("s1", "registry.viewed", local(day, 11), role="supervisor")
        log.add("a1", "audit.viewed", local(day, 12), role="auditor")
    for minute in (0, 4, 9):  # refining one search: one place, one case, one day
        log.search("d1", local(17, 15, minute), "26-REFINE", 41.95, -87.65)
    log.add("d1", "request.created", local(17, 15, 20), case="26-REFINE")
    log.search("d3", local(16, 12), "26-OLD", 41.70, -87.60)  # a request was sent last week
    log.add("o1", "live.started", local(18, 13), role="owner", share="sh1")
    log.add("d1", "live.viewed", local(18, 13, 5), share="sh1", cameras=["c1"])
    log.add("o1", "live.ended", local(18, 13, 30), role="owner", share="sh1", by="owner")
    log.add("d2", "live.refused", local(18, 13, 31), share="sh1",
            reason="ended or another agency")
    return log


def test_an_ordinary_week_raises_no_flag() -> None:
    log = ordinary_week()
    assert log.flags() == []
    # The same week seen from any of the three periods, and in UTC, is just as quiet.
    assert anomalies.find(log.events, ZoneInfo("UTC"), SINCE, NOW) == []
    assert anomalies.find(log.events, ZONE, NOW - timedelta(days=30), NOW) == []


def test_searches_without_a_later_request_are_flagged() -> None:
    log = ordinary_week()
    fishing = [log.search("d4", local(day, 11), f"26-X{day}", 41.60 + 0.01 * day, -87.80)
               for day in (16, 17, 19, 21)]
    log.add("d4", "request.created", local(16, 12) + timedelta(days=8), case="26-X16")  # late
    log.search("d4", local(5, 11), "26-X5", 41.5, -87.8)  # before this period
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("unfollowed", "d4")]
    assert flags[0].refs == [e.ref for e in fishing]
    assert flags[0].title == "Searches without a later footage request"
    assert "4 of 4 registry searches" in flags[0].reason
    assert "26-X16, 26-X17, 26-X19, 26-X21" in flags[0].reason
    assert "4 of them are less than 7 days old, so a request may still follow" in flags[0].reason
    # Over 30 days, the week-old searches are past the time a request could answer them.
    month = anomalies.find(log.events, ZONE, NOW - timedelta(days=30), NOW)
    assert "5 of 5 registry searches" in month[0].reason
    assert "4 of them are less than 7 days old" in month[0].reason


def test_a_request_within_seven_days_or_before_answers_a_search() -> None:
    log = ordinary_week()
    for day in (16, 17, 18):
        log.search("d4", local(day, 11), f"26-Y{day}", 41.60 + 0.01 * day, -87.80)
    log.add("d2", "request.created", local(16, 11) + timedelta(days=6), case="26-y16")
    log.add("d1", "request.created", local(10, 9), case="26-Y17")  # asked before the search
    assert log.flags() == []  # one unanswered search is not a pattern


def test_an_off_hours_burst_is_flagged_in_the_programs_time_zone() -> None:
    log = ordinary_week()
    burst = [log.add("d2", "registry.viewed" if i % 3 else "clip.viewed",
                     local(20, 1, 5) + timedelta(minutes=9 * i), case="26-20100")
             for i in range(12)]  # 01:05 to 02:44 on Friday night
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("off_hours", "d2")]
    assert flags[0].refs == [e.ref for e in burst]
    assert "12 searches, map views or clip plays between 01:05 and 02:44 on Fri 20 Nov 2026" \
        in flags[0].reason
    assert "America/Chicago" in flags[0].reason
    # 01:05 in Chicago is 07:05 in UTC: a program on UTC would see a morning, not a night.
    assert anomalies.find(log.events, ZoneInfo("UTC"), SINCE, NOW) == []


@pytest.mark.parametrize("count, gap_minutes", [(9, 5), (12, 25)])
def test_night_reads_below_the_burst_stay_quiet(count: int, gap_minutes: int) -> None:
    log = ordinary_week()
    for i in range(count):  # nine close together, or twelve spread over five hours
        log.add("d2", "registry.viewed", local(20, 0, 1) + timedelta(minutes=gap_minutes * i))
    assert log.flags() == []


def test_two_nights_make_two_bursts() -> None:
    log = ordinary_week()
    for night in (17, 19):
        for i in range(10):
            log.add("d3", "registry.viewed", local(night, 3) + timedelta(minutes=5 * i))
    flags = log.flags()
    assert [(f.kind, f.actor_id, len(f.events)) for f in flags] == [
        ("off_hours", "d3", 10), ("off_hours", "d3", 10)]


def test_repeated_searches_around_one_place_are_flagged() -> None:
    log = ordinary_week()
    spot = (41.89, -87.62)
    repeated = [log.search("d3", local(day, 13), "26-NEIGHBOUR", spot[0] + 0.0002 * i,
                           spot[1] + 0.0003 * i) for i, day in enumerate((16, 18, 20))]
    log.add("d3", "request.created", local(16, 13, 30), case="26-NEIGHBOUR")
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("same_place", "d3")]
    assert flags[0].refs == [e.ref for e in repeated]
    assert "3 searches centred within 100 m of each other" in flags[0].reason
    assert "on 3 day(s) under 1 case number(s): 26-NEIGHBOUR" in flags[0].reason


def test_one_place_under_several_case_numbers_on_one_day_is_flagged() -> None:
    log = ordinary_week()
    for i, case in enumerate(("26-A", "26-B", "26-C")):
        log.search("d1", local(19, 9, 10 * i), case, 41.89, -87.62 + 0.0004 * i)
        log.add("d1", "request.created", local(19, 10, 10 * i), case=case)
    assert [(f.kind, f.actor_id) for f in log.flags()] == [("same_place", "d1")]


def test_refused_probes_around_one_place_are_flagged() -> None:
    """The error oracle: invalid footage requests and searches around one spot,
    refused, under changing case numbers. Each was audited with what it asked."""
    log = ordinary_week()
    probes = [log.add("d2", action, local(19, 9, i), route="POST /api/requests", status=422,
                      reason="validation-error", fields=["offense"],
                      asked={"case_number": f"26-P{i}", "lat": 41.89 + 0.0001 * i,
                             "lon": -87.62, "hidden_radius_m": 40 + i})
              for i, action in enumerate(("request.create_refused", "registry.search_refused",
                                          "request.create_refused"))]
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("same_place", "d2")]
    assert flags[0].refs == [e.ref for e in probes]
    assert "under 3 case number(s): 26-P0, 26-P1, 26-P2" in flags[0].reason


def test_searches_farther_apart_than_the_radius_stay_quiet() -> None:
    log = ordinary_week()
    for i, day in enumerate((16, 18, 20)):  # 70 m steps: the first and last are 140 m apart
        log.search("d3", local(day, 13), "26-WALK", 41.89, -87.62 + 0.00085 * i)
    log.add("d3", "request.created", local(16, 13, 30), case="26-WALK")
    assert log.flags() == []


def test_a_live_view_after_the_share_ended_is_flagged() -> None:
    log = ordinary_week()
    late = log.add("d3", "live.viewed", local(18, 14), share="sh1", cameras=["c1"])
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("after_end", "d3")]
    ended = next(e for e in log.events if e.action == "live.ended")
    assert flags[0].refs == [ended.ref, late.ref]
    assert flags[0].reason == "1 live view(s) of a share after it had ended (1 share(s))."


def test_repeated_attempts_on_ended_shares_are_flagged() -> None:
    log = ordinary_week()
    tries = [log.add("d2", "live.refused", local(18, 15 + i), share="sh1",
                     reason="ended or another agency") for i in range(2)]
    log.add("d2", "live.refused", local(18, 16, 30), share="sh2",
            reason="Outside the owner's schedule")  # not about an ended share
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("after_end", "d2")]
    assert "3 refused attempt(s) to open a share that had ended" in flags[0].reason
    assert {e.ref for e in tries} < set(flags[0].refs)


def test_a_user_reading_far_more_than_peers_is_flagged() -> None:
    log = ordinary_week()
    heavy = [log.add("d5", "registry.viewed" if i % 2 else "clip.downloaded",
                     local(16 + i % 5, 9 + i % 8, i % 50), case="26-16000")
             for i in range(70)]
    flags = log.flags()
    assert [(f.kind, f.actor_id) for f in flags] == [("heavy_reader", "d5")]
    assert len(flags[0].events) == len(heavy)
    assert flags[0].reason.startswith("70 reads in the period (35 × ")
    assert "the 4 other police user(s) who read anything read a median of 20.5" in \
        flags[0].reason


@pytest.mark.parametrize("mine, theirs", [(25, 10), (19, 2)])
def test_a_busy_reader_among_few_stays_quiet(mine: int, theirs: int) -> None:
    log = Log()
    for actor, count in (("busy", mine), ("other", theirs)):
        for i in range(count):
            log.add(actor, "registry.viewed", local(18, 9) + timedelta(minutes=7 * i))
    assert log.flags() == []  # not three times the other's reads, or under twenty reads


def test_a_read_before_the_period_is_context_only() -> None:
    log = Log()
    for i in range(5):
        log.search("d1", local(10, 10 + i), f"26-OLD{i}", 41.6 + 0.01 * i, -87.6)
    assert log.flags() == []
    assert len(anomalies.find(log.events, ZONE, NOW - timedelta(days=30), NOW)) == 1
