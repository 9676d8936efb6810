"""The bridge against a real RTSP camera server nobody here wrote: GStreamer's (gst-rtsp-server,
tests/bridge/rtsp_server.py), which burns each picture's capture time into it.

- A converted (H.265) camera on a box too busy to convert it: pieces still carry their
  pictures' capture time, the status says how far behind live the camera is, and the bridge
  skips to live (the skipped stretch a gap in the buffer) and encodes lighter instead of
  sending ever older video as current.
- A server that speaks RTSP over UDP only: read over UDP ("auto" tries TCP first), and a
  camera set to TCP says which transport failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bridge.config import CameraConfig
from bridge.runner import BEHIND_SAY_S, Backoff, Runner
from bridge.segment import Segment
from bridge.source_types import ReaderOptions, SourceError
from bridge.sources import read_camera
from tests.bridge.conftest import make_config
from tests.bridge.helpers import wait_for
from tests.bridge.rtsp import RtspCamera, first_capture_time, require_gstreamer

FAST = Backoff(first_s=0.2, max_s=1.0)
TIME_TOLERANCE_S = 0.25  # a piece's start against its first picture's burnt-in capture time
MAX_BEHIND_S = BEHIND_SAY_S + 1.0  # the status says "behind" before the bridge skips to live
# The busy box: the bridge confined to one CPU that busy loops keep at 100 %, its threads at a
# lower priority than theirs, so the scheduler leaves it about 2 % of that CPU; converting
# 640x360 H.265 at 25 fps takes about 5 %. (Lowering the bridge's priority rather than starting
# some 30 busy loops: those would push everything else on the box onto the other CPU, the
# camera's included, and the camera itself would fall behind.)
BUSY_LOOPS = 2
BRIDGE_NICE = 15
SLOW_BOX_DEADLINE_S = 25.0


@pytest.fixture(scope="module", autouse=True)
def gstreamer() -> None:
    require_gstreamer()


def capture_errors(segments: list[Segment]) -> list[float]:
    """Each piece's start minus the capture time burnt into its first picture (seconds)."""
    return [(segment.start - first_capture_time(segment.path)).total_seconds()
            for segment in segments]


@contextmanager
def busy(cpu: int, loops: int) -> Iterator[None]:
    """`loops` processes spinning on `cpu` for as long as the block runs."""
    spinning: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(loops):
            spinning.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
            os.sched_setaffinity(spinning[-1].pid, {cpu})
        yield
    finally:
        for process in spinning:
            process.kill()
            process.wait()


def start_confined(runner: Runner, cpu: int, nice: int) -> None:
    """Start the bridge from a thread confined to `cpu` at `nice`: Linux keeps both per thread,
    and every thread the bridge, FFmpeg and libx264 start from it inherits them (the test's
    own thread, and the camera server, a process of its own, stay as they were)."""
    def start() -> None:
        os.sched_setaffinity(0, {cpu})
        os.nice(nice)
        runner.start()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="busy-cpu") as starter:
        starter.submit(start).result()


def test_a_converted_camera_on_a_busy_box_keeps_capture_times_and_skips_to_live(
        tmp_path: Path) -> None:
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        pytest.skip("needs two CPUs: one for the busy bridge, one for the camera")
    cpu = max(cpus)
    closed_at: dict[str, float] = {}  # piece → when the bridge had it (the bridge's clock)
    states: list[dict[str, Any]] = []
    with RtspCamera("h265", "tcp", size="640x360", fps=25, gop=25) as camera:
        config = make_config(tmp_path, [{"id": "yard", "source": camera.url,
                                         "transport": "tcp"}], segment_seconds=1)
        runner = Runner(config, options=ReaderOptions(max_behind_s=MAX_BEHIND_S), backoff=FAST)
        runner.add_listener(lambda segment: closed_at.setdefault(segment.name, time.time()))
        buffer = runner.buffers["yard"]
        with busy(cpu, BUSY_LOOPS):
            start_confined(runner, cpu, BRIDGE_NICE)
            try:
                deadline = time.monotonic() + SLOW_BOX_DEADLINE_S
                while time.monotonic() < deadline:
                    states.append(runner.status()["cameras"][0])
                    if (states[-1]["timing"]["skips"] and buffer.gaps()
                            and len(buffer.segments()) >= 4
                            and any(s["state"] == "behind" for s in states)):
                        break
                    time.sleep(0.1)
            finally:
                runner.stop()
    segments = buffer.segments()
    assert len(segments) >= 4 and {s.mode for s in segments} == {"encode"}

    # every piece says when its first picture was taken, not when the bridge got to it
    errors = capture_errors(segments)
    assert max(abs(error) for error in errors) <= TIME_TOLERANCE_S, errors
    timing = states[-1]["timing"]
    assert timing["clock"] == "camera"  # GStreamer sends RTCP sender reports

    # the lag was seen and said ...
    behind = [s["timing"]["behind_s"] for s in states if s["timing"]["behind_s"] is not None]
    assert max(behind) > BEHIND_SAY_S, behind
    assert any(s["state"] == "behind" and "behind live" in (s["problem"] or "")
               for s in states)
    # ... and shed: the bridge skipped to live, marked what it skipped, converts lighter,
    # and never held video much older than MAX_BEHIND_S
    assert timing["skips"] >= 1 and timing["skipped_s"] > 0 and timing["lighter"], timing
    gaps = buffer.gaps()
    assert gaps and all("fell behind" in gap.reason for gap in gaps)
    assert all(gap.end > gap.start for gap in gaps)
    lags = [closed_at[s.name] - s.end.timestamp() for s in segments if s.name in closed_at]
    assert max(lags) < MAX_BEHIND_S + 1.0 + 1.5, lags  # + a piece + decoding and slack


def test_a_udp_only_camera_is_read_over_udp_and_a_refused_transport_is_named(
        tmp_path: Path) -> None:
    with RtspCamera("h264", "udp") as camera:
        stop = threading.Event()
        with pytest.raises(SourceError) as refused:
            read_camera(CameraConfig(id="gate-tcp", source=camera.url, transport="tcp"),
                        ReaderOptions(open_timeout_s=5, read_timeout_s=5), tmp_path / "work",
                        lambda closed: None, stop)
        assert "over TCP" in refused.value.reason
        assert "Protocol not supported" in refused.value.reason

        config = make_config(tmp_path, [{"id": "gate", "source": camera.url}],
                             segment_seconds=1)
        assert config.cameras[0].transport == "auto"
        runner = Runner(config, backoff=FAST).start()
        buffer = runner.buffers["gate"]
        try:
            wait_for(lambda: len(buffer.segments()) >= 3, 20, "three pieces over UDP")
            status = runner.status()["cameras"][0]
        finally:
            runner.stop()
    segments = buffer.segments()
    assert {s.mode for s in segments} == {"copy"}  # H.264: the camera's own video
    errors = capture_errors(segments)
    assert max(abs(error) for error in errors) <= TIME_TOLERANCE_S, errors
    assert status["state"] == "live" and status["timing"]["clock"] == "camera"
