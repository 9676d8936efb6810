"""Times as people read them: in the program's one time zone, always named, with seconds in windows.

A program runs in one city, so everyone in it (the resident, the detective, the auditor) sees
the same clock: "17:30:30–17:31:30 on Fri 4 Dec, Chicago time", never UTC beside local time
beside the phone's own 12-hour clock. Windows keep their seconds because someone exports
exactly that span from a recorder: "17:30–17:31" for 17:30:30–17:31:30 loses 30 seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.errors import ValidationError
from app.core.language import DEFAULT, normal, translator


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


def zone_label(name: str, language: str = "en") -> str:
    """'America/Chicago' -> 'Chicago time'; 'America/Port_of_Spain' -> 'Port of Spain time';
    in another language its words ('hora de Chicago')."""
    if not name or name.upper() in ("UTC", "ETC/UTC", "GMT"):
        return "UTC"
    _ = translator(language).gettext
    return _("%(city)s time") % {"city": name.rsplit("/", 1)[-1].replace("_", " ")}


def _local(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(name))


# Babel's locale for a language: the programs serve US residents, so Spanish is written as in
# the United States ("48.0 MB", "1,234"; "vie 4 dic", "sep" for September).
REGIONS = {"es": "es_US"}


def babel_locale(language: str) -> str:
    """The Babel locale that dates and numbers in `language` are written in ('es' -> 'es_US')."""
    code = normal(language)
    return REGIONS.get(code, code)


def _babel_date(local: datetime, pattern: str, language: str) -> str:
    """The date by Babel's names in the language, without abbreviations' dots ('vie 4 dic')."""
    from babel.dates import format_date  # only for a language other than English

    return format_date(local, pattern, locale=babel_locale(language)).replace(".", "")


def _english(language: str) -> bool:
    return normal(language) == DEFAULT


def day(moment: datetime, name: str, language: str = "en") -> str:
    """'Fri 4 Dec' ('vie 4 dic')."""
    local = _local(moment, name)
    if _english(language):
        return f"{local:%a} {local.day} {local:%b}"
    return _babel_date(local, "EEE d MMM", language)


def long_day(moment: datetime, name: str, language: str = "en", year: bool = False) -> str:
    """'Friday 4 December', with `year` 'Friday 4 December 2025' ('Viernes, 4 de diciembre de
    2025': the language's own order, from its CLDR pattern, the day's name in full)."""
    local = _local(moment, name)
    if _english(language):
        heading = f"{local:%A} {local.day} {local:%B}"
        return f"{heading} {local.year}" if year else heading
    from babel import Locale
    from babel.dates import format_date

    locale = Locale.parse(babel_locale(language))
    pattern = str(locale.datetime_skeletons["yMMMMEd" if year else "MMMMEd"].pattern)
    words = format_date(local, re.sub(r"E+", "EEEE", pattern), locale=locale)
    return words[:1].upper() + words[1:]


def clock(moment: datetime, name: str, seconds: bool = False) -> str:
    """'17:31' (24-hour), or '17:31:30' with seconds."""
    return _local(moment, name).strftime("%H:%M:%S" if seconds else "%H:%M")


def when(moment: datetime, name: str, language: str = "en") -> str:
    """'Fri 4 Dec, 17:31 Chicago time' ('vie 4 dic, 17:31 hora de Chicago')."""
    _ = translator(language).gettext
    return _("%(day)s, %(time)s %(zone)s") % {"day": day(moment, name, language),
                                              "time": clock(moment, name),
                                              "zone": zone_label(name, language)}


def date_only(moment: datetime, name: str, language: str = "en") -> str:
    """'Fri 4 Dec 2026' ('vie 4 dic 2026'): for deadlines and deletion dates, where the hour
    does not matter."""
    local = _local(moment, name)
    if _english(language):
        return f"{day(moment, name)} {local.year}"
    return _babel_date(local, "EEE d MMM y", language)


def window(start: datetime, end: datetime, name: str, language: str = "en") -> str:
    """'17:30:30–17:31:30 on Fri 4 Dec, Chicago time', or both days when it crosses midnight;
    in another language its words and day names ('17:30:30–17:31:30 el vie 4 dic, hora de
    Chicago')."""
    _ = translator(language).gettext
    label = zone_label(name, language)
    days = day(start, name, language), day(end, name, language)
    if days[0] == days[1]:
        return _("%(start)s–%(end)s on %(day)s, %(zone)s") % {
            "start": clock(start, name, True), "end": clock(end, name, True), "day": days[0],
            "zone": label}
    return _("%(start_day)s %(start)s – %(end_day)s %(end)s, %(zone)s") % {
        "start_day": days[0], "start": clock(start, name, True), "end_day": days[1],
        "end": clock(end, name, True), "zone": label}
