"""The police map asks for its view as it pans and zooms: a few streets get their cameras (hidden
and paused ones never, hidden ones counted by ~1 km area), a city gets counts per area and no
camera at all; a view that is not a box, or too large, is refused and audited."""

from __future__ import annotations

import json
import random
from typing import Any

from app.models.audit import AuditEvent
from tests.builders.cameras import camera_body
from tests.support import make_user, session_client

M_LAT, M_LON = 1 / 111_320, 1 / 91_200  # a metre in degrees, near latitude 35


def view(lat: float, lon: float, half_m: float) -> str:
    return (f"/api/map?south={lat - half_m * M_LAT:.6f}&west={lon - half_m * M_LON:.6f}"
            f"&north={lat + half_m * M_LAT:.6f}&east={lon + half_m * M_LON:.6f}")


def test_a_few_streets_get_their_cameras_a_city_gets_counts(base_url: str, settings: Any
                                                             ) -> None:
    # A block of its own, far from every other test's cameras (Chattanooga, not Nashville).
    rng = random.Random()
    lat, lon = 35.02 + rng.uniform(0, 0.05), -85.35 + rng.uniform(0, 0.05)
    owner = session_client(base_url, settings, make_user("owner"))
    made = {}
    for name, north_m, changes in (("Shop A", 0, {}), ("Shop B", 60, {}), ("Shop C", 120, {}),
                                   ("Near corner", 180, {"visibility": "approximate"}),
                                   ("Secret yard", 90, {"visibility": "hidden"}),
                                   ("Resting door", 30, {})):
        answer = owner.send_json("POST", "/api/cameras", camera_body(
            nickname=name, lat=round(lat + north_m * M_LAT, 6), lon=round(lon, 6), **changes))
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()["camera"]["id"]
    paused = owner.send_json("PUT", f"/api/cameras/{made['Resting door']}/paused",
                             {"paused": True})
    assert paused.status_code == 200, paused.text
    detective = make_user("detective")
    police = session_client(base_url, settings, detective)

    streets = police.get(view(lat + 90 * M_LAT, lon, 400))
    assert streets.status_code == 200, streets.text
    body = streets.json()
    assert body["mode"] == "cameras" and body["clusters"] == []
    ids = {c["id"] for c in body["cameras"]}
    assert ids == {made["Shop A"], made["Shop B"], made["Shop C"], made["Near corner"]}
    assert body["hidden_count"] == 1
    assert "Secret yard" not in streets.text and made["Secret yard"] not in streets.text
    assert [c["approximate"] for c in body["cameras"] if c["id"] == made["Near corner"]] == [True]

    # A district (counted first, then read, as it holds few cameras) shows the same cameras.
    district = police.get(view(lat, lon, 1200))
    assert district.status_code == 200, district.text
    assert district.json()["mode"] == "cameras"
    assert {c["id"] for c in district.json()["cameras"]} == ids

    city = police.get(view(lat, lon, 8000))
    assert city.status_code == 200, city.text
    counted = city.json()
    assert counted["mode"] == "clusters" and counted["cameras"] == []
    assert sum(c["count"] for c in counted["clusters"]) == 4
    assert counted["hidden_count"] == 1
    assert not any(name in city.text for name in made) and not any(
        camera_id in city.text for camera_id in made.values())

    latest = next(iter(AuditEvent.actor_index.query(
        detective.user.user_id, scan_index_forward=False, limit=1)))
    assert latest.action == "registry.viewed"
    assert json.loads(latest.details)["clusters"] == len(counted["clusters"])


def test_a_view_that_is_no_box_or_too_large_is_refused_and_audited(base_url: str,
                                                                  settings: Any) -> None:
    detective = make_user("detective")
    police = session_client(base_url, settings, detective)
    upside_down = police.get("/api/map?south=36.2&west=-86.8&north=36.1&east=-86.7")
    assert upside_down.status_code == 422
    assert upside_down.headers["Content-Type"].startswith("application/problem+json")
    assert "north" in upside_down.json()["errors"]
    half = police.get("/api/map?south=36.1&west=-86.8")
    assert half.status_code == 422 and "east" in half.json()["errors"]
    state = police.get("/api/map?south=30&west=-90&north=40&east=-80")
    assert state.status_code == 422 and "Zoom in" in state.json()["detail"]
    refused = [e for e in AuditEvent.actor_index.query(detective.user.user_id)
               if e.action == "registry.view_refused"]
    assert len(refused) == 3
