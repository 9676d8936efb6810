"""Originals are written once: nothing replaces an upload once it is complete.

Over HTTP on devstack, as an attacker holding an old link would try it: a request answered by
a phone's upload and one
answered by a bridge's clip both become ready; then the links they used (a part URL, the
bridge's clip link, each signed for an hour) are tried again with other bytes, the upload is
completed and started again, and the stored original, its hash in the evidence and the
package's hash stay as they were. Live pieces are write-once too, and upload names are stored
normalised.

moto, like S3, has no multipart upload left to write to once it is complete (S3 answers 404
NoSuchUpload, moto 500); it refuses a PUT or CompleteMultipartUpload that carries
`If-None-Match: *` over an existing key (412), as S3 does. It does not check signatures, so the
one thing left to S3 itself is refusing a live piece's PUT that drops the signed
`If-None-Match` header: the test checks the header is in the URL's signed headers.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.core import footage
from app.models.footage import Evidence, RequestTarget
from app.models.live import LiveSegment
from app.services import clock
from tests.builders.bridges import paired_bridge, piece_body
from tests.builders.cameras import camera_body
from tests.builders.footage import OFFSET_S, ask, wait_status, window
from tests.support import Client
from tests.video.samples import make_h264, make_image_as_mp4

pytestmark = pytest.mark.slow  # about 12 s in all: left out of `make check`

EVIL = b"\x00" * 2200  # what a replayed link once put in place of a ready original


def stored(devstack: Any, key: str) -> bytes:
    body: bytes = devstack.client("s3").get_object(
        Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"], Key=key)["Body"].read()
    return body


def folder_of(devstack: Any, target: RequestTarget) -> list[str]:
    """Every object under the request's originals folder."""
    listed = devstack.client("s3").list_objects_v2(
        Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
        Prefix=f"originals/{target.request_id}/{target.target_id}/")
    return [o["Key"] for o in listed.get("Contents", [])]


def approved(signed_in: Any, nickname: str, seconds: int = 20, also: str = ""
             ) -> tuple[Client, str, Any]:
    """An owner, their approved request target, and the window's start. `also`: a second
    camera asked in the same request and left unanswered, so the request stays open."""
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    camera_ids = [owner.send_json("POST", "/api/cameras", camera_body(
        nickname=name)).json()["camera"]["id"] for name in (nickname, also) if name]
    start, end = window(seconds=seconds)
    targets = ask(detective, camera_ids, start, end).json()["targets"]
    target_id = next(t["id"] for t in targets if t["camera"] == nickname)
    answer = owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    assert answer.status_code == 200, answer.text
    return owner, target_id, start


def start_upload(owner: Client, target_id: str, name: str, size: int, starts_at: Any
                 ) -> Any:
    return owner.send_json("POST", f"/api/targets/{target_id}/upload", {
        "filename": name, "size": size, "clock_offset_s": OFFSET_S,
        "video_starts_at": starts_at.isoformat()})


def test_a_phones_original_cannot_be_replaced_once_complete(
        signed_in: Any, devstack: Any, tmp_path: Path) -> None:
    owner, target_id, start = approved(signed_in, "Front door", also="Side gate")
    source = make_h264(tmp_path / "export.mp4", seconds=30, gop=60)
    data = source.read_bytes()
    began = start_upload(owner, target_id, "export.mp4", len(data),
                         start - timedelta(seconds=5) + timedelta(seconds=OFFSET_S))
    assert began.status_code == 201, began.text
    assert began.json()["part_count"] == 1
    url = owner.send_json("POST", f"/api/targets/{target_id}/upload/parts",
                          {"parts": [1]}).json()["urls"]["1"]
    assert requests.put(url, data=data, timeout=30).status_code == 200
    done = owner.send_json("POST", f"/api/targets/{target_id}/upload/complete", {})
    assert done.status_code == 200 and done.json()["status"] == footage.PROCESSING, done.text
    assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == footage.READY
    target = RequestTarget.get(target_id)
    digest = hashlib.sha256(data).hexdigest()
    assert Evidence.get(target_id).original_sha256 == digest

    # The part URL, still within its hour: nothing left to write to.
    replay = requests.put(url, data=EVIL, timeout=30)
    assert replay.status_code not in (200, 201, 204), replay.status_code
    # A second "complete", and a new upload over the ready one: refused, nothing opened.
    again = owner.send_json("POST", f"/api/targets/{target_id}/upload/complete", {})
    assert again.status_code == 422 and "no upload in progress" in again.json()["detail"]
    over = start_upload(owner, target_id, "other.mp4", len(EVIL), start)
    assert over.status_code == 409 and "cannot be replaced" in over.json()["detail"]
    uploads = devstack.client("s3").list_multipart_uploads(
        Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
        Prefix=f"originals/{target.request_id}/").get("Uploads", [])
    assert uploads == []

    after = RequestTarget.get(target_id)
    assert (after.status, after.upload_key) == (footage.READY, target.upload_key)
    assert folder_of(devstack, after) == [target.upload_key]
    kept = stored(devstack, target.upload_key)
    assert kept == data and hashlib.sha256(kept).hexdigest() == digest
    assert Evidence.get(target_id).original_sha256 == digest


def test_a_bridges_clip_link_cannot_replace_the_clip_once_complete(
        signed_in: Any, base_url: str, devstack: Any, tmp_path: Path) -> None:
    owner, target_id, start = approved(signed_in, "Till", seconds=4)
    video = make_h264(tmp_path / "clip.mp4", seconds=6.0, gop=30, bframes=0).read_bytes()
    bridge, headers, _device = paired_bridge(owner, base_url)
    base = f"/api/bridge/targets/{target_id}/clip"
    body = {"size": len(video), "sha256": hashlib.sha256(video).hexdigest(),
            "starts_at": (start - timedelta(seconds=1)).isoformat(),
            "ends_at": (start + timedelta(seconds=5)).isoformat(), "gaps": []}
    link = bridge.send_json("POST", base, body, csrf=False, headers=headers)
    assert link.status_code == 201, link.text
    offer = link.json()
    assert requests.put(offer["url"], data=video, headers=offer["headers"],
                        timeout=30).status_code == 200
    done = bridge.send_json("POST", f"{base}/done", {}, csrf=False, headers=headers)
    assert done.json() == {"stored": True}, done.text
    deadline = time.monotonic() + 60
    while RequestTarget.get(target_id).status not in (footage.READY, footage.FAILED) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    target = RequestTarget.get(target_id)
    assert target.status == footage.READY
    digest = hashlib.sha256(video).hexdigest()
    assert Evidence.get(target_id).original_sha256 == digest

    # The replay: 2,200 bytes to the link, with and without its headers.
    for named in (offer["headers"], {}):
        replay = requests.put(offer["url"], data=EVIL, headers=named, timeout=30)
        assert replay.status_code not in (200, 201, 204), replay.status_code
    # Finishing, or asking for a link, again changes nothing.
    assert bridge.send_json("POST", f"{base}/done", {}, csrf=False,
                            headers=headers).json() == {"stored": True}
    assert bridge.send_json("POST", base, body, csrf=False,
                            headers=headers).json() == {"stored": True}

    after = RequestTarget.get(target_id)
    assert (after.status, after.upload_key) == (footage.READY, target.upload_key)
    assert folder_of(devstack, after) == [target.upload_key]
    kept = stored(devstack, target.upload_key)
    assert kept == video and hashlib.sha256(kept).hexdigest() == digest
    assert Evidence.get(target_id).original_sha256 == digest


def test_a_failed_original_is_deleted_when_the_owner_sends_another(
        signed_in: Any, devstack: Any, tmp_path: Path) -> None:
    owner, target_id, start = approved(signed_in, "Porch")
    fake = make_image_as_mp4(tmp_path / "not-a-video.mp4").read_bytes()
    began = start_upload(owner, target_id, "not-a-video.mp4", len(fake), start)
    assert began.status_code == 201, began.text
    url = owner.send_json("POST", f"/api/targets/{target_id}/upload/parts",
                          {"parts": [1]}).json()["urls"]["1"]
    assert requests.put(url, data=fake, timeout=30).status_code == 200
    assert owner.send_json("POST", f"/api/targets/{target_id}/upload/complete",
                           {}).status_code == 200
    done = wait_status(owner, target_id, (footage.READY, footage.FAILED))
    assert done["status"] == footage.FAILED
    failed = RequestTarget.get(target_id)
    assert folder_of(devstack, failed) == [failed.upload_key]  # kept while it is the answer

    again = start_upload(owner, target_id, "export.mp4", 10, start)
    assert again.status_code == 201, again.text
    moved = RequestTarget.get(target_id)
    assert moved.upload_key != failed.upload_key  # each attempt writes a key of its own
    assert folder_of(devstack, moved) == []  # the failed one is gone; the new one is not there
    # The failed attempt's part URL has nothing to write to any more either.
    assert requests.put(url, data=EVIL, timeout=30).status_code not in (200, 201, 204)
    assert folder_of(devstack, moved) == []


def test_a_live_piece_cannot_be_replaced_once_stored(
        signed_in: Any, base_url: str, devstack: Any) -> None:
    owner, _ = signed_in("owner")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body(
        tier="on_alert")).json()["camera"]["id"]
    bridge, headers, _device = paired_bridge(owner, base_url)
    share_id = bridge.send_json("POST", "/api/bridge/shares", {"camera_ids": [camera_id],
                                                               "minutes": 5},
                                csrf=False, headers=headers).json()["share_id"]
    data = b"a piece of live video" * 50
    body = piece_body(camera_id, data, clock.now() - timedelta(seconds=20))
    segments = f"/api/bridge/shares/{share_id}/segments"
    offer = bridge.send_json("POST", segments, body, csrf=False, headers=headers).json()
    signed = parse_qs(urlsplit(offer["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert "if-none-match" in signed and offer["headers"]["If-None-Match"] == "*"
    assert requests.put(offer["url"], data=data, headers=offer["headers"],
                        timeout=10).status_code == 200

    # Its "done" is lost; announced again, the piece in storage is confirmed, not resent.
    again = bridge.send_json("POST", segments, body, csrf=False, headers=headers)
    assert again.status_code == 200 and again.json() == {"stored": True}, again.text
    [piece] = LiveSegment.query(f"{share_id}/{camera_id}")
    assert piece.ready

    replay = requests.put(offer["url"], data=EVIL, headers=offer["headers"], timeout=10)
    assert replay.status_code == 412
    assert stored(devstack, piece.key) == data


@pytest.mark.parametrize("typed,kept", [("C:evil.mp4", "evil.mp4"),
                                        ("a\u202egpj.mp4", "agpj.mp4")])
def test_upload_names_are_stored_normalised(signed_in: Any, typed: str, kept: str) -> None:
    owner, target_id, start = approved(signed_in, "Gate")
    began = start_upload(owner, target_id, typed, 1000, start)
    assert began.status_code == 201, began.text
    assert began.json()["filename"] == kept
    assert RequestTarget.get(target_id).upload_name == kept
    assert owner.get(f"/api/targets/{target_id}/upload").json()["filename"] == kept


def test_an_upload_name_with_a_folder_is_refused_not_stored(signed_in: Any) -> None:
    owner, target_id, start = approved(signed_in, "Gate")
    refused = start_upload(owner, target_id, "..\\x.mp4", 1000, start)
    assert refused.status_code == 422 and "filename" in refused.json()["errors"]
    target = RequestTarget.get(target_id)
    assert (target.status, target.upload_name, target.upload_key) == (footage.APPROVED, None, None)
