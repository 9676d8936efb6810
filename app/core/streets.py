"""A street list as a gazetteer: named streets, and the corners where two of them meet.

The list is GeoJSON: LineString (or MultiLineString) features with a "name". Devstack writes its
demo city's (the streets its registry is seeded on); a program may keep its own beside its map
(app.services.maps.basemap). Two streets meet where their lines share a point, as they do in
street centre-line data.

Matching is by words, case-blind: every word typed must begin a word of the place's name ("3rd
church" finds "3rd Ave N & Church St"), once common long forms are shortened ("Avenue" → "Ave")
and whatever follows the first comma (the city) is dropped. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core.geo import distance_m

SHORT = {"avenue": "ave", "street": "st", "road": "rd", "boulevard": "blvd", "drive": "dr",
         "lane": "ln", "place": "pl", "court": "ct", "highway": "hwy", "north": "n",
         "south": "s", "east": "e", "west": "w"}
JOINERS = frozenset({"and", "at"})  # "Broadway and 2nd" is "Broadway & 2nd"
MAX_CANDIDATES = 5
MAX_NAME = 120


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Street:
    name: str
    lines: tuple[tuple[tuple[float, float], ...], ...]  # each line's (lat, lon) points


def words(text: str) -> list[str]:
    head = text.split(",", 1)[0].casefold()
    return [SHORT.get(w, w) for w in re.findall(r"\w+", head) if w not in JOINERS]


def _line(coordinates: Any) -> tuple[tuple[float, float], ...]:
    points = []
    for point in coordinates if isinstance(coordinates, list) else []:
        if (isinstance(point, list) and len(point) >= 2
                and all(isinstance(v, int | float) for v in point[:2])
                and -180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            points.append((round(float(point[1]), 6), round(float(point[0]), 6)))
    return tuple(points)


def streets(geojson: Mapping[str, Any]) -> list[Street]:
    """The named lines of a FeatureCollection; anything else in it is skipped."""
    found: dict[str, list[tuple[tuple[float, float], ...]]] = {}
    for feature in geojson.get("features") or []:
        if not isinstance(feature, dict):
            continue
        name = (feature.get("properties") or {}).get("name")
        geometry = feature.get("geometry") or {}
        if not isinstance(name, str) or not name.strip() or not isinstance(geometry, dict):
            continue
        kind, coordinates = geometry.get("type"), geometry.get("coordinates")
        parts = [coordinates] if kind == "LineString" else (
            coordinates if kind == "MultiLineString" and isinstance(coordinates, list) else [])
        lines = [line for line in map(_line, parts) if len(line) >= 2]
        if lines:
            found.setdefault(name.strip()[:MAX_NAME], []).extend(lines)
    return [Street(name, tuple(lines)) for name, lines in found.items()]


def gazetteer(named: Iterable[Street]) -> list[Place]:
    """Every street (at the middle point of its longest line) and every corner of two."""
    places: list[Place] = []
    meeting: dict[tuple[float, float], set[str]] = {}
    for street in named:
        longest = max(street.lines, key=len)
        middle = longest[len(longest) // 2]
        places.append(Place(street.name, *middle))
        for line in street.lines:
            for point in line:
                meeting.setdefault(point, set()).add(street.name)
    corners: dict[str, Place] = {}
    for point, names in meeting.items():
        ordered = sorted(names)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1:]:
                label = f"{first} & {second}"
                corners.setdefault(label, Place(label, *point))
    return [*corners.values(), *places]


def find(places: Iterable[Place], text: str, near: tuple[float, float] | None = None,
         limit: int = MAX_CANDIDATES) -> list[Place]:
    """The places whose name holds every word typed: the closest match first (fewest words
    left over), then the nearest to `near`, then by name."""
    wanted = words(text)
    if not wanted:
        return []
    ranked = []
    for place in places:
        have = words(place.label)
        if all(any(word.startswith(w) for word in have) for w in wanted):
            extra = sum(1 for word in have if not any(word.startswith(w) for w in wanted))
            away = distance_m(near[0], near[1], place.lat, place.lon) if near else 0.0
            ranked.append((extra, round(away), place.label, place))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked[:limit]]
