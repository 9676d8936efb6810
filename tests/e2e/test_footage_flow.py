"""The whole footage request in two browsers: a detective on a tablet asks, an owner on a
phone approves and uploads a real video, the detective's board turns "ready" and the clip plays.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.services import clock
from tests.builders.cameras import camera_body
from tests.e2e.helpers import collect_page_errors, log_in, no_horizontal_scroll
from tests.support import make_user, session_client
from tests.video.samples import make_h264

pytestmark = pytest.mark.e2e
OFFSET = timedelta(minutes=37)  # the owner's recorder runs 37 minutes fast


def local_input(moment: object) -> str:
    """A datetime-local value in the browser's zone (the test browsers run in UTC)."""
    from datetime import UTC, datetime

    assert isinstance(moment, datetime)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_detective_asks_owner_uploads_detective_plays(tablet: Page, phone: Page, base_url: str,
                                                      settings: object, tmp_path: Path) -> None:
    # An owner's camera on a block of its own (a random spot north of downtown), so the
    # search finds it and nothing the other tests registered.
    rng = random.Random()
    scene = (36.1800 + rng.uniform(0, 0.01), -86.8000 + rng.uniform(0, 0.01))
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    made = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Corner shop door", lat=scene[0], lon=scene[1] + 0.0002))
    assert made.status_code == 201, made.text

    # The detective searches 50 m around the scene and asks the ticked owner.
    police_errors = collect_page_errors(tablet)
    log_in(tablet, make_user("detective"))
    tablet.goto("/search")
    incident = (clock.now() - timedelta(minutes=30)).replace(microsecond=0)
    tablet.get_by_label("Latitude").fill(f"{scene[0]:.6f}")
    tablet.get_by_label("Longitude").fill(f"{scene[1]:.6f}")
    tablet.get_by_label("Radius (metres)").fill("50")
    tablet.get_by_label("Case number").fill("24-118223")
    tablet.get_by_label("When (date, time and zone)").fill(incident.isoformat())
    tablet.get_by_role("button", name="Search").click()
    expect(tablet.get_by_role("checkbox", name="Ask for footage from Corner shop door")
           ).to_be_checked()
    tablet.get_by_role("button", name="Ask the ticked owners for footage").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Ask for footage")
    expect(tablet.get_by_label("Case number")).to_have_value("24-118223")
    tablet.get_by_label("Offense").select_option("robbery")
    tablet.get_by_label("From (date, time and zone)").fill(incident.isoformat())
    tablet.get_by_label("To", exact=True).fill((incident + timedelta(seconds=20)).isoformat())
    tablet.get_by_label("A sentence for the owners (optional)").fill("A phone was snatched.")
    tablet.get_by_role("button", name="Send the request").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Case 24-118223")
    row = tablet.locator(".js-rows .card", has_text="Corner shop door")
    expect(row).to_contain_text(re.compile("asked|seen"))

    # The owner opens the request on the phone, approves, and uploads the recorder's export.
    owner_errors = collect_page_errors(phone)
    log_in(phone, owner)
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    # The home page links the new request too: wait for the list, or the second tap can land
    # on the page being left and lose the race with the first one's navigation.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Footage requests")
    phone.get_by_role("link", name=re.compile("Corner shop door")).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Corner shop door")
    expect(row).to_contain_text("seen")  # the board moved without a reload
    phone.get_by_role("button", name="Approve and send video").click()
    expect(phone.get_by_role("status").first).to_contain_text("choose the video file")
    source = make_h264(tmp_path / "export.mp4", width=320, height=240, seconds=40, gop=60)
    phone.get_by_label("Video file").set_input_files(str(source))
    phone.get_by_role("button", name="Now: I see the recorder's clock").click()
    recorder_now = clock.now() + OFFSET
    phone.get_by_label("What time did the recorder show?").fill(
        recorder_now.strftime("%H:%M:%S"))
    # The page suggests the asked start in recorder time; the export began 10 s earlier.
    starts = phone.get_by_label("What time does the recorder show at the start of the video?")
    expect(starts).to_have_value(re.compile(local_input(incident + OFFSET)[:16]))
    starts.fill(local_input(incident + OFFSET - timedelta(seconds=10)))
    phone.get_by_role("button", name="Upload").click()
    expect(phone.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    expect(phone.locator(".status")).to_have_text("ready", timeout=90_000)
    assert no_horizontal_scroll(phone), "the request page scrolls sideways at 390 px"

    # The detective's board says ready; the clip plays in the browser.
    expect(row).to_contain_text("ready", timeout=30_000)
    # 20 s asked: exactly the asked pictures (a smart cut, whatever the keyframes), 20 s.
    expect(row).to_contain_text(re.compile(r"\b20 s clip"))
    row.get_by_role("button", name=re.compile("^Play")).click()
    video = tablet.locator("video.js-player")
    expect(video).to_be_visible()
    tablet.wait_for_function(
        "() => { const v = document.querySelector('video.js-player');"
        " return v && v.readyState >= 3 && !v.error; }", timeout=30_000)
    duration = tablet.evaluate("document.querySelector('video.js-player').duration")
    assert 19.95 <= duration <= 20.05
    # The evidence package follows the clip.
    expect(row.get_by_role("button", name=re.compile("^Download evidence package"))
           ).to_be_visible(timeout=30_000)

    # The owner sees that police played it, and when it will be deleted.
    phone.reload()
    expect(phone.get_by_text("Police played your clip")).to_be_visible()
    expect(phone.get_by_text("Deleted on")).to_be_visible()
    assert police_errors == [] and owner_errors == []
