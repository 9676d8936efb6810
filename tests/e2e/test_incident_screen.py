"""The incident screen in Chromium: a CAD call arrives through the ingest API, the operator
opens it on a desktop, the "always" camera near the scene and the agency's own street camera
open by themselves on the wall and play from two real bridges on the device channel (which
upload only because someone watches); the operator asks the
owner of an "on alert" camera, who taps Share on their phone's notification with the app
closed, and that camera joins the wall; closing the incident stops every tile within seconds
and the bridge's uploads with them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from app.core.cameras import parse_camera
from app.models.live import LiveShare
from app.services.cameras import registry
from app.services.realtime import asks, field
from bridge import config as bridge_config
from bridge.__main__ import _channel_factory as channel_factory
from bridge.__main__ import main as bridge_main
from bridge.http_uplink import HttpUplink, load_credential
from bridge.runner import Runner
from bridge.share import ShareManager
from tests.bridge.helpers import free_port
from tests.bridge.media import make_h264
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.e2e.helpers import PHONE, collect_page_errors, log_in, wait_for_service_worker
from tests.e2e.pushing import (
    CLICK_IN_WORKER,
    app_worker,
    deliver_until_shown,
    wait_shown,
)
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}}
SCENE = (36.2150, -86.7000)  # a corner of its own: no other test's cameras around it
TILE_PLAYING = """(camera) => {
  const video = document.querySelector(`.wall-tile[data-camera="${camera}"] video`);
  return !!video && !video.hidden && video.readyState >= 2 && !video.paused
    && video.currentTime > 0.5;
}"""
# A tile's player restarted from its scrubber's left end plays the share's first piece on.
PLAYED_FROM = """([camera, earliest]) => {
  const figure = document.querySelector(`.wall-tile[data-camera="${camera}"] .live-stream`);
  const from = Date.parse(figure.dataset.from || '');
  const played = Date.parse(figure.dataset.playedFrom || '');
  return from === earliest * 1000 && played >= from && played < from + 1000;
}"""


class Bridge:
    """A paired bridge on its own thread, as `python -m bridge run` runs: file cameras looped
    at real time into its buffer, and its manager polling the app and listening on the device
    channel (so it uploads only once woken)."""

    def __init__(self, folder: Path, base_url: str, holder: Any, source: Path,
                 cameras: dict[str, str]) -> None:
        lines = ["[bridge]", f'name = "{folder.name}"', f'state_dir = "{folder / "state"}"',
                 f'trigger_key = "e2e-trigger-key-{folder.name:0<16}"',
                 f'trigger_listen = "127.0.0.1:{free_port()}"',
                 "segment_seconds = 1", "buffer_minutes = 2"]
        for name, camera_id in cameras.items():
            lines += ["[[camera]]", f'id = "{name}"', f'source = "file://{source}"',
                      "loop = true", f'camera_id = "{camera_id}"']
        folder.mkdir(parents=True)
        path = folder / "bridge.toml"
        path.write_text("\n".join([*lines, "[server]", f'url = "{base_url}/"']) + "\n")
        assert bridge_main(["pair", shown_code(holder), "-c", str(path)]) == 0
        config = bridge_config.load(path)
        credential = load_credential(config.state_dir)
        assert credential is not None
        uplink = HttpUplink(base_url, credential, timeout_s=5, camera_ids=list(cameras.values()))
        self.runner = Runner(config).start()
        uplink.health = self.runner.health
        self.manager = ShareManager(uplink, config, self.runner.buffers,
                                    work_dir=folder / "clips", poll_s=0.2,
                                    channel_factory=channel_factory(uplink, config))
        self.stopping = threading.Event()
        threading.Thread(target=self.manager.run, args=(self.stopping,), daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.manager.close()
        self.runner.stop()


def test_cad_call_opens_the_wall_and_closing_stops_it(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        tmp_path: Path) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    camera_id = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Corner store", tier="always", schedule="", lat=SCENE[0],
        lon=SCENE[1] + 0.0003, heading_deg=270, range_m=60)).json()["camera"]["id"]
    lot_id = owner_client.send_json("POST", "/api/cameras", camera_body(
        nickname="Side lot", tier="on_alert", lat=SCENE[0] - 0.0004, lon=SCENE[1],
        heading_deg=0, range_m=60)).json()["camera"]["id"]
    source = make_h264(tmp_path / "store.mp4", seconds=6.0, gop=30, bframes=0)
    # The agency's own street camera, on a bridge the agency admin paired.
    admin = make_user("agency_admin")
    admin_client = session_client(base_url, settings, admin)
    [pole] = registry.import_cameras(admin.user, [parse_camera(camera_body(
        nickname="Pole cam 2nd Ave", tier="always", schedule="", lat=SCENE[0],
        lon=SCENE[1] - 0.0003, heading_deg=90, range_m=80, mount="pole"))], "127.0.0.1", "csv")
    bridges: list[Bridge] = []
    officer = make_user("officer")  # on duty before the call: the screen lists them
    key = field.create_key(admin.user, "CAD feed", "127.0.0.1")
    call_id = f"CAD-{uuid.uuid4().hex[:6]}"
    sent = requests.put(f"{base_url}/api/ingest/calls", timeout=30,
                        headers={"Authorization": f"Bearer {key}"},
                        json=[{"id": call_id, "lat": SCENE[0], "lon": SCENE[1],
                               "label": "Robbery in progress, 2nd Ave N & Commerce",
                               "detail": "two suspects, one armed"}])
    assert sent.status_code == 200, sent.text
    try:
        bridges.append(Bridge(tmp_path / "store", base_url, owner_client, source,
                              {"store": camera_id, "lot": lot_id}))
        bridges.append(Bridge(tmp_path / "agency", base_url, admin_client, source,
                              {"pole": pole.camera_id}))
        desk = new_context(**DESKTOP).new_page()
        errors = collect_page_errors(desk)
        log_in(desk, make_user("supervisor"))
        desk.goto("/incidents")
        desk.get_by_role("button", name=(
            "Open the incident screen for Robbery in progress, 2nd Ave N & Commerce")).click()
        expect(desk.get_by_role("heading", level=1)).to_have_text(
            "Robbery in progress, 2nd Ave N & Commerce")
        row = desk.locator(f'.incident-camera[data-camera="{camera_id}"]')
        expect(row).to_contain_text("Corner store")
        expect(row).to_contain_text("Live now")
        expect(row).to_contain_text("m east")
        clicked = time.monotonic()
        desk.wait_for_function(TILE_PLAYING, arg=camera_id, timeout=30_000)
        assert time.monotonic() - clicked < 20  # bench.realtime measures it
        desk.wait_for_function(TILE_PLAYING, arg=pole.camera_id, timeout=30_000)
        # The agency's Bridges page says how its bridge and camera are (the bridge's own word).
        agency_page = admin_client.get("/bridges").text
        assert "Pole cam 2nd Ave" in agency_page and "Recording" in agency_page
        assert "told at once" in agency_page  # listening on the device channel
        tile = desk.locator(f'.wall-tile[data-camera="{camera_id}"]')
        expect(tile).to_contain_text("opened by police")
        share_id = tile.get_attribute("data-share")
        assert share_id and camera_id not in (tile.get_attribute("data-stream") or "")

        # The operator asks the owner of the "on alert" camera; the owner's phone shows the
        # push (built by the push worker's own code) and they tap Share with the app closed.
        lot = desk.locator(f'.incident-camera[data-camera="{lot_id}"]')
        expect(lot).to_contain_text("Live on the owner's tap")
        lot.get_by_role("button", name="Ask the owner of Side lot").click()
        expect(lot.locator(".js-ask-state")).to_contain_text("Waiting for the owner")
        incident_id = desk.url.rstrip("/").rsplit("/", 1)[-1]
        item = asks.latest(incident_id)[lot_id]
        payload = asks.notice(settings, item)
        phone_context = new_context(**PHONE)
        phone_context.grant_permissions(["notifications"], origin=base_url)
        phone = phone_context.new_page()
        log_in(phone, owner)
        phone.goto("/share")
        wait_for_service_worker(phone)
        cdp = deliver_until_shown(phone, base_url, payload, f"ask-{item.ask_id}")
        shown = wait_shown(phone, f"ask-{item.ask_id}")
        assert shown["title"] == "Police ask you to share live"
        assert [a["title"] for a in shown["actions"]] == ["Share 30 min", "Not now"]
        cdp.detach()
        phone.close()  # the app is closed: only its service worker is left
        tapped = app_worker(phone_context, base_url).evaluate(
            CLICK_IN_WORKER, {"tag": f"ask-{item.ask_id}", "action": "share"})
        assert tapped["found"] and tapped["failures"] == [], tapped
        assert [n["title"] for n in tapped["left"]] == ["Sharing live now"]
        desk.wait_for_function(TILE_PLAYING, arg=lot_id, timeout=30_000)
        expect(desk.locator(f'.wall-tile[data-camera="{lot_id}"]')).to_contain_text(
            "the owner's share")

        # The operator freezes a frame of the store's tile and sends it to a responding
        # officer, whose phone shows it with the words and the place.
        tile = desk.locator(f'.wall-tile[data-camera="{camera_id}"]')
        tile.get_by_role("button", name="Freeze a frame of Corner store for a bulletin").click()
        bulletin = desk.locator(".js-bulletin")
        expect(bulletin.locator(".js-bulletin-still")).to_be_visible()
        bulletin.get_by_label("What should officers look for?").fill(
            "Male, red hoodie, northbound on 2nd Ave")
        # (test accounts share display names: the officer's box by its value)
        bulletin.locator(f'input[name="recipients"][value="{officer.user.user_id}"]').check()
        bulletin.get_by_role("button", name="Send the bulletin").click()
        expect(bulletin.get_by_role("status")).to_contain_text("Sent to 1 person")
        officer_phone = new_context(**PHONE).new_page()
        officer_errors = collect_page_errors(officer_phone)
        log_in(officer_phone, officer)
        officer_phone.goto("/bulletins")
        officer_phone.get_by_role("link", name="Robbery in progress, 2nd Ave N & Commerce").click()
        expect(officer_phone.locator(".bulletin-text")).to_have_text(
            "Male, red hoodie, northbound on 2nd Ave")
        officer_phone.wait_for_function(
            "() => document.querySelector('.bulletin-still img').naturalWidth >= 320")
        assert officer_errors == [], officer_errors

        # The store's tile: its scrubber (by keyboard) plays from the share's first piece,
        # Back to live returns; Enlarge asks the bridge for the main stream, shrinking for
        # the substream a police view starts with.
        figure = tile.locator(".live-stream")
        scrubber = tile.get_by_role("slider", name="Play from")
        expect(scrubber).to_be_visible()
        earliest = int(scrubber.get_attribute("min") or 0)
        scrubber.press("Home")
        desk.wait_for_function(PLAYED_FROM, arg=[camera_id, earliest], timeout=10_000)
        played = int(figure.get_attribute("data-pieces") or 0)
        tile.get_by_role("button", name="Back to live").click()
        expect(figure).to_have_attribute("data-from", "live")
        desk.wait_for_function(
            "([camera, played]) => Number(document.querySelector("
            "`.wall-tile[data-camera=\"${camera}\"] .live-stream`).dataset.pieces) > played + 1",
            arg=[camera_id, played], timeout=10_000)
        desk.wait_for_function(TILE_PLAYING, arg=camera_id, timeout=10_000)
        assert json.loads(LiveShare.get(share_id).quality or "{}") == {camera_id: "sub"}
        enlarge = tile.get_by_role("button", name="Enlarge")
        enlarge.click()
        expect(tile).to_have_attribute("data-quality", "main")
        assert LiveShare.get(share_id).quality is None  # (the bridge's state: main)
        enlarge.click()
        expect(tile).to_have_attribute("data-quality", "sub")
        assert json.loads(LiveShare.get(share_id).quality or "{}") == {camera_id: "sub"}

        # A second operator watches the same wall; the first closes the incident.
        other = new_context(**DESKTOP).new_page()
        other_errors = collect_page_errors(other)
        log_in(other, make_user("detective"))
        other.goto(desk.url)
        other.wait_for_function(TILE_PLAYING, arg=camera_id, timeout=30_000)
        other.wait_for_function(TILE_PLAYING, arg=lot_id, timeout=30_000)
        assert other.locator(f'.wall-tile[data-camera="{camera_id}"]').get_attribute(
            "data-share") == share_id

        desk.get_by_role("button", name="Close the incident (every view ends)").click()
        closed = time.monotonic()
        expect(desk.get_by_role("status").filter(has_text="This incident is closed")
               ).to_be_visible()
        other.wait_for_function(
            "() => [...document.querySelectorAll('.wall-tile')].every("
            "(t) => t.dataset.state === 'ended')", timeout=5_000)
        assert time.monotonic() - closed < 5.0
        assert other.evaluate(
            "[...document.querySelectorAll('.wall-tile video')].every("
            "(v) => v.paused && !v.getAttribute('src'))")
        assert LiveShare.get(share_id).ended_by == "incident closed"
        # The bridge hears the share ended at its next piece and stops uploading.
        deadline = time.monotonic() + 10
        while share_id in bridges[0].manager.active_shares() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert share_id not in bridges[0].manager.active_shares()
        assert errors == [] and other_errors == [], errors + other_errors
    finally:
        for bridge in bridges:
            bridge.stop()
