"""A detective searches for cameras near an incident on a tablet, on a map without tiles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from devstack.seed import intersection
from tests.e2e.helpers import box_of, centre_of, collect_page_errors, log_in, no_horizontal_scroll
from tests.support import Account, make_user

pytestmark = pytest.mark.e2e

RESULTS = re.compile(r"^(\d+) camera\(s\) within 300 m · (\d+) point at the scene$")


@pytest.fixture
def detective(devstack: object) -> Account:
    return make_user("detective")


def open_search(page: Page, detective: Account) -> None:
    log_in(page, detective)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Which cameras could have seen it?")
    # The script has built the map once Leaflet's zoom buttons are there.
    expect(page.get_by_role("button", name="Zoom in")).to_be_visible()


def search_map(page: Page) -> Locator:
    return page.locator(".js-search-map")


def radius_circle(page: Page) -> Locator:
    return search_map(page).locator(".leaflet-overlay-pane path[stroke='#b3261e']")


def tap_the_map(page: Page) -> None:
    box = box_of(search_map(page))
    search_map(page).click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.6})


def test_detective_finds_cameras_near_a_seeded_corner(tablet: Page, detective: Account) -> None:
    errors = collect_page_errors(tablet)
    open_search(tablet, detective)
    expect(tablet.get_by_label("Radius (metres)")).to_have_value("300")
    # The script fills in a time with the program's zone, so the server knows the instant.
    expect(tablet.get_by_label("When (date, time and zone)")).to_have_value(
        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"))
    expect(radius_circle(tablet)).to_have_count(0)

    # Tapping the map fills the place in and draws the radius around it.
    tap_the_map(tablet)
    expect(tablet.get_by_label("Latitude")).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(tablet.get_by_label("Longitude")).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(radius_circle(tablet)).to_have_count(1)
    tapped = centre_of(radius_circle(tablet))

    # Typing a seeded corner moves the circle there.
    lat, lon = intersection(1, 0)  # 2nd Ave N & Broadway
    tablet.get_by_label("Latitude").fill(str(lat))
    tablet.get_by_label("Longitude").fill(str(lon))
    typed = centre_of(radius_circle(tablet))
    assert abs(typed[0] - tapped[0]) + abs(typed[1] - tapped[1]) > 20, "the circle did not move"

    tablet.get_by_label("Case number").fill("24-118223")
    tablet.get_by_role("button", name="Search").click()

    heading = tablet.get_by_role("heading", level=2, name=RESULTS)
    expect(heading).to_be_visible()
    match = RESULTS.match(heading.inner_text())
    assert match, heading.inner_text()
    shown, pointing = int(match.group(1)), int(match.group(2))
    assert shown > 0 and 0 <= pointing <= shown

    cards = tablet.get_by_role("region", name=RESULTS).get_by_role("listitem")
    expect(cards).to_have_count(shown)
    for card in cards.all():
        expect(card).to_contain_text(re.compile(r"Points at the scene|Nearby"))
    expect(cards.filter(has_text="Points at the scene")).to_have_count(pointing)
    expect(tablet.get_by_role("status")).to_contain_text("hidden from the map by their owners")
    expect(tablet.get_by_label("Case number")).to_have_value("24-118223")

    # The map shows the scene's radius, the view cones and the cameras (or their clusters).
    expect(radius_circle(tablet)).to_have_count(1)
    expect(search_map(tablet).locator("path.cone").first).to_be_attached()
    assert search_map(tablet).locator("path.cone").count() >= 1
    assert search_map(tablet).locator(".leaflet-marker-icon").count() > 1
    assert no_horizontal_scroll(tablet), "the results page scrolls sideways at 820 px"

    assert errors == []


def test_search_without_a_case_number_is_refused(tablet: Page, detective: Account) -> None:
    errors = collect_page_errors(tablet)
    open_search(tablet, detective)
    tap_the_map(tablet)
    expect(tablet.get_by_label("Latitude")).not_to_have_value("")
    tablet.get_by_role("button", name="Search").click()

    summary = tablet.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter the case number (3 to 40 characters)."])
    expect(summary).to_be_focused()
    case_number = tablet.get_by_label("Case number")
    expect(case_number).to_have_attribute("aria-invalid", "true")
    expect(case_number).to_have_accessible_description(re.compile("Enter the case number"))
    expect(tablet.get_by_role("heading", name=RESULTS)).to_have_count(0)
    # The place tapped before is kept and drawn again.
    expect(tablet.get_by_label("Latitude")).not_to_have_value("")
    expect(radius_circle(tablet)).to_have_count(1)

    assert errors == []
