"""Names that try to climb out of their folder, or carry control characters, are refused with
a plain problem and nothing is stored: upload file names (they end up inside the evidence
package's zip), camera photo keys, live video piece names and cameras (phone and bridge)."""

from __future__ import annotations

from typing import Any

from app.core import footage
from app.models.cameras import Camera
from app.models.footage import RequestTarget
from app.services import clock
from lambdas.clip_cutter.handler import package_name
from tests.builders.bridges import name_at, paired_bridge, piece_body
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window

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
    assert RequestTarget.get(target_id).status == footage.UPLOADING


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


# Names that reach the route (a slash, even %2F-encoded, never does: that is a 404; a bare
# ".." is resolved away by the client) and are
# not a piece's own: each is a 422 naming the field, and nothing is looked up or stored.
PIECE_NAMES = ("%2e%2e", "%2E%2E%5C%2E%2E", "..%5C..%5Cwindows", "20260101T000000.000Z.mp4%00.sh",
               "20260101T000000.000Z.mp4.", "x.mp4")


def test_a_live_piece_name_that_climbs_folders_is_refused(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body(tier="on_alert")).json()[
        "camera"]["id"]
    share = owner.send_json("POST", "/api/shares", {"camera_ids": [camera_id], "minutes": 5,
                                                   "phone": True}).json()
    for name in PIECE_NAMES:
        answer = owner.send_json("POST", f"/api/shares/{share['share_id']}/phone/{name}/done",
                                 {})
        assert answer.status_code == 422, (name, answer.status_code)
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["errors"] == {"name": "bad piece name"}, name
    for name in ("..%2F..%2Fetc%2Fpasswd", "a%2Fb.mp4"):
        answer = owner.send_json("POST", f"/api/shares/{share['share_id']}/phone/{name}/done",
                                 {})
        assert answer.status_code == 404 and answer.headers["Content-Type"] == \
            "application/problem+json", name
    status = owner.get(f"/api/shares/{share['share_id']}").json()
    assert status["active"] is True


def test_a_bridge_piece_name_or_camera_that_climbs_folders_is_refused(
        signed_in: Any, base_url: str, devstack: Any) -> None:
    owner, _ = signed_in("owner")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body(tier="on_alert")).json()[
        "camera"]["id"]
    bridge, headers, _ = paired_bridge(owner, base_url)
    share_id = bridge.send_json("POST", "/api/bridge/shares", {"camera_ids": [camera_id],
                                                               "minutes": 5},
                                csrf=False, headers=headers).json()["share_id"]
    done = f"/api/bridge/shares/{share_id}/segments"
    for name in PIECE_NAMES:
        answer = bridge.send_json("POST", f"{done}/{camera_id}/{name}/done", {}, csrf=False,
                                  headers=headers)
        assert answer.status_code == 422 and answer.json()["errors"] == {
            "name": "bad piece name"}, (name, answer.text)
    for camera in ("%2e%2e", "%2E%2E%5Cx", "phone"):
        answer = bridge.send_json("POST", f"{done}/{camera}/20260101T000000.000Z.mp4/done", {},
                                  csrf=False, headers=headers)
        assert answer.status_code == 422 and answer.json()["errors"] == {
            "camera_id": "not shared"}, (camera, answer.text)
    at = clock.now()
    for name in ("../../x.mp4", "..\\..\\x.mp4", "x\x00.mp4", "..", name_at(at) + "/.."):
        body = piece_body(camera_id, b"0" * 10, at, name=name)
        answer = bridge.send_json("POST", done, body, csrf=False, headers=headers)
        assert answer.status_code == 422 and "name" in answer.json()["errors"], name
    listed = devstack.client("s3").list_objects_v2(
        Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"], Prefix=f"live/{share_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_the_evidence_package_names_the_original_by_its_last_part_only() -> None:
    for stored, inside in (("../../etc/passwd.mp4", "passwd.mp4"),
                           ("..\\..\\windows\\evil.mp4", "evil.mp4"),
                           ("C:evil.mp4", "evil.mp4"), ("export\x00.mp4", "export_.mp4"),
                           ("a\u202egpj.mp4", "agpj.mp4"),
                           ("..", "original.mp4"), (None, "original.mp4"),
                           ("Front door.mp4", "Front door.mp4")):
        assert package_name(stored, "original.mp4") == inside, stored
