"""Clips play in a real browser: Debian's Chromium, driven by Playwright, over local HTTP.

A stream-copied, a smart-cut and a re-encoded clip must reach `canplay` with no media error;
the MJPEG AVI a recorder exports must not play at all, which is why cut() re-encodes it. A
smart cut joins x264's pictures and the recorder's in one track: Chromium must show the right
picture on each side of both joins (each sample picture carries its number).

The session's Chromium comes from the `browser` fixture in tests/conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from lambdas.clip_cutter import cutting
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
  // The number drawn across the top of the picture shown at `t` (tests/video/samples.py).
  window.numberAt = async (t) => {
    // Listen before seeking: the picture of the new time is presented after "seeked", and a
    // canvas drawn at "seeked" alone could get the previous picture on a loaded machine.
    const presented = new Promise((done) => clip.requestVideoFrameCallback(() => done()));
    clip.currentTime = t;
    await new Promise((done) => clip.addEventListener("seeked", done, { once: true }));
    await Promise.race([presented, new Promise((done) => setTimeout(done, 1000))]);
    const canvas = document.createElement("canvas");
    canvas.width = clip.videoWidth;
    canvas.height = clip.videoHeight;
    const context = canvas.getContext("2d");
    context.drawImage(clip, 0, 0);
    const row = context.getImageData(0, 10, canvas.width, 1).data;
    let number = 0;
    for (let bit = 0; bit < 12; bit++) {
      const at = (bit * 16 + 8) * 4;
      number = (number << 1) | ((row[at] + row[at + 1] + row[at + 2]) / 3 > 128 ? 1 : 0);
    }
    return number;
  };
</script>
</html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Files with byte ranges, as S3 serves clips: Chromium seeks in media only then."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not wanted or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        first = int(wanted.group(1))
        last = min(int(wanted.group(2) or len(data) - 1), len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(data[first:last + 1])


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
        "copied.mp4": cutting.cut(h264, folder / "copied.mp4", 2.0, 4.0),
        "smart.mp4": cutting.cut(h264, folder / "smart.mp4", 1.5, 4.5),
        "encoded.mp4": cutting.cut(mjpeg, folder / "encoded.mp4", 0.5, 3.5),
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
    ("smart.mp4", "smart_cut", (640, 360)),
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


def test_chromium_shows_the_right_pictures_across_a_smart_cuts_joins(
        page: Page, served: tuple[str, dict[str, Any]]) -> None:
    """1.5 s to 4.5 s at 30 fps: pictures 45..59 re-encoded, 60.. copied from the keyframe at
    2 s, the last B-frames before 4.5 s re-encoded again."""
    result = served[1]["smart.mp4"]
    assert result.method == "smart_cut" and result.frames == 90
    assert load(page, "smart.mp4")["outcome"] == "canplay"
    shown = {k: page.evaluate("t => window.numberAt(t)", (k + 0.5) / 30)
             for k in (0, 14, 15, 16, 86, 87, 88, 89)}
    assert shown == {k: 45 + k for k in shown}


def test_raw_mjpeg_avi_does_not_play(page: Page) -> None:
    state = load(page, "recorder.avi")
    assert state["outcome"] == "error", state
    assert state["error"] == 4  # MEDIA_ERR_SRC_NOT_SUPPORTED: why cut() re-encodes MJPEG
