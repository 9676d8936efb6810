"""Object-level access: the right role is not enough, the object must be the caller's.

The role x route matrix (test_authorization_matrix.py) proves who reaches each route; this file
proves what they reach there. Every id below belongs to somebody else (another owner, another
agency, a hidden owner), and every attempt must neither show nor change it. Ids are real ones,
taken from the victim's own answers, as a curious user would copy them from a link.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.models.cameras import Camera
from app.models.live import LiveShare
from app.models.requests import RequestTarget
from app.models.users import Agency, User
from app.services import bridges, clock, sessions
from tests.integration.test_registry import SCENE, camera_body
from tests.support import Client, make_user, session_client

OTHER_AGENCY = "idor-other-agency"


def window() -> tuple[str, str]:
    start = (clock.now() - timedelta(minutes=40)).replace(microsecond=0)
    return start.isoformat(), (start + timedelta(seconds=30)).isoformat()


@pytest.fixture(scope="module")
def world(devstack: Any, base_url: str, settings: Any) -> dict[str, Any]:
    """Owner A with an on-alert camera and a hidden one, a request to both, a live share and a
    paired bridge; owner B; police and admins of A's agency and of another agency."""
    Agency(agency_id=OTHER_AGENCY, name="Elsewhere PD", city="Elsewhere",
           created_at=clock.now()).save()
    who: dict[str, Any] = {}
    for name, role, agency in (
            ("owner_a", "owner", None), ("owner_b", "owner", None),
            ("org_b", "org_admin", None), ("detective", "detective", None),
            ("supervisor", "supervisor", None), ("auditor", "auditor", None),
            ("detective_x", "detective", OTHER_AGENCY),
            ("admin_x", "agency_admin", OTHER_AGENCY)):
        account = make_user(role, agency_id=agency) if agency else make_user(role)
        who[name] = account
        who[name + "_c"] = session_client(base_url, settings, account)
    owner_a: Client = who["owner_a_c"]
    shown = owner_a.send_json("POST", "/api/cameras", camera_body(
        nickname="A's porch", tier="on_alert")).json()["camera"]
    hidden = owner_a.send_json("POST", "/api/cameras", camera_body(
        nickname="A's secret yard", lat=SCENE[0] - 0.0003, visibility="hidden",
        tier="on_request")).json()["camera"]
    start, end = window()
    board = who["detective_c"].send_json("POST", "/api/requests", {
        "camera_ids": [shown["id"]], "case_number": "24-900001", "offense": "robbery",
        "window_start": start, "window_end": end, "lat": SCENE[0], "lon": SCENE[1],
        "hidden_radius_m": 200})
    assert board.status_code == 201, board.text
    share = owner_a.send_json("POST", "/api/shares", {"camera_ids": [shown["id"]],
                                                     "minutes": 10})
    assert share.status_code == 201, share.text
    code = bridges.pairing_code(settings, who["owner_b"].user, "127.0.0.1")
    bridge_b = bridges.pair(settings, code, "B's bridge", "127.0.0.1")
    a_session = sessions.list_for(who["owner_a"].user.user_id)[0]
    return {**who, "camera": shown, "hidden": hidden, "board": board.json(),
            "share_id": share.json()["share_id"], "bridge_b": bridge_b.credential,
            "a_session": a_session.public_id}


def targets_of(board: dict[str, Any]) -> list[str]:
    return [t["id"] for t in board["targets"]]


def test_an_owner_cannot_reach_another_owners_camera(world: dict[str, Any]) -> None:
    camera_id = world["camera"]["id"]
    before = Camera.get(camera_id).attribute_values.copy()
    for intruder in (world["owner_b_c"], world["org_b_c"]):
        attempts = [
            intruder.get(f"/api/cameras/{camera_id}"),
            intruder.send_json("PUT", f"/api/cameras/{camera_id}", camera_body(nickname="Mine")),
            intruder.send_json("PUT", f"/api/cameras/{camera_id}/paused", {"paused": True}),
            intruder.send_json("POST", f"/api/cameras/{camera_id}/confirm", {}),
            intruder.send_json("POST", f"/api/cameras/{camera_id}/photo-upload",
                               {"content_type": "image/jpeg"}),
            intruder.send_json("DELETE", f"/api/cameras/{camera_id}"),
            intruder.get(f"/cameras/{camera_id}/edit"),
            intruder.post_form(f"/cameras/{camera_id}/pause"),
            intruder.post_form(f"/cameras/{camera_id}/withdraw"),
        ]
        for answer in attempts:
            assert answer.status_code in (403, 404), (answer.request.method, answer.url,
                                                      answer.status_code)
            assert "A's porch" not in answer.text
        assert camera_id not in {c["id"] for c in intruder.get("/api/cameras").json()["cameras"]}
    after = Camera.get(camera_id).attribute_values
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"}


def test_an_owner_cannot_answer_or_upload_for_another_owners_request(
        world: dict[str, Any]) -> None:
    for target_id in targets_of(world["board"]):
        status = RequestTarget.get(target_id).status
        intruder: Client = world["owner_b_c"]
        attempts = [
            intruder.get(f"/api/targets/{target_id}"),
            intruder.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "decline"}),
            intruder.get(f"/api/targets/{target_id}/upload"),
            intruder.send_json("POST", f"/api/targets/{target_id}/upload", {
                "filename": "x.mp4", "size": 10, "clock_offset_s": 0,
                "video_starts_at": clock.now().isoformat()}),
            intruder.get(f"/requests/{target_id}"),
            intruder.post_form(f"/requests/{target_id}/answer", {"action": "decline"}),
        ]
        for answer in attempts:
            assert answer.status_code in (403, 404), (answer.url, answer.status_code)
            assert "24-900001" not in answer.text
        assert RequestTarget.get(target_id).status == status


def test_an_owner_cannot_see_or_end_another_owners_share_or_session(
        world: dict[str, Any]) -> None:
    intruder: Client = world["owner_b_c"]
    share_id = world["share_id"]
    assert intruder.get(f"/api/shares/{share_id}").status_code in (403, 404)
    assert intruder.send_json("DELETE", f"/api/shares/{share_id}").status_code in (403, 404)
    assert intruder.post_form(f"/share/{share_id}/end").status_code in (403, 404)
    assert intruder.send_json("POST", f"/api/shares/{share_id}/phone", {
        "mime": "video/webm", "duration_s": 2.0, "size": 1000}).status_code in (403, 404, 410)
    assert LiveShare.get(share_id).ended_at is None
    public_id = world["a_session"]
    assert intruder.send_json("DELETE", f"/api/me/sessions/{public_id}").status_code == 404
    assert intruder.post_form(f"/account/sessions/{public_id}/revoke").status_code in (302, 404)
    assert public_id in {s.public_id for s in sessions.list_for(world["owner_a"].user.user_id)}
    # A's activity is A's: B's own activity never lists A's events.
    mine = intruder.get("/api/me/activity").json()["events"]
    assert all(e["actor_id"] != world["owner_a"].user.user_id for e in mine)


def test_a_bridge_acts_only_for_its_own_owner(world: dict[str, Any], base_url: str) -> None:
    import requests

    header = {"Authorization": f"Bearer {world['bridge_b']}"}
    target_id = targets_of(world["board"])[0]
    status = RequestTarget.get(target_id).status
    calls = [
        ("POST", f"/api/bridge/targets/{target_id}/clip", {
            "size": 10, "sha256": "0" * 64, "starts_at": clock.now().isoformat(),
            "ends_at": clock.now().isoformat()}),
        ("POST", f"/api/bridge/targets/{target_id}/unavailable", {"reason": "not mine"}),
        ("POST", f"/api/bridge/targets/{target_id}/clip/done", {}),
        ("POST", f"/api/bridge/shares/{world['share_id']}/segments", {
            "camera_id": world["camera"]["id"], "name": "20260101T000000.000Z.mp4",
            "start": clock.now().isoformat(), "end": clock.now().isoformat(),
            "duration_s": 2.0, "size": 10, "sha256": "0" * 64}),
        ("POST", "/api/bridge/shares", {"camera_ids": [world["camera"]["id"]], "minutes": 5}),
    ]
    for method, path, body in calls:
        answer = requests.request(method, base_url + path, json=body, headers=header,
                                  timeout=30)
        assert answer.status_code in (403, 404, 409, 410, 422), (path, answer.status_code,
                                                                 answer.text)
    state = requests.get(f"{base_url}/api/bridge/state", headers=header, timeout=30).json()
    assert target_id not in {r["target_id"] for r in state["requests"]}
    assert world["share_id"] not in {s["share_id"] for s in state["shares"]}
    assert RequestTarget.get(target_id).status == status


def test_police_of_another_agency_see_nothing_of_this_one(world: dict[str, Any]) -> None:
    outsider: Client = world["detective_x_c"]
    request_id = world["board"]["id"]
    assert outsider.get(f"/api/requests/{request_id}").status_code in (403, 404)
    assert outsider.get(f"/cases/{request_id}").status_code in (403, 404)
    for target_id in targets_of(world["board"]):
        assert outsider.send_json("POST", f"/api/evidence/{target_id}/clip").status_code in (
            403, 404)
    assert outsider.send_json("POST", f"/api/live/{world['share_id']}/view", {}).status_code in (
        403, 404, 409, 410)
    assert outsider.get(f"/api/live/{world['share_id']}/pieces?camera="
                        f"{world['camera']['id']}").status_code in (403, 404, 410)
    assert world["share_id"] not in {s["share_id"] for s in outsider.get("/api/live").json()[
        "shares"]}
    seen = outsider.get("/api/map").json()
    assert world["camera"]["id"] not in {c["id"] for c in seen["cameras"]}
    found = outsider.send_json("POST", "/api/search", {
        "lat": SCENE[0], "lon": SCENE[1], "radius_m": 500,
        "incident_at": clock.now().isoformat(), "case_number": "X-1"}).json()
    assert world["camera"]["id"] not in {c["camera_id"] for c in found["cameras"]}
    assert found["hidden_count"] == 0


def test_a_hidden_owner_stays_hidden_from_police(world: dict[str, Any]) -> None:
    detective: Client = world["detective_c"]
    hidden_id = world["hidden"]["id"]
    owner = world["owner_a"]
    secrets = (hidden_id, "A's secret yard", owner.email, owner.user.display_name,
               owner.user.user_id)
    start, _ = window()
    search = detective.send_json("POST", "/api/search", {
        "lat": SCENE[0], "lon": SCENE[1], "radius_m": 500, "incident_at": start,
        "case_number": "24-900001"})
    board = detective.get(f"/api/requests/{world['board']['id']}")
    pages = [search, board, detective.get("/api/map"), detective.get("/api/live"),
             detective.get(f"/cases/{world['board']['id']}"), detective.get("/map"),
             detective.get("/api/registry.geojson")]
    assert search.json()["hidden_count"] >= 1
    # The hidden camera was asked (hidden_radius_m) but appears only as an anonymous row.
    assert len(board.json()["targets"]) == 2
    for answer in pages:
        assert answer.status_code == 200, answer.url
        for secret in secrets:
            assert secret not in answer.text, (answer.url, secret)


def test_an_admin_of_another_agency_cannot_manage_this_ones_people(
        world: dict[str, Any]) -> None:
    outsider: Client = world["admin_x_c"]
    victim = world["detective"].user
    assert outsider.post_form(f"/admin/users/{victim.user_id}/role",
                              {"role": "auditor"}).status_code in (403, 404)
    assert outsider.post_form(f"/admin/users/{victim.user_id}/sessions/revoke"
                              ).status_code in (403, 404)
    assert User.get(victim.user_id).role == "detective"
    assert sessions.list_for(victim.user_id), "the victim's sessions were revoked"
    listing = outsider.get("/admin/users").text
    assert victim.email not in listing


def test_an_auditor_reads_but_every_write_is_refused_and_changes_nothing(
        world: dict[str, Any]) -> None:
    auditor: Client = world["auditor_c"]
    camera_id = world["camera"]["id"]
    target_id = targets_of(world["board"])[0]
    status = RequestTarget.get(target_id).status
    writes = [
        auditor.send_json("PUT", f"/api/evidence/{target_id}/hold", {"hold": True}),
        auditor.send_json("POST", f"/api/requests/{world['board']['id']}/decision",
                          {"approve": False}),
        auditor.send_json("DELETE", f"/api/cameras/{camera_id}"),
        auditor.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "decline"}),
        auditor.send_json("POST", "/api/invitations", {"email": "x@example.org",
                                                       "role": "auditor"}),
        auditor.post_form("/admin/program", {"policy": "changed"}),
        auditor.post_form(f"/admin/users/{world['detective'].user.user_id}/role",
                          {"role": "auditor"}),
    ]
    for answer in writes:
        assert answer.status_code == 403, (answer.url, answer.status_code)
    assert RequestTarget.get(target_id).status == status
    assert camera_id in {c["id"] for c in world["owner_a_c"].get("/api/cameras").json()[
        "cameras"]}
    assert User.get(world["detective"].user.user_id).role == "detective"
    assert auditor.get("/api/audit/events").status_code == 200
