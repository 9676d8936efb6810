"""Share now in two browsers: an owner on a phone shares a camera live and sends the phone's own
camera; a detective on a tablet watches it play; the owner sees the detective watching and ends
the share; the detective's video stops within seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from bridge import config as bridge_config
from bridge.__main__ import main as bridge_main
from bridge.http_uplink import HttpUplink, load_credential
from bridge.runner import Runner
from bridge.share import ShareManager
from tests.bridge.media import make_h264
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.e2e.helpers import PHONE, TABLET, collect_page_errors, log_in, no_horizontal_scroll
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


def test_bridge_camera_plays_live_and_from_before_the_alert(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        tmp_path: Path) -> None:
    """A bridge records a real H.264 camera (a file played at real time) in 1 s fMP4 segments;
    the owner's panic button shares it; the detective's player plays the bridge's segments
    through Media Source Extensions, live and then from the pre-roll."""
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    camera_id = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Back alley", tier="on_alert")).json()["camera"]["id"]
    source = make_h264(tmp_path / "alley.mp4", seconds=6.0, gop=30, bframes=2)
    config_path = tmp_path / "bridge.toml"
    config_path.write_text("\n".join([
        "[bridge]", 'name = "Shop bridge"', f'state_dir = "{tmp_path / "state"}"',
        'trigger_key = "e2e-trigger-key-0123456789"', 'trigger_listen = "127.0.0.1:8799"',
        "segment_seconds = 1", "buffer_minutes = 2",
        "[[camera]]", 'id = "alley"', f'source = "file://{source}"', "loop = true",
        f'camera_id = "{camera_id}"', "[server]", f'url = "{base_url}/"']) + "\n")
    assert bridge_main(["pair", shown_code(owner_client), "-c", str(config_path)]) == 0
    config = bridge_config.load(config_path)
    credential = load_credential(config.state_dir)
    assert credential is not None
    runner = Runner(config).start()
    manager = ShareManager(HttpUplink(base_url, credential, timeout_s=5, camera_ids=[camera_id]),
                           config, runner.buffers, work_dir=tmp_path / "clips", poll_s=0.2)
    stop = threading.Event()
    poller = threading.Thread(target=manager.run, args=(stop,), daemon=True)
    try:
        deadline = time.monotonic() + 20
        while len(runner.buffers["alley"].segments()) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)  # some pre-roll in the buffer before the button is pressed
        share = manager.start_share_now(None, 5)  # what the LAN trigger does
        assert share is not None and share.preroll_seconds == 120
        poller.start()

        tablet = new_context(**TABLET).new_page()
        police_errors = collect_page_errors(tablet)
        log_in(tablet, make_user("detective"))
        tablet.goto(f"/live/{share.share_id}")
        # The player knows the camera only by its alias in this share, never by its id.
        figure = tablet.locator('figure:has(video[aria-label="Live video: Back alley"])')
        stream = figure.get_attribute("data-stream", timeout=30_000)
        assert stream and stream != camera_id and camera_id not in tablet.content()
        tablet.wait_for_function(PLAYING, arg=stream, timeout=30_000)
        expect(tablet.locator('figure[data-stream="phone"]')).to_be_hidden()
        figure.get_by_role("button", name="Play from before the alert").click()
        expect(figure.get_by_role("button", name="Go back to live")).to_be_visible()
        tablet.wait_for_function(PLAYING, arg=stream, timeout=30_000)
        assert police_errors == []
    finally:
        stop.set()
        manager.close()
        runner.stop()
