"""Small helpers the bridge tests share: waiting for a condition, a free port, filling a buffer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bridge.buffer import SegmentBuffer
from bridge.config import CameraConfig
from bridge.source_types import ReaderOptions, SourceEnded
from bridge.sources import read_camera

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(buffer: SegmentBuffer, source: Path, start: datetime,
         segment_seconds: float = 2.0) -> None:
    """Read a file into the buffer as fast as possible, stamped as if it ran from `start`."""
    camera = CameraConfig(id=buffer.camera, source=f"file://{source}")
    options = ReaderOptions(segment_seconds=segment_seconds, pace=False,
                            clock=lambda: start.timestamp())
    with pytest.raises(SourceEnded):
        read_camera(camera, options, buffer.work_dir, buffer.add, threading.Event())
