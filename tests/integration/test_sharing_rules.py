"""Owners set their sharing rules per camera; police see them beside the camera; changes are
audited for the owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.services.auditing import audit
from tests.builders.cameras import SCENE, camera_body


def test_owner_sets_rules_police_see_them_and_changes_are_logged(signed_in: Any) -> None:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    bad = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Back alley", tier="always", schedule="mon-fri 22:00-06:00\nsometimes"))
    assert bad.status_code == 422 and "line 2" in bad.json()["errors"]["schedule"]
    too_long = owner.send_json("POST", "/api/cameras", camera_body(max_live_minutes=600))
    assert "from 5 to 240" in too_long.json()["errors"]["max_live_minutes"]

    made = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Back alley", tier="always", schedule="mon-fri 22:00-06:00",
        max_live_minutes=45, refused_offenses=["drug_offense"]))
    assert made.status_code == 201, made.text
    cam = made.json()["camera"]
    assert cam["schedule"] == "mon-fri 22:00-06:00" and cam["max_live_minutes"] == 45

    found = detective.send_json("POST", "/api/search", {
        "lat": SCENE[0], "lon": SCENE[1], "radius_m": 100, "case_number": "R-1",
        "incident_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}).json()
    mine = next(c for c in found["cameras"] if c["camera_id"] == cam["id"])
    assert mine["rules"] == ("live mon-fri 22:00-06:00; sessions up to 45 min; "
                             "refuses drug offense")

    changed = owner.send_json("PUT", f"/api/cameras/{cam['id']}", camera_body(
        nickname="Back alley", tier="always", schedule="sat,sun 00:00-24:00",
        max_live_minutes=45))
    assert changed.status_code == 200, changed.text
    event = next(e for e in audit.activity_of(account.user.user_id)
                 if e.action == "camera.updated")
    details = json.loads(event.details)
    assert details["schedule"] == "sat,sun 00:00-24:00"
    assert details["before"]["schedule"] == "mon-fri 22:00-06:00"
    assert details["before"]["refused_offenses"] == ["drug_offense"]
