"""Clips play in a real browser: Debian's Chromium, driven by Playwright, over local HTTP.

A stream-copied and a re-encoded clip must reach `canplay` with no media error; the MJPEG AVI
a recorder exports must not play at all, which is why cut() re-encodes it.

The session's Chromium comes from the `browser` fixture in tests/conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from lambdas.clip_cutter import video
from tests.video import samples

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000
PLAYER = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>clip</title>
<video id="clip" muted playsinline preload="auto"></video>
<script>
  const clip = document.getElementById("clip");
  window.outcome = null;
  clip.addEventListener("canplay", () => { window.outcome = window.outcome || "canplay"; });
  clip.addEventListener("error", () => { window.outcome = "error"; });
  window.play = (name) => { clip.src = name; clip.load(); };
</script>
</html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser drops media connections it no longer needs: not a failure


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """A folder of clips on http://127.0.0.1:<port>/ and what cut() said about each."""
    folder = tmp_path_factory.mktemp("served")
    h264 = samples.make_h264(folder / "source.mp4", seconds=6.0)
    mjpeg = samples.make_mjpeg_avi(folder / "recorder.avi", seconds=4.0)
    results = {
        "copied.mp4": video.cut(h264, folder / "copied.mp4", 1.5, 4.5),
        "encoded.mp4": video.cut(mjpeg, folder / "encoded.mp4", 0.5, 3.5),
    }
    (folder / "player.html").write_text(PLAYER, encoding="utf-8")
    server = _Server(("127.0.0.1", 0),
                     functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", results
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser: Browser, served: tuple[str, dict[str, Any]]) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{served[0]}/player.html")
    yield page
    context.close()


def load(page: Page, name: str) -> dict[str, Any]:
    page.evaluate("name => window.play(name)", name)
    page.wait_for_function("window.outcome !== null")
    state: dict[str, Any] = page.evaluate("""() => {
        const clip = document.getElementById("clip");
        return {outcome: window.outcome, readyState: clip.readyState,
                error: clip.error && clip.error.code, width: clip.videoWidth,
                height: clip.videoHeight, duration: clip.duration};
    }""")
    return state


@pytest.mark.parametrize(("name", "method", "size"), [
    ("copied.mp4", "stream_copy", (640, 360)),
    ("encoded.mp4", "reencode", (320, 240)),
])
def test_clip_plays_in_chromium(page: Page, served: tuple[str, dict[str, Any]], name: str,
                                method: str, size: tuple[int, int]) -> None:
    result = served[1][name]
    assert result.method == method
    state = load(page, name)
    assert state["outcome"] == "canplay", state
    assert state["error"] is None
    assert state["readyState"] >= 3
    assert (state["width"], state["height"]) == size
    assert state["duration"] == pytest.approx(result.duration_s, abs=0.05)


def test_raw_mjpeg_avi_does_not_play(page: Page) -> None:
    state = load(page, "recorder.avi")
    assert state["outcome"] == "error", state
    assert state["error"] == 4  # MEDIA_ERR_SRC_NOT_SUPPORTED: why cut() re-encodes MJPEG
