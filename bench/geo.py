"""Radius search on devstack over a synthetic city: read amplification, Query calls, filter time
and request time per radius, the emulator's plain Query cost, and a 130-row CSV import
(docs/benchmarks.md).

    .venv/bin/python -m bench.geo [--sizes 10000] [--searches 30] [--timed-searches 30] [--quick]
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from app.core.geo import M_PER_DEG_LAT
from bench.harness import (
    Client,
    DynamoCalls,
    account,
    begin,
    finish,
    map_path,
    options,
    percentile,
    repeat,
    running,
    say,
    summary,
)

CENTRE, HALF_SIDE_M, SIGMA_M, FLOOR = (41.88, -87.63), 3000.0, 1200.0, 0.1
DIAGONALS = ((-700.0, 0.0, 35.0), (500.0, -400.0, 125.0), (0.0, 900.0, 60.0),
             (-300.0, -1200.0, 150.0))  # (x, y, bearing) of an avenue through that point
RADII = (100, 300, 1000)
AIMS = {"read_amplification_max": 2.5, "query_calls_max": 12, "filter_ms_per_1000_below": 5.0}
CSV_ROWS = 130
PAGE_BYTES = 1024 * 1024  # a Query page holds at most 1 MB of what it read


def streets(rng: random.Random) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) in metres from the centre: the grid both ways, then the avenues."""
    lines: list[float] = []
    at = -HALF_SIDE_M + rng.uniform(0, 100)
    while at <= HALF_SIDE_M:
        lines.append(at)
        at += rng.uniform(80, 120)
    found = [(x, -HALF_SIDE_M, x, HALF_SIDE_M) for x in lines]
    found += [(-HALF_SIDE_M, y, HALF_SIDE_M, y) for y in lines[::-1]]
    reach = HALF_SIDE_M * 3
    for x, y, bearing in DIAGONALS:
        dx, dy = math.sin(math.radians(bearing)) * reach, math.cos(math.radians(bearing)) * reach
        found.append((x - dx, y - dy, x + dx, y + dy))
    return found


def points(count: int, seed: int) -> list[tuple[float, float]]:
    """(lat, lon) along the streets, denser downtown."""
    rng = random.Random(seed)
    lines = streets(random.Random(20261121))
    lengths = [math.hypot(x1 - x0, y1 - y0) for x0, y0, x1, y1 in lines]
    cumulative = [sum(lengths[:i + 1]) for i in range(len(lengths))]
    found: list[tuple[float, float]] = []
    while len(found) < count:
        x0, y0, x1, y1 = lines[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        t = rng.random()
        x = x0 + t * (x1 - x0) + rng.uniform(-8, 8)
        y = y0 + t * (y1 - y0) + rng.uniform(-8, 8)
        near = math.exp(-(x * x + y * y) / (2 * SIGMA_M ** 2))
        if max(abs(x), abs(y)) <= HALF_SIDE_M and rng.random() < FLOOR + (1 - FLOOR) * near:
            found.append((CENTRE[0] + y / M_PER_DEG_LAT,
                          CENTRE[1] + x / (M_PER_DEG_LAT * math.cos(math.radians(CENTRE[0])))))
    return found


def cameras(owner: Any, count: int) -> list[Any]:
    from app.core.cameras import parse_camera
    from app.services.cameras import registry

    rng = random.Random(7)
    made = []
    for n, (lat, lon) in enumerate(points(count, 20261123)):
        roll = rng.random()
        made.append(registry.new_camera(owner, parse_camera({
            "nickname": f"City cam {n}", "lat": round(lat, 6), "lon": round(lon, 6),
            "heading_deg": rng.randrange(360), "fov_deg": rng.randrange(60, 121),
            "range_m": rng.randrange(15, 61), "mount": rng.choice(("wall", "doorbell", "pole")),
            "facing": "street", "retention_days": rng.randrange(7, 31),
            "tier": rng.choice(("registered", "on_request", "on_alert", "always")),
            "visibility": "hidden" if roll < 0.1 else "approximate" if roll < 0.3 else "exact",
            "attested": True})))
    return made


def candidates(items: list[Any], lat: float, lon: float, reach_m: float) -> list[Any]:
    """The items within a square of reach_m around the point, as classify() takes them."""
    from app.core.search import Candidate

    dlat, dlon = reach_m / M_PER_DEG_LAT, reach_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return [Candidate(c.camera_id, c.owner_id, c.nickname, float(c.place_lat),
                      float(c.place_lon), float(c.heading_deg), float(c.fov_deg),
                      float(c.range_m), c.mount, c.tier, c.visibility, int(c.retention_days),
                      c.confirmed_at) for c in items
            if abs(float(c.place_lat) - lat) <= dlat and abs(float(c.place_lon) - lon) <= dlon]


def one_radius(stack: Any, detective: Any, http: Client, items: list[Any], radius: int,
               centres: list[tuple[float, float]], timed: int) -> dict[str, Any]:
    from app.core.search import classify
    from app.services import clock
    from app.services.cameras import registry

    incident = clock.now() - timedelta(days=1)
    amplification, hidden, calls, in_flight, service, filters, filtered = [], [], [], [], [], [], 0
    with DynamoCalls() as dynamo:
        for lat, lon in centres:
            body = {"lat": lat, "lon": lon, "radius_m": radius, "case_number": "BENCH-GEO-1",
                    "incident_at": incident.isoformat()}
            dynamo.reset()
            t0 = time.perf_counter()
            found = registry.search(stack.settings, detective.user,
                                    registry.check_search(body, 2000), "127.0.0.1")
            service.append(time.perf_counter() - t0)
            calls.append(dynamo.calls["Query"])
            in_flight.append(dynamo.max_in_flight)
            hidden.append(found.hidden_count)  # counted by whole ~1 km cells, read apart
            if found.hits:  # the visible index: items read per camera shown
                amplification.append(found.candidates_read / len(found.hits))
            near = candidates(items, lat, lon, radius + 250)
            filtered += len(near)
            filters.append(statistics.median(repeat(
                lambda near=near, lat=lat, lon=lon: classify(near, lat, lon, radius, incident,
                                                             clock.now()), 3, 0)))
    requests = []
    for lat, lon in centres[:timed]:
        t0 = time.perf_counter()
        answer = http.call("POST", "/api/search", {
            "lat": lat, "lon": lon, "radius_m": radius, "case_number": "BENCH-GEO-2",
            "incident_at": incident.isoformat()}, timeout=600)
        requests.append(time.perf_counter() - t0)
        if answer.status_code != 200:
            raise SystemExit(f"POST /api/search: {answer.status_code} {answer.text[:300]}")
    return {"searches": len(centres), "returning_none": len(centres) - len(amplification),
            "read_amplification": round(statistics.fmean(amplification), 3)
            if amplification else None,
            "read_amplification_max": round(max(amplification), 3) if amplification else None,
            "hidden_counted": round(statistics.fmean(hidden), 1),
            "query_calls": round(statistics.fmean(calls), 2), "query_calls_max": max(calls),
            "queries_in_flight_max": max(in_flight),
            "service_ms": summary(service, digits=1),
            "filter_ms_per_1000": round(sum(filters) * 1e6 / max(1, filtered), 3),
            "request_ms": summary(requests, digits=1)}


def cell_pages(stack: Any, items: list[Any], cell: str) -> dict[str, Any]:
    """How many 1 MB pages one whole cell takes, as AWS counts and as the emulator pages it.

    AWS counts a global secondary index's reads, and fills its 1 MB Query pages, by the size of
    the index entries, not of the table's items ("the calculation is based on the sizes of the
    index entries", Developer Guide, "Global secondary indexes: read capacity units"): the
    projected attributes plus the table's and the index's keys. DynamoDB Local pages by more
    (measured here: its first page's bytes per item), so it makes more Query calls than AWS."""
    from app.models.base import attribute_bytes
    from app.models.cameras import SEARCH_ATTRIBUTES, Camera

    projected = {"camera_id", "cell", "geohash", *SEARCH_ATTRIBUTES}
    members = [c for c in items if c.cell == cell]
    sizes = [attribute_bytes(c) for c in members]
    entry = [sum(v for k, v in one.items() if k in projected) for one in sizes]
    whole = [sum(one.values()) for one in sizes]
    raw, pages, first, units = stack.local.client("dynamodb"), 0, 0, 0.0
    query: dict[str, Any] = {"TableName": Camera.Meta.table_name, "IndexName": "cell-index",
                             "KeyConditionExpression": "cell = :c",
                             "ExpressionAttributeValues": {":c": {"S": cell}},
                             "ReturnConsumedCapacity": "TOTAL"}
    while True:
        page = raw.query(**query)
        pages += 1
        first = first or page["Count"]
        units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {"items": len(members), "index_entry_bytes": round(statistics.fmean(entry)),
            "item_bytes": round(statistics.fmean(whole)),
            "pages_on_aws": math.ceil(sum(entry) / PAGE_BYTES),
            "pages_here": pages,
            "bytes_per_item_here": round(PAGE_BYTES / first) if pages > 1 else None,
            "read_units_here": units,
            "read_units_on_aws": math.ceil(sum(entry) / 4096) / 2}  # eventually consistent


MAP_VIEWS = {"city": 3000.0, "district": 1200.0, "streets": 500.0}  # half the view's side, m


def map_views(http: Client, runs: int) -> dict[str, Any]:
    """GET /api/map as the police map page asks for its view, over HTTP: the whole synthetic
    city (its areas counted), a district, and a few streets downtown (their cameras)."""
    found: dict[str, Any] = {}
    for name, half in MAP_VIEWS.items():
        path = map_path(*CENTRE, half)
        times, answer = [], None
        for _ in range(runs):
            t0 = time.perf_counter()
            answer = http.call("GET", path, timeout=600)
            times.append(time.perf_counter() - t0)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
        assert answer is not None
        body = answer.json()
        found[name] = {"mode": body["mode"], "cameras": len(body["cameras"]),
                       "areas": len(body["clusters"]), "bytes": len(answer.content),
                       "ms": summary(times, digits=1)}
    return found


def csv_import_s(base: str) -> float:
    from app.core.bulk import COLUMNS

    admin = Client(base).signed_in(account("org_admin"))
    rows = [",".join(COLUMNS)] + [
        f"Cam {i},{41.80 + i * 0.0002:.6f},{-87.70 + (i % 13) * 0.0003:.6f},{(i * 29) % 360},"
        "90,30,wall,street,14,on_request,exact,yes,," for i in range(CSV_ROWS)]
    t0 = time.perf_counter()
    answer = admin.http.post(base + "/api/cameras/import", data="\r\n".join(rows) + "\r\n",
                             headers={"Content-Type": "text/csv", "X-CSRF-Token": admin.csrf()},
                             timeout=300)
    if answer.status_code != 201:
        raise SystemExit(f"CSV import: {answer.status_code} {answer.text[:300]}")
    return time.perf_counter() - t0


def main() -> int:
    args = options(__doc__, {"sizes": ("10000", "300", "cameras per city, comma separated"),
                             "searches": (30, 2, "searches per radius and size"),
                             "timed_searches": (30, 1, "of those, timed over HTTP")})
    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = begin("geo", args, f"sizes {sizes}, radii {RADII} m, {args.searches} searches "
                    f"per radius, {args.timed_searches} of them over HTTP")
    results: dict[str, Any] = {}
    with running() as stack:
        from app.models.cameras import Camera

        csv_s = csv_import_s(stack.url)
        owner, detective = account("owner"), account("detective")
        http = Client(stack.url).signed_in(detective)
        items = cameras(owner.user, sizes[-1])
        centres = {r: points(args.searches, 20261124 + r) for r in RADII}
        seeded = 0
        for size in sizes:
            t0 = time.perf_counter()
            with Camera.batch_write() as batch:
                for item in items[seeded:size]:
                    batch.save(item)
            rate = (size - seeded) / (time.perf_counter() - t0)
            seeded = size
            cell, _count = Counter(c.cell for c in items[:size]).most_common(1)[0]
            middle = sorted(c.geohash for c in items[:size] if c.cell == cell)
            prefix = middle[len(middle) // 2][:8]
            plain = repeat(lambda cell=cell, prefix=prefix: list(Camera.cell_index.query(
                cell, Camera.geohash.between(prefix + "0", prefix + "z"))), 5, 1)
            say(f"{size:,} cameras written ({rate:.0f} items/s); plain Query p95 "
                f"{percentile(plain, 95) * 1000:.0f} ms")
            busiest = cell_pages(stack, items[:size], cell)
            say(f"  busiest cell: {busiest['items']:,} cameras, index entries "
                f"{busiest['index_entry_bytes']} bytes each (items {busiest['item_bytes']}): "
                f"{busiest['pages_on_aws']} page(s) on AWS, {busiest['pages_here']} here "
                f"({busiest['bytes_per_item_here'] or '-'} bytes per item by the emulator's count)")
            radii = {}
            for r in RADII:
                c = radii[str(r)] = one_radius(stack, detective, http, items[:size], r,
                                               centres[r], args.timed_searches)
                say(f"  {r} m: amplification {c['read_amplification']} (max "
                    f"{c['read_amplification_max']}), {c['query_calls']} Queries (max "
                    f"{c['query_calls_max']}), search p50 {c['service_ms']['p50']} ms, filter "
                    f"{c['filter_ms_per_1000']} ms/1000, request p50 {c['request_ms']['p50']} ms")
            views = map_views(http, args.timed_searches)
            for name, v in views.items():
                say(f"  map, {name}: {v['mode']} ({v['cameras']} cameras, {v['areas']} areas, "
                    f"{v['bytes']:,} bytes), p50 {v['ms']['p50']} ms, p95 {v['ms']['p95']} ms")
            results[str(size)] = {"seed_items_per_s": round(rate), "busiest_cell": busiest,
                                  "map": views,
                                  "plain_query_p95_ms": round(percentile(plain, 95) * 1000, 1),
                                  "radii": radii}
    largest = results[str(sizes[-1])]["radii"]
    worst = [c["read_amplification_max"] or 0.0 for c in largest.values()]
    return finish("geo", args, {
        "read_amplification_max": max(worst),
        "query_calls_max": max(c["query_calls_max"] for c in largest.values()),
        "filter_ms_per_1000_max": max(c["filter_ms_per_1000"] for c in largest.values()),
        "request_p50_ms_300m": largest["300"]["request_ms"]["p50"],
        "search_p95_ms": {r: c["request_ms"]["p95"] for r, c in largest.items()},
        "map_p95_ms": {name: v["ms"]["p95"] for name, v in results[str(sizes[-1])][
            "map"].items()},
        "csv_import_130_rows_s": round(csv_s, 3),
        "aims": AIMS, "sizes": results,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
