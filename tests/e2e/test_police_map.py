"""A supervisor opens the camera map on a tablet: cameras, cones, filters and live layers a few
streets across; zoomed out, the areas the server counted, which a keyboard opens."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from app.services.realtime import field
from tests.e2e.helpers import collect_page_errors, log_in
from tests.support import make_user

pytestmark = pytest.mark.e2e

STATUS = re.compile(r"^(\d+) cameras shown; (\d+) hidden by their owners in this area; (\d+) "
                    r"calls and units\.$")


def status_numbers(page: Page) -> tuple[int, int, int]:
    status = page.locator(".js-map-status")
    expect(status).to_have_text(STATUS)
    match = STATUS.match(status.inner_text())
    assert match
    shown, hidden, live = match.groups()
    return int(shown), int(hidden), int(live)


def test_supervisor_sees_cameras_filters_and_a_call(tablet: Page, base_url: str,
                                                    devstack: object) -> None:
    admin = make_user("agency_admin")
    key = field.create_key(admin.user, "CAD test", "127.0.0.1")
    pushed = requests.put(f"{base_url}/api/ingest/calls", timeout=30,
                          headers={"Authorization": f"Bearer {key}"},
                          json=[{"id": "MAP-1", "lat": 36.1615, "lon": -86.7760,
                                 "label": "Shots fired"}])
    assert pushed.status_code == 200

    errors = collect_page_errors(tablet)
    log_in(tablet, make_user("supervisor"))
    tablet.get_by_role("navigation", name="Main").get_by_role("link", name="Map").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Camera map")
    shown, hidden, live = status_numbers(tablet)
    assert shown > 0 and hidden > 0 and live >= 1
    expect(tablet.locator("path.cone").first).to_be_attached()
    expect(tablet.locator("path.field-call").first).to_be_attached()

    # Filtering by tier shows fewer cameras; hiding the calls layer removes the call.
    tablet.get_by_label("Tier").select_option("always")
    fewer, _, _ = status_numbers(tablet)
    assert 0 < fewer < shown
    tablet.get_by_label("Tier").select_option("")
    tablet.get_by_label("Calls for service").uncheck()
    _, _, without_calls = status_numbers(tablet)
    assert without_calls < live
    expect(tablet.locator("path.field-call")).to_have_count(0)

    # Zoomed out, the server counts the cameras of each area: areas a screen reader can name and
    # a keyboard open.
    tablet.get_by_role("button", name="Zoom out").click()
    tablet.get_by_role("button", name="Zoom out").click()
    expect(tablet.locator(".js-map-status")).to_contain_text("areas of this view")
    area = tablet.get_by_role("button", name=re.compile(r"^\d+ cameras in this area, press "
                                                       "Enter"))
    expect(area.first).to_be_visible()
    # Once the zoom-out has settled (the areas drawn for the new view, not those of the one
    # before, which leave the page by themselves when the animation ends).
    tablet.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    tablet.wait_for_timeout(500)
    opened = area.first.element_handle()
    area.first.focus()
    tablet.keyboard.press("Enter")  # zooms in to the area's cameras
    # Zooming re-draws the markers: the area that was opened leaves the page, and the view
    # zoomed in on it shows cameras again.
    tablet.wait_for_function("el => !el.isConnected", arg=opened)
    expect(tablet.locator(".js-map-status")).to_have_text(STATUS)
    assert errors == []
