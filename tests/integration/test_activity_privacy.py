"""What each reader of the audit log is shown, over HTTP on devstack.

A detective asks one owner's visible camera and (by radius) the same owner's hidden camera; a
supervisor approves; the owner approves the visible one, uploads a real recording, and declines
the hidden one; the clip worker cuts the clip and packs the evidence; the detective plays it and
downloads the package. Then: the police's activity (JSON and page) and the package name neither
the owner nor either camera, and carry no owner's IP address; the owner still reads every notice,
without the officers' IP addresses; the auditor still reads everything and the chain verifies.

Every person talks from an address of their own (127.0.0.x), so an IP address in an answer says
whose it is.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests

from app.core import footage
from app.models.footage import RequestTarget
from app.models.users import Agency
from app.services.auditing import audit
from tests.builders.cameras import SCENE, camera_body
from tests.builders.footage import OFFSET_S, upload, wait_status, window
from tests.support import (
    Account,
    Client,
    FromAddress,
    make_user,
    session_client,
    wait_for_event,
)
from tests.video.samples import make_h264

pytestmark = pytest.mark.slow  # about 10 s in all: left out of `make check`

# A spot of its own (about 3 km from the other modules' scene), so only this module's hidden
# camera is asked by radius.
PLACE = (SCENE[0] - 0.027, SCENE[1] + 0.031)
ADDRESSES = {"owner": "127.0.0.23", "detective": "127.0.0.21", "supervisor": "127.0.0.22",
             "other_owner": "127.0.0.24", "auditor": "127.0.0.25", "agency_admin": "127.0.0.26"}
POLICE = ("detective", "supervisor", "agency_admin")
NOTICES = ("request.received", "registry.camera_found", "registry.camera_exported")


def person(base_url: str, settings: Any, role: str, address: str) -> tuple[Client, Account]:
    account = make_user(role)
    client = session_client(base_url, settings, account)
    client.http.mount("http://", FromAddress(address))
    return client, account


@dataclass
class Story:
    clients: dict[str, Client]
    accounts: dict[str, Account]
    request_id: str
    visible: dict[str, str]  # camera id, nickname, target id
    hidden: dict[str, str]
    other: dict[str, str]
    package: zipfile.ZipFile

    def secrets(self) -> dict[str, str]:
        """What police must not read about the owner: who they are, which cameras are theirs."""
        owner = self.accounts["owner"]
        return {"owner id": owner.user.user_id, "owner email": owner.email,
                "visible nickname": self.visible["nickname"],
                "hidden nickname": self.hidden["nickname"],
                "hidden camera id": self.hidden["camera_id"],
                "owner IP": ADDRESSES["owner"]}


def _camera(owner: Client, nickname: str, **changes: Any) -> str:
    body = camera_body(nickname=nickname, lat=PLACE[0], lon=PLACE[1] + 0.0002)
    made = owner.send_json("POST", "/api/cameras", {**body, **changes})
    assert made.status_code == 201, made.text
    return str(made.json()["camera"]["id"])


@pytest.fixture(scope="module")
def story(devstack: Any, base_url: str, settings: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Story:
    clients, accounts = {}, {}
    for name, address in ADDRESSES.items():
        role = "owner" if name.endswith("owner") else name
        clients[name], accounts[name] = person(base_url, settings, role, address)
    owner, detective = clients["owner"], clients["detective"]
    tag = uuid.uuid4().hex[:6]
    visible = {"nickname": f"Jane at 41 Oak Lane porch {tag}"}
    hidden = {"nickname": f"Jane at 41 Oak Lane garage {tag}"}
    other = {"nickname": f"Corner shop awning {tag}"}
    visible["camera_id"] = _camera(owner, visible["nickname"])
    hidden["camera_id"] = _camera(owner, hidden["nickname"], visibility="hidden",
                                  lon=PLACE[1] - 0.0002)
    other["camera_id"] = _camera(clients["other_owner"], other["nickname"])

    start, end = window()
    case = f"24-{tag}"
    agency = Agency.get(accounts["detective"].user.agency_id)
    agency.update(actions=[Agency.requests_need_supervisor.set(True)])
    try:
        made = detective.send_json("POST", "/api/requests", {
            "camera_ids": [visible["camera_id"], other["camera_id"]],
            "case_number": case, "offense": "robbery", "window_start": start.isoformat(),
            "window_end": end.isoformat(), "lat": PLACE[0], "lon": PLACE[1],
            "message": "Two people ran north.", "hidden_radius_m": 100})
    finally:
        agency.update(actions=[Agency.requests_need_supervisor.set(False)])
    assert made.status_code == 201, made.text
    board = made.json()
    assert board["state"] == "awaiting_approval" and len(board["targets"]) == 3, board
    decided = clients["supervisor"].send_json("POST", f"/api/requests/{board['id']}/decision",
                                              {"approve": True})
    assert decided.status_code == 200 and decided.json()["state"] == "open", decided.text

    targets = {t.camera_id: t.target_id for t in RequestTarget.request_index.query(board["id"])}
    for camera in (visible, hidden, other):
        camera["target_id"] = targets[camera["camera_id"]]
    # The owner is told (by the audit-fanout worker), opens both, sends one and declines the
    # hidden one with a reason of their own.
    wait_for_event(accounts["owner"].user.user_id, "request.received")
    wait_for_event(accounts["other_owner"].user.user_id, "request.received")
    for camera in (visible, hidden):
        assert owner.get(f"/requests/{camera['target_id']}").status_code == 200
    declined = owner.send_json("POST", f"/api/targets/{hidden['target_id']}/answer",
                               {"action": "decline", "reason": "Jane is away until May"})
    assert declined.json()["status"] == footage.DECLINED
    approved = owner.send_json("POST", f"/api/targets/{visible['target_id']}/answer",
                               {"action": "approve"})
    assert approved.json()["status"] == footage.APPROVED
    source = make_h264(tmp_path_factory.mktemp("video") / "export.mp4", width=160, height=120,
                       seconds=24, gop=30)
    recorder_start = start - timedelta(seconds=2) + timedelta(seconds=OFFSET_S)
    done = upload(owner, visible["target_id"], source, recorder_start)
    assert done.status_code == 200, done.text
    final = wait_status(owner, visible["target_id"], (footage.READY, footage.FAILED))
    assert final["status"] == footage.READY, final
    assert clients["other_owner"].send_json(
        "POST", f"/api/targets/{other['target_id']}/answer",
        {"action": "no_footage"}).status_code == 200

    # Registry reads tell the owner too: a search, the map, an export.
    searched = detective.send_json("POST", "/api/search", {
        "lat": PLACE[0], "lon": PLACE[1], "radius_m": 100, "case_number": case,
        "incident_at": (start + timedelta(seconds=5)).isoformat()})
    assert searched.status_code == 200, searched.text
    assert detective.get("/api/map").status_code == 200
    assert clients["agency_admin"].get("/api/registry.geojson").status_code == 200
    for action in NOTICES[1:]:
        wait_for_event(accounts["owner"].user.user_id, action)

    # The detective plays the clip and downloads the package.
    played = detective.send_json("POST", f"/api/evidence/{visible['target_id']}/clip", {})
    assert played.status_code == 200, played.text
    link = detective.send_json("POST", f"/api/evidence/{visible['target_id']}/package", {})
    assert link.status_code == 200, link.text
    package = zipfile.ZipFile(io.BytesIO(requests.get(link.json()["url"], timeout=30).content))
    return Story(clients, accounts, board["id"], visible, hidden, other, package)


def _texts(answer: requests.Response) -> str:
    assert answer.status_code == 200, (answer.url, answer.status_code)
    return answer.text


def _found(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


@pytest.mark.parametrize("role", POLICE)
def test_police_activity_names_no_owner_and_no_camera(story: Story, role: str) -> None:
    client = story.clients[role]
    secrets = {**story.secrets(), "other owner id": story.accounts["other_owner"].user.user_id,
               "other nickname": story.other["nickname"]}
    answer = client.get("/api/me/activity")
    assert not _found(_texts(answer), secrets), _found(answer.text, secrets)
    page = client.get("/account/activity")
    assert not _found(_texts(page), secrets), _found(page.text, secrets)
    events = answer.json()["events"]
    actions = {e["action"] for e in events}
    assert not actions & set(NOTICES)  # owners' notices are the owners'
    own = {"detective": {"request.created", "registry.searched", "registry.viewed",
                         "clip.viewed", "clip.downloaded"},
           "supervisor": {"request.approved"}, "agency_admin": {"registry.exported"}}[role]
    assert own <= actions, own - actions
    # Their own reads of an owner's clip stay in their activity, without naming the owner.
    for event in events:
        if event["action"] in ("clip.viewed", "clip.downloaded"):
            assert event["subject_id"] == "withheld"
            assert event["details"]["target_id"] == story.visible["target_id"]


def test_the_owner_reads_every_notice_without_the_officers_addresses(story: Story) -> None:
    owner = story.clients["owner"]
    answer = owner.get("/api/me/activity")
    text = _texts(answer)
    for role in POLICE:
        assert ADDRESSES[role] not in text, role
    events = answer.json()["events"]
    by_action = {e["action"]: e for e in events}
    assert set(NOTICES) <= set(by_action), set(NOTICES) - set(by_action)
    received = [e for e in events if e["action"] == "request.received"
                and e["details"].get("request_id") == story.request_id]
    assert len(received) == 1
    cameras = received[0]["details"]["cameras"]
    assert story.visible["nickname"] in cameras and story.hidden["nickname"] in cameras
    assert received[0]["details"]["by"] == story.accounts["supervisor"].user.user_id
    assert story.other["nickname"] not in text  # the other owner's notice is theirs
    played = next(e for e in events if e["action"] == "clip.viewed")
    assert played["actor_id"] == story.accounts["detective"].user.user_id and "ip" not in played
    # The owner's own answers keep the owner's own address.
    mine = next(e for e in events if e["action"] == "answer.approved")
    assert mine["ip"] == ADDRESSES["owner"]
    listed = _texts(owner.get("/account/activity"))
    assert story.hidden["nickname"] in listed
    assert f"by supervisor {story.accounts['supervisor'].user.user_id[:8]}" in listed
    page = owner.get(f"/requests/{story.visible['target_id']}").text
    assert "Police played your clip" in page and "by a detective" in page
    assert "Police asked for your footage" in page and "by a supervisor" in page


def test_the_package_names_only_its_camera_and_no_owner_address(story: Story) -> None:
    secrets = {**story.secrets(), "other owner id": story.accounts["other_owner"].user.user_id,
               "other nickname": story.other["nickname"],
               "hidden row": story.hidden["target_id"], "decline reason": "Jane is away"}
    del secrets["visible nickname"]  # the owner chose to send this camera's footage
    for name in story.package.namelist():
        data = story.package.read(name)
        shown = [k for k, v in secrets.items() if v.encode() in data]
        assert not shown, (name, shown)
    excerpt = json.loads(story.package.read("audit-excerpt.json"))
    actions = [e["action"] for e in excerpt]
    for action in ("request.created", "request.approved", "answer.seen", "answer.approved",
                   "upload.started", "upload.completed"):
        assert action in actions, action
    assert not set(actions) & set(NOTICES)
    assert all("ip" not in e and "salt" not in e for e in excerpt)
    assert all(e["details"].get("target_id") in (None, story.visible["target_id"])
               for e in excerpt)
    manifest = json.loads(story.package.read("manifest.json"))
    assert manifest["camera"]["target_id"] == story.visible["target_id"]
    assert manifest["camera"]["nickname"] == story.visible["nickname"]


def test_the_auditor_still_reads_everything(story: Story) -> None:
    auditor = story.clients["auditor"]
    owner_id = story.accounts["owner"].user.user_id
    about = auditor.get("/api/audit/events", params={"subject": owner_id, "per_page": "200"})
    events = about.json()["events"]
    received = next(e for e in events if e["action"] == "request.received")
    assert story.hidden["nickname"] in received["details"]["cameras"]
    played = next(e for e in events if e["action"] == "clip.viewed")
    assert played["ip"] == ADDRESSES["detective"]
    approved = next(e for e in events if e["action"] == "answer.approved")
    assert approved["ip"] == ADDRESSES["owner"] and approved["salt"]
    detective_id = story.accounts["detective"].user.user_id
    asked = auditor.get("/api/audit/events", params={"actor": detective_id}).json()["events"]
    assert any(e["action"] == "request.created" and e["ip"] == ADDRESSES["detective"]
               for e in asked)
    chain = audit.chain_for(story.accounts["owner"].user.agency_id)
    _, count, breaks = audit.verify_all(only=chain)
    assert count > 0 and breaks == []
