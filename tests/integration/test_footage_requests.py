"""Footage requests over HTTP on devstack: ask, answer, upload to S3 in parts, the clip worker
cuts real video, the detective plays and downloads it, retention deletes it."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from app.core import footage
from app.models.footage import Evidence, FootageRequest, RequestTarget
from app.models.users import Agency
from app.services import clock, push
from app.services.auditing import audit
from tests.builders.cameras import camera_body
from tests.builders.footage import OFFSET_S, ask, upload, wait_package, wait_status, window
from tests.support import Client
from tests.video.samples import make_h264, make_image_as_mp4

pytestmark = pytest.mark.slow  # about 13 s in all: left out of `make check`


def actions_of(user_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(user_id, limit=300)]


@pytest.fixture
def scene(signed_in: Any) -> dict[str, Any]:
    owner, owner_account = signed_in("owner")
    detective, detective_account = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body(nickname="Front door"))
    assert cam.status_code == 201, cam.text
    return {"owner": owner, "owner_account": owner_account, "detective": detective,
            "detective_account": detective_account, "camera_id": cam.json()["camera"]["id"]}


def test_request_answer_upload_clip_play_and_package(scene: dict[str, Any],
                                                     tmp_path: Path) -> None:
    owner, detective = scene["owner"], scene["detective"]
    owner_id = scene["owner_account"].user.user_id
    start, end = window()
    made = ask(detective, [scene["camera_id"]], start, end)
    assert made.status_code == 201, made.text
    board = made.json()
    assert board["state"] == "open" and len(board["targets"]) == 1
    target_id = board["targets"][0]["id"]
    assert board["targets"][0]["camera"] == "Front door"
    assert "owner" not in json.dumps(board)  # police never see who the owner is

    # The owner finds it, opens it (seen), approves and uploads a 40 s recording whose first
    # frame the recorder stamped 10 s before the window (in its own, 37-minute-fast time).
    page = owner.get(f"/requests/{target_id}")
    assert page.status_code == 200 and "24-118223" in page.text
    assert owner.get(f"/api/targets/{target_id}").json()["status"] == footage.SEEN
    answered = owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    assert answered.json()["status"] == footage.APPROVED
    source = make_h264(tmp_path / "export.mp4", width=320, height=240, seconds=40, gop=60)
    recorder_start = start - timedelta(seconds=10) + timedelta(seconds=OFFSET_S)
    done = upload(owner, target_id, source, recorder_start)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == footage.PROCESSING

    final = wait_status(owner, target_id, (footage.READY, footage.FAILED))
    assert final["status"] == footage.READY, final
    board = detective.get(f"/api/requests/{board['id']}").json()
    row = board["targets"][0]
    # 10 s to 30 s of the file: keyframes (GOP 2 s) at both ends, copied whole.
    assert row["status"] == "ready" and row["clip"]["method"] == "stream_copy"
    assert row["clip"]["seconds"] == pytest.approx(20, abs=1e-6)  # exactly the asked 20 s
    assert row["clip"]["gaps"] == [] and row["clip"]["truncated"] is False
    assert board["state"] == "closed"

    # The detective plays the clip and downloads the package (made after the clip); both are
    # audited for the owner.
    evidence = wait_package(target_id)
    link = detective.send_json("POST", f"/api/evidence/{target_id}/clip", {}).json()["url"]
    clip = requests.get(link, timeout=30).content
    assert hashlib.sha256(clip).hexdigest() == evidence.clip_sha256
    link = detective.send_json("POST", f"/api/evidence/{target_id}/package", {}).json()["url"]
    package = zipfile.ZipFile(io.BytesIO(requests.get(link, timeout=30).content))
    names = set(package.namelist())
    assert {"clip.mp4", "manifest.json", "SHA256SUMS", "audit-excerpt.json",
            "original/export.mp4"} <= names
    for line in package.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(package.read(name)).hexdigest() == digest, name
    assert package.read("original/export.mp4") == source.read_bytes()  # kept unchanged
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["recorder"]["clock_offset_s"] == OFFSET_S
    assert manifest["clip"]["seconds_in_file"] == pytest.approx([10, 30], abs=1e-6)
    assert manifest["clip"]["frames"] == 20 * 30 and manifest["clip"]["gaps"] == []
    assert manifest["request"]["case_number"] == "24-118223"
    assert datetime.fromisoformat(manifest["clip"]["real_start"]) == start
    excerpt = [e["action"] for e in json.loads(package.read("audit-excerpt.json"))]
    assert "request.created" in excerpt and "upload.completed" in excerpt
    assert {"answer.seen", "answer.approved", "upload.completed", "clip.ready",
            "clip.viewed", "clip.downloaded"} <= set(actions_of(owner_id))

    # The owner's page says when it will be deleted and who played it.
    page = owner.get(f"/requests/{target_id}").text
    gone = evidence.delete_after.astimezone(ZoneInfo("America/Chicago"))  # the program's zone
    assert f"Deleted on</dt><dd>{gone:%a} {gone.day} {gone:%b} {gone.year}" in page
    assert "Police played your clip" in page and "by a detective" in page


def test_a_picture_renamed_mp4_fails_with_a_reason_and_keeps_the_original(
        scene: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    owner, detective = scene["owner"], scene["detective"]
    start, end = window()
    target_id = ask(detective, [scene["camera_id"]], start, end).json()["targets"][0]["id"]
    fake = make_image_as_mp4(tmp_path / "not-a-video.mp4")
    assert upload(owner, target_id, fake, start + timedelta(seconds=OFFSET_S)).status_code == 200
    final = wait_status(owner, target_id, (footage.READY, footage.FAILED))
    assert final["status"] == footage.FAILED and "not a video" in final["reason"].lower()
    target = RequestTarget.get(target_id)
    kept = devstack.client("s3").get_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                                            Key=target.upload_key)["Body"].read()
    assert kept == fake.read_bytes()
    # The owner can try again with another file: failed is not a dead end.
    again = owner.send_json("POST", f"/api/targets/{target_id}/upload", {
        "filename": "export.mp4", "size": 10, "clock_offset_s": 0,
        "video_starts_at": start.isoformat()})
    assert again.status_code == 201, again.text


def test_a_video_that_misses_the_window_says_which_times_it_covers(
        scene: dict[str, Any], tmp_path: Path) -> None:
    owner, detective = scene["owner"], scene["detective"]
    start, end = window()
    target_id = ask(detective, [scene["camera_id"]], start, end).json()["targets"][0]["id"]
    source = make_h264(tmp_path / "early.mp4", width=160, height=120, seconds=4, gop=30)
    an_hour_early = start - timedelta(hours=1) + timedelta(seconds=OFFSET_S)
    upload(owner, target_id, source, an_hour_early)
    final = wait_status(owner, target_id, (footage.READY, footage.FAILED))
    assert final["status"] == footage.FAILED
    assert "covers" in final["reason"] and "police asked for" in final["reason"]


def test_bad_requests_are_refused_with_reasons(scene: dict[str, Any]) -> None:
    detective = scene["detective"]
    start, _ = window()
    too_long = ask(detective, [scene["camera_id"]], start, start + timedelta(hours=3))
    assert too_long.status_code == 422
    assert too_long.headers["Content-Type"].startswith("application/problem+json")
    assert "longer than this program allows" in too_long.json()["errors"]["window_end"]
    future = ask(detective, [scene["camera_id"]], clock.now() + timedelta(hours=1),
                 clock.now() + timedelta(hours=2))
    assert "future" in future.json()["errors"]["window_start"]
    unknown = ask(detective, ["0" * 32], *window(), offense="jaywalking", case_number="")
    assert set(unknown.json()["errors"]) >= {"offense", "case_number"}
    assert ask(detective, ["0" * 32], *window()).json()["errors"]["camera_ids"].startswith(
        "unknown")
    assert ask(detective, [], *window()).status_code == 422


def test_owners_who_refuse_the_offense_are_not_asked(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    refusing = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="No drugs cases", refused_offenses=["drug_offense"])).json()["camera"]["id"]
    willing = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Side door")).json()["camera"]["id"]
    made = ask(detective, [refusing, willing], *window(), offense="drug_offense").json()
    assert [t["camera"] for t in made["targets"]] == ["Side door"]
    assert made["skipped_refusing"] == 1
    only = ask(detective, [refusing], *window(), offense="drug_offense")
    assert only.status_code == 422 and "do not share footage" in only.json()["detail"]


def test_hidden_owners_are_asked_but_stay_anonymous_until_they_send(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    hidden = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Back yard", visibility="hidden")).json()["camera"]["id"]
    made = ask(detective, [], *window(), hidden_radius_m=150).json()
    rows = {t["camera"] for t in made["targets"]}
    assert "A camera not shown on the map" in rows and "Back yard" not in rows
    target = next(t for t in RequestTarget.request_index.query(made["id"])
                  if t.camera_id == hidden)
    owner.send_json("POST", f"/api/targets/{target.target_id}/answer",
                    {"action": "decline", "reason": "Not comfortable"})
    row = next(t for t in detective.get(f"/api/requests/{made['id']}").json()["targets"]
               if t["id"] == target.target_id)
    assert row["status"] == "declined" and row["camera"] == "A camera not shown on the map"
    assert "Not comfortable" not in json.dumps(row)  # the reason stays with the owner


def test_only_the_asking_detective_and_supervisors_follow_a_request(
        scene: dict[str, Any], signed_in: Any) -> None:
    made = ask(scene["detective"], [scene["camera_id"]], *window()).json()
    other_detective, _ = signed_in("detective")
    supervisor, _ = signed_in("supervisor")
    other_owner, _ = signed_in("owner")
    assert other_detective.get(f"/api/requests/{made['id']}").status_code == 404
    assert supervisor.get(f"/api/requests/{made['id']}").status_code == 200
    target_id = made["targets"][0]["id"]
    assert other_owner.get(f"/requests/{target_id}").status_code == 404
    assert other_owner.send_json("POST", f"/api/targets/{target_id}/answer",
                                 {"action": "approve"}).status_code == 404
    assert other_detective.send_json("POST", f"/api/evidence/{target_id}/clip",
                                     {}).status_code == 404


def test_supervisor_approval_when_the_policy_asks_for_it(signed_in: Any) -> None:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    supervisor, _ = signed_in("supervisor")
    cam = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    agency = Agency.get(owner_account.user.agency_id)
    agency.update(actions=[Agency.requests_need_supervisor.set(True)])
    try:
        made = ask(detective, [cam], *window()).json()
    finally:
        agency.update(actions=[Agency.requests_need_supervisor.set(False)])
    assert made["state"] == "awaiting_approval"
    target_id = made["targets"][0]["id"]
    refused = owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    assert refused.status_code == 409  # owners are not asked before a supervisor approves
    assert detective.send_json("POST", f"/api/requests/{made['id']}/decision",
                               {"approve": True}).status_code == 403
    decided = supervisor.send_json("POST", f"/api/requests/{made['id']}/decision",
                                   {"approve": True})
    assert decided.json()["state"] == "open"
    assert owner.send_json("POST", f"/api/targets/{target_id}/answer",
                           {"action": "no_footage"}).json()["status"] == "no_footage"


def test_a_notification_button_answers_once_without_a_session(
        scene: dict[str, Any], base_url: str, settings: Any) -> None:
    made = ask(scene["detective"], [scene["camera_id"]], *window()).json()
    target = RequestTarget.get(made["targets"][0]["id"])
    request = FootageRequest.get(made["id"])
    token = push.issue_answer_token(settings, target, "decline",
                                    int(request.expires_at.timestamp()))
    anonymous = Client(base_url)
    first = anonymous.send_json("POST", "/api/answers", {"token": token}, csrf=False)
    assert first.status_code == 200 and first.json()["status"] == "declined"
    again = anonymous.send_json("POST", "/api/answers", {"token": token}, csrf=False)
    assert again.status_code == 422 and "already used" in again.json()["detail"]
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert anonymous.send_json("POST", "/api/answers", {"token": forged},
                               csrf=False).status_code == 422
    expired = push.issue_answer_token(settings, target, "approve", int(time.time()) - 1)
    assert anonymous.send_json("POST", "/api/answers", {"token": expired},
                               csrf=False).status_code == 422


def test_retention_deletes_due_clips_unless_held(scene: dict[str, Any], signed_in: Any,
                                                 tmp_path: Path, devstack: Any) -> None:
    from lambdas.retention.handler import run_once

    owner, detective = scene["owner"], scene["detective"]
    supervisor, _ = signed_in("supervisor")
    start, end = window(seconds=4)
    target_id = ask(detective, [scene["camera_id"]], start, end).json()["targets"][0]["id"]
    owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    source = make_h264(tmp_path / "short.mp4", width=160, height=120, seconds=6, gop=30)
    upload(owner, target_id, source, start + timedelta(seconds=OFFSET_S))
    assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == footage.READY
    evidence = wait_package(target_id)
    evidence.update(actions=[Evidence.delete_after.set(datetime.now(UTC) - timedelta(days=1))])

    held = supervisor.send_json("PUT", f"/api/evidence/{target_id}/hold",
                                {"hold": True, "reason": "Court order 7"})
    assert held.status_code == 200 and held.json()["legal_hold"] is True
    run_once()
    assert Evidence.get(target_id).legal_hold is True  # held: still there

    supervisor.send_json("PUT", f"/api/evidence/{target_id}/hold", {"hold": False})
    run_once()
    with pytest.raises(Evidence.DoesNotExist):
        Evidence.get(target_id)
    s3 = devstack.client("s3")
    for bucket, key in (("UPLOADS", evidence.original_key), ("CLIPS", evidence.clip_key),
                        ("CLIPS", evidence.package_key), ("CLIPS", evidence.poster_key)):
        name = devstack.env[f"PORCHLIGHT_{bucket}_BUCKET"]
        assert s3.list_objects_v2(Bucket=name, Prefix=key).get("KeyCount", 0) == 0, key
    assert RequestTarget.get(target_id).status == footage.DELETED
    owner_id = scene["owner_account"].user.user_id
    assert {"clip.held", "clip.released", "clip.deleted"} <= set(actions_of(owner_id))


def test_unanswered_requests_expire(scene: dict[str, Any]) -> None:
    from lambdas.retention.handler import run_once

    made = ask(scene["detective"], [scene["camera_id"]], *window()).json()
    request = FootageRequest.get(made["id"])
    request.update(actions=[FootageRequest.expires_at.set(clock.now() - timedelta(minutes=1))])
    run_once()
    assert FootageRequest.get(made["id"]).state == "expired"
    assert RequestTarget.get(made["targets"][0]["id"]).status == footage.EXPIRED
