"""A shop owner sets up a bridge's cameras from the app, never writing an RTSP address: the
bridge finds a recorder by ONVIF WS-Discovery (a simulated one over the real protocols), the
owner types only its password (sealed for the bridge: the server never holds it in the clear),
sees its channels, says which of their cameras each is, and the bridge records them, main
stream and substream, from a password-protected camera. The upload cap is set on the same
page. Another owner can touch none of it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.models.bridge import BridgeDevice
from bridge import discovery
from bridge.__main__ import cameras_added
from bridge.camera_setup import CameraSetup
from bridge.config import BridgeConfig
from bridge.http_uplink import HttpUplink
from bridge.runner import Runner
from bridge.sealing import seal_with
from bridge.share import ShareManager
from bridge.uplink import DeviceCredential
from tests.bridge.camera_servers import AuthMjpegCamera
from tests.bridge.media import jpegs
from tests.bridge.onvif_device import Channel, OnvifRecorder
from tests.builders.bridges import paired_bridge
from tests.builders.cameras import camera_body
from tests.support import form_token

PASSWORD = "Shop#2024 @back"


def _until(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not in time")


def test_an_owner_sets_up_a_recorder_from_the_app(signed_in: Any, base_url: str,
                                                  tmp_path: Path) -> None:
    owner, _account = signed_in("owner")
    till = owner.send_json("POST", "/api/cameras", camera_body(nickname="Till")).json()
    till_id = till["camera"]["id"]
    _bridge, headers, device_id = paired_bridge(owner, base_url)
    credential = DeviceCredential(device_id=device_id,
                                  secret=headers["Authorization"].split(" ", 1)[1],
                                  server_url=base_url)
    config = BridgeConfig(name="Shop", state_dir=tmp_path, cameras=(),
                          trigger_key="k" * 20, server_url=base_url, segment_seconds=1)
    uplink = HttpUplink(base_url, credential, timeout_s=10)
    runner = Runner(config).start()
    manager = ShareManager(uplink, config, runner.buffers, work_dir=tmp_path / "clips")
    main = AuthMjpegCamera(jpegs(20, 320, 240), "admin", PASSWORD).start()
    sub = AuthMjpegCamera(jpegs(20, 160, 120), "admin", PASSWORD).start()
    recorder = OnvifRecorder([Channel("Counter", main.url, sub.url),
                              Channel("Stock room", main.url, sub.url)], "admin", PASSWORD)
    setup = CameraSetup(tmp_path, uplink, cameras_added(runner, manager, uplink),
                        find=lambda: discovery.discover(1.5))
    try:
        with recorder:
            # The bridge looks when it starts, and says its sealing key.
            setup.follow(uplink.state().setup)
            _until(setup.idle)
            page = owner.get("/bridges").text
            assert "Hikvision DS-7604NI-K1" in page and "Find its cameras" in page
            device = BridgeDevice.get(device_id)
            found = json.loads(device.setup or "{}")["found"]
            mine = next(f for f in found if f["xaddr"] == recorder.xaddr)

            # A wrong password: the bridge says so, in words, on the page.
            token = form_token(page)
            wrong = seal_with(device.sealing_key or "", "guess")
            owner.post_form(f"/bridges/{device_id}/setups",
                            {"device": mine["key"], "user": "admin", "brand": "",
                             "sealed_password": wrong}, token=token)
            setup.follow(uplink.state().setup)
            _until(setup.idle)
            assert "did not accept that user name and password" in owner.get("/bridges").text

            # The right one (sealed as the browser seals it): the channels show.
            sealed = seal_with(device.sealing_key or "", PASSWORD)
            placed = owner.post_form(f"/bridges/{device_id}/setups",
                                     {"device": mine["key"], "user": "admin", "brand": "",
                                      "sealed_password": sealed}, token=token)
            assert placed.status_code == 302
            setup.follow(uplink.state().setup)
            _until(setup.idle)
            page = owner.get("/bridges").text
            assert "has 2 camera(s)" in page and "Counter" in page and "small stream" in page
            stored = BridgeDevice.get(device_id).setup or ""
            assert PASSWORD not in stored and PASSWORD not in page
            order_id = re.findall(r'data-order="([0-9a-f]+)" data-state="read"', page)[0]
            counter_token = re.search(r'<label for="pick-[^"]+">Counter.*?name="camera_([^"]+)"',
                                      page, re.S)
            assert counter_token
            chosen = owner.post_form(f"/bridges/{device_id}/setups/{order_id}",
                                     {f"camera_{counter_token[1]}": till_id}, token=token)
            assert chosen.status_code == 302

            # The bridge adds it and records it (main and substream), password still sealed.
            setup.follow(uplink.state().setup)
            _until(setup.idle)
            kept = json.loads((tmp_path / "cameras.json").read_text())["cameras"]
            assert [c["camera_id"] for c in kept] == [till_id]
            assert PASSWORD not in (tmp_path / "cameras.json").read_text()
            assert kept[0]["substream"] == sub.url
            worker = _until(lambda: next((w for w in runner.workers.values()
                                          if w.camera.camera_id == till_id
                                          and w.last_segment), None))
            assert worker.camera.password == PASSWORD and main.accepted >= 1
            _until(lambda: sub.accepted >= 1)
            assert "1 camera(s) added" in owner.get("/bridges").text
            assert till_id in uplink.camera_ids
            assert BridgeDevice.get(device_id).setup is not None
            assert "sealed_password" not in (BridgeDevice.get(device_id).setup or "")
    finally:
        setup.close()
        manager.close()
        runner.stop()
        main.stop()
        sub.stop()

    # The upload cap: set on the page, read by the bridge with its next state.
    page = owner.get("/bridges").text
    assert owner.post_form(f"/bridges/{device_id}/cap", {"max_upload_kbps": "2000"},
                           token=form_token(page)).status_code == 302
    assert uplink.state().max_upload_kbps == 2000 and uplink.cap is not None
    assert uplink.cap.rate == 2000 * 1000 // 8
    refused = owner.post_form(f"/bridges/{device_id}/cap", {"max_upload_kbps": "10"},
                              token=form_token(page))
    assert refused.status_code == 422 and "64" in refused.text

    # Another owner sees nothing of it and can change nothing.
    other, _ = signed_in("owner")
    assert device_id not in other.get("/bridges").text
    for path, data in ((f"/bridges/{device_id}/scan", {}),
                       (f"/bridges/{device_id}/cap", {"max_upload_kbps": "0"}),
                       (f"/bridges/{device_id}/setups/{order_id}", {}),
                       (f"/bridges/{device_id}/setups", {"sealed_password": sealed})):
        assert other.post_form(path, data).status_code == 404
