"""On a phone, an owner sets up the recorder their bridge found by typing only its password:
the page seals it in the browser (WebCrypto RSA-OAEP) for the bridge's own key, so what is
posted, stored and relayed is a sealed text only that bridge opens; the typed password never
leaves the page. An empty password is said in words and nothing is sent. Then the channels the
bridge read are matched to the owner's cameras with plain selects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request, expect

from app.models.bridge import BridgeDevice
from bridge.sealing import Sealer
from tests.builders.bridges import paired_bridge
from tests.builders.cameras import camera_body
from tests.e2e.helpers import PHONE, log_in, no_horizontal_scroll
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

TYPED = "Back-office #7 pw"


def test_the_password_is_sealed_in_the_browser(new_context: Any, base_url: str, settings: Any,
                                               tmp_path: Path) -> None:
    account = make_user("owner")
    owner = session_client(base_url, settings, account)
    till = owner.send_json("POST", "/api/cameras", camera_body(nickname="Till")).json()
    bridge, headers, device_id = paired_bridge(owner, base_url)
    box = Sealer(tmp_path)
    said = bridge.send_json("POST", "/api/bridge/found", {
        "public_key": box.public_spki(), "devices": [
            {"key": "urn:uuid:1", "xaddr": "http://192.168.1.64/onvif/device_service",
             "name": "Hikvision", "hardware": "DS-7604NI-K1"},
            {"key": "urn:uuid:2", "xaddr": "http://93.184.216.34/onvif/device_service"}]},
        csrf=False, headers=headers)
    assert said.json() == {"kept": 1}  # (a device outside the home network is left out)

    phone = new_context(**PHONE).new_page()
    posted: list[str] = []
    phone.on("request", lambda r: posted.append(_body(r)) if r.method == "POST" else None)
    log_in(phone, account)
    phone.goto("/bridges")
    device = phone.locator("form.setup-device")
    expect(device).to_contain_text("Hikvision DS-7604NI-K1")
    assert no_horizontal_scroll(phone)

    device.get_by_role("button", name="Find its cameras").click()
    expect(device.get_by_role("alert")).to_contain_text("Type the password")
    before = len(posted)
    device.get_by_label("Its password").fill(TYPED)
    device.get_by_role("button", name="Find its cameras").click()
    expect(phone.get_by_role("status").first).to_contain_text("reading that device's cameras")
    assert len(posted) > before and not any(TYPED in body for body in posted)

    [order] = json.loads(BridgeDevice.get(device_id).setup or "{}")["orders"]
    assert box.open(order["sealed_password"]) == TYPED and order["user"] == "admin"

    # The bridge read two channels; the owner says the first is their Till camera.
    bridge.send_json("POST", f"/api/bridge/setups/{order['order_id']}", {
        "ok": True, "manufacturer": "Hikvision", "model": "DS-7604NI-K1",
        "channels": [{"token": "VideoSource_1", "name": "Counter", "main_size": "1920x1080",
                      "sub_size": "640x360"},
                     {"token": "VideoSource_2", "name": "Stock room"}]},
        csrf=False, headers=headers)
    phone.reload()
    phone.get_by_label("Counter").select_option(label="Till")
    phone.get_by_role("button", name="Add these cameras").click()
    expect(phone.get_by_role("status").first).to_contain_text("adding those cameras")
    [order] = json.loads(BridgeDevice.get(device_id).setup or "{}")["orders"]
    assert order["state"] == "chosen"
    assert order["chosen"] == [{"token": "VideoSource_1", "camera_id": till["camera"]["id"]}]
    assert no_horizontal_scroll(phone)


def _body(request: Request) -> str:
    try:
        return request.post_data or ""
    except (UnicodeDecodeError, ValueError):
        return ""
