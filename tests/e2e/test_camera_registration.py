"""An owner registers a camera on a phone: pin, view cone and form, on a map without tiles."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    box_of,
    centre_of,
    collect_page_errors,
    drag_with_mouse,
    log_in,
    no_horizontal_scroll,
)
from tests.support import Account, make_user

pytestmark = pytest.mark.e2e

HEADING = "Heading (degrees from north: 0 north, 90 east)"
ATTESTATION = "This camera does not look into anyone's home"


@pytest.fixture
def owner(devstack: object) -> Account:
    return make_user("owner")


def open_new_camera_form(page: Page, owner: Account) -> None:
    log_in(page, owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My cameras").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cameras")
    page.get_by_role("link", name="Add a camera").click()
    expect(page).to_have_url(re.compile(r"/cameras/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a camera")
    # The script has built the map once the pin exists and has written its place.
    expect(pin(page)).to_be_visible()
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    page.locator(".js-camera-map").scroll_into_view_if_needed()


def pin(page: Page) -> Locator:
    return page.locator(".js-camera-map").get_by_role("button", name="Camera position")


def handle(page: Page) -> Locator:
    return page.locator(".js-camera-map .cone-handle")


def on_map(page: Page, point: tuple[float, float]) -> tuple[float, float]:
    """A page point relative to the map's top left corner (filling an input may scroll)."""
    corner = box_of(page.locator(".js-camera-map"))
    return point[0] - corner["x"], point[1] - corner["y"]


def on_page(page: Page, point: tuple[float, float]) -> tuple[float, float]:
    corner = box_of(page.locator(".js-camera-map"))
    return point[0] + corner["x"], point[1] + corner["y"]


def pin_tip(page: Page) -> tuple[float, float]:
    """Where the pin stands on the map: the bottom middle of its icon."""
    box = box_of(pin(page))
    return on_map(page, (box["x"] + box["width"] / 2, box["y"] + box["height"]))


def handle_centre(page: Page) -> tuple[float, float]:
    return on_map(page, centre_of(handle(page)))


def settled(page: Page, locator: Locator) -> None:
    """Wait until the element stops moving (Leaflet animates zooms)."""
    last = box_of(locator)
    for _ in range(30):
        page.wait_for_timeout(100)
        now = box_of(locator)
        if now == last:
            return
        last = now
    pytest.fail(f"{locator} kept moving")


def on_top(page: Page, point: tuple[float, float]) -> str:
    """Class names of the element a finger at this point would touch."""
    return str(page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.className ?? ''", list(point)))


def number(page: Page, label: str) -> float:
    return float(page.get_by_label(label, exact=True).input_value())


def test_pin_and_handle_keep_the_inputs_in_step(phone: Page, owner: Account) -> None:
    errors = collect_page_errors(phone)
    open_new_camera_form(phone, owner)

    # On load the pin stands at the middle of the map, and the inputs hold its place.
    map_box = box_of(phone.locator(".js-camera-map"))
    map_x, map_y = map_box["width"] / 2, map_box["height"] / 2
    tip_x, tip_y = pin_tip(phone)
    assert abs(tip_x - map_x) <= 2 and abs(tip_y - map_y) <= 2, "the pin is not at the centre"
    lat0, lon0 = number(phone, "Latitude"), number(phone, "Longitude")
    assert 30 < lat0 < 45 and -95 < lon0 < -80, f"({lat0}, {lon0}) is not near Nashville"

    settled(phone, handle(phone))
    assert "cone-handle" in on_top(phone, centre_of(handle(phone)))

    # Drag the pin 60 px east and 40 px north: the pin follows, the inputs follow the pin.
    start_x, start_y = pin_tip(phone)
    x, y = centre_of(pin(phone))
    drag_with_mouse(phone, (x, y), (x + 60, y - 40))  # the page does not scroll meanwhile
    tip_x, tip_y = pin_tip(phone)
    assert abs(tip_x - (start_x + 60)) <= 1.5 and abs(tip_y - (start_y - 40)) <= 1.5
    lat1, lon1 = number(phone, "Latitude"), number(phone, "Longitude")
    assert lat1 > lat0 and lon1 > lon0, "dragging north-east did not raise latitude and longitude"
    # Web Mercator: a pixel north covers cos(latitude) as many degrees as a pixel east.
    ratio = (lat1 - lat0) / (lon1 - lon0)
    expected = 40 / 60 * math.cos(math.radians(lat0))
    assert ratio == pytest.approx(expected, rel=0.05), "the inputs do not match the pin's move"

    # Typing the first place back moves the pin back to where it was.
    phone.get_by_label("Latitude").fill(f"{lat0:.6f}")
    phone.get_by_label("Longitude").fill(f"{lon0:.6f}")
    tip_x, tip_y = pin_tip(phone)
    assert abs(tip_x - start_x) <= 1.5 and abs(tip_y - start_y) <= 1.5, "typing did not move it"

    # The handle sits at the cone's tip: 30 m north. Drag it due east, half as far again.
    assert number(phone, HEADING) == 0
    assert number(phone, "How far it sees (metres)") == 30
    hx, hy = handle_centre(phone)
    reach = math.hypot(hx - start_x, hy - start_y)
    assert hy < start_y - 20 and abs(hx - start_x) <= 2, "the handle is not north of the pin"
    drag_with_mouse(phone, on_page(phone, (hx, hy)),
                    on_page(phone, (start_x + 1.5 * reach, start_y)))
    assert number(phone, HEADING) == pytest.approx(90, abs=2)
    assert number(phone, "How far it sees (metres)") == pytest.approx(45, abs=3)

    # Typing a heading of 180 turns the cone: the handle goes due south of the pin.
    phone.get_by_label(HEADING, exact=True).fill("180")
    hx, hy = handle_centre(phone)
    tip_x, tip_y = pin_tip(phone)
    assert hy > tip_y + 20, f"the handle ({hx}, {hy}) is not south of the pin ({tip_x}, {tip_y})"
    assert abs(hx - tip_x) <= 2, "the handle is not due south of the pin"

    assert errors == []


def test_owner_registers_a_camera_after_the_attestation(phone: Page, owner: Account) -> None:
    errors = collect_page_errors(phone)
    open_new_camera_form(phone, owner)
    assert no_horizontal_scroll(phone), "the camera form scrolls sideways at 390 px"

    phone.get_by_label("Name of the camera").fill("Porch over Church St")
    phone.get_by_label(HEADING, exact=True).fill("135")
    phone.get_by_label("Mounted on").select_option("doorbell")
    phone.get_by_label("Facing").select_option("sidewalk")
    phone.get_by_label("How many days does the recorder keep video?").fill("30")
    phone.get_by_label("Shared on alert").check()
    phone.get_by_label("Near its place (about 100 m)").check()
    phone.get_by_label("Immigration", exact=True).check()
    place = number(phone, "Latitude"), number(phone, "Longitude")

    # Without the attestation: the error summary explains it, and nothing typed is lost.
    phone.get_by_role("button", name="Register the camera").click()
    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(re.compile("private"))
    expect(summary).to_be_focused()
    expect(phone).to_have_url(re.compile(r"/cameras/new$"))
    expect(phone.get_by_label("Name of the camera")).to_have_value("Porch over Church St")
    expect(phone.get_by_label(HEADING, exact=True)).to_have_value("135")
    expect(phone.get_by_label("Shared on alert")).to_be_checked()
    expect(phone.get_by_label("Immigration", exact=True)).to_be_checked()
    attestation = phone.get_by_label(ATTESTATION)
    expect(attestation).not_to_be_checked()
    expect(attestation).to_have_attribute("aria-invalid", "true")
    expect(attestation).to_have_accessible_description(re.compile("private"))
    # The map comes back on the place chosen before.
    expect(pin(phone)).to_be_visible()
    assert (number(phone, "Latitude"), number(phone, "Longitude")) == place
    assert no_horizontal_scroll(phone), "the form with errors scrolls sideways at 390 px"

    attestation.check()
    phone.get_by_role("button", name="Register the camera").click()
    expect(phone).to_have_url(re.compile(r"/cameras\?done=added#cam-[0-9a-f]+$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("My cameras")
    expect(phone.get_by_role("status")).to_have_text("Your camera is registered.")
    card = phone.get_by_role("listitem").filter(
        has=phone.get_by_role("heading", name="Porch over Church St"))
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Shared on alert · map: approximate · looks 135° over 90°, 30 m")
    expect(card).to_contain_text("keeps 30 days")
    assert no_horizontal_scroll(phone), "My cameras scrolls sideways at 390 px"

    assert errors == []


def test_cone_handle_can_be_grabbed_when_the_form_opens(phone: Page, owner: Account) -> None:
    errors = collect_page_errors(phone)
    open_new_camera_form(phone, owner)
    settled(phone, handle(phone))
    assert errors == []
    assert "cone-handle" in on_top(phone, centre_of(handle(phone))), (
        "the pin covers the cone handle")


def test_pin_and_handle_move_with_arrow_keys(phone: Page, owner: Account) -> None:
    """Dragging needs a pointer: the keyboard moves both markers too (WCAG 2.1.1)."""
    errors = collect_page_errors(phone)
    open_new_camera_form(phone, owner)
    settled(phone, handle(phone))
    lat0, lon0 = number(phone, "Latitude"), number(phone, "Longitude")

    pin(phone).focus()
    phone.keyboard.press("Shift+ArrowUp")  # ten metres north
    lat1 = number(phone, "Latitude")
    assert (lat1 - lat0) * 111_195 == pytest.approx(10, abs=0.5)
    phone.keyboard.press("ArrowRight")  # one metre east
    assert number(phone, "Longitude") > lon0

    # The handle starts 30 m north of the pin; 10 m east turns the cone to about 18 degrees.
    handle(phone).focus()
    expect(handle(phone)).to_have_attribute("aria-label", re.compile("Where the camera looks"))
    phone.keyboard.press("Shift+ArrowRight")
    assert number(phone, HEADING) == pytest.approx(math.degrees(math.atan2(10, 30)), abs=1.5)
    assert number(phone, "How far it sees (metres)") == pytest.approx(32, abs=1)
    assert errors == []
