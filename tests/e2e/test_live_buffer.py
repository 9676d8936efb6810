"""The live player in Chromium against a long pre-roll: it fetches by the play head (a bounded
stretch ahead, what was played dropped), so the browser's memory for the video never fills,
and when it does all the same (a small limit) the player makes room and plays on. And a
detective who leaves the page has their time watching end there, in the owner's activity."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from app.services import clock
from app.services.auditing import audit
from bridge.config import CameraConfig
from bridge.source_types import ClosedSegment, ReaderOptions, SourceEnded
from bridge.sources import read_camera
from tests.bridge.media import make_h264
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.e2e.helpers import (
    CHROMIUM_ARGS,
    TABLET,
    TIMEOUT_MS,
    collect_page_errors,
    launch_options,
    log_in,
)
from tests.support import Client, make_user, session_client

pytestmark = pytest.mark.e2e

PREROLL_PIECES = 58  # 2 s each: the share's whole two minutes before the alert
# Counts every QuotaExceededError that appendBuffer throws, whoever catches it.
COUNT_QUOTA = """
window.__quota = 0;
const append = SourceBuffer.prototype.appendBuffer;
SourceBuffer.prototype.appendBuffer = function (data) {
  try { return append.call(this, data); }
  catch (err) { if (err.name === 'QuotaExceededError') window.__quota += 1; throw err; }
};
"""
SAMPLE = """(stream) => {
  const figure = document.querySelector(`figure[data-stream="${stream}"]`);
  const video = figure.querySelector('video');
  const r = video.buffered;
  return {time: video.currentTime, ahead: r.length ? r.end(r.length - 1) - video.currentTime : 0,
          held: r.length ? r.end(r.length - 1) - r.start(0) : 0, quota: window.__quota,
          pieces: Number(figure.dataset.pieces || 0), ready: video.readyState,
          state: figure.querySelector('.js-stream-state').textContent};
}"""


@pytest.fixture(scope="module")
def pieces(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Four 2 s pieces as the bridge makes them (fMP4, 640x360 at about 0.8 Mbit/s)."""
    folder = tmp_path_factory.mktemp("preroll")
    source = make_h264(folder / "camera.mp4", width=640, height=360, seconds=8.0, gop=30,
                       bframes=0, bitrate=800_000)
    closed: list[ClosedSegment] = []
    with pytest.raises(SourceEnded):
        read_camera(CameraConfig(id="cam", source=f"file://{source}"),
                    ReaderOptions(segment_seconds=2.0, pace=False), folder / "work",
                    closed.append, threading.Event())
    return [segment.path.read_bytes() for segment in closed]


def _share_with_preroll(base_url: str, settings: Any, pieces: list[bytes],
                        count: int = PREROLL_PIECES) -> tuple[Client, Any, str]:
    """A share of one camera whose bridge has sent `count` 2 s pieces up to now."""
    owner = make_user("owner")
    client = session_client(base_url, settings, owner)
    camera = client.send_json("POST", "/api/cameras", camera_body(
        nickname="Back alley", tier="on_alert")).json()["camera"]["id"]
    share_id = client.send_json("POST", "/api/shares", {"camera_ids": [camera], "minutes": 15}
                                ).json()["share_id"]
    bridge, headers, _ = paired_bridge(client, base_url)
    now = clock.now()
    for index in range(count):
        start = now - timedelta(seconds=2 * (count - index))
        data = pieces[index % len(pieces)]
        body = piece_body(camera, data, start, end=(start + timedelta(seconds=2)).isoformat(),
                          duration_s=2.0, codecs="avc1.64001e")
        stored = send_piece(bridge, headers, share_id, body, data)
        assert stored.status_code == 200, stored.text
    return client, owner, share_id


@pytest.fixture
def limited_chromium(playwright: Any) -> Iterator[Callable[[int], Browser]]:
    """launch(mb): a Chromium whose memory for one video's buffered data is `mb` MB (it is
    about 150 MB normally): the QuotaExceededError a long pre-roll met, within seconds."""
    launched: list[Browser] = []

    def launch(mb: int) -> Browser:
        options = launch_options()
        options["args"] = [*CHROMIUM_ARGS, f"--mse-video-buffer-size-limit-mb={mb}"]
        browser = playwright.chromium.launch(**options)
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()


@pytest.mark.parametrize("limit_mb", [6, 1])
def test_play_from_before_the_alert_fetches_by_the_play_head(
        limited_chromium: Callable[[int], Browser], base_url: str, settings: Any,
        pieces: list[bytes], limit_mb: int) -> None:
    """6 MB holds 30 s behind and 12 s ahead of 0.8 Mbit/s video, not the whole pre-roll (the
    old player appended ten pieces a second until it was full). 1 MB holds less than the
    player wants ahead: it drops what was played, holds less ahead, and plays on."""
    _, _, share_id = _share_with_preroll(base_url, settings, pieces)
    context: BrowserContext = limited_chromium(limit_mb).new_context(base_url=base_url, **TABLET)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(COUNT_QUOTA)
    page: Page = context.new_page()
    errors = collect_page_errors(page)
    log_in(page, make_user("detective"))
    page.goto(f"/live/{share_id}")
    figure = page.locator('figure:has(video[aria-label="Live video: Back alley"])')
    stream = figure.get_attribute("data-stream")
    assert stream
    page.wait_for_function(f"() => ({SAMPLE})('{stream}').ready >= 2")
    figure.get_by_role("button", name="Play from before the alert").click()
    page.wait_for_function(f"() => ({SAMPLE})('{stream}').pieces >= 4")

    samples = []
    started = time.monotonic()
    while time.monotonic() - started < 14:
        samples.append(page.evaluate(SAMPLE, stream))
        page.wait_for_timeout(500)
    first, last = samples[0], samples[-1]
    most_ahead = max(s["ahead"] for s in samples)
    assert most_ahead <= 12 + 2.5, f"held {most_ahead:.1f} s ahead of the play head"
    assert last["time"] - first["time"] >= 9, "playback did not go on"
    assert last["ready"] >= 2
    # pieces came as they were played, not the whole pre-roll at once
    assert last["pieces"] <= 2 + (last["time"] + 12) / 2 + 3 < PREROLL_PIECES
    assert not any("QuotaExceeded" in s["state"] or "trying again" in s["state"]
                   for s in samples), [s["state"] for s in samples]
    if limit_mb >= 6:
        assert last["quota"] == 0  # it never even came near the browser's limit
    else:
        assert last["quota"] > 0  # it met the limit, made room and played on
    assert errors == []
    context.close()


def test_leaving_the_page_ends_the_time_watching(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        pieces: list[bytes]) -> None:
    owner_client, owner, share_id = _share_with_preroll(base_url, settings, pieces, count=4)
    detective = make_user("detective")
    page = new_context(**TABLET).new_page()
    log_in(page, detective)
    page.goto(f"/live/{share_id}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('video')].some((v) => v.readyState >= 2)")
    opened = clock.now()
    page.wait_for_timeout(3000)
    page.goto("/live")  # the detective goes back to the list: the player's page goes away
    left = clock.now()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        viewers = owner_client.get(f"/api/shares/{share_id}").json()["viewers"]
        if viewers and not viewers[0]["watching"]:
            break
        page.wait_for_timeout(200)  # (not time.sleep: Playwright's sync API must run to let
        #                              the browser's requests go)
    assert viewers and viewers[0]["watching"] is False  # the owner sees they stopped
    page.wait_for_timeout(3000)
    assert owner_client.send_json("DELETE", f"/api/shares/{share_id}").status_code == 200
    sessions = [audit.event_json(e)["details"] for e in audit.activity_of(owner.user.user_id)
                if e.action == "live.session"]
    assert len(sessions) == 1 and sessions[0]["until"] == "they left"
    watched = (left - opened).total_seconds()
    assert sessions[0]["seconds"] == pytest.approx(watched, abs=2.5)
