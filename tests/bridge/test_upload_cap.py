"""The owner's upload cap (`[bridge] max_upload_kbps`): every upload of the bridge together
sends no faster than it, so sharing video never fills the shop's line. Checked where the bytes
leave: a real HTTP PUT to a local server, timed."""

from __future__ import annotations

import http.server
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.config import parse
from bridge.http_uplink import HttpUplink, RateCap


class Sink(http.server.BaseHTTPRequestHandler):
    received: list[int] = []

    def do_PUT(self) -> None:  # noqa: N802 - the name http.server calls
        length = int(self.headers["Content-Length"])
        got = 0
        while got < length:
            got += len(self.rfile.read(min(65536, length - got)))
        Sink.received.append(got)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def sink() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/piece"
    server.shutdown()
    server.server_close()


def _put(uplink: HttpUplink, url: str, size: int) -> float:
    with tempfile.TemporaryFile() as handle:
        handle.write(bytes(size))
        handle.flush()
        started = time.monotonic()
        uplink._put({"url": url, "headers": {"Content-Type": "video/mp4"}}, handle)
        return time.monotonic() - started


def test_uploads_keep_to_the_cap_together(sink: str) -> None:
    capped = HttpUplink("http://127.0.0.1:9", None, timeout_s=10, max_upload_kbps=800)
    # 800 kb/s is 100 kB/s; the bucket holds a second's worth, so 200 kB take about 1 s,
    # and two uploads of 100 kB at once take about as long together.
    alone = _put(capped, sink, 200_000)
    assert 0.8 <= alone <= 3.0, alone
    time.sleep(1.0)  # the bucket fills again
    took: list[float] = []
    both = [threading.Thread(target=lambda: took.append(_put(capped, sink, 100_000)))
            for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert max(took) >= 0.8, took
    assert Sink.received[-3:] == [200_000, 100_000, 100_000]
    free = HttpUplink("http://127.0.0.1:9", None, timeout_s=10)
    assert _put(free, sink, 200_000) < 0.5  # no cap: as fast as the line goes


def test_a_cap_is_a_token_bucket() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    cap = RateCap(1000, clock=lambda: now[0], sleep=sleep)
    cap.take(1000)  # a second's worth goes at once
    assert slept == []
    cap.take(500)
    assert sum(slept) == pytest.approx(0.5)
    cap.take(4000)  # more than the bucket: it waits for a full bucket, then goes into debt
    cap.take(1)
    assert sum(slept) == pytest.approx(0.5 + 1.0 + 3.001, abs=0.01)


def test_the_config_carries_the_cap(tmp_path: Path) -> None:
    config = parse({"bridge": {"name": "b", "state_dir": str(tmp_path), "trigger_key": "k" * 20,
                               "max_upload_kbps": 2000},
                    "camera": [{"id": "door", "source": "rtsp://192.168.1.5/stream"}]})
    assert config.max_upload_kbps == 2000
