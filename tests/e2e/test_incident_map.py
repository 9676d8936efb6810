"""The detective aims the incident search: the program's streets before the first search, a red
target for the place, the arrow keys, an address typed and chosen, the program's own city, and
the program's own map drawn from its bucket."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from app.core import roles
from app.models.users import Agency
from app.services import clock
from devstack.seed import intersection
from tests import city_map
from tests.e2e.helpers import box_of, centre_of, collect_page_errors, log_in, no_horizontal_scroll
from tests.support import Account, make_user

pytestmark = pytest.mark.e2e

PROMPT = "Tap the map, type an address, or use the arrow keys."
M_PER_DEG_LAT = 111_195.0  # app.core.geo.M_PER_DEG_LAT, to a metre


@pytest.fixture
def detective(devstack: object) -> Account:
    return make_user(roles.DETECTIVE)


def open_search(page: Page, account: Account) -> None:
    log_in(page, account)
    page.goto("/search")
    expect(page.get_by_role("heading", level=1)).to_have_text("Which cameras could have seen it?")
    expect(incident_pin(page)).to_be_visible()


def search_map(page: Page) -> Locator:
    return page.locator(".js-search-map")


def radius_circle(page: Page) -> Locator:
    return search_map(page).locator(".leaflet-overlay-pane path[stroke='#b3261e']")


def incident_pin(page: Page) -> Locator:
    return search_map(page).get_by_role("button", name="Place of the incident")


def field_value(page: Page, label: str) -> float:
    return float(page.get_by_label(label, exact=True).input_value())


def inside(outer: Locator, inner: Locator) -> bool:
    box, spot = box_of(outer), centre_of(inner)
    return (box["x"] <= spot[0] <= box["x"] + box["width"]
            and box["y"] <= spot[1] <= box["y"] + box["height"])


def test_before_the_first_search_the_map_shows_the_streets_and_how_to_aim(
        tablet: Page, detective: Account) -> None:
    errors = collect_page_errors(tablet)
    open_search(tablet, detective)
    expect(tablet.get_by_text(PROMPT)).to_be_visible()
    # Devstack has no tiles: the program's streets are drawn, named, around the program's centre.
    expect(search_map(tablet).locator("path.street")).to_have_count(9)
    for name in ("Broadway", "Church St", "3rd Ave N"):
        label = search_map(tablet).locator(".street-label", has_text=re.compile(f"^{name}$"))
        expect(label).to_be_visible()
        assert inside(search_map(tablet), label), f"{name} is off the map"
    # The pin waits, faint, at the middle; nothing is set until the detective sets it.
    pin = incident_pin(tablet)
    expect(pin).to_have_class(re.compile(r"\bis-unset\b"))
    pin_at, map_box = centre_of(pin), box_of(search_map(tablet))
    assert abs(pin_at[0] - (map_box["x"] + map_box["width"] / 2)) < 3
    assert abs(pin_at[1] - (map_box["y"] + map_box["height"] / 2)) < 3
    expect(tablet.get_by_label("Latitude", exact=True)).to_have_value("")
    expect(radius_circle(tablet)).to_have_count(0)
    assert errors == []


def test_the_incident_pin_is_a_red_target_unlike_the_cameras(tablet: Page,
                                                              detective: Account) -> None:
    open_search(tablet, detective)
    lat, lon = intersection(1, 0)
    tablet.get_by_label("Latitude", exact=True).fill(str(lat))
    tablet.get_by_label("Longitude", exact=True).fill(str(lon))
    tablet.get_by_label("Case number").fill("24-118224")
    tablet.get_by_role("button", name="Search", exact=True).click()
    expect(tablet.get_by_role("heading", level=2, name=re.compile(r"camera\(s\) within"))
           ).to_be_visible()

    pin = incident_pin(tablet)
    expect(pin).to_be_visible()
    expect(pin).not_to_have_class(re.compile(r"\bis-unset\b"))
    look = pin.evaluate("""(el) => {
        const style = getComputedStyle(el);
        return {tag: el.tagName, border: style.borderTopColor, radius: style.borderTopLeftRadius,
                width: el.getBoundingClientRect().width};
    }""")
    assert look["tag"] == "DIV" and look["border"] == "rgb(179, 38, 30)", look  # --error red
    assert look["radius"] == "50%" and look["width"] >= 44, look  # a round target, 44 px
    cameras = search_map(tablet).locator("img.leaflet-marker-icon")
    assert cameras.count() > 0
    for camera in cameras.all():
        assert camera.get_attribute("alt") != "Place of the incident"
        expect(camera).to_have_attribute("src", re.compile(r"marker-icon"))


def test_the_pin_moves_with_the_arrow_keys_and_the_fields_follow(phone: Page,
                                                                 detective: Account) -> None:
    errors = collect_page_errors(phone)
    open_search(phone, detective)
    centre = Agency.get(detective.user.agency_id)
    pin = incident_pin(phone)
    pin.focus()
    expect(pin).to_be_focused()
    phone.keyboard.press("ArrowUp")  # 10 m north of where it waited: the map's centre
    assert field_value(phone, "Latitude") == pytest.approx(
        float(centre.centre_lat) + 10 / M_PER_DEG_LAT, abs=2e-6)
    assert field_value(phone, "Longitude") == pytest.approx(float(centre.centre_lon), abs=2e-6)
    expect(pin).not_to_have_class(re.compile(r"\bis-unset\b"))
    expect(radius_circle(phone)).to_have_count(1)

    before = field_value(phone, "Longitude")
    phone.keyboard.press("ArrowRight")
    phone.keyboard.press("ArrowRight")
    east_m = ((field_value(phone, "Longitude") - before) * M_PER_DEG_LAT
              * math.cos(math.radians(field_value(phone, "Latitude"))))
    assert east_m == pytest.approx(20, abs=0.5)
    north = field_value(phone, "Latitude")
    phone.keyboard.press("Shift+ArrowDown")  # 100 m south
    assert (north - field_value(phone, "Latitude")) * M_PER_DEG_LAT == pytest.approx(100, abs=1)
    expect(pin).to_be_focused()
    # The circle is drawn round the pin, and typing a place moves both.
    assert abs(centre_of(radius_circle(phone))[0] - centre_of(pin)[0]) < 3
    lat, lon = intersection(0, 0)
    phone.get_by_label("Latitude", exact=True).fill(str(lat))
    phone.get_by_label("Longitude", exact=True).fill(str(lon))
    assert abs(centre_of(radius_circle(phone))[1] - centre_of(pin)[1]) < 3
    assert errors == []


def test_a_detective_types_an_intersection_and_chooses_it(phone: Page,
                                                          detective: Account) -> None:
    errors = collect_page_errors(phone)
    open_search(phone, detective)
    address = phone.get_by_label("Address or intersection")
    address.fill("Broadway")
    address.press("Enter")  # looks it up; does not send the search form
    places = phone.get_by_role("list", name="Places found").get_by_role("button")
    expect(places).to_have_count(5)
    expect(places.first).to_have_text("Broadway")
    expect(phone.get_by_role("status").filter(has_text="places found")).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/search$"))

    address.fill("3rd avenue and church")
    phone.get_by_role("button", name="Find").click()
    expect(places).to_have_text(["3rd Ave N & Church St"])
    places.first.click()
    lat, lon = intersection(2, 2)
    expect(phone.get_by_label("Latitude", exact=True)).to_have_value(f"{lat:.6f}")
    expect(phone.get_by_label("Longitude", exact=True)).to_have_value(f"{lon:.6f}")
    expect(phone.get_by_text("The pin is at 3rd Ave N & Church St.")).to_be_visible()
    expect(places).to_have_count(0)
    expect(radius_circle(phone)).to_have_count(1)
    assert inside(search_map(phone), incident_pin(phone))
    assert abs(centre_of(radius_circle(phone))[0] - centre_of(incident_pin(phone))[0]) < 3

    address.fill("Elm Street")
    phone.get_by_role("button", name="Find").click()
    expect(phone.get_by_text(re.compile("Nothing found for .Elm Street."))).to_be_visible()
    address.fill("ab")
    phone.get_by_role("button", name="Find").click()
    expect(phone.get_by_text(re.compile("Type 3 to 120 characters"))).to_be_visible()
    assert no_horizontal_scroll(phone), "the address search scrolls sideways at 390 px"
    assert errors == []


def test_a_program_elsewhere_opens_on_its_own_city(tablet: Page, devstack: object) -> None:
    agency_id = "milwaukee-test"
    Agency(agency_id=agency_id, name="Milwaukee Test PD", city="Milwaukee, WI",
           timezone="America/Chicago", centre_lat=43.0389, centre_lon=-87.9065,
           created_at=clock.now()).save()
    open_search(tablet, make_user(roles.DETECTIVE, agency_id=agency_id))
    incident_pin(tablet).focus()
    tablet.keyboard.press("ArrowLeft")
    assert field_value(tablet, "Latitude") == pytest.approx(43.0389, abs=1e-5)
    assert field_value(tablet, "Longitude") == pytest.approx(-87.9065, abs=3e-4)


def colours_drawn(page: Page) -> list[int]:
    """For each tile the map library drew, how many distinct colours cover at least 1 % of it."""
    counts: list[int] = page.evaluate("""() => [...document.querySelectorAll(
            '.js-search-map canvas.leaflet-tile')].map((canvas) => {
        const { width, height } = canvas;
        const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
        const seen = new Map();
        for (let i = 0; i < data.length; i += 16) {
            const key = `${data[i]},${data[i + 1]},${data[i + 2]}`;
            seen.set(key, (seen.get(key) || 0) + 1);
        }
        const enough = (data.length / 16) * 0.01;
        return [...seen.values()].filter((n) => n >= enough).length;
    })""")
    return counts


def test_the_programs_own_map_is_drawn_from_its_bucket(tablet: Page, detective: Account,
                                                       devstack: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    city_map.serve(devstack, monkeypatch)
    errors = collect_page_errors(tablet)
    ranges: list[tuple[int, str]] = []
    tablet.on("response", lambda r: ranges.append((r.status, r.request.headers.get("range", "")))
              if r.url.endswith("/map/tiles.pmtiles") else None)
    open_search(tablet, detective)
    expect(search_map(tablet)).not_to_have_class(re.compile(r"\bmap-no-tiles\b"))
    tiles = search_map(tablet).locator("canvas.leaflet-tile")
    expect(tiles.first).to_be_attached()
    # The earth and the roads of the archive, not only the library's background.
    tablet.wait_for_function("""() => [...document.querySelectorAll(
        '.js-search-map canvas.leaflet-tile')].some((c) => c.width > 0)""")
    tablet.wait_for_timeout(500)
    assert max(colours_drawn(tablet)) >= 2, "the tiles show nothing of the archive"
    assert ranges and all(status == 206 and wanted.startswith("bytes=")
                          for status, wanted in ranges), ranges
    credit = search_map(tablet).locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("OpenStreetMap")
    expect(credit).to_contain_text("Protomaps")
    expect(credit.get_by_role("link", name="OpenStreetMap")).to_have_attribute(
        "href", "https://www.openstreetmap.org/copyright")
    # With a map of its own, the street list is not drawn over it.
    expect(search_map(tablet).locator("path.street")).to_have_count(0)
    assert errors == []
