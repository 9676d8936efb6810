"""The transparency page's figures for one program: counted from the raw tables
(`app.services.governance.transparency_counts`), then published with every cell that could single
somebody out hidden (`app.core.disclosure`). The page and the CSV read the same `Report`, so
they show the same numbers and hide the same cells.

A published cell never carries a hidden value: the page cannot show what it was not given.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.core import disclosure, geo
from app.core.cameras import OFFENSES
from app.core.csvcells import write_csv
from app.models.users import Agency
from app.services import clock
from app.services.governance.transparency_counts import (
    ALL,
    UNKNOWN,
    Figure,
    Key,
    Tally,
    compute,
    figures_for,
    load,
)

SHOWN, FEW, HIDDEN, TOO_FEW = "shown", "few", "hidden", "too_few"
CSV_HEADER = ("month", "area", "area_label", "figure", "figure_label", "value")


@dataclass(frozen=True)
class Cell:
    state: str  # SHOWN, FEW (a count of 1 to 4), HIDDEN (protects another), TOO_FEW (median)
    number: float | None  # only when shown
    text: str  # as the page says it
    csv: str  # as the CSV gives it


@dataclass(frozen=True)
class Report:
    agency_id: str
    name: str
    timezone: str
    figures: list[Figure]
    months: list[str]  # "2026-03", newest first: months with anything to count
    columns: dict[str, list[str]]  # ALL and each month -> ALL and the areas with activity
    cells: dict[Key, Cell]
    unverifiable: Cell  # accesses whose details were erased when their owner left

    @property
    def without_consent(self) -> int:
        return int(self.cells[(ALL, ALL, "no_consent")].number or 0)

    def cell(self, month: str, area: str, figure: str) -> Cell:
        return self.cells[(month, area, figure)]


def programs() -> list[Agency]:
    """Every program, by name (a handful of items: a Scan)."""
    return sorted(Agency.scan(), key=lambda a: (a.name.lower(), a.agency_id))


def default_program(found: list[Agency]) -> Agency | None:
    """The only program, or the first one created."""
    return min(found, key=lambda a: (a.created_at, a.agency_id), default=None)


def report(agency: Agency, now: datetime | None = None) -> Report:
    now = now or clock.now()
    policy = agency.policy()  # what governance.policy.policy_for gives, without a re-read
    tally = compute(load(agency.agency_id), ZoneInfo(policy.timezone), now)
    used = {key[2].split(":", 1)[1] for key in tally.values if key[2].startswith("offense:")}
    offenses = [o for o in OFFENSES if o in policy.offenses or o in used]
    offenses += sorted(used - set(OFFENSES))
    return publish(tally, figures_for(offenses), agency, policy.timezone)


def publish(tally: Tally, figures: list[Figure], agency: Agency, timezone: str) -> Report:
    months = sorted({m for m, _ in tally.touched}, reverse=True)
    columns = {ALL: [ALL, *_ordered(a for _, a in tally.touched)]}
    for month in months:
        columns[month] = [ALL, *_ordered(a for m, a in tally.touched if m == month)]
    keys = [(m, a, f.key) for m in columns for a in columns[m] for f in figures]
    values = {key: tally.values.get(key, 0.0) for key in keys}
    by_key = {f.key: f for f in figures}
    small = {key for key in keys if _small(by_key[key[2]], key, values)}
    few = {key for key in small if by_key[key[2]].kind == "count"}
    more = disclosure.complementary(values, few, small - few, _groups(figures, columns))
    cells = {key: _cell(by_key[key[2]], values[key], key in small, key in more,
                        tally.waits.get((key[0], key[1]), [])) for key in keys}
    unverifiable = _cell(Figure("unverifiable", ""), tally.unverifiable,
                         disclosure.is_small(tally.unverifiable), False, [])
    return Report(agency.agency_id, agency.name, timezone, figures, months, columns, cells,
                  unverifiable)


def _ordered(areas: Iterable[str]) -> list[str]:
    return sorted(set(areas), key=lambda a: (a == UNKNOWN, a))


def _small(figure: Figure, key: Key, values: dict[Key, float]) -> bool:
    if figure.kind == "count":
        return disclosure.is_small(values[key])
    if figure.kind == "minutes":
        return disclosure.is_small(values[(key[0], key[1], figure.basis)])
    return False  # medians have their own rule; consent is never hidden


def _groups(figures: list[Figure], columns: dict[str, list[str]]) -> list[list[Key]]:
    """Cells that add up to a total, the total last: the areas of a month, the months of an
    area, and within one month and area the parts of a figure (tiers, offenses, answers)."""
    months = [m for m in columns if m != ALL]
    present = {m: set(areas) for m, areas in columns.items()}
    groups: list[list[Key]] = []
    for figure in (f.key for f in figures if f.kind in ("count", "minutes")):
        for month, areas in columns.items():
            groups.append([(month, a, figure) for a in areas[1:]] + [(month, ALL, figure)])
        for area in columns[ALL]:
            groups.append([(m, area, figure) for m in months if area in present[m]]
                          + [(ALL, area, figure)])
    totals = sorted({f.total for f in figures if f.total})
    for month, areas in columns.items():
        for area in areas:
            for total in totals:
                groups.append([(month, area, f.key) for f in figures if f.total == total]
                              + [(month, area, total)])
    return groups


def _cell(figure: Figure, value: float, few: bool, protects: bool, waits: list[float]) -> Cell:
    if figure.kind == "median":
        middle = disclosure.median(waits)
        if middle is None:
            return Cell(TOO_FEW, None, "not enough answers (fewer than 5)", "<5 answers")
        return Cell(SHOWN, round(middle), duration_words(middle), str(round(middle)))
    if few and figure.kind == "count":
        return Cell(FEW, None, "fewer than 5", "<5")
    if few or protects:
        return Cell(HIDDEN, None, "hidden", "hidden")
    whole = round(value)
    return Cell(SHOWN, whole, f"{whole:,}", str(whole))


def duration_words(minutes: float) -> str:
    """45 min, 3 h 20 min, 2 days 4 h."""
    total = round(minutes)
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def month_label(month: str) -> str:
    if month == ALL:
        return "All months"
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


def area_label(area: str) -> str:
    """A neighbourhood in plain words: its cell's code and rounded centre, never a camera."""
    if area == ALL:
        return "All areas"
    if area == UNKNOWN:
        return "Area not known"
    lat, lon = geo.decode(area).centre
    return f"Area {area} (around {lat:.2f}, {lon:.2f})"


def csv_rows(found: Report) -> Iterator[tuple[str, ...]]:
    """One row per month x neighbourhood x figure ("all" for the totals), hidden as on the page."""
    yield CSV_HEADER
    for month, areas in found.columns.items():
        for area in areas:
            for figure in found.figures:
                label = figure.label + (" (minutes)" if figure.kind == "median" else "")
                yield (month, area, area_label(area), figure.key, label,
                       found.cells[(month, area, figure.key)].csv)


def csv_text(found: Report) -> str:
    """The CSV download: csv_rows, every cell safe to open in a spreadsheet."""
    return write_csv(csv_rows(found))
