"""The owner's side of an upload over HTTP on devstack: the recorder's clock given as one
reading (what it showed, and when: never the moment the upload starts), the sound only by the
owner's choice, and the parts of the asked window a clip misses said to the owner in plain
words, with another file welcome and the first original kept."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from app.core import footage, gaps
from app.models.footage import Evidence, FootageRequest, Gap, RequestTarget
from app.services import clock
from app.services.auditing import audit
from app.services.footage.canvass import stamp
from app.services.governance.policy import policy_for
from tests.builders.footage import OFFSET_S, ask, upload, wait_status, window
from tests.support import Client
from tests.video.samples import make_h264

pytestmark = pytest.mark.slow  # about 20 s in all: left out of `make check`

START = "/api/targets/{}/upload"


def approved(scene: dict[str, Any], seconds: int = 20) -> tuple[str, Any, Any]:
    start, end = window(seconds=seconds)
    target_id = ask(scene["detective"], [scene["camera_id"]], start, end).json()[
        "targets"][0]["id"]
    scene["owner"].send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    return target_id, start, end


def request_id_of(target_id: str) -> str:
    return str(RequestTarget.get(target_id).request_id)


def send(owner: Client, target_id: str, path: Path, body: dict[str, Any]) -> requests.Response:
    """Start an upload with this body, send every part, complete it."""
    data = path.read_bytes()
    started = owner.send_json("POST", START.format(target_id),
                              {"filename": path.name, "size": len(data), **body})
    assert started.status_code == 201, started.text
    state = started.json()
    numbers = list(range(1, state["part_count"] + 1))
    urls = owner.send_json("POST", f"/api/targets/{target_id}/upload/parts",
                           {"parts": numbers}).json()["urls"]
    for n in numbers:
        chunk = data[(n - 1) * state["part_bytes"]:n * state["part_bytes"]]
        assert requests.put(urls[str(n)], data=chunk, timeout=30).status_code == 200
    return owner.send_json("POST", f"/api/targets/{target_id}/upload/complete", {})


def manifest_of(devstack: Any, target_id: str) -> dict[str, Any]:
    key = Evidence.get(target_id).manifest_key
    body = devstack.client("s3").get_object(Bucket=devstack.env["PORCHLIGHT_CLIPS_BUCKET"],
                                            Key=key)["Body"].read()
    data: dict[str, Any] = json.loads(body)
    return data


@pytest.fixture
def scene(signed_in: Any) -> dict[str, Any]:
    from tests.builders.cameras import camera_body

    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body(nickname="Corner shop"))
    assert cam.status_code == 201, cam.text
    return {"owner": owner, "owner_id": owner_account.user.user_id, "detective": detective,
            "camera_id": cam.json()["camera"]["id"]}


# ---------------------------------------------------------------- the recorder's clock


def test_the_clip_is_cut_by_the_reading_however_long_the_owner_paused(
        scene: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    """The owner read the recorder 20 s before the upload started (half-way through a second
    of their phone's clock; the recorder 37 s fast showed that moment + 37 s, in whole
    seconds): the offset is 37 s, and the clip is the asked window to the second."""
    target_id, start, _ = approved(scene)
    read_at = (clock.now() - timedelta(seconds=20)).replace(microsecond=500_000)
    shows = (read_at + timedelta(seconds=37)).replace(microsecond=0)
    chicago = ZoneInfo("America/Chicago")  # the owner's phone reads in its own zone
    source = make_h264(tmp_path / "export.mp4", width=160, height=120, seconds=40, gop=30)
    done = send(scene["owner"], target_id, source, {
        "recorder_shows": shows.astimezone(chicago).isoformat(),
        "read_at": read_at.isoformat().replace("+00:00", "Z"),
        "video_starts_at": (start - timedelta(seconds=10) + timedelta(seconds=37)).isoformat()})
    assert done.status_code == 200, done.text
    assert float(RequestTarget.get(target_id).clock_offset_s) == 37.0
    assert wait_status(scene["owner"], target_id, (footage.READY, footage.FAILED))["status"] == \
        footage.READY
    manifest = manifest_of(devstack, target_id)
    assert manifest["recorder"]["clock_offset_s"] == 37.0
    assert manifest["clip"]["asked_seconds_in_file"] == pytest.approx([10, 30], abs=0.01)


NOW_READING = {"recorder_shows": "2026-11-21T20:00:37Z", "read_at": "2026-11-21T20:00:00Z"}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "clock_offset_s"),  # neither a reading nor an offset
    ({"recorder_shows": "2026-11-21T20:00:37Z"}, "read_at"),
    ({"read_at": "now"}, "read_at"),
    ({"recorder_shows": "20:00:37", "read_at": "{now}"}, "recorder_shows"),
    ({"recorder_shows": "{now}", "read_at": "{future}"}, "read_at"),
    ({"recorder_shows": "{now}", "read_at": "{now}", "clock_offset_s": 37}, "clock_offset_s"),
    ({"recorder_shows": 1763755237, "read_at": "{now}"}, "recorder_shows"),
    ({"clock_offset_s": "37"}, "clock_offset_s"),
    ({"clock_offset_s": 8 * 24 * 3600}, "clock_offset_s"),
    ({"clock_offset_s": 0, "include_audio": "yes"}, "include_audio"),
])
def test_a_bad_clock_reading_is_refused_as_a_problem(scene: dict[str, Any], body: dict[str, Any],
                                                     field: str) -> None:
    target_id, start, _ = approved(scene)
    now = clock.now()
    filled = {k: v.format(now=now.isoformat(), future=(now + timedelta(hours=1)).isoformat())
              if isinstance(v, str) else v for k, v in body.items()}
    answer = scene["owner"].send_json("POST", START.format(target_id), {
        "filename": "export.mp4", "size": 1000, "video_starts_at": start.isoformat(), **filled})
    assert answer.status_code == 422, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert field in answer.json()["errors"], answer.json()
    assert RequestTarget.get(target_id).status == footage.APPROVED  # nothing started


@pytest.mark.parametrize("include_audio", [None, False, True])
def test_the_sound_goes_only_when_the_owner_chooses_it(scene: dict[str, Any],
                                                       include_audio: bool | None) -> None:
    target_id, start, _ = approved(scene)
    body: dict[str, Any] = {"filename": "export.mp4", "size": 1000, "clock_offset_s": 0,
                            "video_starts_at": start.isoformat()}
    if include_audio is not None:
        body["include_audio"] = include_audio
    assert scene["owner"].send_json("POST", START.format(target_id), body).status_code == 201
    assert RequestTarget.get(target_id).include_audio is bool(include_audio)


def test_an_owners_own_file_drops_the_outages_a_bridge_reported(scene: dict[str, Any]) -> None:
    """A bridge's clip failed after it reported an outage; the owner then sends a file from the
    phone: the outage was the bridge's, and must not be declared in the new clip."""
    target_id, start, _ = approved(scene)
    stamp(RequestTarget.get(target_id), RequestTarget.source_gaps.set([
        Gap(start=start, end=start + timedelta(seconds=5), kind=gaps.CAMERA_OFFLINE)]))
    body = {"filename": "export.mp4", "size": 1000, "clock_offset_s": 0,
            "video_starts_at": start.isoformat()}
    assert scene["owner"].send_json("POST", START.format(target_id), body).status_code == 201
    assert RequestTarget.get(target_id).source_gaps == []


# ---------------------------------------------------------------- what a clip misses


def local(moment: Any) -> str:
    return f"{moment.astimezone(ZoneInfo(policy_for('demo-metro').timezone)):%H:%M:%S}"


def test_a_file_starting_20_s_late_tells_the_owner_and_another_file_replaces_it(
        scene: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    """A 60 s request answered by a file that starts 20 s into the window: the owner reads
    which 20 s are missing, the request stays open, and a second file covering the whole
    window replaces the clip once cut; the first original is kept, then deleted with it."""
    from lambdas.retention.handler import run_once

    owner, detective = scene["owner"], scene["detective"]
    target_id, start, end = approved(scene, seconds=60)
    late = make_h264(tmp_path / "late.mp4", width=160, height=120, seconds=50, gop=30)
    upload(owner, target_id, late, start + timedelta(seconds=20 + OFFSET_S))
    assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == footage.READY
    words = f"no video {local(start)}–{local(start + timedelta(seconds=20))} (Chicago time, 20 s)"
    page = owner.get(f"/requests/{target_id}").text
    assert f"N{words[1:]}: {gaps.WHY[gaps.BEFORE_FILE]}." in page
    assert "I have no other file" in page and "Send another file" in page
    said = owner.get(f"/api/targets/{target_id}").json()
    assert said["missing"] == [f"{words}: {gaps.WHY[gaps.BEFORE_FILE]}"]
    assert said["may_send_another"] is True
    board = detective.get(f"/api/requests/{request_id_of(target_id)}").json()
    assert board["state"] == "open"  # not reported as answered in full
    first = Evidence.get(target_id)

    whole = make_h264(tmp_path / "whole.mp4", width=160, height=120, seconds=80, gop=30)
    assert upload(owner, target_id, whole, start - timedelta(seconds=10) + timedelta(
        seconds=OFFSET_S)).status_code == 200
    assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == footage.READY
    evidence = Evidence.get(target_id)
    assert evidence.original_key != first.original_key and not evidence.gaps
    target = RequestTarget.get(target_id)
    assert list(target.earlier_uploads) == [first.original_key]
    s3, uploads = devstack.client("s3"), devstack.env["PORCHLIGHT_UPLOADS_BUCKET"]
    kept = s3.get_object(Bucket=uploads, Key=first.original_key)["Body"].read()
    assert kept == late.read_bytes()  # the first original, unchanged
    assert "Part of the asked time is not in your clip" not in owner.get(
        f"/requests/{target_id}").text
    assert detective.get(f"/api/requests/{target.request_id}").json()["state"] == "closed"

    evidence.update(actions=[Evidence.delete_after.set(clock.now() - timedelta(days=1))])
    run_once()
    for key in (first.original_key, evidence.original_key):
        assert s3.list_objects_v2(Bucket=uploads, Prefix=key).get("KeyCount", 0) == 0, key


def ready_with_gap(scene: dict[str, Any], devstack: Any, kind: str = gaps.BEFORE_FILE,
                   legal_hold: bool = False) -> tuple[str, Any]:
    """A 60 s request whose clip misses its first 20 s, as the clip worker records it (the
    evidence written here; the worker's own part is tested with the clip worker)."""
    target_id, start, end = approved(scene, seconds=60)
    target = RequestTarget.get(target_id)
    key = f"originals/{target.request_id}/{target_id}/original.first.mp4"
    devstack.client("s3").put_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"], Key=key,
                                     Body=b"first file")
    stamp(target, RequestTarget.status.set(footage.READY), RequestTarget.upload_key.set(key))
    now = clock.now()
    Evidence(target_id=target_id, request_id=target.request_id, agency_id=target.agency_id,
             owner_id=target.owner_id, original_key=key, original_sha256="0" * 64,
             clip_key="c", clip_sha256="0" * 64, poster_key="p", sheet_key="s",
             manifest_key="m", package_key="z", method="stream_copy", clip_seconds=40,
             truncated=False, made_at=now, delete_after=now + timedelta(days=90),
             legal_hold=legal_hold,
             gaps=[Gap(start=start, end=start + timedelta(seconds=20), kind=kind)]).save()
    return target_id, start


def test_an_owner_with_no_other_file_says_so_and_the_request_closes(
        scene: dict[str, Any], devstack: Any) -> None:
    owner = scene["owner"]
    target_id, start = ready_with_gap(scene, devstack)
    request_id = request_id_of(target_id)
    assert FootageRequest.get(request_id).state == "open"
    page = owner.get(f"/requests/{target_id}")
    assert f"o video {local(start)}–{local(start + timedelta(seconds=20))}" in page.text
    said = owner.post_form(f"/requests/{target_id}/answer", {"action": "no_other_file"})
    assert said.status_code == 302, said.text
    assert FootageRequest.get(request_id).state == "closed"
    assert RequestTarget.get(target_id).no_other_file is True
    after = owner.get(f"/requests/{target_id}").text
    assert "You said you have no other file" in after and "Send another file" not in after
    assert "answer.no_other_file" in [e.action for e in audit.activity_of(scene["owner_id"])]
    # Said once: the request is closed, and a second file is no longer taken.
    again = owner.send_json("POST", START.format(target_id), {
        "filename": "more.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": start.isoformat()})
    assert again.status_code == 422 and again.json()["errors"] == {"target": "closed"}


@pytest.mark.parametrize("case", ["camera_offline", "legal_hold"])
def test_another_file_is_not_taken_when_no_file_could_help(
        scene: dict[str, Any], devstack: Any, case: str) -> None:
    target_id, start = ready_with_gap(
        scene, devstack, kind=gaps.CAMERA_OFFLINE if case == "camera_offline"
        else gaps.BEFORE_FILE, legal_hold=case == "legal_hold")
    page = scene["owner"].get(f"/requests/{target_id}").text
    assert "Part of the asked time is not in your clip" in page
    assert "Send another file" not in page and "I have no other file" not in page
    refused = scene["owner"].send_json("POST", START.format(target_id), {
        "filename": "more.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": start.isoformat()})
    assert refused.status_code == 409
    assert scene["owner"].send_json("POST", f"/api/targets/{target_id}/answer", {
        "action": "no_other_file"}).status_code == 409


def test_while_another_file_uploads_police_keep_the_first_clip(
        scene: dict[str, Any], devstack: Any) -> None:
    target_id, start = ready_with_gap(scene, devstack)
    started = scene["owner"].send_json("POST", START.format(target_id), {
        "filename": "more.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": start.isoformat()})
    assert started.status_code == 201, started.text
    target = RequestTarget.get(target_id)
    assert target.status == footage.READY and target.upload_id
    row = scene["detective"].get(f"/api/requests/{target.request_id}").json()["targets"][0]
    assert row["status"] == "ready" and row["clip"] is not None
    assert FootageRequest.get(target.request_id).state == "open"
    # The owner's page goes on with the upload under way.
    assert 'data-status="uploading"' in scene["owner"].get(f"/requests/{target_id}").text
