"""One time zone per program, everywhere, named.

The owner's phone is set to Berlin with a 12-hour US clock; the detective's tablet to Tokyo.
Both read the request's window as the program's clock shows it, to the second, named once:
"17:30:30–17:31:30 on Fri 4 Dec, Chicago time". No page says UTC beside local time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.services import clock
from tests.builders.cameras import camera_body
from tests.builders.footage import ask
from tests.e2e.helpers import CHICAGO, PHONE, TABLET, day_words, log_in, no_horizontal_scroll
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e


def said(moment: datetime, seconds: bool = True) -> str:
    local = moment.astimezone(CHICAGO)
    return f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"


def no_utc(page: Page) -> None:
    text = page.locator("main").inner_text()
    assert not re.search(r"\bUTC\b|\b[AP]M\b", text), text


def test_owner_and_detective_read_the_same_window_in_the_programs_zone(
        new_context: Any, base_url: str, settings: Any) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    cam = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Porch"))
    detective = make_user("detective")
    detective_client = session_client(base_url, settings, detective)
    # A window that starts and ends half-way through minutes: 17:30:30–17:31:30 style.
    start = (clock.now() - timedelta(minutes=40)).replace(second=30, microsecond=0)
    end = start + timedelta(seconds=60)
    asked = ask(detective_client, [cam.json()["camera"]["id"]], start, end)
    assert asked.status_code == 201, asked.text
    target_id = asked.json()["targets"][0]["id"]
    request_id = asked.json()["id"]
    window = f"{said(start)}–{said(end)} on {day_words(start)}, Chicago time"

    phone = new_context(**{**PHONE, "locale": "en-US", "timezone_id": "Europe/Berlin"}).new_page()
    log_in(phone, owner)
    phone.goto("/requests")
    expect(phone.get_by_role("link", name=f"Porch: {window}")).to_be_visible()
    phone.goto(f"/requests/{target_id}")
    expect(phone.locator("dd").filter(has_text=window)).to_have_count(1)
    expect(phone.locator("dd").filter(has_text=re.compile(
        rf"^{re.escape(detective.user.display_name)}, .* Chicago time$"))).to_have_count(1)
    no_utc(phone)
    assert no_horizontal_scroll(phone)

    tablet = new_context(**{**TABLET, "timezone_id": "Asia/Tokyo"}).new_page()
    log_in(tablet, detective)
    tablet.goto("/cases")
    expect(tablet.locator("main")).to_contain_text(window)
    tablet.goto(f"/cases/{request_id}")
    expect(tablet.locator("main .meta").first).to_contain_text(f"window {window}")
    # The board's own clock ("Updated 17:31:02") is the program's too, never Tokyo's.
    status = tablet.locator(".js-board-status")
    expect(status).to_contain_text("Updated ")
    shown = re.search(r"Updated (\d\d:\d\d:\d\d)", status.inner_text())
    assert shown is not None
    now = clock.now().astimezone(CHICAGO)
    board = datetime.combine(now.date(), datetime.strptime(shown.group(1), "%H:%M:%S").time(),
                             CHICAGO)
    assert abs((board - now).total_seconds()) < 120, (shown.group(1), now)
    no_utc(tablet)


def test_a_live_share_ends_at_a_time_in_the_programs_zone(
        new_context: Any, base_url: str, settings: Any) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    made = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Side door", tier="on_alert", street="2nd Ave"))
    assert made.status_code == 201, made.text

    phone = new_context(**{**PHONE, "locale": "en-US", "timezone_id": "Europe/Berlin"}).new_page()
    log_in(phone, owner)
    phone.goto("/share")
    phone.get_by_role("checkbox", name="Also send this phone's camera").uncheck()
    phone.get_by_label("For how long").select_option("15")
    phone.get_by_role("button", name="Share now").click()
    heading = phone.get_by_role("heading", name=re.compile("^Sharing live until"))
    expect(heading).to_have_text(re.compile(r"^Sharing live until \d\d:\d\d Chicago time$"))
    until = re.search(r"(\d\d:\d\d)", heading.inner_text())
    assert until is not None
    ends = clock.now() + timedelta(minutes=15)
    assert until.group(1) in (said(ends, False), said(ends - timedelta(minutes=1), False))
    no_utc(phone)

    tablet = new_context(**{**TABLET, "timezone_id": "Asia/Tokyo"}).new_page()
    log_in(tablet, make_user("detective"))
    tablet.goto("/live")
    expect(tablet.locator("main")).to_contain_text(f"until {until.group(1)} Chicago time")
    no_utc(tablet)
