"""A bridge says how its cameras are with each state call (bridge/http_uplink.py's header);
the owner's Bridges page shows it: online or not, told at once or asking, and each camera's
recording, lag, last video and minutes kept. What a bridge says is checked field by field."""

from __future__ import annotations

import json
from typing import Any

from app.models.bridge import BridgeDevice
from app.services import clock
from bridge.http_uplink import HEALTH_HEADER, HttpUplink
from bridge.uplink import DeviceCredential
from tests.builders.bridges import paired_bridge
from tests.builders.cameras import camera_body


def test_the_bridges_page_shows_each_cameras_health(signed_in: Any, base_url: str) -> None:
    owner, _account = signed_in("owner")
    made = owner.send_json("POST", "/api/cameras", camera_body(nickname="Till camera"))
    camera_id = made.json()["camera"]["id"]
    bridge, headers, device_id = paired_bridge(owner, base_url)
    credential = DeviceCredential(device_id=device_id,
                                  secret=headers["Authorization"].split(" ", 1)[1],
                                  server_url=base_url)
    uplink = HttpUplink(base_url, credential, timeout_s=10, camera_ids=[camera_id])
    now = clock.now()
    uplink.health = lambda: [
        {"camera_id": camera_id, "state": "live", "problem": "", "behind_s": 4.2,
         "last_at": now.isoformat(), "buffer_s": 600.0},
        {"camera_id": "someone-elses", "state": "live", "buffer_s": 1.0}]
    uplink.state()
    page = owner.get("/bridges").text
    assert "Till camera" in page and "Recording, 4 s behind" in page and "10.0 min" in page
    assert "Online" in page and "someone-elses" not in page

    # What does not fit is left out; a header that cannot be read changes nothing.
    for junk in ("not json", json.dumps({"camera_id": camera_id}), "[" * 5000):
        answer = bridge.get(f"/api/bridge/state?camera={camera_id}",
                            headers={**headers, HEALTH_HEADER: junk})
        assert answer.status_code == 200
    kept = json.loads(BridgeDevice.get(device_id).health or "[]")
    assert [h["camera_id"] for h in kept] == [camera_id]
    odd = [{"camera_id": camera_id, "state": "exploded"},
           {"camera_id": camera_id, "state": "reconnecting", "behind_s": "soon",
            "problem": "x" * 500, "last_at": "yesterday", "buffer_s": -3}]
    bridge.get(f"/api/bridge/state?camera={camera_id}",
               headers={**headers, HEALTH_HEADER: json.dumps(odd)})
    [said] = json.loads(BridgeDevice.get(device_id).health or "[]")
    assert said["state"] == "reconnecting" and len(said["problem"]) == 160
    assert said["behind_s"] is None and said["last_at"] is None and said["buffer_s"] is None
    assert "Cannot reach the camera" in owner.get("/bridges").text
