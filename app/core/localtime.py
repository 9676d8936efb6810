"""Times as people read them: in the program's one time zone, always named, with seconds in windows.

A program runs in one city, so everyone in it (the resident, the detective, the auditor) sees
the same clock: "17:30:30–17:31:30 on Fri 4 Dec, Chicago time", never UTC beside local time
beside the phone's own 12-hour clock. Windows keep their seconds because someone exports
exactly that span from a recorder: "17:30–17:31" for 17:30:30–17:31:30 loses 30 seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.errors import ValidationError
from app.core.language import normal, translator


def instant(value: Any, field: str) -> datetime:
    """An ISO 8601 date and time with its zone ('Z' too), as a caller sent it in `field`; a
    ValidationError naming the field when it is not one, or has no zone to place it."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"{field} is not a date and time.", {field: "ISO 8601"}) from exc
    if moment.tzinfo is None:
        raise ValidationError(f"{field} needs its time zone.", {field: "ISO 8601 with offset"})
    return moment


def zone(name: str) -> tzinfo:
    """The named IANA zone; UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(name: str) -> str:
    """'America/Chicago' -> 'Chicago time'; 'America/Port_of_Spain' -> 'Port of Spain time'."""
    if not name or name.upper() in ("UTC", "ETC/UTC", "GMT"):
        return "UTC"
    return name.rsplit("/", 1)[-1].replace("_", " ") + " time"


def _local(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(name))


def day(moment: datetime, name: str) -> str:
    """'Fri 4 Dec'."""
    local = _local(moment, name)
    return f"{local:%a} {local.day} {local:%b}"


def clock(moment: datetime, name: str, seconds: bool = False) -> str:
    """'17:31' (24-hour), or '17:31:30' with seconds."""
    return _local(moment, name).strftime("%H:%M:%S" if seconds else "%H:%M")


def when(moment: datetime, name: str) -> str:
    """'Fri 4 Dec, 17:31 Chicago time'."""
    return f"{day(moment, name)}, {clock(moment, name)} {zone_label(name)}"


def date_only(moment: datetime, name: str) -> str:
    """'Fri 4 Dec 2026': for deadlines and deletion dates, where the hour does not matter."""
    local = _local(moment, name)
    return f"{day(moment, name)} {local.year}"


def window(start: datetime, end: datetime, name: str, language: str = "en") -> str:
    """'17:30:30–17:31:30 on Fri 4 Dec, Chicago time', or both days when it crosses midnight;
    in another language its words and day names ('17:30:30–17:31:30 el vie 4 dic, hora de
    Chicago')."""
    language = normal(language)
    _ = translator(language).gettext
    if language == "en" or not name or name.upper() in ("UTC", "ETC/UTC", "GMT"):
        label = zone_label(name)
        days = day(start, name), day(end, name)
    else:
        from babel.dates import format_date

        label = _("%(city)s time") % {"city": name.rsplit("/", 1)[-1].replace("_", " ")}
        first, last = (format_date(_local(m, name), "EEE d MMM", locale=language)
                       .replace(".", "") for m in (start, end))
        days = first, last
    if days[0] == days[1]:
        return _("%(start)s–%(end)s on %(day)s, %(zone)s") % {
            "start": clock(start, name, True), "end": clock(end, name, True), "day": days[0],
            "zone": label}
    return _("%(start_day)s %(start)s – %(end_day)s %(end)s, %(zone)s") % {
        "start_day": days[0], "start": clock(start, name, True), "end_day": days[1],
        "end": clock(end, name, True), "zone": label}
