"""The police player tells the truth about time: a bridge's pieces carry when their pictures
were captured, so video that arrives 40 s late is said to be 40 s behind live, and a camera
whose pieces stop is said to be offline, its last picture hidden rather than left standing as
if it were live."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from app.services import clock
from bridge.config import CameraConfig
from bridge.source_types import ClosedSegment, ReaderOptions, SourceEnded
from bridge.sources import read_camera
from tests.bridge.media import make_h264
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.e2e.helpers import TABLET, collect_page_errors, log_in
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

LATE_S = 40


def fmp4_piece(tmp_path: Path) -> bytes:
    """One 1 s piece as the bridge makes them (fragmented MP4 that MSE appends)."""
    source = make_h264(tmp_path / "source.mp4", seconds=2.0, gop=30, bframes=0)
    pieces: list[ClosedSegment] = []
    try:
        read_camera(CameraConfig(id="alley", source=f"file://{source}"),
                    ReaderOptions(segment_seconds=1.0, pace=False), tmp_path / "work",
                    pieces.append, threading.Event())
    except SourceEnded:
        pass
    return pieces[0].path.read_bytes()


def test_the_player_says_how_far_behind_live_and_when_the_camera_is_offline(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        tmp_path: Path) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    camera_id = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Back alley", tier="on_alert")).json()["camera"]["id"]
    bridge, headers, _device = paired_bridge(owner_client, base_url)
    share = bridge.send_json("POST", "/api/bridge/shares", {"camera_ids": [camera_id],
                                                              "minutes": 5},
                             csrf=False, headers=headers).json()
    share_id = share["share_id"]
    data = fmp4_piece(tmp_path)
    stop = threading.Event()

    def camera() -> None:
        """A bridge converting on a slow box: a piece a second, each captured LATE_S before
        it arrives."""
        while not stop.is_set():
            at = clock.now() - timedelta(seconds=LATE_S)
            answer = send_piece(bridge, headers, share_id, piece_body(camera_id, data, at), data)
            assert answer.status_code == 200, answer.text
            stop.wait(1.0)

    sender = threading.Thread(target=camera, daemon=True)
    sender.start()
    try:
        tablet = new_context(**TABLET).new_page()
        errors = collect_page_errors(tablet)
        log_in(tablet, make_user("detective"))
        tablet.goto(f"/live/{share_id}")
        figure = tablet.locator('figure:has(video[aria-label="Live video: Back alley"])')
        state = figure.locator(".js-stream-state")
        expect(state).to_contain_text("s behind live", timeout=30_000)
        behind = int(figure.get_attribute("data-behind") or 0)
        assert LATE_S - 2 <= behind <= LATE_S + 10, behind

        stop.set()  # the camera goes dark: no more pieces
        sender.join(10)
        expect(state).to_contain_text("Camera offline: no video since", timeout=30_000)
        expect(figure.locator("video")).to_be_hidden()
        assert figure.get_attribute("data-offline") == "true"
        assert errors == []
    finally:
        stop.set()
        sender.join(10)
