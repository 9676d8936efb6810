"""A real RTSP camera for tests: GStreamer's RTSP server as a subprocess (tests/bridge/
rtsp_server.py under Debian's /usr/bin/python3), and the capture time burnt into its pictures.

When GStreamer's RTSP server is not installed the tests using it fail with a message naming the
packages and scripts/ensure-gstreamer.sh (like the browser tests without Chromium): nothing is
skipped silently.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest

SERVER = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
ENSURE = Path(__file__).parents[2] / "scripts" / "ensure-gstreamer.sh"
BLOCK = 16
BITS = 48


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_gstreamer() -> None:
    """Fail (not skip) with what to install when the RTSP server cannot run here."""
    answer = subprocess.run([str(ENSURE), "--check"], capture_output=True, text=True,
                            timeout=60)
    if answer.returncode != 0:
        pytest.fail("The bridge's RTSP tests need GStreamer's RTSP server under "
                    f"{SYSTEM_PYTHON}: {answer.stderr.strip() or answer.stdout.strip()}",
                    pytrace=False)


class RtspCamera:
    """One RTSP camera: `codec` h264 or h265, served over `protocols` tcp, udp or any."""

    def __init__(self, codec: str = "h264", protocols: str = "any", *, fps: int = 15,
                 gop: int = 15, size: str = "320x240", port: int | None = None) -> None:
        self.codec, self.protocols, self.fps, self.gop, self.size = (
            codec, protocols, fps, gop, size)
        self.port = port or _free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self) -> RtspCamera:
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, str(SERVER), "--port", str(self.port), "--codec", self.codec,
             "--protocols", self.protocols, "--fps", str(self.fps), "--gop", str(self.gop),
             "--size", self.size],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY"):
            rest = self._stop()
            raise AssertionError(f"the RTSP test server did not start: {line} {rest}")
        return self

    def _send(self, word: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def pause(self) -> None:
        """The camera stops sending pictures; its connection stays open."""
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def _stop(self) -> str:
        process, self.process = self.process, None
        if process is None:
            return ""
        process.terminate()
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        return out or ""

    def stop(self) -> None:
        """The camera goes away (power cut): connections drop, new ones are refused."""
        self._stop()

    def __enter__(self) -> RtspCamera:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def burnt_in_millis(luma: np.ndarray) -> int | None:
    """The capture time (ms since the epoch) burnt into a picture, None when unreadable (the
    inverted copy does not match)."""
    per_row = luma.shape[1] // BLOCK
    values = []
    for copy in (0, 1):
        number = 0
        for bit in range(BITS):
            top = ((bit // per_row) + copy * 3) * BLOCK
            left = (bit % per_row) * BLOCK
            centre = luma[top + 4:top + BLOCK - 4, left + 4:left + BLOCK - 4]
            number = (number << 1) | int(centre.mean() > 128)
        values.append(number)
    if values[0] != values[1] ^ ((1 << BITS) - 1):
        return None
    return values[0]


def first_capture_time(path: Path) -> datetime:
    """The burnt-in capture time of a video file's first picture."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            millis = burnt_in_millis(frame.to_ndarray(format="gray"))
            if millis is not None:
                return datetime.fromtimestamp(millis / 1000, UTC)
    raise AssertionError(f"no picture of {path.name} shows a readable capture time")


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False
