"""Who may see a camera live, and when: the owner's sharing rules, enforced by the server.

Pure: no I/O. A camera's rules are its tier, its weekly schedule (for "shared always"), the
longest live session its owner allows, and the offense categories it refuses. Every live view,
recorded fetch and footage request goes through `live_decision` / `request_decision`, so a
view outside the rules is refused (and the caller logs the refusal).

A schedule is written as lines like "mon-fri 22:00-06:00" or "sat,sun 00:00-24:00", in the
program's time zone. A window whose end is not after its start runs past midnight into the
next day ("mon 22:00-06:00" is Monday 22:00 to Tuesday 06:00). An empty schedule means any
time. Times are wall-clock times: on a daylight-saving change the window follows the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.core.errors import ValidationError
from app.core.texts import gettext

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_WINDOWS = 14
LIVE_MINUTES_DEFAULT = 30
LIVE_MINUTES_MAX = 240
RECENT_MINUTES_MAX = 30  # recent minutes an owner may let police take without asking
LINE = re.compile(r"^\s*([a-z,\-\s]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Window:
    """Live sharing allowed from `start` minutes after midnight on `day` (0 = Monday) for
    `length` minutes (it may run into the next day)."""

    day: int
    start: int
    length: int


def _days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "-" in part:
            first, _, last = (s.strip()[:3] for s in part.partition("-"))
            if first not in DAYS or last not in DAYS:
                return None
            a, b = DAYS.index(first), DAYS.index(last)
            days += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
        elif part[:3] in DAYS:
            days.append(DAYS.index(part[:3]))
        elif part in ("daily", "every day", "everyday"):
            days += list(range(7))
        else:
            return None
    return sorted(set(days)) or None


def parse_schedule(text: str) -> tuple[Window, ...]:
    """Windows from the owner's lines, or a ValidationError naming the line that is wrong."""
    windows: list[Window] = []
    lines = [ln for ln in (text or "").replace(";", "\n").splitlines() if ln.strip()]
    if len(lines) > MAX_WINDOWS:
        raise ValidationError(gettext("The schedule is too long."),
                              {"schedule": gettext("at most %(max)s lines", max=MAX_WINDOWS)})
    for number, line in enumerate(lines, start=1):
        match = LINE.match(line.lower())
        days = _days(match.group(1)) if match else None
        if match is None or days is None:
            raise ValidationError(gettext("The schedule could not be read."), {
                "schedule": gettext("line %(number)s (%(line)s): write days and hours like "
                                    "'mon-fri 22:00-06:00' or 'sat,sun 00:00-24:00'",
                                    number=number, line=repr(line.strip()[:40]))})
        h1, m1, h2, m2 = (int(match.group(i)) for i in range(2, 6))
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationError(gettext("The schedule could not be read."), {
                "schedule": gettext("line %(number)s: hours go from 00:00 to 24:00",
                                    number=number)})
        start, end = h1 * 60 + m1, h2 * 60 + m2
        length = end - start if end > start else end + 24 * 60 - start
        windows += [Window(day, start, length) for day in days]
    return tuple(windows)


def schedule_words(text: str) -> str:
    """The schedule as police and owners read it."""
    return "; ".join(ln.strip() for ln in (text or "").replace(";", "\n").splitlines()
                     if ln.strip()) or "any time"


def in_schedule(windows: tuple[Window, ...], moment: datetime, zone: str) -> bool:
    """Is this moment inside one of the windows, read on the program's wall clock?"""
    if not windows:
        return True
    local = moment.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    for window in windows:
        # Started today, or started yesterday and runs past midnight into today.
        for offset, day in ((0, today), (24 * 60, (today - 1) % 7)):
            if window.day == day and window.start <= minute + offset < window.start + \
                    window.length:
                return True
    return False


@dataclass(frozen=True)
class Rules:
    """One camera's sharing rules, as stored."""

    tier: str
    paused: bool
    schedule: str
    max_live_minutes: int
    refused_offenses: tuple[str, ...]
    agency_id: str
    recent_minutes: int = 0  # may be pulled from the bridge without asking (pull_decision)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # plain words, for the refusal's log and the officer's message
    until: datetime | None = None  # when an allowed live view must end


def live_decision(rules: Rules, viewer_agency: str, moment: datetime, zone: str,
                  alert_ends_at: datetime | None = None) -> Decision:
    """May police of `viewer_agency` watch this camera live at `moment`?

    "on alert" cameras only while the owner's own share runs (alert_ends_at in the future);
    "always" cameras inside their schedule, or during an owner's share; "registered" and "on
    request" cameras never live. A paused camera, or another agency, never.
    """
    if viewer_agency != rules.agency_id:
        return Decision(False, "This camera is shared with another agency only.")
    if rules.paused:
        return Decision(False, "The owner has paused this camera.")
    limit = moment + timedelta(minutes=rules.max_live_minutes)
    if alert_ends_at is not None and alert_ends_at > moment and rules.tier in (
            "on_alert", "always"):
        return Decision(True, "The owner is sharing it now.", min(alert_ends_at, limit))
    if rules.tier == "always":
        windows = parse_schedule(rules.schedule)
        if in_schedule(windows, moment, zone):
            return Decision(True, "Inside the owner's schedule.", limit)
        return Decision(False, "Outside the owner's schedule "
                               f"({schedule_words(rules.schedule)}).")
    if rules.tier == "on_alert":
        return Decision(False, "Live only while the owner shares it.")
    return Decision(False, "The owner shares this camera through footage requests only.")


def request_decision(rules: Rules, offense: str) -> Decision:
    if rules.paused:
        return Decision(False, "The owner has paused this camera.")
    if offense in rules.refused_offenses:
        return Decision(False, "The owner refuses this kind of offense.")
    return Decision(True, "The owner may be asked.")


def pull_decision(rules: Rules, viewer_agency: str, minutes: int, offense: str) -> Decision:
    """May police of `viewer_agency` take the last `minutes` of this camera's video from its
    bridge now, without asking? Only as many as the owner allows, never for an offense the
    owner refuses, never from a paused camera or for another agency."""
    if viewer_agency != rules.agency_id:
        return Decision(False, "This camera is shared with another agency only.")
    if rules.paused:
        return Decision(False, "The owner has paused this camera.")
    if rules.recent_minutes <= 0:
        return Decision(False, "The owner lets police take recent minutes only by asking.")
    if offense in rules.refused_offenses:
        return Decision(False, "The owner refuses this kind of offense.")
    if not 1 <= minutes <= rules.recent_minutes:
        return Decision(False, f"The owner allows at most {rules.recent_minutes} recent "
                               "minutes.")
    return Decision(True, f"The owner allows {rules.recent_minutes} recent minutes without "
                          "asking.")


def _minutes(raw: object, low: int, high: int, default: int, errors: dict[str, str],
             field: str, problem: str) -> int:
    """A whole number of minutes from a form or a body; blank is `default`, anything else
    outside low..high is `problem` under `field` (and `default`)."""
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if not low <= value <= high:
        errors[field] = problem
        return default
    return value


def parse_recent_minutes(raw: object, errors: dict[str, str]) -> int:
    return _minutes(raw, 0, RECENT_MINUTES_MAX, 0, errors, "recent_minutes",
                    gettext("Recent minutes is a whole number from 0 (never) to %(max)s.",
                            max=RECENT_MINUTES_MAX))


def parse_live_minutes(raw: object, errors: dict[str, str]) -> int:
    return _minutes(raw, 5, LIVE_MINUTES_MAX, LIVE_MINUTES_DEFAULT, errors, "max_live_minutes",
                    gettext("The longest live session is a whole number of minutes from 5 to "
                            "%(max)s.", max=LIVE_MINUTES_MAX))
