"""Privacy masks through the app: the owner saves them on the camera page (audited by id), the
bridge is told them, a live piece made without them is refused, and the clip worker blacks
them out of the clip police receive while the owner's upload stays as it was."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import pytest

from app.core import masks as mask_rules
from app.models.audit import AuditEvent
from app.models.cameras import Camera
from app.models.footage import Evidence
from app.models.users import User
from app.services import clock
from app.services.cameras import masks as camera_masks
from tests.bridge.media import make_h264 as make_piece
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.builders.footage import deliver, staged_upload
from tests.video.samples import make_h264

pytestmark = pytest.mark.slow

WINDOW = [{"id": "m1", "points": [[0.5, 0.2], [0.9, 0.2], [0.9, 0.8], [0.5, 0.8]]}]


def mask_events(owner_id: str, camera_id: str) -> list[dict[str, Any]]:
    return [json.loads(e.details) for e in AuditEvent.subject_index.query(owner_id)
            if e.action == "camera.masks_changed" and camera_id in e.details]


def test_an_owner_saves_changes_and_removes_masks_and_each_change_is_audited(
        signed_in: Any) -> None:
    owner, account = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    saved = owner.post_form(f"/cameras/{cam}/masks", {"masks": json.dumps(WINDOW)})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/cameras/{cam}/edit?masks=saved#masks-h")
    assert mask_rules.loads(Camera.get(cam).masks) == WINDOW
    page = owner.get(f"/cameras/{cam}/edit?masks=saved").text
    assert "Masks saved." in page and "This camera has 1 mask." in page

    moved = [{"id": "m1", "points": [[0.4, 0.2], [0.9, 0.2], [0.9, 0.8]]},
             {"id": "m2", "points": [[0.0, 0.0], [0.2, 0.0], [0.2, 0.2]]}]
    assert owner.post_form(f"/cameras/{cam}/masks",
                           {"masks": json.dumps(moved)}).status_code == 302
    bad = owner.post_form(f"/cameras/{cam}/masks", {"masks": json.dumps(
        [{"id": "m1", "points": [[0, 0], [2, 0], [1, 1]]}])})
    assert bad.status_code == 422 and "Mask 1 has a corner outside the view." in bad.text
    assert len(mask_rules.loads(Camera.get(cam).masks)) == 2  # a refused change loses nothing
    assert owner.post_form(f"/cameras/{cam}/masks", {"masks": "[]"}).status_code == 302
    assert Camera.get(cam).masks == ""

    events = sorted(mask_events(account.user.user_id, cam), key=lambda d: d["masks"])
    assert [(e["added"], e["changed"], e["removed"]) for e in events] == [
        ([], [], ["m1", "m2"]), (["m1"], [], []), (["m2"], ["m1"], [])]
    assert all("points" not in json.dumps(e) for e in events)  # ids, never where they are


def test_a_bridge_is_told_the_masks_and_a_piece_made_without_them_is_refused(
        signed_in: Any, base_url: str, tmp_path: Path) -> None:
    owner, _ = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Shop", tier="on_alert")).json()["camera"]["id"]
    owner.post_form(f"/cameras/{cam}/masks", {"masks": json.dumps(WINDOW)})
    bridge, headers, _device = paired_bridge(owner, base_url)
    state = bridge.get(f"/api/bridge/state?camera={cam}", headers=headers).json()
    listed = next(c for c in state["cameras"] if c["camera_id"] == cam)
    assert listed["masks"] == WINDOW
    share = bridge.send_json("POST", "/api/bridge/shares", {"camera_ids": [cam], "minutes": 5},
                             csrf=False, headers=headers).json()
    video = Path(make_piece(tmp_path / "piece.mp4", seconds=1.0, gop=30, bframes=0)).read_bytes()
    now = clock.now()
    unmasked = send_piece(bridge, headers, share["share_id"], piece_body(cam, video, now), video)
    assert unmasked.status_code == 409 and "privacy masks" in unmasked.json()["detail"]
    stale = piece_body(cam, video, now + timedelta(seconds=1))
    stale["masks"] = "0123456789abcdef"  # masks the owner has since changed
    assert send_piece(bridge, headers, share["share_id"], stale, video).status_code == 409
    body = piece_body(cam, video, now + timedelta(seconds=2))
    body["masks"] = mask_rules.fingerprint(WINDOW)
    taken = send_piece(bridge, headers, share["share_id"], body, video)
    assert taken.status_code == 200, taken.text


def test_the_clip_police_receive_is_masked_and_the_upload_is_not(
        signed_in: Any, devstack: Any, settings: Any, tmp_path: Path) -> None:
    source = make_h264(tmp_path / "shop.mp4", width=320, height=240, fps=10, seconds=12,
                       gop=10, bframes=0)
    target, body = staged_upload(signed_in, devstack, source)
    camera_masks.save(settings, User.get(target.owner_id), target.camera_id, WINDOW,
                      "127.0.0.1")  # as the camera page saves them (tested above)
    assert deliver(body) == {"batchItemFailures": []}
    evidence = Evidence.get(target.target_id)
    assert evidence.mask_ids == ["m1"]
    s3 = devstack.client("s3")
    clips = devstack.env["PORCHLIGHT_CLIPS_BUCKET"]
    manifest = json.loads(s3.get_object(Bucket=clips, Key=evidence.manifest_key)["Body"].read())
    said = manifest["privacy_masks"]
    assert said["applied"] is True and said["masks"] == WINDOW
    assert said["fingerprint"] == mask_rules.fingerprint(WINDOW)
    assert "masked by the owner" in said["words"]
    assert manifest["clip"]["method"] == "reencode"

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(s3.get_object(Bucket=clips, Key=evidence.clip_key)["Body"].read())
    capture = cv2.VideoCapture(str(clip))
    frames = 0
    while True:
        ok, picture = capture.read()
        if not ok:
            break
        frames += 1
        assert picture[56:184, 168:280].max() <= 24  # inside the mask (x 160-288, y 48-192)
        assert picture[40:200, 20:140].mean() > 40  # the rest of the view is still there
    assert frames >= 50
    uploads = devstack.env["PORCHLIGHT_UPLOADS_BUCKET"]
    original = s3.get_object(Bucket=uploads, Key=target.upload_key)["Body"].read()
    assert original == source.read_bytes()  # the owner's upload is untouched
