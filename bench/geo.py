"""Radius search on devstack: index reads, read amplification, filter time and request time.

A synthetic city is built in memory: a street grid (a street every 80 to 120 m) and a few
diagonal avenues inside 6 km x 6 km around (41.88, -87.63), with cameras at random points
along the streets (jittered by up to 8 m), denser downtown (a Gaussian falloff over a uniform
floor). Each size takes the first N cameras of one sample, so 10,000 is a subset of 100,000.
Every camera is an item built by registry.new_camera(parse_camera(...)) for one owner of the
demo agency and written to devstack (moto's server) with Camera.batch_write().

Search centres are drawn from the same distribution as the cameras, so searches land where the
cameras are; the same centres serve every size. For each radius there are two parts:

  index reads, for all --searches centres: geo.cover() gives the Queries (one per Range);
  what they read is counted on an in-memory copy of the cell-index GSI holding exactly the
  items written to devstack, with the same key condition (cell = :c AND geohash BETWEEN :lo
  AND :hi, inclusive, in byte order), and so are the 1 MB pages each Query takes. Items
  returned are what classify() keeps plus the hidden cameras counted by cell; read
  amplification is items read / items returned. classify() run on every camera near the centre
  tells how many the search would have returned had its Queries read them all ("missed"). The
  filter is classify() on the candidates, timed alone (median of --filter-repeats runs), and
  with the Camera -> Candidate conversion that search() does in front of it.

  devstack timing, for the first --timed-searches centres: POST /api/search over real HTTP as
  a signed-in detective, timed at the client; wrappers in this process (no project file is
  changed) time registry._candidates (cover + the concurrent Queries) inside the request,
  count the Query API calls and how many were in flight at once, and check that the request
  read, paged and returned exactly what the in-memory copy predicts. Each request also writes
  audit events (one for the search, one per owner found; all cameras here have one owner).

moto's Query on a GSI goes through every item of the table and sorts the matching cell on each
call, so one Query costs time in proportion to the table, and the app, moto and this script
share one interpreter (one GIL). The p95 of one plain Query (one cell, a BETWEEN that matches
about one item) on the same table is printed beside the request times as the emulator's own
cost. Sizes above --timed-max-size are seeded and get that plain-Query figure, but no timed
searches: at 100,000 one plain Query takes seconds, so a search's 12 concurrent Queries take
about a minute together, past PynamoDB's 30 s read timeout.

    .venv/bin/python -m bench.geo [--sizes 10000,100000] [--searches 30] [--timed-searches 5]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import bisect
import json
import logging
import math
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench.stats import percentile

CENTRE = (41.88, -87.63)
HALF_SIDE_M = 3000.0
DOWNTOWN_SIGMA_M = 1200.0
DENSITY_FLOOR = 0.1  # acceptance far from downtown, against 1.0 at its centre
JITTER_M = 8.0
DIAGONALS = ((-700.0, 0.0, 35.0), (500.0, -400.0, 125.0), (0.0, 900.0, 60.0),
             (-300.0, -1200.0, 150.0))  # (x, y, bearing): avenues through that point
RADII = (100, 300, 1000)
AIM_AMPLIFICATION = 2.5
AIM_QUERIES = 12
AIM_FILTER_MS = 5.0
BUCKET_M = 250.0
APPROX_SLACK_M = 250.0  # more than an approximate camera's shift
SEED = 20261121
PLAIN_QUERY_RUNS = 5
PAGE_BYTES = 1_000_000  # moto's page; DynamoDB's is 1 MB too
PYNAMODB_READ_TIMEOUT_S = 30
CSV_ROWS = 130
CSV_RUNS = 3
MOUNTS = ("wall", "doorbell", "pole", "window", "wall", "doorbell")
FACINGS = ("street", "sidewalk", "entrance", "storefront", "parking", "alley")
TIERS = ("registered", "on_request", "on_request", "on_alert", "always")


# ---------------------------------------------------------------- the synthetic city


def metres_per_deg_lon() -> float:
    from app.core.geo import M_PER_DEG_LAT

    return M_PER_DEG_LAT * math.cos(math.radians(CENTRE[0]))


def to_latlon(x: float, y: float) -> tuple[float, float]:
    from app.core.geo import M_PER_DEG_LAT

    return CENTRE[0] + y / M_PER_DEG_LAT, CENTRE[1] + x / metres_per_deg_lon()


def to_xy(lat: float, lon: float) -> tuple[float, float]:
    from app.core.geo import M_PER_DEG_LAT

    return (lon - CENTRE[1]) * metres_per_deg_lon(), (lat - CENTRE[0]) * M_PER_DEG_LAT


@dataclass(frozen=True)
class Street:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)


def grid_lines(rng: random.Random) -> list[float]:
    """Positions (m from the centre) of parallel streets 80 to 120 m apart, across the city."""
    lines, at = [], -HALF_SIDE_M + rng.uniform(0, 100)
    while at <= HALF_SIDE_M:
        lines.append(at)
        at += rng.uniform(80, 120)
    return lines


def build_streets(rng: random.Random) -> list[Street]:
    side = HALF_SIDE_M
    streets = [Street(f"N-S street {i + 1}", x, -side, x, side)
               for i, x in enumerate(grid_lines(rng))]
    streets += [Street(f"E-W street {i + 1}", -side, y, side, y)
                for i, y in enumerate(grid_lines(rng))]
    reach = side * 3  # long enough to cross the square; points outside it are rejected
    for i, (x, y, bearing) in enumerate(DIAGONALS):
        dx, dy = math.sin(math.radians(bearing)) * reach, math.cos(math.radians(bearing)) * reach
        streets.append(Street(f"Diagonal Ave {i + 1}", x - dx, y - dy, x + dx, y + dy))
    return streets


class CitySampler:
    """Points along the streets, denser downtown; cameras and search centres alike."""

    def __init__(self, streets: list[Street]) -> None:
        self.streets = streets
        self.cumulative: list[float] = []
        total = 0.0
        for street in streets:
            total += street.length
            self.cumulative.append(total)

    def point(self, rng: random.Random) -> tuple[float, float, str]:
        while True:
            pick = rng.random() * self.cumulative[-1]
            street = self.streets[bisect.bisect_right(self.cumulative, pick)]
            t = rng.random()
            x = street.x0 + t * (street.x1 - street.x0) + rng.uniform(-JITTER_M, JITTER_M)
            y = street.y0 + t * (street.y1 - street.y0) + rng.uniform(-JITTER_M, JITTER_M)
            if abs(x) > HALF_SIDE_M or abs(y) > HALF_SIDE_M:
                continue
            near = math.exp(-(x * x + y * y) / (2 * DOWNTOWN_SIGMA_M ** 2))
            if rng.random() < DENSITY_FLOOR + (1 - DENSITY_FLOOR) * near:
                lat, lon = to_latlon(x, y)
                return lat, lon, street.name


def camera_fields(rng: random.Random, number: int, lat: float, lon: float,
                  street: str) -> dict[str, Any]:
    roll = rng.random()
    visibility = "hidden" if roll < 0.1 else "approximate" if roll < 0.3 else "exact"
    return {
        "nickname": f"{street} cam {number}", "lat": round(lat, 6), "lon": round(lon, 6),
        "heading_deg": rng.randrange(0, 360), "fov_deg": rng.randrange(60, 121),
        "range_m": rng.randrange(15, 61), "mount": rng.choice(MOUNTS),
        "facing": rng.choice(FACINGS), "retention_days": rng.randrange(7, 31),
        "tier": rng.choice(TIERS), "visibility": visibility, "attested": True,
        "street": f"{street}, synthetic city",
    }


def build_cameras(owner: Any, count: int, sampler: CitySampler, rng: random.Random) -> list[Any]:
    from app.core.cameras import parse_camera
    from app.services import registry

    cameras = []
    for number in range(count):
        lat, lon, street = sampler.point(rng)
        spec = parse_camera(camera_fields(rng, number, lat, lon, street))
        cameras.append(registry.new_camera(owner, spec))
    return cameras


def seed_cameras(cameras: list[Any]) -> float:
    """Write the items with PynamoDB's batch writer (25 per BatchWriteItem); seconds taken."""
    from app.models.cameras import Camera

    start = time.perf_counter()
    with Camera.batch_write() as batch:
        for camera in cameras:
            batch.save(camera)
    return time.perf_counter() - start


# ---------------------------------------------------------------- the index, in memory


def item_bytes(camera: Any) -> int:
    """The index item's size as moto counts it for its 1 MB pages: names plus values.

    Only what cell-index projects counts: its keys, the table key and SEARCH_ATTRIBUTES.
    """
    from app.models.cameras import SEARCH_ATTRIBUTES

    projected = {"camera_id", "cell", "geohash", *SEARCH_ATTRIBUTES}
    total = 0
    for name, typed in camera.serialize().items():
        if name not in projected:
            continue
        (kind, value), = typed.items()
        total += len(name.encode()) + (len(value.encode()) if kind == "S" else
                                       len(json.dumps(value)))
    return total


def pages(sizes: list[int]) -> int:
    """How many Query calls (pages) moto needs to return items of these sizes in order."""
    count, used = 1, 0
    for size in sizes:
        if used + size > PAGE_BYTES:
            count, used = count + 1, 0
        used += size
    return count


class CellIndexCopy:
    """The cell-index GSI over a list of items: per cell, the items sorted by geohash."""

    def __init__(self, cameras: list[Any], sizes: dict[str, int]) -> None:
        self.sizes = sizes
        by_cell: dict[str, list[Any]] = defaultdict(list)
        for camera in cameras:
            by_cell[camera.cell].append(camera)
        self.items = {cell: sorted(items, key=lambda c: c.geohash)
                      for cell, items in by_cell.items()}
        self.keys = {cell: [c.geohash for c in items] for cell, items in self.items.items()}

    def query(self, cell: str, low: str, high: str) -> list[Any]:
        keys = self.keys.get(cell, [])
        return self.items.get(cell, [])[bisect.bisect_left(keys, low):
                                         bisect.bisect_right(keys, high)]


class Buckets:
    """Every camera near a point, from a planar grid of buckets: the brute-force side."""

    def __init__(self, cameras: list[Any]) -> None:
        self.grid: dict[tuple[int, int], list[Any]] = defaultdict(list)
        for camera in cameras:
            x, y = to_xy(camera.lat, camera.lon)
            self.grid[(int(x // BUCKET_M), int(y // BUCKET_M))].append(camera)

    def around(self, lat: float, lon: float, reach_m: float) -> list[Any]:
        """The cameras in the buckets within reach_m of the point (a superset of the circle)."""
        x, y = to_xy(lat, lon)
        found: list[Any] = []
        for i in range(int((x - reach_m) // BUCKET_M), int((x + reach_m) // BUCKET_M) + 1):
            for j in range(int((y - reach_m) // BUCKET_M), int((y + reach_m) // BUCKET_M) + 1):
                found.extend(self.grid.get((i, j), ()))
        return found


@dataclass
class Counted:
    """The index-read figures of one search."""

    query_calls: int
    pages: int
    items_read: int
    items_returned: int
    missed: int
    classify_s: float
    convert_s: float


def count_search(index: CellIndexCopy, buckets: Buckets, agency_id: str, lat: float,
                 lon: float, radius_m: float, repeats: int) -> Counted:
    from app.core import geo
    from app.core.search import classify
    from app.models.cameras import index_cell
    from app.services import clock, registry

    ranges = geo.cover(lat, lon, radius_m)
    batches = [index.query(index_cell(agency_id, rng.cell), rng.low, rng.high) for rng in ranges]
    # Hidden cameras are read apart, by the ~1 km cells the circle touches (docs/privacy.md);
    # the visible Queries filter them out (a filter does not change what a page holds).
    cells, hidden_ranges = registry._hidden_ranges(lat, lon, radius_m)
    hidden_batches = [index.query(index_cell(agency_id, rng.cell), rng.low, rng.high)
                      for rng in hidden_ranges]
    hidden = registry._active_hidden(
        [cam for batch in hidden_batches for cam in batch if cam.visibility == "hidden"], cells)
    read = [cam for batch in batches for cam in batch if cam.visibility != "hidden"]
    calls = sum(pages([index.sizes[c.camera_id] for c in batch])
                for batch in [*batches, *hidden_batches])
    now = clock.now()
    incident = now - timedelta(days=1)
    start = time.perf_counter()
    candidates = [registry._candidate(c) for c in read]
    convert_s = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = classify(candidates, lat, lon, radius_m, incident, now)
        runs.append(time.perf_counter() - start)
    returned = len(result.hits) + len(hidden)
    # What the search would return had it read every camera near the point: classify() itself
    # decides, so the check follows the app's rule (approximate cameras stand at their ~100 m
    # cell centre, where the index files them too; hidden ones are read by whole cells).
    nearby = [registry._candidate(c) for c in buckets.around(lat, lon, radius_m + APPROX_SLACK_M)
              if c.agency_id == agency_id]
    everything = classify(nearby, lat, lon, radius_m, incident, now)
    missed = len(everything.hits) - len(result.hits)
    return Counted(len(ranges) + len(hidden_ranges), calls, len(read), returned, missed,
                   statistics.median(runs), convert_s)


def summarise_counts(counted: list[Counted]) -> dict[str, Any]:
    amplifications = [c.items_read / c.items_returned for c in counted if c.items_returned]
    candidates = sum(c.items_read for c in counted)
    per_1000 = 1000 / candidates * 1000 if candidates else 0.0
    return {
        "searches": len(counted),
        "searches_returning_none": sum(1 for c in counted if not c.items_returned),
        "query_calls": round(statistics.fmean(c.query_calls for c in counted), 2),
        "query_calls_max": max(c.query_calls for c in counted),
        "query_pages_est": round(statistics.fmean(c.pages for c in counted), 2),
        "query_pages_est_max": max(c.pages for c in counted),
        "items_read": round(statistics.fmean(c.items_read for c in counted), 1),
        "items_read_max": max(c.items_read for c in counted),
        "items_returned": round(statistics.fmean(c.items_returned for c in counted), 1),
        "read_amplification": round(statistics.fmean(amplifications), 3)
        if amplifications else None,
        "read_amplification_max": round(max(amplifications), 3) if amplifications else None,
        "read_amplification_pooled": round(
            candidates / max(1, sum(c.items_returned for c in counted)), 3),
        "missed_by_cover": sum(c.missed for c in counted),
        "searches_missing_some": sum(1 for c in counted if c.missed),
        "filter_ms_per_1000": round(sum(c.classify_s for c in counted) * per_1000, 3),
        "filter_with_conversion_ms_per_1000": round(
            sum(c.classify_s + c.convert_s for c in counted) * per_1000, 3),
        "candidates_filtered": candidates,
    }


# ---------------------------------------------------------------- devstack timing


@dataclass
class Record:
    candidates_s: float = 0.0
    candidates: int = 0
    query_pages: int = 0
    max_in_flight: int = 0
    audit_events: int = 0
    audit_s: float = 0.0
    ranges: list[Any] = field(default_factory=list)


class Probe:
    """Wrappers in this process around the search path; they record one request at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.record: Record | None = None
        self.in_flight = 0

    def install(self) -> None:
        from pynamodb.connection.base import Connection

        from app.services import audit, registry

        probe = self
        make_api_call = Connection._make_api_call
        candidates = registry._candidates
        record_event = audit.record

        def counted_call(conn: Any, operation_name: str, operation_kwargs: Any) -> Any:
            rec = probe.record
            if rec is None or operation_name != "Query":
                return make_api_call(conn, operation_name, operation_kwargs)
            with probe.lock:
                rec.query_pages += 1
                probe.in_flight += 1
                rec.max_in_flight = max(rec.max_in_flight, probe.in_flight)
            try:
                return make_api_call(conn, operation_name, operation_kwargs)
            finally:
                with probe.lock:
                    probe.in_flight -= 1

        def timed_candidates(agency_id: str, lat: float, lon: float, radius_m: float) -> Any:
            start = time.perf_counter()
            found = candidates(agency_id, lat, lon, radius_m)
            if probe.record is not None:
                probe.record.candidates_s += time.perf_counter() - start
                probe.record.candidates += len(found)
            return found

        def timed_record(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return record_event(*args, **kwargs)
            finally:
                if probe.record is not None:
                    probe.record.audit_events += 1
                    probe.record.audit_s += time.perf_counter() - start

        Connection._make_api_call = counted_call  # type: ignore[method-assign]
        registry._candidates = timed_candidates
        audit.record = timed_record


@dataclass
class Timed:
    request_s: float
    record: Record
    read_matches: bool
    returned_matches: bool
    pages_match: bool


def timed_search(http: Any, base: str, token: str, probe: Probe, centre: tuple[float, float],
                 radius_m: float, expected: Counted) -> Timed:
    from app.services import clock

    body = {"lat": centre[0], "lon": centre[1], "radius_m": radius_m,
            "incident_at": (clock.now() - timedelta(days=1)).isoformat(),
            "case_number": "BENCH-GEO-1"}
    probe.record = Record()
    start = time.perf_counter()
    response = http.post(base + "/api/search", json=body, headers={"X-CSRF-Token": token},
                         timeout=600)
    elapsed = time.perf_counter() - start
    record, probe.record = probe.record, None
    if response.status_code != 200:
        raise SystemExit(f"POST /api/search gave {response.status_code}: {response.text[:300]}")
    data = response.json()
    returned = len(data["cameras"]) + int(data["hidden_count"])
    return Timed(elapsed, record, record.candidates == expected.items_read,
                 returned == expected.items_returned, record.query_pages == expected.pages)


def plain_query_times(index: CellIndexCopy, runs: int) -> list[float]:
    """One Query of the busiest cell with a BETWEEN as narrow as one camera's 8-char prefix."""
    from app.models.cameras import Camera

    cell = max(index.items, key=lambda c: len(index.items[c]))
    prefix = index.items[cell][len(index.items[cell]) // 2].geohash[:8]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        list(Camera.cell_index.query(cell, Camera.geohash.between(prefix + "0", prefix + "z")))
        times.append(time.perf_counter() - start)
    return times


def check_paging(index: CellIndexCopy, probe: Probe) -> dict[str, int]:
    """Query a whole cell on devstack: do its API calls match the page estimate?"""
    from app.models.cameras import Camera

    cell = max(index.items, key=lambda c: len(index.items[c]))
    probe.record = Record()
    count = sum(1 for _ in Camera.cell_index.query(cell))
    record, probe.record = probe.record, None
    return {"items": count, "api_calls": record.query_pages,
            "estimate": pages([index.sizes[c.camera_id] for c in index.items[cell]])}


def summarise_timed(timed: list[Timed]) -> dict[str, Any]:
    if not timed:
        return {"timed_searches": 0, "request_p50_ms": None, "request_p95_ms": None,
                "candidates_p50_ms": None, "candidates_p95_ms": None}
    request_ms = [t.request_s * 1000 for t in timed]
    candidates_ms = [t.record.candidates_s * 1000 for t in timed]
    audit_ms = [t.record.audit_s * 1000 for t in timed]
    return {
        "timed_searches": len(timed),
        "request_p50_ms": round(percentile(request_ms, 50), 1),
        "request_p95_ms": round(percentile(request_ms, 95), 1),
        "candidates_p50_ms": round(percentile(candidates_ms, 50), 1),
        "candidates_p95_ms": round(percentile(candidates_ms, 95), 1),
        "audit_events_per_request": round(statistics.fmean(
            t.record.audit_events for t in timed), 2),
        "audit_p50_ms": round(percentile(audit_ms, 50), 1),
        "query_api_calls": round(statistics.fmean(t.record.query_pages for t in timed), 2),
        "query_api_calls_max": max(t.record.query_pages for t in timed),
        "queries_in_flight_max": max(t.record.max_in_flight for t in timed),
        "matches_index_copy": all(t.read_matches and t.returned_matches and t.pages_match
                                  for t in timed),
    }


# ---------------------------------------------------------------- printing


def aim_word(value: float | None, aim: float, strict: bool = False) -> str:
    if value is None:
        return "n/a"
    within = value < aim if strict else value <= aim
    return "within aim" if within else "over aim"


def print_reads(size: int, cases: dict[str, dict[str, Any]]) -> None:
    print(f"\n  index reads ({cases[str(RADII[0])]['searches']} searches per radius; exact "
          "counts on the in-memory copy of the GSI)")
    print(f"  {'radius':>7} {'queries':>13} {'pages (est.)':>13} {'read':>8} {'returned':>9} "
          f"{'amplification mean/max':>23} {'filter ms/1000':>15} {'+conversion':>12} "
          f"{'missed':>7} {'empty':>6}")
    for radius in RADII:
        c = cases[str(radius)]
        amp = (f"{c['read_amplification']:.2f} / {c['read_amplification_max']:.2f}"
               if c["read_amplification"] is not None else "n/a")
        print(f"  {radius:>5} m {c['query_calls']:>6.1f} / {c['query_calls_max']:>3} "
              f"{c['query_pages_est']:>6.1f} / {c['query_pages_est_max']:>3} "
              f"{c['items_read']:>8.1f} {c['items_returned']:>9.1f} {amp:>23} "
              f"{c['filter_ms_per_1000']:>15.2f} "
              f"{c['filter_with_conversion_ms_per_1000']:>12.2f} {c['missed_by_cover']:>7} "
              f"{c['searches_returning_none']:>6}")
    print("  queries: one per cover() range, all in flight at once; pages: the Query API calls"
          "\n  they take, a range past 1 MB paging on one after another (mean / max per search)"
          "\n  missed: cameras the search would return had its Queries read them (all searches);"
          "\n  empty: searches returning no camera, left out of the amplification")
    print("  aims, every radius: amplification <= 2.5, queries <= 12, filter < 5 ms/1000")
    for radius in RADII:
        c = cases[str(radius)]
        print(f"  {radius:>5} m  amplification mean "
              f"{aim_word(c['read_amplification'], AIM_AMPLIFICATION)}, max "
              f"{aim_word(c['read_amplification_max'], AIM_AMPLIFICATION)}; queries max "
              f"{aim_word(c['query_calls_max'], AIM_QUERIES)} (with pages "
              f"{aim_word(c['query_pages_est_max'], AIM_QUERIES)}); filter "
              f"{aim_word(c['filter_ms_per_1000'], AIM_FILTER_MS, strict=True)}")


def print_timed(cases: dict[str, dict[str, Any]], plain_p95_ms: float) -> None:
    print(f"\n  devstack timing ({cases[str(RADII[0])]['timed_searches']} POST /api/search per "
          f"radius, one at a time; plain Query p95 on this table {plain_p95_ms:.0f} ms)")
    print(f"  {'radius':>7} {'request p50/p95 ms':>20} {'candidate read p50/p95 ms':>27} "
          f"{'Query API calls':>16} {'in flight':>10} {'audit events/ms':>16} {'checked':>8}")
    for radius in RADII:
        c = cases[str(radius)]
        print(f"  {radius:>5} m {c['request_p50_ms']:>9.0f} / {c['request_p95_ms']:<8.0f} "
              f"{c['candidates_p50_ms']:>13.0f} / {c['candidates_p95_ms']:<11.0f} "
              f"{c['query_api_calls']:>8.1f} (max {c['query_api_calls_max']:>2}) "
              f"{c['queries_in_flight_max']:>7} {c['audit_events_per_request']:>8.1f} / "
              f"{c['audit_p50_ms']:<6.0f} {'yes' if c['matches_index_copy'] else 'NO':>6}")
    print("  the request includes its audit writes (one per search, one per owner found);")
    print("  'checked': devstack read, paged and returned exactly what the in-memory copy "
          "predicts")


# ---------------------------------------------------------------- the run


@dataclass
class Setup:
    sizes: list[int]
    searches: int
    timed: int
    timed_max: int
    repeats: int
    plain_runs: int


def parse_args() -> Setup:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="cameras per city (10000,100000)")
    parser.add_argument("--searches", type=int, default=30, help="searches per radius (30)")
    parser.add_argument("--timed-searches", type=int, default=5,
                        help="of those, timed over HTTP on devstack (5)")
    parser.add_argument("--timed-max-size", type=int, default=10000,
                        help="largest size with timed searches (10000)")
    parser.add_argument("--filter-repeats", type=int, default=3,
                        help="classify() runs per search, median kept (3)")
    parser.add_argument("--plain-queries", type=int, default=PLAIN_QUERY_RUNS,
                        help=f"plain Queries timed per size ({PLAIN_QUERY_RUNS})")
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    if not sizes or sizes[0] < 1 or args.searches < 1 or args.filter_repeats < 1:
        parser.error("--sizes, --searches and --filter-repeats must be at least 1")
    if args.plain_queries < 1 or args.timed_searches < 0:
        parser.error("--plain-queries must be at least 1, --timed-searches at least 0")
    return Setup(sizes, args.searches, min(args.timed_searches, args.searches),
                 args.timed_max_size, args.filter_repeats, args.plain_queries)


@dataclass
class Bench:
    setup: Setup
    cameras: list[Any]
    centres: dict[int, list[tuple[float, float]]]
    agency_id: str
    http: Any
    base: str
    token: str
    probe: Probe
    item_sizes: dict[str, int]
    results: dict[str, Any] = field(default_factory=dict)
    seeded: int = 0

    def size(self, size: int) -> dict[str, dict[str, Any]]:
        batch = self.cameras[self.seeded:size]
        seconds = seed_cameras(batch)
        self.seeded = size
        rate = len(batch) / seconds if seconds else 0.0
        self.results.setdefault("seed", {})[str(size)] = {
            "items": len(batch), "seconds": round(seconds, 1), "items_per_s": round(rate)}
        print(f"\n{size:,} cameras: wrote {len(batch):,} more items with batch_write in "
              f"{seconds:.1f} s ({rate:.0f} items/s)")
        index = CellIndexCopy(self.cameras[:size], self.item_sizes)
        buckets = Buckets(self.cameras[:size])
        print(f"  cells (geohash 5) holding cameras: {len(index.items)}; the busiest holds "
              f"{max(len(v) for v in index.items.values()):,}")
        plain = [s * 1000 for s in plain_query_times(index, self.setup.plain_runs)]
        plain_p95 = percentile(plain, 95)
        self.results.setdefault("plain", {})[str(size)] = round(plain_p95, 1)
        print(f"  one plain Query ({self.setup.plain_runs} runs): p50 "
              f"{percentile(plain, 50):.0f} ms, p95 {plain_p95:.0f} ms")
        if "paging_check" not in self.results:
            check = self.results["paging_check"] = check_paging(index, self.probe)
            print(f"  paging check: a Query of the whole busiest cell read {check['items']:,} "
                  f"items in {check['api_calls']} API calls; the page estimate says "
                  f"{check['estimate']}")
        cases = {}
        timed_here = self.setup.timed if size <= self.setup.timed_max else 0
        for radius in RADII:
            counted = [count_search(index, buckets, self.agency_id, lat, lon, radius,
                                    self.setup.repeats) for lat, lon in self.centres[radius]]
            timed = [timed_search(self.http, self.base, self.token, self.probe, centre, radius,
                                  expected)
                     for centre, expected in zip(self.centres[radius][:timed_here],
                                                 counted[:timed_here], strict=True)]
            cases[str(radius)] = {**summarise_counts(counted), **summarise_timed(timed)}
        print_reads(size, cases)
        if timed_here:
            print_timed(cases, plain_p95)
        else:
            estimate = AIM_QUERIES * plain_p95 / 1000
            print(f"\n  devstack timing: none at this size (above --timed-max-size "
                  f"{self.setup.timed_max:,}). A search is {AIM_QUERIES} concurrent Queries, "
                  f"each about {plain_p95 / 1000:.1f} s of moto's time here, on one GIL: about "
                  f"{estimate:.0f} s a search"
                  + (f", past PynamoDB's {PYNAMODB_READ_TIMEOUT_S} s read timeout"
                     if estimate > PYNAMODB_READ_TIMEOUT_S else ""))
        return cases


def draw_centres(sampler: CitySampler, searches: int) -> dict[int, list[tuple[float, float]]]:
    rng = random.Random(SEED + 1)
    return {radius: [sampler.point(rng)[:2] for _ in range(searches)] for radius in RADII}


def csv_import_times(base: str, settings: Any) -> list[float]:
    """Seconds for POST /api/cameras/import of a 130-row CSV, on the still small table."""
    from app.core.bulk import COLUMNS
    from tests.support import make_user, session_client

    times = []
    for run_no in range(CSV_RUNS):
        client = session_client(base, settings, make_user("org_admin"))
        lines = [",".join(COLUMNS)]
        for i in range(CSV_ROWS):
            lines.append(f"Cam {i},{41.80 + run_no * 0.01 + i * 0.0002:.6f},"
                         f"{-87.70 + (i % 13) * 0.0003:.6f},{(i * 29) % 360},90,30,wall,street,"
                         "14,on_request,exact,yes,,")
        body = ("\r\n".join(lines) + "\r\n").encode()
        token = client.csrf()
        start = time.perf_counter()
        response = client.http.post(f"{base}/api/cameras/import", data=body, timeout=120,
                                    headers={"Content-Type": "text/csv", "X-CSRF-Token": token})
        times.append(time.perf_counter() - start)
        if response.status_code != 201:
            raise RuntimeError(f"CSV import answered {response.status_code}: {response.text}")
    return times


def start_app() -> tuple[Any, Any, Any]:
    from devstack import seed, stack
    from tests.support import AppServer

    server = AppServer()
    local = stack.start(extra_env={"PORCHLIGHT_PUBLIC_URL": server.url})
    from app import create_app

    app = create_app()
    seed.seed()
    server.start(app)
    return server, local, app


def run(setup: Setup, started: float) -> dict[str, Any]:
    from tests.support import make_user, session_client

    server, local, app = start_app()
    try:
        owner, detective = make_user("owner"), make_user("detective")
        client = session_client(server.url, app.config["SETTINGS"], detective)
        token = client.csrf()
        csv_times = csv_import_times(server.url, app.config["SETTINGS"])
        print(f"130-row CSV import over HTTP: median {statistics.median(csv_times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in csv_times)})")
        probe = Probe()
        probe.install()
        sampler = CitySampler(build_streets(random.Random(SEED)))
        built = time.perf_counter()
        cameras = build_cameras(owner.user, setup.sizes[-1], sampler, random.Random(SEED + 2))
        print(f"stack, app and demo seed ready at {server.url} (moto at {local.endpoint}); "
              f"{len(cameras):,} camera items built in {time.perf_counter() - built:.1f} s, "
              f"{len(sampler.streets)} streets")
        item_sizes = {camera.camera_id: item_bytes(camera) for camera in cameras}
        print(f"items average {statistics.fmean(item_sizes.values()):.0f} bytes, so a 1 MB "
              f"Query page holds about {PAGE_BYTES // statistics.fmean(item_sizes.values()):.0f}")
        bench = Bench(setup, cameras, draw_centres(sampler, setup.searches),
                      owner.user.agency_id, client.http, server.url, token, probe, item_sizes)
        sizes = {str(size): bench.size(size) for size in setup.sizes}
    finally:
        server.stop()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)
    seed_items = sum(s["items"] for s in bench.results["seed"].values())
    seed_seconds = sum(s["seconds"] for s in bench.results["seed"].values())
    return {
        "bench": "geo",
        "sizes": sizes,
        "plain_query_p95_ms": bench.results["plain"],
        "seed_rate_items_per_s": round(seed_items / seed_seconds) if seed_seconds else None,
        "seed": bench.results["seed"],
        "paging_check": bench.results["paging_check"],
        "searches_per_radius": setup.searches,
        "timed_searches_per_radius": setup.timed,
        "timed_max_size": setup.timed_max,
        "csv_import_130_rows_s": round(statistics.median(csv_times), 3),
        "aims": {"read_amplification_max": AIM_AMPLIFICATION, "query_calls_max": AIM_QUERIES,
                 "filter_ms_per_1000_below": AIM_FILTER_MS},
        "total_s": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    setup = parse_args()
    # moto's server and the app's server share werkzeug's request log: one line per request.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    print(f"geo search on devstack: sizes {', '.join(f'{s:,}' for s in setup.sizes)}; radii "
          f"{', '.join(f'{r} m' for r in RADII)}; {setup.searches} searches per radius, the "
          f"first {setup.timed} timed over HTTP on sizes up to {setup.timed_max:,}")
    print(f"load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    result = run(setup, started)
    print(f"\n130-row CSV import (median of {CSV_RUNS}, over HTTP, on the small table): "
          f"{result['csv_import_130_rows_s']:.2f} s")
    print(f"seeding rate overall {result['seed_rate_items_per_s']} items/s; total "
          f"{result['total_s']:.0f} s; load average (1 min) at the end "
          f"{os.getloadavg()[0]:.2f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
