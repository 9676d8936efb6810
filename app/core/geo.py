"""Geohash encoding, the radius-search cover, distances, bearings and field of view. Pure.

The geo index is a GSI whose hash key is the camera's coarse cell (geohash precision 5, about
4.9 km x 4.9 km, so a 1 km search touches at most 4 cells) and whose range key is the camera's
full geohash (precision 9). `cover` turns a circle into at most `max_ranges` (cell, low, high)
ranges of that range key: one Query each, `BETWEEN low AND high`; `cell_ranges` does the same
for a set of cells of one precision (the hidden cameras' cells, docs/privacy.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_BASE32)}
EARTH_RADIUS_M = 6_371_008.8
CELL_PRECISION = 5  # the GSI hash key
HASH_PRECISION = 9  # the GSI range key (about 4.8 m x 4.8 m)
APPROX_PRECISION = 7  # "approximate" map visibility: the centre of a ~153 m cell
# Hidden cameras are placed, counted and asked by their cell of this precision (about 1.2 km
# x 0.6 km at the equator, 1.0 km x 0.6 km at 36 degrees north), never by a distance: police
# can learn which such cell holds one, and nothing finer (docs/privacy.md).
HIDDEN_PRECISION = 6
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180


def geohash(lat: float, lon: float, precision: int = HASH_PRECISION) -> str:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    bits, bit_count, even = 0, 0, True
    out: list[str] = []
    while len(out) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            bits = (bits << 1) | (lon >= mid)
            lon_lo, lon_hi = (mid, lon_hi) if lon >= mid else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            bits = (bits << 1) | (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bit_count += 1
        if bit_count == 5:
            out.append(_BASE32[bits])
            bits, bit_count = 0, 0
    return "".join(out)


@dataclass(frozen=True)
class Box:
    lat_lo: float
    lat_hi: float
    lon_lo: float
    lon_hi: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.lat_lo + self.lat_hi) / 2, (self.lon_lo + self.lon_hi) / 2


def cell_size_deg(precision: int) -> tuple[float, float]:
    """(height, width) in degrees of a geohash cell of this precision."""
    bits = 5 * precision
    lon_bits = (bits + 1) // 2
    lat_bits = bits // 2
    return 180 / 2**lat_bits, 360 / 2**lon_bits


def decode(code: str) -> Box:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for char in code:
        value = _INDEX[char]
        for shift in range(4, -1, -1):
            bit = (value >> shift) & 1
            if even:
                mid = (lon_lo + lon_hi) / 2
                lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return Box(lat_lo, lat_hi, lon_lo, lon_hi)


def approximate(lat: float, lon: float) -> tuple[float, float]:
    """Where an "approximate" camera is shown: its ~153 m cell's centre (at most ~110 m off)."""
    lat_c, lon_c = decode(geohash(lat, lon, APPROX_PRECISION)).centre
    return round(lat_c, 6), round(lon_c, 6)


def hidden_place(lat: float, lon: float) -> tuple[float, float]:
    """Where a hidden camera stands for everything police-facing: its ~1 km cell's centre."""
    lat_c, lon_c = decode(geohash(lat, lon, HIDDEN_PRECISION)).centre
    return round(lat_c, 6), round(lon_c, 6)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def angle_between(a: float, b: float) -> float:
    """The smallest angle between two headings, in [0, 180]."""
    return abs((b - a + 180) % 360 - 180)


def in_view(heading: float, fov: float, bearing: float) -> bool:
    """Whether a bearing lies inside a view of `fov` degrees centred on `heading`."""
    return fov >= 360 or angle_between(heading, bearing) <= fov / 2


def sees(cam_lat: float, cam_lon: float, heading: float, fov: float, range_m: float,
         lat: float, lon: float) -> bool:
    """Whether a camera could have seen a point: within its range and inside its view."""
    dist = distance_m(cam_lat, cam_lon, lat, lon)
    if dist > range_m:
        return False
    if dist < 1.0:
        return True  # the scene is at the camera itself
    return in_view(heading, fov, bearing_deg(cam_lat, cam_lon, lat, lon))


def _box_distance_m(lat: float, lon: float, box: Box) -> float:
    """Distance from a point to the nearest point of a (small) lat/lon box."""
    return distance_m(lat, lon, min(max(lat, box.lat_lo), box.lat_hi),
                      min(max(lon, box.lon_lo), box.lon_hi))


def _fine_precision(lat: float, radius_m: float) -> int:
    """The coarsest precision whose cells are at most a third of the radius across."""
    for precision in range(6, HASH_PRECISION + 1):
        height, width = cell_size_deg(precision)
        size = max(height * M_PER_DEG_LAT, width * M_PER_DEG_LAT * math.cos(math.radians(lat)))
        if size <= radius_m / 3:
            return precision
    return HASH_PRECISION


def _to_int(code: str) -> int:
    value = 0
    for char in code:
        value = value * 32 + _INDEX[char]
    return value


def _to_code(value: int, precision: int) -> str:
    chars = []
    for _ in range(precision):
        chars.append(_BASE32[value % 32])
        value //= 32
    return "".join(reversed(chars))


@dataclass(frozen=True)
class Range:
    """One Query: GSI hash key `cell`, range key BETWEEN `low` AND `high` (inclusive)."""

    cell: str
    low: str
    high: str


MAX_COVER_CELLS = 4096  # a city search needs tens; only a place near a pole needs more


class AreaTooLarge(ValueError):
    """The circle crosses too many cells to search (near a pole the cells get thin)."""


def cover_cells(lat: float, lon: float, radius_m: float, precision: int) -> list[str]:
    """Every cell of this precision that comes within the radius of the point."""
    if not (radius_m > 0 and math.isfinite(radius_m)):
        raise ValueError("radius must be positive")
    dlat = radius_m / M_PER_DEG_LAT
    dlon = radius_m / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 1e-6))
    height, width = cell_size_deg(precision)
    first = decode(geohash(max(-90.0, lat - dlat), max(-180.0, lon - dlon), precision))
    rows = int(math.ceil((min(90.0, lat + dlat) - first.lat_lo) / height))
    cols = int(math.ceil((min(180.0, lon + dlon) - first.lon_lo) / width))
    if rows * cols > MAX_COVER_CELLS:
        raise AreaTooLarge(f"a {radius_m:.0f} m circle at latitude {lat:.2f} crosses "
                           f"{rows * cols} cells")
    margin = radius_m * 1.001 + 0.5  # the box distance is a close, not exact, spherical bound
    cells = []
    for i in range(max(rows, 1)):
        for j in range(max(cols, 1)):
            c_lat = min(first.lat_lo + (i + 0.5) * height, 90.0)
            c_lon = min(first.lon_lo + (j + 0.5) * width, 180.0)
            code = geohash(c_lat, c_lon, precision)
            if _box_distance_m(lat, lon, decode(code)) <= margin:
                cells.append(code)
    return sorted(set(cells))


def box_cells(south: float, west: float, north: float, east: float, precision: int,
              max_cells: int) -> list[str]:
    """Every cell of this precision that overlaps the box (south < north, west < east, not
    across the antimeridian); AreaTooLarge when there are more than max_cells."""
    height, width = cell_size_deg(precision)
    first = decode(geohash(south, west, precision))
    rows = int(math.ceil((north - first.lat_lo) / height))
    cols = int(math.ceil((east - first.lon_lo) / width))
    if rows * cols > max_cells:
        raise AreaTooLarge(f"the box crosses {rows * cols} cells of precision {precision}")
    cells = set()
    for i in range(max(rows, 1)):
        for j in range(max(cols, 1)):
            cells.add(geohash(min(first.lat_lo + (i + 0.5) * height, 90.0),
                              min(first.lon_lo + (j + 0.5) * width, 180.0), precision))
    return sorted(cells)


def cover(lat: float, lon: float, radius_m: float, max_ranges: int = 12,
          max_coarse: int = 48) -> list[Range]:
    """The Queries that together read every camera within the radius (and few others);
    AreaTooLarge when that would take more than max_coarse Queries before merging."""
    precision = _fine_precision(lat, radius_m)
    cells = cover_cells(lat, lon, radius_m, precision)
    if len({code[:CELL_PRECISION] for code in cells}) > max_coarse:
        raise AreaTooLarge(f"a {radius_m:.0f} m circle at latitude {lat:.2f} spans too many "
                           "index cells")
    return cell_ranges(cells, max_ranges)


def cell_ranges(cells: list[str], max_ranges: int = 12) -> list[Range]:
    """The Queries that read every camera in these cells (all of one precision, at least
    CELL_PRECISION): runs of neighbours in geohash order become one range, and the closest
    runs inside one coarse cell are merged until at most max_ranges remain (or every run is
    in a coarse cell of its own). A merged range reads a few cameras outside the cells too."""
    if not cells:
        return []
    precision = len(cells[0])
    if precision < CELL_PRECISION or any(len(code) != precision for code in cells):
        raise ValueError("cells must share one precision, at least the index cell's")
    # Runs of consecutive cells (in geohash order) inside one coarse cell become one range.
    runs: list[list[int]] = []  # [start, end] as integers at `precision`
    owners: list[str] = []
    for code in sorted(set(cells)):
        value = _to_int(code)
        owner = code[:CELL_PRECISION]
        if runs and owners[-1] == owner and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
            owners.append(owner)
    # Too many Queries: merge the neighbouring runs with the smallest gap (fewest extra cells).
    while len(runs) > max_ranges:
        best, best_gap = -1, None
        for k in range(len(runs) - 1):
            if owners[k] == owners[k + 1]:
                gap = runs[k + 1][0] - runs[k][1]
                if best_gap is None or gap < best_gap:
                    best, best_gap = k, gap
        if best < 0:
            break  # every run is in its own coarse cell: cannot merge further
        runs[best][1] = runs[best + 1][1]
        del runs[best + 1]
        del owners[best + 1]
    pad = HASH_PRECISION - precision
    return [Range(owner, _to_code(lo, precision) + "0" * pad,
                  _to_code(hi, precision) + "z" * pad)
            for owner, (lo, hi) in zip(owners, runs, strict=True)]
