"""The map, the GeoJSON export and timing (docs/privacy.md).

The map and the export show an approximate camera at its ~100 m cell's centre and a hidden
one nowhere (the map counts the program's hidden cameras, with no place): moving either inside
its cell changes neither answer. A search around a hidden camera's very spot takes as long as
one elsewhere in its cell, because the search reads the same items: what the index holds of a
hidden camera is the same for every spot of its cell.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from app.core import geo
from app.models.cameras import Camera
from tests.privacy.adversary import Detective, audit_counts, request_body, written
from tests.privacy.conftest import AREAS, World, cell_centre, cell_spot
from tests.privacy.routes import covers

HIDDEN = ("H", "R", "L-hidden")


def _map(spy: Detective) -> dict[str, Any]:
    answer = spy.call("GET", "/api/map")
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    data.pop("field")  # the CAD layers: not camera data
    return data


@covers(("GET", "/api/map"), ("GET", "/map"), ("GET", "/api/registry.geojson"))
def test_the_map_and_export_show_cell_centres_and_no_hidden_camera(world: World) -> None:
    spy = world.police["detective"]
    before = audit_counts(world.user_id("detective"))
    hidden_area, approx_area = AREAS["hidden"], AREAS["approximate"]
    seen = []
    try:
        for corner in (0.1, 0.9):
            world.move("H", cell_spot(hidden_area, geo.HIDDEN_PRECISION, corner, corner))
            world.move("A", cell_spot(approx_area, geo.APPROX_PRECISION, corner, corner))
            export = spy.call("GET", "/api/registry.geojson")
            assert export.status_code == 200
            seen.append((_map(spy), export.json()))
    finally:
        world.move("H", cell_spot(hidden_area, geo.HIDDEN_PRECISION, 0.1, 0.1))
        world.move("A", cell_spot(approx_area, geo.APPROX_PRECISION, 0.1, 0.1))
    assert seen[0] == seen[1]  # nothing police see moved
    shown, features = seen[0][0], seen[0][1]["features"]
    assert shown["hidden_count"] == len(HIDDEN)
    by_id = {c["id"]: c for c in shown["cameras"]}
    exported = {f["properties"]["porchlight:id"]: f for f in features}
    for name in HIDDEN:
        assert world.cameras[name] not in by_id and world.cameras[name] not in exported
    for name in ("A", "L-approx"):
        centre = cell_centre(world.spots[name], geo.APPROX_PRECISION)
        cam, feature = by_id[world.cameras[name]], exported[world.cameras[name]]
        assert cam["approximate"] is True
        assert geo.distance_m(cam["lat"], cam["lon"], *centre) < 0.5
        lon, lat = feature["geometry"]["coordinates"]
        assert geo.distance_m(lat, lon, *centre) < 0.5
        assert feature["properties"]["porchlight:location"] == "approximate"
    exact = by_id[world.cameras["N-exact"]]
    assert (exact["lat"], exact["lon"]) == world.spots["N-exact"]
    page = spy.call("GET", "/map")
    assert page.status_code == 200
    assert not any(camera_id in page.text for camera_id in world.cameras.values())
    got = written(before, audit_counts(world.user_id("detective")))
    assert (got.get("registry.viewed"), got.get("registry.exported")) == (2, 2), got
    assert not any(action.endswith("_refused") for action in got), got


def _interleaved(first: Any, second: Any, rounds: int = 12) -> tuple[float, float]:
    """Median seconds of two kinds of call, alternated so both meet the same load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for kind, call in enumerate((first, second)):
            started = time.perf_counter()
            call()
            times[kind].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _close(a: float, b: float) -> bool:
    """Within the noise of a shared machine: a leak of a database read per hidden camera
    would show as a steady difference, noise as a small one."""
    return abs(a - b) <= max(0.04, 0.6 * max(a, b))


@covers(("POST", "/api/search"), ("POST", "/api/requests"))
def test_timing_does_not_tell_where_a_hidden_camera_stands(world: World) -> None:
    area = AREAS["hidden"]
    spot = world.spots["H"]
    other = cell_spot(area, geo.HIDDEN_PRECISION, 0.7, 0.8)  # same cell, ~600 m away
    # By construction: what the index holds of it is the same for every spot of its cell.
    held = []
    try:
        for where in (spot, other):
            world.move("H", where)
            item = Camera.get(world.cameras["H"])
            held.append((item.place_lat, item.place_lon, item.geohash, item.cell))
    finally:
        world.move("H", spot)
    assert held[0] == held[1]
    spy = world.police["detective"]
    on_it, elsewhere = _interleaved(lambda: spy.search(spot, 20), lambda: spy.search(other, 20))
    assert spy.search(spot, 20)["hidden_count"] == spy.search(other, 20)["hidden_count"] == 1
    assert _close(on_it, elsewhere), (on_it, elsewhere)
    # An invalid request is refused before any camera is read: near one or in an empty area.
    bad = {"offense": "not-an-offense", "hidden_radius_m": 30}
    near, far = _interleaved(
        lambda: spy.call("POST", "/api/requests", request_body(world.spots["R"], **bad)),
        lambda: spy.call("POST", "/api/requests", request_body(AREAS["empty"], **bad)))
    assert _close(near, far), (near, far)
