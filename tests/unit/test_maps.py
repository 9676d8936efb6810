"""The program's own map: where its tiles come from, its street list as a gazetteer, and the
Amazon Location place index as the address search asks it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from app.config import ConfigError, load_settings
from app.core import streets
from app.core.errors import UnavailableError
from app.services.maps.geocoding import PlaceIndex
from devstack.seed import intersection, street_grid
from tests.unit.settings_env import BASE

# ---------------------------------------------------------------- where the tiles come from


def test_production_serves_its_own_map_not_openstreetmaps() -> None:
    settings = load_settings(BASE)
    assert settings.map_key == "map/city.pmtiles"
    assert settings.tile_url == ""
    assert "openstreetmap" not in repr(settings)


def test_devstack_has_no_tiles_unless_given_an_archive() -> None:
    devstack = dict(BASE, PORCHLIGHT_ENV="devstack", PORCHLIGHT_MAIL_TRANSPORT="outbox")
    assert load_settings(devstack).map_key == ""
    given = load_settings(dict(devstack, PORCHLIGHT_MAP_KEY="map/test.pmtiles"))
    assert given.map_key == "map/test.pmtiles"


@pytest.mark.parametrize("url", ["https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                 "https://a.tile.openstreetmap.org/{z}/{x}/{y}.png",
                                 "https://openstreetmap.org/{z}/{x}/{y}.png"])
def test_openstreetmaps_own_tile_servers_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="usage policy"):
        load_settings(dict(BASE, PORCHLIGHT_TILE_URL=url))


def test_a_tile_server_of_the_programs_own_may_be_named() -> None:
    url = "https://tiles.example.gov/{z}/{x}/{y}.png"
    assert load_settings(dict(BASE, PORCHLIGHT_TILE_URL=url)).tile_url == url
    with pytest.raises(ConfigError, match="https"):
        load_settings(dict(BASE, PORCHLIGHT_TILE_URL="http://tiles.example.gov/{z}/{x}/{y}"))


@pytest.mark.parametrize("key", ["originals/x/y/original.0.mp4", "map/../originals/a.pmtiles",
                                 "map/city.mp4", "city.pmtiles"])
def test_the_map_is_read_only_from_under_map(key: str) -> None:
    with pytest.raises(ConfigError, match="PORCHLIGHT_MAP_KEY"):
        load_settings(dict(BASE, PORCHLIGHT_MAP_KEY=key))


def test_the_geocoding_country_is_a_three_letter_code() -> None:
    assert load_settings(dict(BASE, PORCHLIGHT_GEOCODE_COUNTRY="can")).geocode_country == "CAN"
    with pytest.raises(ConfigError, match="PORCHLIGHT_GEOCODE_COUNTRY"):
        load_settings(dict(BASE, PORCHLIGHT_GEOCODE_COUNTRY="US"))


# ---------------------------------------------------------------- the street list


def demo_places() -> list[streets.Place]:
    return streets.gazetteer(streets.streets(street_grid()))


def test_corners_are_where_two_streets_meet() -> None:
    places = {place.label: place for place in demo_places()}
    corner = places["3rd Ave N & Church St"]
    assert (corner.lat, corner.lon) == intersection(2, 2)
    assert len([label for label in places if "&" in label]) == 5 * 4
    assert {"Broadway", "5th Ave N"} <= set(places)


@pytest.mark.parametrize("typed", ["3rd Ave N & Church St", "3rd Avenue North and Church Street",
                                   "church 3rd", "CHURCH ST AT 3RD AVE N, Nashville, TN",
                                   "3rd chu"])
def test_a_corner_is_found_however_it_is_typed(typed: str) -> None:
    found = streets.find(demo_places(), typed)
    assert found[0].label == "3rd Ave N & Church St"


def test_a_street_alone_comes_first_then_its_corners_nearest_first() -> None:
    near = intersection(4, 0)
    found = streets.find(demo_places(), "broadway", near)
    assert found[0].label == "Broadway"
    assert found[1].label == "5th Ave N & Broadway"
    assert len(found) == streets.MAX_CANDIDATES


@pytest.mark.parametrize("typed", ["", "  ", "& and at", "Elm Street", "9th Ave N & Broadway"])
def test_nothing_is_found_for_what_the_list_does_not_hold(typed: str) -> None:
    assert streets.find(demo_places(), typed) == []


def test_what_is_not_a_named_line_is_skipped() -> None:
    geojson: dict[str, Any] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Point St"},
         "geometry": {"type": "Point", "coordinates": [-86.7, 36.1]}},
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "LineString", "coordinates": [[-86.7, 36.1], [-86.8, 36.2]]}},
        {"type": "Feature", "properties": {"name": "Out Of Range Rd"}, "geometry": {
            "type": "LineString", "coordinates": [[-86.7, 96.1], [-186.8, 36.2]]}},
        {"type": "Feature", "properties": {"name": "Split Ave"}, "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[-86.7, 36.1], [-86.8, 36.2]], [[-86.9, 36.3], [-86.95, 36.35]]]}},
        "not a feature",
    ]}
    found = streets.streets(geojson)
    assert [street.name for street in found] == ["Split Ave"]
    assert len(found[0].lines) == 2


# ---------------------------------------------------------------- Amazon Location Service


def location_client() -> Any:
    return boto3.session.Session().client(
        "location", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_the_place_index_is_asked_near_the_program_and_in_its_country() -> None:
    """Amazon Location cannot run here; botocore's Stubber checks the request against the
    service's own model, and answers as the service documents."""
    client = location_client()
    geocoder = PlaceIndex(client, "porchlight-prod-places", "USA")
    with Stubber(client) as stub:
        stub.add_response("search_place_index_for_text", {
            "Summary": {"Text": "5th and church", "DataSource": "Esri",
                        "BiasPosition": [-86.7816, 36.1627], "FilterCountries": ["USA"],
                        "MaxResults": 5},
            "Results": [
                {"Place": {"Label": "Church St & 5th Ave N, Nashville, TN, USA",
                           "Geometry": {"Point": [-86.7795, 36.1634]}}, "Relevance": 0.98},
                {"Place": {"Geometry": {"Point": [-86.78, 36.16]}}, "Relevance": 0.5},
            ]},
            {"IndexName": "porchlight-prod-places", "Text": "5th and church",
             "BiasPosition": [-86.7816, 36.1627], "FilterCountries": ["USA"], "MaxResults": 5})
        found = geocoder.find("5th and church", (36.1627, -86.7816))
    assert found == [streets.Place("Church St & 5th Ave N, Nashville, TN, USA", 36.1634, -86.7795),
                     streets.Place("5th and church", 36.16, -86.78)]


def test_a_place_index_that_fails_says_so() -> None:
    client = location_client()
    with Stubber(client) as stub:
        stub.add_client_error("search_place_index_for_text", "ThrottlingException",
                              http_status_code=429)
        with pytest.raises(UnavailableError, match="not answering"):
            PlaceIndex(client, "idx", "USA").find("Broadway", None)


def test_the_kept_map_library_is_the_pinned_npm_release() -> None:
    """frontend/vendor/ holds protomaps-leaflet exactly as tools/vendor_js.py fetched it from
    npm (its integrity checked there), and the app serves it under that version."""
    from app.maps.routes import PROTOMAPS_LEAFLET
    from tools import vendor_js

    vendor_js.check()
    assert vendor_js.VERSION == PROTOMAPS_LEAFLET
