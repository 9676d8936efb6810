"""The layout on a phone, and at 200 % text size.

The menu takes one row on a 390 px phone, Log out is in it (under "More"), and the footer has no
dangling separators. With the browser's text size at 200 % (WCAG 1.4.4: Chromium's default font
size doubled, as a phone's accessibility setting does), the forms people fill in stay inside the
screen and show their values whole.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import CUT, PHONE, TABLET, WIDE, box_of, log_in, no_horizontal_scroll
from tests.support import Account, make_user, session_client

pytestmark = pytest.mark.e2e

def large_text(page: Page) -> None:
    """The browser's text size at 200 %: its default font size 32 px instead of 16 px."""
    session = page.context.new_cdp_session(page)
    session.send("Page.enable")
    session.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})


@pytest.fixture
def owner_camera(base_url: str, settings: Any) -> tuple[Account, str]:
    """An owner with one camera (its id), whose long nickname tests the wrapping."""
    account = make_user("owner")
    client = session_client(base_url, settings, account)
    made = client.send_json("POST", "/api/cameras", camera_body(
        nickname="Corner shop awning camera", tier="on_alert", street="2nd Ave"))
    assert made.status_code == 201, made.text
    return account, str(made.json()["camera"]["id"])


def test_the_owners_menu_is_one_row_with_log_out_under_more(
        new_context: Any, owner_camera: tuple[Account, str]) -> None:
    owner = owner_camera[0]
    phone = new_context(**PHONE).new_page()
    log_in(phone, owner)
    nav = phone.get_by_role("navigation", name="Main")
    assert box_of(nav)["height"] <= 56, f"the menu takes {box_of(nav)['height']} px"
    expect(nav.get_by_role("link", name="My cameras")).to_be_visible()
    expect(nav.get_by_role("link", name="Requests")).to_be_visible()
    log_out = nav.get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()

    # By keyboard: the More button opens the rest, Escape closes it again.
    more = nav.locator("summary")
    more.focus()
    phone.keyboard.press("Enter")
    for name in ("Share now", "Bridges", "My activity", "Organisation", "Sessions", "Home"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(log_out).to_be_visible()
    assert no_horizontal_scroll(phone)
    phone.keyboard.press("Escape")
    expect(log_out).to_be_hidden()
    expect(more).to_be_focused()

    footer = phone.locator(".site-footer")
    assert "·" not in footer.inner_text()
    expect(footer.get_by_role("button", name="Log out")).to_have_count(0)

    more.click()
    log_out.click()
    expect(phone.get_by_role("navigation", name="Main")).to_have_count(0)

    tablet = new_context(**TABLET).new_page()
    log_in(tablet, owner)
    nav = tablet.get_by_role("navigation", name="Main")
    for name in ("Home", "My cameras", "Requests", "Share now", "My activity", "Sessions"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.parametrize("path", ["/cameras/new", "/share", "/requests/{target}"])
def test_owner_forms_fit_the_phone_at_200_percent_text(
        new_context: Any, base_url: str, settings: Any, owner_camera: tuple[Account, str],
        path: str) -> None:
    owner, camera_id = owner_camera
    target = ""
    if "{target}" in path:
        detective = session_client(base_url, settings, make_user("detective"))
        target = ask(detective, [camera_id], *window()).json()["targets"][0]["id"]
        client = session_client(base_url, settings, owner)
        client.send_json("POST", f"/api/targets/{target}/answer", {"action": "approve"})
    phone = new_context(**PHONE).new_page()
    large_text(phone)
    log_in(phone, owner)
    phone.goto(path.format(target=target))
    size = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 32, f"the text size did not double: {size}px"
    assert phone.evaluate(CUT) == []
    assert no_horizontal_scroll(phone), ("the page is wider than the screen at 200 % text",
                                         phone.evaluate(WIDE))


def test_the_detectives_request_form_fits_the_tablet_at_200_percent_text(
        new_context: Any) -> None:
    # Detectives ask from a tablet (DESIGN.md); a full "2026-11-21T19:40-06:00" cannot fit a
    # 390 px phone at 32 px text, but must fit the tablet, one field under the other.
    tablet = new_context(**TABLET).new_page()
    large_text(tablet)
    log_in(tablet, make_user("detective"))
    tablet.goto("/cases/new?case_number=24-118230&lat=36.16&lon=-86.78&radius_m=300")
    assert tablet.evaluate(CUT) == []
    assert no_horizontal_scroll(tablet), ("the request form is wider than the screen at 200 % "
                                          "text", tablet.evaluate(WIDE))
