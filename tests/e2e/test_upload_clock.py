"""An owner reads the recorder's clock, then takes their time: typing, a 20 s pause, picking the
file. The clip is cut from the moment of the reading, right to the second, and the page says the
asked window in the recorder's own time before the file is picked.

The phone's clock is Playwright's (page.clock): paused at the reading, fast-forwarded over the
typing and the pause, as a person's seconds pass. The recorder runs 37 s fast.

The recorder stands in the program's city (Chicago time); the phone is set to Berlin's zone and a
12-hour US clock, so the page must say every time in the program's zone, 24-hour, named.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from app.models.footage import Evidence, RequestTarget
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import (
    CHICAGO,
    PHONE,
    collect_page_errors,
    day_words,
    log_in,
    no_horizontal_scroll,
)
from tests.support import make_user, session_client
from tests.video.samples import make_h264

pytestmark = pytest.mark.e2e
OFFSET = timedelta(seconds=37)  # the recorder runs 37 s fast
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}, "locale": "en-US",
               "timezone_id": "Europe/Berlin"}


def chicago(moment: datetime) -> datetime:
    return moment.astimezone(CHICAGO)



@pytest.mark.parametrize("tap_now", [True, False], ids=["tap-now", "typed-only"])
def test_a_pause_after_reading_the_recorder_does_not_move_the_clip(
        new_context: Any, base_url: str, settings: Any, devstack: Any, tmp_path: Path,
        tap_now: bool) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    cam = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Bakery door"))
    detective = session_client(base_url, settings, make_user("detective"))
    start, end = window(seconds=20)
    target_id = ask(detective, [cam.json()["camera"]["id"]], start, end).json()["targets"][0][
        "id"]
    owner_client.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})

    context: BrowserContext = new_context(**SMALL_PHONE)
    page = context.new_page()
    errors = collect_page_errors(page)
    page.clock.install()  # the phone's clock runs on, until the test holds it
    log_in(page, owner)
    page.goto(f"/requests/{target_id}")

    # The owner looks at the recorder at a moment half-way through a second of the phone's
    # clock; the recorder's screen then shows that moment + 37 s, in whole seconds.
    now = page.evaluate("Date.now()") / 1000
    read_at = datetime.fromtimestamp(math.floor(now) + 2.5, UTC)
    page.clock.pause_at(read_at)
    shows = (read_at + OFFSET).replace(microsecond=0)
    if tap_now:  # with the keyboard: the button is reachable and works with Space
        page.get_by_role("button", name="Now: I see the recorder's clock").press("Space")
        expect(page.locator(".js-read-at")).to_contain_text(f"{chicago(read_at):%H:%M:%S}")
        page.clock.fast_forward(6_000)  # typing takes a few seconds
    page.get_by_label("What time did the recorder show?").fill(f"{chicago(shows):%H:%M:%S}")

    # Before any file is picked: the asked window in the recorder's time, with seconds, in the
    # program's zone named, in a live region screen readers announce.
    said = page.get_by_role("status").filter(has_text="as your recorder shows it")
    expect(said).to_have_text(
        f"Your recorder runs 37 s ahead. Export {chicago(start + OFFSET):%H:%M:%S} to "
        f"{chicago(end + OFFSET):%H:%M:%S} on {day_words(start + OFFSET)} (Chicago time) as your "
        "recorder shows it.")
    starts = page.get_by_label("What time does the recorder show at the start of the video?")
    expect(starts).to_have_value(f"{chicago(start + OFFSET):%Y-%m-%dT%H:%M:%S}")

    page.clock.fast_forward(20_000)  # the owner pauses 20 s before picking the file
    page.clock.resume()
    source = make_h264(tmp_path / "export.mp4", width=160, height=120, seconds=40, gop=30)
    page.get_by_label("Video file").set_input_files(str(source))
    early = chicago(start + OFFSET - timedelta(seconds=10))  # the video starts 10 s early
    starts.fill(f"{early:%Y-%m-%dT%H:%M:%S}")
    sound = page.get_by_label("Send the sound too")
    expect(sound).not_to_be_checked()  # off unless the owner chooses it
    if tap_now:
        sound.check()
    assert no_horizontal_scroll(page), "the upload step scrolls sideways at 360 px"
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".status")).to_have_text("ready", timeout=90_000)

    target = RequestTarget.get(target_id)
    assert float(target.clock_offset_s) == pytest.approx(37, abs=0.01)
    assert target.include_audio is tap_now
    evidence = Evidence.get(target_id)
    manifest = json.loads(devstack.client("s3").get_object(
        Bucket=devstack.env["PORCHLIGHT_CLIPS_BUCKET"], Key=evidence.manifest_key)["Body"].read())
    assert manifest["clip"]["asked_seconds_in_file"] == pytest.approx([10, 30], abs=0.01)
    assert errors == []


def test_the_sound_choice_says_why_it_is_off(new_context: Any, base_url: str,
                                            settings: Any) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    cam = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Side gate"))
    detective = session_client(base_url, settings, make_user("detective"))
    target_id = ask(detective, [cam.json()["camera"]["id"]], *window()).json()["targets"][0][
        "id"]
    owner_client.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    page = new_context(**SMALL_PHONE).new_page()
    log_in(page, owner)
    page.goto(f"/requests/{target_id}")
    sound = page.get_by_role("checkbox", name="Send the sound too")
    expect(sound).to_have_accessible_description(re.compile(
        "conversations is regulated in many states, so the sound is left out unless you "
        "choose to send it"))
    box = sound.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
