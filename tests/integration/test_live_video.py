"""Live video through the app: a bridge's segments and a phone's pieces go straight to S3 by
presigned URL, police fetch ready pieces with URLs that lapse in seconds, every ask is checked
against the share and the owner's rules, and an ended share's video is deleted."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from app.aws import aws_client
from app.models.cameras import Camera
from app.models.footage import RequestTarget
from app.models.live import LiveSegment, LiveShare
from app.services import clock
from app.services.auditing import audit
from app.services.realtime import live
from app.services.realtime.video import delete_ended_video
from tests.bridge.media import make_h264
from tests.builders.bridges import name_at, paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.support import form_token

pytestmark = pytest.mark.slow  # about 12 s in all: left out of `make check`


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_h264(tmp_path_factory.mktemp("live") / "piece.mp4", seconds=1.0, gop=30,
                     bframes=0)
    return Path(path).read_bytes()


@pytest.fixture(scope="module")
def clip_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_h264(tmp_path_factory.mktemp("live") / "clip.mp4", seconds=6.0, gop=30,
                     bframes=0)
    return Path(path).read_bytes()


def test_bridge_segments_reach_police_and_stop_with_the_share(
        signed_in: Any, base_url: str, settings: Any, video: bytes) -> None:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Street", tier="on_alert")).json()["camera"]["id"]
    bridge, headers, _device = paired_bridge(owner, base_url)
    state = bridge.get(f"/api/bridge/state?camera={cam}", headers=headers).json()
    assert state["poll_seconds"] > 0 and state["shares"] == []

    share = bridge.send_json("POST", "/api/bridge/shares", {"camera_ids": [cam], "minutes": 5},
                             csrf=False, headers=headers).json()
    share_id = share["share_id"]
    listed = bridge.get(f"/api/bridge/state?camera={cam}", headers=headers).json()["shares"]
    assert listed[0]["started_at"] == share["started_at"]

    started = clock.now()
    preroll = started - timedelta(seconds=60)
    first = send_piece(bridge, headers, share_id, piece_body(cam, video, preroll), video)
    assert first.status_code == 200 and first.json() == {"stored": True}, first.text
    again = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments",
                             piece_body(cam, video, preroll), csrf=False, headers=headers)
    assert again.status_code == 200 and again.json() == {"stored": True}  # stored once

    # What the app refuses: too old for the pre-roll, a camera not shared, a wrong size.
    too_old = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments",
                               piece_body(cam, video, started - timedelta(minutes=10)),
                               csrf=False, headers=headers)
    assert too_old.status_code == 422 and "outside the share" in too_old.json()["detail"]
    stranger = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments",
                                piece_body("not-mine", video, started), csrf=False,
                                headers=headers)
    assert stranger.status_code == 422
    lying = piece_body(cam, video, started + timedelta(seconds=1), size=len(video) + 5)
    short = send_piece(bridge, headers, share_id, lying, video)
    assert short.status_code == 409 and "not the size announced" in short.json()["detail"]
    s3 = aws_client(settings, "s3")
    listed_keys = s3.list_objects_v2(Bucket=settings.uploads_bucket,
                                     Prefix=f"live/{share_id}/").get("Contents", [])
    assert [o["Key"].rsplit("/", 1)[1] for o in listed_keys] == [name_at(preroll)]
    newest = send_piece(bridge, headers, share_id, piece_body(cam, video, started), video)
    assert newest.status_code == 200, newest.text

    # Police: open the share first, then ask for pieces; URLs lapse in seconds.
    before_open = detective.get(f"/api/live/{share_id}/pieces?camera={cam}")
    assert before_open.status_code == 409
    assert detective.send_json("POST", f"/api/live/{share_id}/view", {}).status_code == 200
    edge = detective.get(f"/api/live/{share_id}/pieces?camera={cam}").json()
    assert [p["name"] for p in edge["pieces"]] == [name_at(preroll), name_at(started)]
    assert edge["pieces"][0]["mime"] == 'video/mp4; codecs="avc1.640015"'
    fetched = requests.get(edge["pieces"][1]["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == video
    after = detective.get(f"/api/live/{share_id}/pieces?camera={cam}"
                          f"&after={name_at(started)}").json()
    assert after["pieces"] == []
    assert "X-Amz-Expires=4" in edge["pieces"][0]["url"]  # lapses within GET_SECONDS
    assert datetime.fromisoformat(edge["first_start"]) == preroll  # the scrubber's left end

    # From a moment (the tile's scrubber): the piece holding it, or else the next one; a
    # moment before the first piece plays from the first; a moment that is none is refused.
    def from_moment(at: Any) -> requests.Response:
        return detective.get(f"/api/live/{share_id}/pieces?" + urlencode(
            {"camera": cam, "at": at if isinstance(at, str) else at.isoformat()}))

    for at, names in ((preroll + timedelta(seconds=0.5), [preroll, started]),
                      (started - timedelta(seconds=30), [started]),
                      (preroll - timedelta(minutes=5), [preroll, started])):
        answer = from_moment(at)
        assert answer.status_code == 200, answer.text
        assert [p["name"] for p in answer.json()["pieces"]] == [name_at(n) for n in names], at
    for bad in ("noon", "2026-03-14T12:00:00"):  # not a time; a time with no zone
        refused = from_moment(bad)
        assert refused.status_code == 422, refused.text
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert "at" in refused.json()["errors"]

    # A camera the owner pauses mid-share is refused; an owner is no police.
    Camera.get(cam).update(actions=[Camera.paused.set(True)])
    paused = detective.get(f"/api/live/{share_id}/pieces?camera={cam}")
    assert paused.status_code == 403 and "paused" in paused.json()["detail"].lower()
    Camera.get(cam).update(actions=[Camera.paused.set(False)])
    assert owner.get(f"/api/live/{share_id}/pieces?camera={cam}").status_code == 403

    # The owner ends it: the next ask, and the bridge's next piece, are refused.
    owner.send_json("DELETE", f"/api/shares/{share_id}")
    gone = detective.get(f"/api/live/{share_id}/pieces?camera={cam}")
    assert gone.status_code == 410 and "owner ended" in gone.json()["detail"]
    late = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments",
                            piece_body(cam, video, clock.now()), csrf=False, headers=headers)
    assert late.status_code == 410
    actions = [e.action for e in audit.activity_of(account.user.user_id)]
    assert "live.session" in actions  # who watched, which cameras, from and to

    # An hour after the end its video is deleted, items and objects.
    assert delete_ended_video(settings, clock.now() + timedelta(hours=2)) >= 2
    assert not s3.list_objects_v2(Bucket=settings.uploads_bucket,
                                  Prefix=f"live/{share_id}/").get("Contents")
    assert list(LiveSegment.query(f"{share_id}/{cam}")) == []


def test_phone_pieces_and_a_share_that_runs_out(signed_in: Any, settings: Any,
                                                video: bytes) -> None:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Doorbell", tier="on_alert")).json()["camera"]["id"]
    share = owner.send_json("POST", "/api/shares", {"camera_ids": [cam], "minutes": 5,
                                                    "phone": True})
    assert share.status_code == 201 and share.json()["phone"] is True
    share_id = share.json()["share_id"]
    wrong = owner.send_json("POST", f"/api/shares/{share_id}/phone",
                            {"mime": "image/png", "duration_s": 2.0, "size": 10})
    assert wrong.status_code == 422 and "WebM or MP4" in wrong.json()["detail"]
    place = owner.send_json("POST", f"/api/shares/{share_id}/phone",
                            {"mime": "video/mp4;codecs=avc1.640015", "duration_s": 1.0,
                             "size": len(video)})
    assert place.status_code == 201, place.text
    body = place.json()
    assert requests.put(body["url"], data=video, headers=body["headers"],
                        timeout=10).status_code == 200
    done = owner.send_json("POST", f"/api/shares/{share_id}/phone/{body['name']}/done", {})
    assert done.json() == {"stored": True}
    stranger, _ = signed_in("owner")
    assert stranger.send_json("POST", f"/api/shares/{share_id}/phone",
                              {"mime": "video/webm", "duration_s": 1.0,
                               "size": 5}).status_code == 404

    detective.send_json("POST", f"/api/live/{share_id}/view", {})
    pieces = detective.get(f"/api/live/{share_id}/pieces?camera=phone&from=start").json()
    assert [p["name"] for p in pieces["pieces"]] == [body["name"]]

    # Its time runs out: the retention pass marks it ended and records the session.
    item = LiveShare.get(share_id)
    item.update(actions=[LiveShare.ends_at.set(clock.now() - timedelta(seconds=1))])
    assert live.close_expired() >= 1
    assert LiveShare.get(share_id).ended_by == "time"
    assert detective.get(f"/api/live/{share_id}/pieces?camera=phone").status_code == 410
    sessions = [e for e in audit.activity_of(account.user.user_id) if e.action == "live.session"]
    assert sessions and "phone" in sessions[0].details


def test_bridge_answers_approved_requests(signed_in: Any, base_url: str,
                                          clip_video: bytes) -> None:
    video = clip_video
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    served = owner.send_json("POST", "/api/cameras", camera_body(nickname="Till")).json()
    other = owner.send_json("POST", "/api/cameras", camera_body(nickname="Yard")).json()
    till, yard = served["camera"]["id"], other["camera"]["id"]
    bridge, headers, _device = paired_bridge(owner, base_url)
    asked_start, asked_end = window(seconds=4)
    targets = ask(detective, [till, yard], asked_start, asked_end).json()["targets"]
    named = {t["camera"]: t["id"] for t in targets}
    by_camera = {till: named["Till"], yard: named["Yard"]}
    for target_id in by_camera.values():
        owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})

    # The bridge says it serves the till only: only the till's request is offered to it.
    state = bridge.get(f"/api/bridge/state?camera={till}", headers=headers).json()
    assert [r["camera_id"] for r in state["requests"]] == [till]
    assert "Your bridge “Back office” sends this video" in owner.get(
        f"/requests/{by_camera[till]}").text
    assert "Your bridge" not in owner.get(f"/requests/{by_camera[yard]}").text

    start = (asked_start - timedelta(seconds=1)).isoformat()
    end = (asked_start + timedelta(seconds=5)).isoformat()
    clip = bridge.send_json("POST", f"/api/bridge/targets/{by_camera[till]}/clip",
                            {"size": len(video), "sha256": hashlib.sha256(video).hexdigest(),
                             "starts_at": start, "ends_at": end, "gaps": []},
                            csrf=False, headers=headers)
    assert clip.status_code == 201, clip.text
    put = requests.put(clip.json()["url"], data=video, headers=clip.json()["headers"], timeout=10)
    assert put.status_code == 200
    done = bridge.send_json("POST", f"/api/bridge/targets/{by_camera[till]}/clip/done", {},
                            csrf=False, headers=headers)
    assert done.json() == {"stored": True}, done.text
    again = bridge.send_json("POST", f"/api/bridge/targets/{by_camera[till]}/clip",
                             {"size": len(video), "sha256": "0" * 64, "starts_at": start,
                              "ends_at": end}, csrf=False, headers=headers)
    assert again.status_code == 200 and again.json() == {"stored": True}

    none = bridge.send_json("POST", f"/api/bridge/targets/{by_camera[yard]}/unavailable",
                            {"reason": "the bridge keeps only the last 10 minutes"},
                            csrf=False, headers=headers)
    assert none.json() == {"stored": True}, none.text
    deadline = time.time() + 60
    status = ""
    while time.time() < deadline:
        status = RequestTarget.get(by_camera[till]).status
        if status in ("ready", "failed"):
            break
        time.sleep(0.2)
    assert status == "ready", status
    assert RequestTarget.get(by_camera[yard]).status == "no_footage"
    rows = {t["camera"]: t for t in detective.get(
        f"/api/requests/{RequestTarget.get(by_camera[yard]).request_id}").json()[
        "targets"]}
    assert "last 10 minutes" in rows["Yard"]["reason"]


def test_revoked_bridge_cannot_send(signed_in: Any, base_url: str, video: bytes) -> None:
    owner, _ = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras", camera_body(tier="on_alert")).json()
    bridge, headers, device_id = paired_bridge(owner, base_url)
    share_id = owner.send_json("POST", "/api/shares", {"camera_ids": [cam["camera"]["id"]],
                                                       "minutes": 5}).json()["share_id"]
    page = owner.get("/bridges")
    owner.post_form(f"/bridges/{device_id}/revoke", token=form_token(page.text))
    refused = bridge.send_json("POST", f"/api/bridge/shares/{share_id}/segments",
                               piece_body(cam["camera"]["id"], video, clock.now()), csrf=False,
                               headers=headers)
    assert refused.status_code == 401
