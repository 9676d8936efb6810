"""Bridges: pairing one with the owner's one-time code, and the live segments it sends."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import requests

from tests.support import Client, form_token


def shown_code(owner: Client) -> str:
    page = owner.get("/bridges")
    done = owner.post_form("/bridges/code", token=form_token(page.text))
    assert done.status_code == 200
    match = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>", done.text)
    assert match, done.text[:500]
    return match.group(1)


def name_at(moment: Any) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z.mp4"


def piece_body(camera_id: str, data: bytes, at: Any, **extra: Any) -> dict[str, Any]:
    return {"camera_id": camera_id, "name": name_at(at), "start": at.isoformat(),
            "end": (at + timedelta(seconds=1)).isoformat(), "duration_s": 1.0,
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "codecs": "avc1.640015", "run": "run-1", "media_start_s": 0.0, **extra}


def paired_bridge(owner: Client, base_url: str) -> tuple[Client, dict[str, str], str]:
    code = shown_code(owner)
    bridge = Client(base_url)
    paired = bridge.send_json("POST", "/api/bridge/pair", {"code": code, "name": "Back office"},
                              csrf=False).json()
    return bridge, {"Authorization": f"Bearer {paired['credential']}"}, paired["device_id"]


def send_piece(bridge: Client, headers: dict[str, str], share_id: str, body: dict[str, Any],
               data: bytes) -> requests.Response:
    announced = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments", body,
                                 csrf=False, headers=headers)
    if announced.status_code != 201:
        return announced
    place = announced.json()
    put = requests.put(place["url"], data=data, headers=place["headers"], timeout=10)
    assert put.status_code == 200, put.text
    return bridge.send_json(
        "POST", f"/api/bridge/shares/{share_id}/segments/{body['camera_id']}/{body['name']}/done",
        {}, csrf=False, headers=headers)
