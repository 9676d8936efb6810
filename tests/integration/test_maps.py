"""The program's own map over HTTP: its tiles by byte ranges from S3, its street list, address
search for police (audited), and where a program's maps open."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from app.models.users import Agency
from app.services.auditing import audit
from devstack.seed import AGENCY_ID, intersection
from tests import city_map
from tests.support import Client


def actions_of(user_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(user_id)]


def details_of(user_id: str, action: str) -> dict[str, Any]:
    event = next(e for e in audit.activity_of(user_id) if e.action == action)
    return dict(json.loads(event.details))


def page_map_config(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', page)
    assert match, "the page has no map configuration"
    return dict(json.loads(match.group(1)))


# ---------------------------------------------------------------- the map's tiles


def test_the_map_is_read_by_byte_ranges_from_the_bucket(signed_in: Any, devstack: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    archive = city_map.serve(devstack, monkeypatch)
    detective, _ = signed_in("detective")
    # The first read of a PMTiles reader: 16 KiB from the start (this archive is smaller).
    first = detective.get("/map/tiles.pmtiles", headers={"Range": "bytes=0-16383"})
    assert first.status_code == 206, first.text
    assert first.content == archive
    assert first.headers["Content-Range"] == f"bytes 0-{len(archive) - 1}/{len(archive)}"
    assert first.headers["ETag"] and first.headers["Content-Type"] == "application/vnd.pmtiles"
    assert first.headers["Cache-Control"].startswith("private")
    piece = detective.get("/map/tiles.pmtiles", headers={"Range": "bytes=127-181"})
    assert piece.status_code == 206 and piece.content == archive[127:182]
    # Owners' camera form draws the same map.
    owner, _ = signed_in("owner")
    assert owner.get("/map/tiles.pmtiles",
                     headers={"Range": "bytes=0-99"}).content == archive[:100]


@pytest.mark.parametrize("wanted, status", [
    ("", 400), ("bytes=0-", 400), ("bytes=5-1", 400), ("bytes=0-10,20-30", 400),
    (f"bytes=0-{8 * 1024 * 1024}", 400), ("bytes=999999-1000000", 416)])
def test_only_one_small_range_is_served(wanted: str, status: int, signed_in: Any, devstack: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    city_map.serve(devstack, monkeypatch)
    detective, _ = signed_in("detective")
    headers = {"Range": wanted} if wanted else {}
    assert detective.get("/map/tiles.pmtiles", headers=headers).status_code == status


def test_without_a_map_there_are_no_tiles_and_pages_say_so(signed_in: Any) -> None:
    detective, _ = signed_in("detective")
    missing = detective.get("/map/tiles.pmtiles", headers={"Range": "bytes=0-16383"})
    assert missing.status_code == 404
    config = page_map_config(detective.get("/search").text)
    assert config["kind"] == "" and config["tiles"] == "" and config["library"] == ""


def test_pages_with_maps_name_the_programs_map_and_its_library(
        signed_in: Any, devstack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    city_map.serve(devstack, monkeypatch)
    detective, _ = signed_in("detective")
    page = detective.get("/search")
    config = page_map_config(page.text)
    assert config["kind"] == "pmtiles" and config["tiles"] == "/map/tiles.pmtiles"
    assert f'<script src="{config["library"]}"' in page.text
    # Same origin: the content security policy needs no tile server of anyone else's.
    policy = page.headers["Content-Security-Policy"]
    assert "openstreetmap" not in policy
    library = Client(devstack.base_url).get(config["library"])  # public, like Leaflet
    assert library.status_code == 200 and "protomapsL" in library.text
    assert "max-age=31536000" in library.headers["Cache-Control"]


def test_anonymous_visitors_get_no_map(client: Client) -> None:
    answer = client.get("/map/tiles.pmtiles", headers={"Range": "bytes=0-16383"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert client.get("/map/streets.geojson").status_code == 302


# ---------------------------------------------------------------- the street list, the centre


def test_devstack_draws_and_searches_the_streets_its_registry_is_seeded_on(
        signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    answer = owner.get("/map/streets.geojson")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/geo+json")
    names = {f["properties"]["name"] for f in answer.json()["features"]}
    assert {"Broadway", "1st Ave N", "5th Ave N", "Union St"} <= names


def test_maps_open_on_the_programs_centre(signed_in: Any) -> None:
    detective, _ = signed_in("detective")
    config = page_map_config(detective.get("/search").text)
    agency = Agency.get(AGENCY_ID)
    assert config["centre"] == [float(agency.centre_lat), float(agency.centre_lon)]
    assert config["centre"] == list(intersection(2, 1.5))


def test_a_new_programs_centre_is_given_or_looked_up_and_can_be_changed(devstack: Any) -> None:
    runner = devstack.app.test_cli_runner()

    def create(*extra: str) -> Any:
        agency_id = f"pd-{uuid.uuid4().hex[:8]}"
        done = runner.invoke(args=["agency", "create", "--id", agency_id, "--name", "Test PD",
                                   "--city", "Springfield", "--timezone", "America/Chicago",
                                   "--admin-email", f"chief-{agency_id}@example.gov", *extra])
        return agency_id, done

    given, done = create("--centre", "43.0389,-87.9065")
    assert done.exit_code == 0, done.output
    assert (float(Agency.get(given).centre_lat), float(Agency.get(given).centre_lon)) == (
        43.0389, -87.9065)
    # Not given: the city as address search finds it; devstack's street list has no
    # Springfield, so none, and the command says how to set one.
    unknown, done = create()
    assert done.exit_code == 0 and "set-centre" in done.output
    assert Agency.get(unknown).centre_lat is None
    moved = runner.invoke(args=["agency", "set-centre", "--id", unknown, "--centre",
                                "39.7817,-89.6501"])
    assert moved.exit_code == 0, moved.output
    assert float(Agency.get(unknown).centre_lat) == 39.7817
    for bad in ("north", "91,0", "1,2,3"):
        refused = runner.invoke(args=["agency", "set-centre", "--id", unknown, "--centre", bad])
        assert refused.exit_code == 2 and "--centre" in refused.output


# ---------------------------------------------------------------- address search


def test_a_detective_finds_a_corner_by_typing_it_and_the_search_is_audited(
        signed_in: Any) -> None:
    detective, account = signed_in("detective")
    answer = detective.send_json("POST", "/api/geocode", {"q": "3rd Avenue and church"})
    assert answer.status_code == 200, answer.text
    first = answer.json()["candidates"][0]
    assert first == {"label": "3rd Ave N & Church St", "lat": intersection(2, 2)[0],
                     "lon": intersection(2, 2)[1]}
    assert details_of(account.user.user_id, "place.geocoded") == {
        "text": "3rd Avenue and church", "found": 1, "source": "street-list"}
    nothing = detective.send_json("POST", "/api/geocode", {"q": "41 Oak Lane"})
    assert nothing.status_code == 200 and nothing.json() == {"candidates": []}


@pytest.mark.parametrize("body, status, field", [
    ({"q": "ab"}, 422, "q"), ({"q": "x" * 121}, 422, "q"), ({}, 422, "q"),
    ({"q": "Broadway", "near": [0, 0]}, 422, "near"), ({"q": 12}, 422, "q")])
def test_unusable_searches_are_refused_and_audited(body: dict[str, Any], status: int,
                                                   field: str, signed_in: Any) -> None:
    detective, account = signed_in("detective")
    answer = detective.send_json("POST", "/api/geocode", body)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in answer.json()["errors"]
    refused = details_of(account.user.user_id, "place.geocode_refused")
    assert refused["route"] == "POST /api/geocode" and refused["fields"] == [field]


def test_address_search_needs_the_csrf_token_and_a_police_role(signed_in: Any) -> None:
    detective, account = signed_in("detective")
    unsigned = detective.send_json("POST", "/api/geocode", {"q": "Broadway"}, csrf=False)
    assert unsigned.status_code == 403
    assert details_of(account.user.user_id, "place.geocode_refused")["reason"] == "csrf-failed"
    assert "place.geocoded" not in actions_of(account.user.user_id)
    for role in ("owner", "agency_admin", "auditor"):
        other, _ = signed_in(role)
        assert other.send_json("POST", "/api/geocode", {"q": "Broadway"}).status_code == 403
