"""Share now in two browsers: an owner on a phone shares a camera live and sends the phone's own
camera; a detective on a tablet watches it play; the owner sees the detective watching and ends
the share; the detective's video stops within seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.helpers import PHONE, TABLET, collect_page_errors, log_in, no_horizontal_scroll
from tests.integration.test_registry import camera_body
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

PLAYING = """(stream) => {
  const video = document.querySelector(`figure[data-stream="${stream}"] video`);
  return !!video && !video.closest('figure').hidden && video.readyState >= 2
    && !video.paused && video.currentTime > 1.0;
}"""


def test_owner_shares_phone_camera_detective_watches_owner_ends(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    made = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Doorbell", tier="on_alert", street="2nd Ave"))
    assert made.status_code == 201, made.text

    phone = new_context(**PHONE, permissions=["camera"]).new_page()
    owner_errors = collect_page_errors(phone)
    log_in(phone, owner)
    phone.goto("/share")
    expect(phone.get_by_role("checkbox", name="Doorbell")).to_be_checked()
    expect(phone.get_by_text("No bridge sends this camera's video")).to_be_visible()
    expect(phone.get_by_role("checkbox", name="Also send this phone's camera")).to_be_checked()
    phone.get_by_label("For how long").select_option("15")
    phone.get_by_role("button", name="Share now").click()
    sending = phone.locator(".js-phone-camera")
    expect(sending).to_have_attribute("data-state", "sending")
    expect(phone.get_by_role("button", name="Stop sending this phone's camera")).to_be_visible()
    phone.wait_for_function(
        "() => Number(document.querySelector('.js-phone-camera').dataset.sent || 0) >= 2",
        timeout=20_000)
    assert no_horizontal_scroll(phone)

    detective = make_user("detective")
    tablet = new_context(**TABLET).new_page()
    police_errors = collect_page_errors(tablet)
    log_in(tablet, detective)
    tablet.goto("/live")
    tablet.get_by_role("link", name="Watch").first.click()
    expect(tablet.get_by_role("heading", level=1)).to_contain_text("Live:")
    tablet.wait_for_function(PLAYING, arg="phone", timeout=30_000)
    expect(tablet.locator('figure[data-stream="phone"] video')).to_have_attribute(
        "aria-label", "Live video: Owner's phone camera")
    assert no_horizontal_scroll(tablet)

    # The owner sees who is watching, then ends the share with one tap.
    expect(phone.get_by_text(f"Watching now: {detective.user.display_name} (detective)")
           ).to_be_visible(timeout=20_000)
    phone.get_by_role("button", name="End the share now").click()
    ended_at = time.monotonic()
    expect(phone.get_by_text("The share has ended. Police can no longer watch.").first
           ).to_be_visible()

    tablet.wait_for_function(
        "() => document.querySelector('.js-live-player').dataset.state === 'ended'",
        timeout=10_000)
    stopped_after = time.monotonic() - ended_at
    assert stopped_after < 5.0, f"the detective's view stopped {stopped_after:.1f} s after End"
    expect(tablet.get_by_role("status").filter(has_text="The video has stopped")
           ).to_contain_text("owner ended")
    assert tablet.evaluate(
        "[...document.querySelectorAll('video')].every((v) => v.paused && !v.getAttribute('src'))")
    assert owner_errors == [] and police_errors == []
