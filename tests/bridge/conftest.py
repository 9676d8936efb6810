"""Fixtures for the bridge tests: sample videos made once, a local MJPEG camera, configs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge import config as bridge_config
from bridge.config import BridgeConfig
from tests.bridge.media import MjpegCamera, jpegs, make_h264, make_mjpeg_avi

KEY = "test-trigger-key-0123456789"


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """H.264 320x240 30 fps with B-frames and a keyframe every second (8 s and 2 s long), and
    an MJPEG AVI (4 s, 15 fps)."""
    folder = tmp_path_factory.mktemp("bridge-samples")
    return {
        "h264": make_h264(folder / "h264.mp4", seconds=8.0, gop=30, bframes=2),
        "h264_short": make_h264(folder / "short.mp4", seconds=2.0, gop=30, bframes=2),
        "mjpeg_avi": make_mjpeg_avi(folder / "mjpeg.avi", seconds=4.0),
    }


@pytest.fixture(scope="session")
def jpeg_frames() -> list[bytes]:
    return jpegs(30)


@pytest.fixture()
def mjpeg_camera(jpeg_frames: list[bytes]) -> Iterator[MjpegCamera]:
    camera = MjpegCamera(jpeg_frames, fps=15).start()
    yield camera
    camera.stop()


def make_config(tmp_path: Path, cameras: list[dict[str, Any]], **bridge: Any) -> BridgeConfig:
    data: dict[str, Any] = {
        "bridge": {"name": "Test shop", "state_dir": str(tmp_path / "state"),
                   "trigger_key": KEY, **bridge},
        "camera": cameras,
    }
    return bridge_config.parse(data)
