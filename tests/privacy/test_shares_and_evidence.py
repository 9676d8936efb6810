"""The incident scene: live shares and their push, requests through a supervisor, the evidence
package and the officers' activity pages (docs/privacy.md).

Owner L has an approximate camera with a street address and a hidden camera with a telling
name ("Jane at 41 Oak Lane garage"); a neighbour has an exact camera. L acts from another
address than police (127.0.0.2), so an owner's IP address showing anywhere police look is
caught. Whatever police read here must not name the hidden camera, its id, its street, its
owner, or tie it to L's other camera; an approximate camera shows no street; and no owner's IP
address reaches police.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from app.core import footage
from app.models.users import Agency
from tests.builders.footage import upload, wait_status
from tests.builders.push import Device, PushService, subscribe
from tests.privacy.adversary import CASE, Detective, audit_counts, problem_gist, written
from tests.privacy.conftest import (
    AREAS,
    OWNER_IP,
    OWNER_NAME,
    PROGRAM,
    SECRET_NAME,
    SECRET_STREET,
    STREET,
    World,
)
from tests.privacy.routes import covers
from tests.video.samples import make_h264

DECLINE_REASON = "Not comfortable with police"
HIDDEN_LABEL = "A camera not shown on the map"


def secrets_of(world: World) -> dict[str, str]:
    """What no police output may show, by what it is."""
    return {"hidden camera's name": SECRET_NAME, "hidden camera's street": SECRET_STREET,
            "approximate camera's street": STREET, "owner's name": OWNER_NAME,
            "owner's email": world.accounts["owner_l"].email,
            "hidden camera's id": world.cameras["L-hidden"], "owner's IP address": OWNER_IP,
            "owner's decline reason": DECLINE_REASON}


def shown(world: World, text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return [what for what, value in secrets_of(world).items()
            if what not in allowed and value in text]


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


@covers(("GET", "/api/live"), ("GET", "/live"), ("GET", "/live/<share_id>"),
        ("POST", "/api/live/<share_id>/view"), ("GET", "/api/live/<share_id>/pieces"),
        ("POST", "/api/live/<share_id>/quality"))
def test_live_shares_and_their_push_never_name_a_hidden_camera(world: World,
                                                               push_service: PushService
                                                               ) -> None:
    spy = world.police["detective"]
    device = Device.new(push_service.endpoint("red-team"))
    subscribe(spy.client, device)
    owner = world.owners["owner_l"]
    started = owner.send_json("POST", "/api/shares", {
        "camera_ids": [world.cameras["L-approx"], world.cameras["L-hidden"]], "minutes": 20})
    assert started.status_code == 201, started.text
    share_id = started.json()["share_id"]
    try:
        pushed = device.read(push_service.wait_for(device.endpoint)[0])
        assert not shown(world, str(pushed)), pushed
        before = audit_counts(world.user_id("detective"))
        listed = spy.call("GET", "/api/live")
        assert share_id in listed.text and not shown(world, listed.text), listed.text
        for path in ("/live", f"/live/{share_id}"):
            page = spy.call("GET", path)
            assert page.status_code == 200 and not shown(world, page.text), path
        view = spy.call("POST", f"/api/live/{share_id}/view", {})
        assert view.status_code == 200 and not shown(world, view.text), view.text
        streams = [c.get("stream") or c.get("camera_id") for c in view.json()["cameras"]]
        assert world.cameras["L-approx"] not in streams  # aliases, never camera ids
        # A stream by its alias plays; the hidden camera's real id is as unknown as a
        # made-up one.
        base = f"/api/live/{share_id}/pieces?camera="
        assert spy.call("GET", base + streams[0]).status_code == 200
        real = spy.call("GET", base + world.cameras["L-hidden"])
        made_up = spy.call("GET", base + secrets.token_hex(16))
        assert real.status_code >= 400 and problem_gist(real) == problem_gist(made_up)
        # So is it when asking for a camera's substream (an enlarged tile's main stream).
        quality = f"/api/live/{share_id}/quality"
        told = spy.call("POST", quality, {"camera": streams[0], "quality": "sub"})
        assert told.status_code == 200 and not shown(world, told.text), told.text
        real = spy.call("POST", quality, {"camera": world.cameras["L-hidden"], "quality": "sub"})
        made_up = spy.call("POST", quality, {"camera": secrets.token_hex(16), "quality": "sub"})
        assert real.status_code >= 400 and problem_gist(real) == problem_gist(made_up)
        assert written(before, audit_counts(world.user_id("detective"))).get("live.viewed") == 1
    finally:
        owner.send_json("DELETE", f"/api/shares/{share_id}")
        spy.client.send_json("DELETE", "/api/push/subscriptions", {"endpoint": device.endpoint})


@covers(("GET", "/incidents"), ("POST", "/incidents"), ("GET", "/incidents/<incident_id>"),
        ("POST", "/incidents/<incident_id>/close"), ("GET", "/api/incidents"),
        ("POST", "/api/incidents"), ("GET", "/api/incidents/<incident_id>"),
        ("POST", "/api/incidents/<incident_id>/watch"),
        ("POST", "/api/incidents/<incident_id>/ask"),
        ("POST", "/api/incidents/<incident_id>/pull"),
        ("POST", "/api/incidents/<incident_id>/close"))
def test_the_incident_screen_shows_what_the_search_does(world: World) -> None:
    """An incident's cameras are the search's: the same names and places (an approximate
    camera at its cell's centre, without its street), no hidden camera; opening the hidden
    camera by its id answers as a made-up id does. The operator's pages show no secret."""
    detective = world.police["detective"]
    found = detective.search(AREAS["scene"], 120)
    searched = {c["camera_id"]: (c["nickname"], c["lat"], c["lon"]) for c in found["cameras"]}
    opened = detective.call("POST", "/api/incidents", {
        "lat": AREAS["scene"][0], "lon": AREAS["scene"][1], "radius_m": 120,
        "label": "Robbery in progress", "case_number": CASE})
    assert opened.status_code == 201, opened.text
    incident = opened.json()["incident_id"]
    screen = detective.call("GET", f"/api/incidents/{incident}")
    assert screen.status_code == 200 and not shown(world, screen.text), screen.text
    listed = {c["camera_id"]: (c["name"], c["lat"], c["lon"]) for c in screen.json()["cameras"]}
    assert listed == searched
    for path in ("/incidents", f"/incidents/{incident}", "/api/incidents"):
        page = detective.call("GET", path)
        assert page.status_code == 200 and not shown(world, page.text), path
    watch = f"/api/incidents/{incident}/watch"
    real = detective.call("POST", watch, {"camera_id": world.cameras["L-hidden"]})
    made_up = detective.call("POST", watch, {"camera_id": secrets.token_hex(16)})
    assert real.status_code == 404 and problem_gist(real) == problem_gist(made_up)
    # (the approximate camera is "on alert": police may ask its owner, never open it)
    refused = detective.call("POST", watch, {"camera_id": world.cameras["L-approx"]})
    assert refused.status_code == 403 and not shown(world, refused.text), refused.text
    ask = f"/api/incidents/{incident}/ask"
    asked = detective.call("POST", ask, {"camera_id": world.cameras["L-approx"]})
    assert asked.status_code == 200 and not shown(world, asked.text), asked.text
    real = detective.call("POST", ask, {"camera_id": world.cameras["L-hidden"]})
    made_up = detective.call("POST", ask, {"camera_id": secrets.token_hex(16)})
    assert real.status_code == 404 and problem_gist(real) == problem_gist(made_up)
    pull = f"/api/incidents/{incident}/pull"
    real = detective.call("POST", pull, {"camera_id": world.cameras["L-hidden"], "minutes": 1})
    made_up = detective.call("POST", pull, {"camera_id": secrets.token_hex(16), "minutes": 1})
    assert real.status_code == 404 and problem_gist(real) == problem_gist(made_up)
    by_form = detective.form("/incidents", {"lat": AREAS["scene"][0], "lon": AREAS["scene"][1],
                                            "radius_m": 120, "label": "Second look"})
    assert by_form.status_code == 302
    second = by_form.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert detective.form(f"/incidents/{second}/close", {}).status_code == 302
    closed = detective.call("POST", f"/api/incidents/{incident}/close", {})
    assert closed.status_code == 200 and not shown(world, closed.text)


@covers(("GET", "/cases/new"))
def test_the_new_case_form_names_the_ticked_cameras_as_the_search_does(world: World) -> None:
    """The search page's ticked cameras go to the new-case form by id, and the form names
    each as the search did: an approximate camera's own name ("Maple porch") could place it
    better than its ~150 m cell does; a hidden camera's id, sent anyway, offers nothing."""
    detective = world.police["detective"]
    found = detective.search(AREAS["scene"], 120)
    searched = {c["camera_id"]: c["nickname"] for c in found["cameras"]}
    assert searched == {world.cameras["N-exact"]: "Corner shop door",
                        world.cameras["L-approx"]: "A camera shown near its place"}
    ids = [world.cameras[n] for n in ("L-approx", "N-exact", "L-hidden")]
    page = detective.call("GET", "/cases/new?" + "&".join(f"camera_ids={i}" for i in ids))
    assert page.status_code == 200
    offered = re.findall(r'name="camera_ids" value="([0-9a-f]+)" checked> (.*?) <span',
                         page.text)
    assert dict(offered) == searched
    assert "Maple porch" not in page.text and not shown(world, page.text)


def _window(seconds: int = 6) -> tuple[datetime, datetime]:
    start = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    return start, start + timedelta(seconds=seconds)


def _ask(spy: Detective, camera_ids: list[str], start: datetime, end: datetime,
         **extra: Any) -> dict[str, Any]:
    scene = AREAS["scene"]
    made = spy.call("POST", "/api/requests", {
        "camera_ids": camera_ids, "case_number": CASE, "offense": "burglary",
        "window_start": start.isoformat(), "window_end": end.isoformat(),
        "lat": scene[0], "lon": scene[1], "message": "Red team scene", **extra})
    assert made.status_code == 201, made.text
    board: dict[str, Any] = made.json()
    return board


def _targets(world: World, request_id: str) -> dict[str, str]:
    from app.models.footage import RequestTarget

    names = {camera_id: name for name, camera_id in world.cameras.items()}
    return {names[t.camera_id]: t.target_id for t in RequestTarget.request_index.query(
        request_id)}


@covers(("POST", "/api/requests"), ("POST", "/api/requests/<request_id>/decision"),
        ("POST", "/cases/<request_id>/decision"), ("GET", "/api/requests/<request_id>"),
        ("GET", "/cases/<request_id>"), ("POST", "/api/evidence/<target_id>/<kind>"),
        ("PUT", "/api/evidence/<target_id>/hold"), ("GET", "/api/me/activity"),
        ("GET", "/account/activity"), ("GET", "/cases"),
        ("GET", "/api/requests/<request_id>/timeline"),
        ("GET", "/api/requests/<request_id>/timeline/export"),
        ("GET", "/cases/<request_id>/timeline"))
def test_requests_evidence_and_activity_keep_a_hidden_owner_anonymous(world: World,
                                                                      tmp_path: Path) -> None:
    detective, supervisor = world.police["detective"], world.police["supervisor"]
    owner = world.owners["owner_l"]
    found = detective.search(AREAS["scene"], 120)  # the visible cameras, as police find them
    visible = [c["camera_id"] for c in found["cameras"]]
    assert set(visible) == {world.cameras["L-approx"], world.cameras["N-exact"]}
    assert found["hidden_count"] == 1
    start, end = _window()
    agency = Agency.get(PROGRAM)
    agency.update(actions=[Agency.requests_need_supervisor.set(True)])
    try:
        board = _ask(detective, visible, start, end, hidden_radius_m=120)
        second = _ask(detective, [world.cameras["N-exact"]], start, end)
    finally:
        agency.update(actions=[Agency.requests_need_supervisor.set(False)])
    assert board["state"] == second["state"] == "awaiting_approval"
    approved = supervisor.call("POST", f"/api/requests/{board['id']}/decision",
                               {"approve": True})
    assert approved.status_code == 200 and not shown(world, approved.text)
    page = supervisor.form(f"/cases/{second['id']}/decision", {"decision": "approve"})
    assert page.status_code == 302

    # L approves the approximate camera and sends a clip; L declines the hidden one.
    targets = _targets(world, board["id"])
    assert set(targets) == {"L-approx", "L-hidden", "N-exact"}
    assert owner.send_json("POST", f"/api/targets/{targets['L-approx']}/answer",
                           {"action": "approve"}).status_code == 200
    assert owner.send_json("POST", f"/api/targets/{targets['L-hidden']}/answer",
                           {"action": "decline", "reason": DECLINE_REASON}).status_code == 200
    video = make_h264(tmp_path / "porch.mp4", width=160, height=120, seconds=10, gop=30)
    done = upload(owner, targets["L-approx"], video, start - timedelta(seconds=2), offset_s=0)
    assert done.status_code == 200, done.text
    final = wait_status(owner, targets["L-approx"], (footage.READY, footage.FAILED), timeout=60)
    assert final["status"] == footage.READY, final

    # The board: the hidden row is unnamed, declined, without the owner's reason.
    for officer in (detective, supervisor):
        for path in (f"/api/requests/{board['id']}", f"/cases/{board['id']}", "/cases"):
            answer = officer.call("GET", path)
            assert answer.status_code == 200 and not shown(world, answer.text), path
    # The case timeline, its page and its export: the approximate camera at its cell's centre
    # (never the porch), the hidden one absent (it sent nothing), nothing of either owner.
    for officer in (detective, supervisor):
        for path in (f"/api/requests/{board['id']}/timeline", f"/cases/{board['id']}/timeline",
                     f"/api/requests/{board['id']}/timeline/export"):
            answer = officer.call("GET", path)
            assert answer.status_code == 200 and not shown(world, answer.text), path
            assert targets["L-hidden"] not in answer.text, path
    [clip] = detective.call("GET", f"/api/requests/{board['id']}/timeline").json()["clips"]
    assert clip["id"] == targets["L-approx"] and clip["place"]["approximate"] is True
    rows = {t["id"]: t for t in detective.call("GET", f"/api/requests/{board['id']}").json()[
        "targets"]}
    assert rows[targets["L-hidden"]]["camera"] == HIDDEN_LABEL
    assert rows[targets["L-hidden"]]["status"] == "declined"

    # The evidence package of L's approximate camera: nothing of the hidden camera (not even
    # its row on the board: that would tie it to L's porch), nor of the neighbour, nor IPs.
    link = detective.call("POST", f"/api/evidence/{targets['L-approx']}/package", {})
    assert link.status_code == 200
    package = zipfile.ZipFile(io.BytesIO(requests.get(link.json()["url"], timeout=30).content))
    for name in package.namelist():
        if name.endswith((".json", ".txt")) or name == "SHA256SUMS":
            text = package.read(name).decode()
            assert not shown(world, text), (name, shown(world, text))
            for other in (targets["L-hidden"], world.user_id("owner_n"),
                          world.cameras["N-exact"]):
                assert other not in text, (name, other)
    held = supervisor.call("PUT", f"/api/evidence/{targets['L-approx']}/hold",
                           {"hold": True, "reason": "Open case"})
    assert held.status_code == 200 and set(held.json()) == {"legal_hold", "delete_after"}
    # The hidden camera's row has no evidence, and says no more than a visible row without.
    gists = [problem_gist(detective.call("POST", f"/api/evidence/{tid}/clip", {}))
             for tid in (targets["L-hidden"], targets["N-exact"])]
    assert gists[0][0] == 404 and gists[0] == gists[1]

    # The officers' own activity pages.
    for officer in (detective, supervisor):
        for path in ("/api/me/activity", "/account/activity"):
            answer = officer.call("GET", path)
            assert answer.status_code == 200
            leaks = shown(world, answer.text)
            assert not leaks, (path, leaks)
            assert world.user_id("owner_l") not in answer.text, path
            assert not re.search(r"\b127\.0\.0\.2\b", answer.text), path
