"""A bridge's clip says which stretches of the asked window its camera sent no pictures for: the
app keeps them on the request as camera_offline gaps in real time, cut to the asked window,
joined where they overlap; a gap that ends before it starts is refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from app.models.footage import RequestTarget
from tests.builders.bridges import paired_bridge
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window


def test_the_bridge_reports_camera_offline_gaps_with_its_clip(signed_in: Any,
                                                               base_url: str) -> None:
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    camera = owner.send_json("POST", "/api/cameras", camera_body(nickname="Gate")).json()
    camera_id = camera["camera"]["id"]
    bridge, headers, _device = paired_bridge(owner, base_url)
    start, end = window(seconds=60)
    target_id = ask(detective, [camera_id], start, end).json()["targets"][0]["id"]
    owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})

    def at(seconds: float) -> str:
        return (start + timedelta(seconds=seconds)).isoformat()

    def clip(gaps: list[dict[str, str]]) -> Any:
        return bridge.send_json("POST", f"/api/bridge/targets/{target_id}/clip",
                                {"size": 1000, "sha256": hashlib.sha256(b"x").hexdigest(),
                                 "starts_at": at(0), "ends_at": at(60), "gaps": gaps},
                                csrf=False, headers=headers)

    backwards = clip([{"start": at(20), "end": at(10)}])
    assert backwards.status_code == 422, backwards.text
    no_zone = clip([{"start": "2026-03-14T12:00:00", "end": at(10)}])
    assert no_zone.status_code == 422, no_zone.text
    assert RequestTarget.get(target_id).source_gaps == []

    sent = clip([{"start": at(40), "end": at(45)}, {"start": at(-30), "end": at(5)},
                 {"start": at(42), "end": at(50)}, {"start": at(58), "end": at(90)}])
    assert sent.status_code == 201, sent.text
    gaps = RequestTarget.get(target_id, consistent_read=True).source_gaps
    assert [(g.start, g.end, g.kind) for g in gaps] == [
        (start, start + timedelta(seconds=5), "camera_offline"),  # cut to the window
        (start + timedelta(seconds=40), start + timedelta(seconds=50), "camera_offline"),
        (start + timedelta(seconds=58), end, "camera_offline")]
