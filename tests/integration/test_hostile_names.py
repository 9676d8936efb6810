"""Names that try to climb out of their folder, or carry control characters, are refused with
a plain problem and nothing is stored: upload file names (they end up inside the evidence
package's zip), camera photo keys, live video piece names."""

from __future__ import annotations

from typing import Any

from app.core import requests as rules
from app.models.cameras import Camera
from app.models.requests import RequestTarget
from tests.integration.test_footage_requests import ask, window
from tests.integration.test_registry import camera_body

TRAVERSALS = ("../../etc/passwd.mp4", "..\\..\\windows\\evil.mp4", "clips/../../x.mp4",
              "export\x00.mp4", "line\nbreak.mp4", "..", " . ")


def test_an_upload_name_with_folders_or_control_characters_is_refused(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    start, end = window()
    target_id = ask(detective, [camera_id], start, end).json()["targets"][0]["id"]
    before = RequestTarget.get(target_id).status
    for name in TRAVERSALS:
        answer = owner.send_json("POST", f"/api/targets/{target_id}/upload", {
            "filename": name, "size": 1000, "clock_offset_s": 0,
            "video_starts_at": start.isoformat()})
        assert answer.status_code == 422, (name, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "filename" in answer.json()["errors"], name
        target = RequestTarget.get(target_id)
        assert target.status == before and not target.upload_key, name
    fine = owner.send_json("POST", f"/api/targets/{target_id}/upload", {
        "filename": "Front door 2026-11-22.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": start.isoformat()})
    assert fine.status_code == 201, fine.text
    assert RequestTarget.get(target_id).status == rules.UPLOADING


def test_a_photo_key_outside_its_cameras_folder_is_refused(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    mine = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    other = owner.send_json("POST", "/api/cameras", camera_body(nickname="Side")).json()[
        "camera"]["id"]
    form = owner.send_json("POST", f"/api/cameras/{other}/photo-upload",
                           {"content_type": "image/jpeg"}).json()
    for key in (f"camera-photos/{mine}/../{other}/{form['key'].rsplit('/', 1)[1]}",
                form["key"], f"camera-photos/{mine}/../../secrets", f"camera-photos/{mine}/",
                "../" + form["key"]):
        answer = owner.send_json("PUT", f"/api/cameras/{mine}/photo", {"key": key})
        assert answer.status_code == 422, (key, answer.text)
        assert answer.json()["errors"]["key"] == "wrong key"
    assert not Camera.get(mine).photo_key


def test_a_live_piece_name_that_climbs_folders_is_refused(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body(tier="on_alert")).json()[
        "camera"]["id"]
    share = owner.send_json("POST", "/api/shares", {"camera_ids": [camera_id], "minutes": 5,
                                                   "phone": True}).json()
    for name in ("..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "20260101T000000.000Z.mp4%00.sh"):
        answer = owner.send_json("POST", f"/api/shares/{share['share_id']}/phone/{name}/done",
                                 {})
        assert answer.status_code in (404, 409, 422), (name, answer.status_code)
        assert answer.headers["Content-Type"] == "application/problem+json"
    status = owner.get(f"/api/shares/{share['share_id']}").json()
    assert status["active"] is True
