"""What the pages say and where focus goes.

An owner approves on the page, uploads, and the clip is cut: no stale "Thank you. Now choose the
video file", and no request answers an error along the way (the browser logs every 4xx as a
console error). The detective's board never calls a request with a clip ready "closed". After a
search, focus lands on the results, and the tick boxes come before the button that asks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devstack.seed import intersection
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import CHICAGO, PHONE, TABLET, log_in
from tests.support import make_user, session_client
from tests.video.samples import make_h264

pytestmark = pytest.mark.e2e


def failures_of(page: Page) -> list[str]:
    """Every response of 400 or more and every console error on the page from now on."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    return seen


def test_an_owner_approves_uploads_and_reads_no_stale_words(
        new_context: Any, base_url: str, settings: Any, tmp_path: Path) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    cam = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Back yard"))
    detective = make_user("detective")
    start, end = window(seconds=10)
    asked = ask(session_client(base_url, settings, detective), [cam.json()["camera"]["id"]],
                start, end).json()
    target_id = asked["targets"][0]["id"]

    page = new_context(**PHONE).new_page()
    failures = failures_of(page)
    log_in(page, owner)
    page.goto(f"/requests/{target_id}")
    page.get_by_role("button", name="Approve and send video").click()
    thanks = page.get_by_text("Thank you. Now choose the video file below.")
    expect(thanks).to_be_visible()

    # The recorder keeps the program's time, right to the second.
    page.get_by_role("button", name="Now: I see the recorder's clock").click()
    page.get_by_label("What time did the recorder show?").fill(
        f"{datetime.now(CHICAGO):%H:%M:%S}")
    source = make_h264(tmp_path / "yard.mp4", width=160, height=120, seconds=20, gop=30)
    page.get_by_label("Video file").set_input_files(str(source))
    page.get_by_label("What time does the recorder show at the start of the video?").fill(
        f"{(start - timedelta(seconds=5)).astimezone(CHICAGO):%Y-%m-%dT%H:%M:%S}")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".status")).to_have_text("ready", timeout=90_000)
    expect(page).to_have_url(re.compile(r"\?done=approve$"))  # the reload keeps the address
    expect(thanks).to_have_count(0)
    assert failures == [], failures

    tablet = new_context(**TABLET).new_page()
    log_in(tablet, detective)
    tablet.goto(f"/cases/{asked['id']}")
    expect(tablet.locator(".js-rows .card")).to_contain_text("ready")
    expect(tablet.locator(".js-state")).to_have_text("every owner answered")
    tablet.goto("/cases")
    expect(tablet.locator("main")).not_to_contain_text("closed")
    expect(tablet.locator("main")).to_contain_text("“Ask the ticked owners for footage”")


def test_after_a_search_focus_is_on_the_results_and_ticks_come_before_asking(
        new_context: Any, devstack: Any) -> None:
    page = new_context(**TABLET).new_page()
    log_in(page, make_user("detective"))
    page.goto("/search")
    lat, lon = intersection(1, 0)
    page.get_by_label("Latitude").fill(str(lat))
    page.get_by_label("Longitude").fill(str(lon))
    page.get_by_label("Case number").fill("24-118224")
    page.get_by_role("button", name="Search").click()

    results = page.get_by_role("heading", level=2, name=re.compile("camera\\(s\\) within"))
    expect(results).to_be_focused()
    ticks = page.get_by_role("checkbox", name=re.compile("^Ask for footage from"))
    assert ticks.count() > 0
    # Tab from the heading: every tick box before the button that asks their owners.
    order: list[str] = []
    for _ in range(ticks.count() + 2):
        page.keyboard.press("Tab")
        order.append(page.evaluate(
            "document.activeElement.type === 'checkbox' ? 'tick'"
            " : document.activeElement.textContent.trim()"))
        if order[-1] == "Ask the ticked owners for footage":
            break
    assert order[-1] == "Ask the ticked owners for footage", order
    assert order[:-1] and set(order[:-1]) == {"tick"}, order
