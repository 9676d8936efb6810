"""My activity as a resident reads it on a phone: a receipt in plain sentences, grouped by day,
paged, with each event's proof one tap (or one key) away.

A detective searches near an owner's camera and asks for its footage twice (two cases); the
owner opens and approves both. The page must say so in the owner's words (the camera by its
nickname, the case, the offense), without action codes or hex ids, fit a 390 px phone without
sideways scrolling (and a 320 px one), and stay a page's height, not thousands of pixels.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from app.services.auditing import audit
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import PHONE, collect_page_errors, log_in, no_horizontal_scroll
from tests.support import Client, make_user, session_client

pytestmark = pytest.mark.e2e

NICKNAME = "Maya's porch"
CASES = (("26-004417", "burglary"), ("26-004418", "theft"))
HEX_ID = re.compile(r"\b[0-9a-f]{8,}\b")
ACTION_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")  # request.received, registry.camera_found
# Two requests' worth of events (ten) on a 390 px phone: 3,212 px when the page listed codes and
# ids, about 2,100 px as a receipt; with a clip's events as well, the old page ran to 5,700 px.
MOST_PX = 2500
MOST_PX_PER_EVENT = 170  # the time, a sentence of up to four lines, and the closed proof


def _scene() -> tuple[float, float]:
    """A block of its own, so no other test's camera is found with this one."""
    rng = random.Random()
    return 36.2300 + rng.uniform(0, 0.02), -86.7200 + rng.uniform(0, 0.02)


def _owner_with_camera(base_url: str, settings: Any, scene: tuple[float, float]
                       ) -> tuple[Any, Client, str]:
    owner = make_user("owner")
    client = session_client(base_url, settings, owner)
    made = client.send_json("POST", "/api/cameras", camera_body(
        nickname=NICKNAME, lat=scene[0], lon=scene[1] + 0.0002))
    assert made.status_code == 201, made.text
    return owner, client, str(made.json()["camera"]["id"])


def _search(detective: Client, scene: tuple[float, float], case: str) -> None:
    start, _ = window()
    found = detective.send_json("POST", "/api/search", {
        "lat": scene[0], "lon": scene[1], "radius_m": 50, "case_number": case,
        "incident_at": start.isoformat()})
    assert found.status_code == 200, found.text
    assert found.json()["cameras"], "the search did not find the owner's camera"


def _wait_for(user_id: str, action: str, count: int, timeout: float = 30) -> None:
    """Until the audit-fanout worker has appended `count` notices of this kind."""
    deadline = time.monotonic() + timeout
    while sum(e.action == action for e in audit.activity_of(user_id, limit=300)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} {action} events"
        time.sleep(0.3)


def _page_height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def _sentences(page: Page) -> str:
    """What the list says, the proofs left out."""
    return "\n".join(page.locator(".receipt-what").all_inner_texts())


def test_activity_reads_like_a_receipt_on_a_phone(phone: Page, base_url: str,
                                                  settings: Any) -> None:
    scene = _scene()
    owner, owner_client, camera_id = _owner_with_camera(base_url, settings, scene)
    detective = session_client(base_url, settings, make_user("detective"))
    for case, offense in CASES:
        _search(detective, scene, case)
        start, end = window()
        made = ask(detective, [camera_id], start, end, case_number=case, offense=offense,
                   lat=scene[0], lon=scene[1])
        assert made.status_code == 201, made.text
        target_id = made.json()["targets"][0]["id"]
        assert owner_client.get(f"/requests/{target_id}").status_code == 200  # opened
        approved = owner_client.send_json("POST", f"/api/targets/{target_id}/answer",
                                          {"action": "approve"})
        assert approved.status_code == 200, approved.text
    for action in ("registry.camera_found", "request.received"):
        _wait_for(owner.user.user_id, action, len(CASES))

    errors = collect_page_errors(phone)
    log_in(phone, owner)
    phone.goto("/account/activity")
    expect(phone.get_by_role("heading", level=1)).to_have_text("My activity")
    height = _page_height(phone)
    expect(phone.get_by_text("Times are Chicago time.")).to_be_visible()
    # Grouped by day: everything happened just now, so under "Today" (or "Yesterday" for a
    # run that straddles midnight in Chicago).
    expect(phone.get_by_role("heading", level=2).first).to_have_text(
        re.compile(r"^(Today|Yesterday)$"))

    said = _sentences(phone)
    for case, offense in CASES:
        for sentence in (
                f"A detective searched near your camera {NICKNAME} for case {case}.",
                f"A detective asked for footage from your camera {NICKNAME} for case {case} "
                f"({offense}),",
                f"You opened the request for footage from your camera {NICKNAME} for case "
                f"{case} ({offense}).",
                f"You approved the request for footage from your camera {NICKNAME} for case "
                f"{case} ({offense})."):
            assert sentence in said, (sentence, said)
    assert f"You registered your camera {NICKNAME}." in said
    assert not HEX_ID.search(said), HEX_ID.search(said)
    assert not ACTION_CODE.search(said), ACTION_CODE.search(said)
    # Each event has its time in Chicago, as 24-hour hours and minutes.
    first = phone.locator(".receipt").first
    expect(first.locator("time")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
    # Headings in order (h1, then a h2 per day and per section), events as a list.
    levels = phone.evaluate("[...document.querySelectorAll('main :is(h1, h2, h3, h4)')]"
                            ".map((h) => Number(h.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in
                                  zip(levels, levels[1:], strict=False)), levels
    expect(phone.locator("ol.receipts > li").first).to_be_visible()

    assert height < MOST_PX, f"the page is {height} px tall on a phone"
    tallest = max(box["height"] for box in (r.bounding_box() for r in
                                             phone.locator(".receipt").all()) if box)
    assert tallest < MOST_PX_PER_EVENT, f"an event takes {tallest} px"
    assert no_horizontal_scroll(phone), "My activity scrolls sideways at 390 px"

    # The proof is one key away: a native disclosure that opens and closes from the keyboard,
    # named for a screen reader by the event it proves.
    proof = first.locator("details.proof")
    summary = proof.locator("summary")
    expect(summary).to_contain_text(re.compile(r"^Proof of the \d{2}:\d{2} event, number \d+$"))
    expect(proof.locator("dl")).to_be_hidden()
    summary.focus()
    expect(summary).to_be_focused()
    phone.keyboard.press("Enter")
    expect(proof).to_have_attribute("open", "")
    expect(proof).to_contain_text("in the program's tamper-evident log")
    expect(proof.locator("code").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(proof.get_by_role("link", name="signed checkpoints")).to_be_visible()
    phone.set_viewport_size({"width": 320, "height": 640})
    assert no_horizontal_scroll(phone), "My activity (a proof open) scrolls sideways at 320 px"
    phone.keyboard.press("Enter")
    expect(proof.locator("dl")).to_be_hidden()
    # The receipts choice still works from the page, one tap away.
    phone.get_by_text("Change how you hear of it").click()
    phone.get_by_label("A daily email").check()
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("status")).to_have_text("Saved.")
    expect(phone.get_by_label("A daily email")).to_be_checked()
    expect(phone.locator("#receipts + p strong")).to_have_text("A daily email")
    assert errors == []


def test_older_activity_is_a_page_away(new_context: Callable[..., BrowserContext],
                                       base_url: str, settings: Any) -> None:
    scene = _scene()
    owner, _, _ = _owner_with_camera(base_url, settings, scene)
    detective = session_client(base_url, settings, make_user("detective"))
    cases = [f"26-1{n:05d}" for n in range(24)]
    for case in cases:
        _search(detective, scene, case)
    _wait_for(owner.user.user_id, "registry.camera_found", len(cases))

    page = new_context(**PHONE).new_page()
    errors = collect_page_errors(page)
    log_in(page, owner)
    page.goto("/account/activity")
    newest = page.locator(".receipt")
    expect(newest).to_have_count(20)
    first_page = _sentences(page)
    older = page.get_by_role("link", name="Older activity")
    expect(older).to_be_visible()
    older.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My activity")
    second_page = _sentences(page)
    assert f"You registered your camera {NICKNAME}." in second_page
    expect(page.get_by_role("link", name="Newest activity")).to_be_visible()
    # Every search is on exactly one of the two pages.
    for case in cases:
        found = (first_page + second_page).count(f"for case {case}.")
        assert found == 1, (case, found)
    assert no_horizontal_scroll(page)
    assert errors == []
