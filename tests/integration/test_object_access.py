"""Object-level access (IDOR): every route that takes an object's id, tried with somebody else's.

The role x route matrix (test_authorization_matrix.py) proves who reaches a route; this file
proves that reaching it opens only the caller's own objects. One world is built once: owner A
(cameras, a photo, asked and uploading requests, a ready clip, a live share, a bridge, a
session, a push subscription), an organisation, the asking detective and the police of A's
program, and a second program B with its own police, admin, auditor, bridge and API key.

- PROBES lists, for every (method, rule) of the app with an id in its path, who tries it on
  which of A's objects. A new route with an id fails `test_every_route_with_an_id_is_probed`
  until it is listed here (or in NOT_OBJECT_IDS with the reason).
- Each try must be refused, must show none of A's data, and (where the route hides existence,
  which every one here does) must answer exactly as it does for an id that does not exist.
- Routes that take ids in their bodies or queries are tried in their own tests.
- An auditor's every state-changing route is refused; and after all of it, none of A's items
  changed (`test_nothing_of_a_changed`, last).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from app.aws import aws_client
from app.core import footage, tokens
from app.models.bridge import BridgeDevice
from app.models.cameras import Camera
from app.models.field import ApiKey, FieldEvent
from app.models.footage import Evidence, FootageRequest, PushSubscription, RequestTarget
from app.models.incident import Incident, LiveAsk
from app.models.live import LiveShare
from app.models.users import Agency, Organisation, User
from app.services import clock
from app.services import push as push_service
from app.services.auditing import audit
from app.services.cameras import bridge_setup, bridges
from app.services.footage.canvass import stamp
from app.services.governance import program
from app.services.people import sessions
from app.services.realtime import field as field_service
from bridge.sealing import Sealer
from devstack.seed import AGENCY_ID
from tests.builders.cameras import SCENE, camera_body
from tests.integration.access_matrix import EXPECTED, PUBLIC, allowed
from tests.support import Account, Client, form_token, make_user, session_client

pytestmark = pytest.mark.slow  # about 25 s in all: left out of `make check`

AGENCY_B = "idor-program-b"
# A spot of its own, so other modules' hidden cameras are not asked with A's.
PLACE = (SCENE[0] + 0.021, SCENE[1] - 0.004)
CASE = "QX-771-204"
MESSAGE = "Grey hatchback seen leaving Quillfeather Row."
OWNER_NAME = "Harriet Quillfeather"
CAMERA_NAME = "Quillfeather porch"
STREET = "12 Quillfeather Row"
HIDDEN_NAME = "Quillfeather back yard"
HIDDEN_STREET = "3 Quillfeather Mews"
ORG_CAMERA = "Quill Traders loading bay"
KEY_NAME = "Quill CAD feed"
PIECE = "20260101T000000.000Z.mp4"


# ---------------------------------------------------------------- the world


@dataclass
class World:
    ids: dict[str, str]
    clients: dict[str, Client]
    accounts: dict[str, Account]
    secrets: tuple[str, ...]  # what nobody but A (and A's program, where allowed) may read
    snapshot: dict[str, Any] = field(default_factory=dict)


def _place_body(**changes: Any) -> dict[str, Any]:
    body = camera_body(lat=PLACE[0], lon=PLACE[1] + 0.0002)
    body.update(changes)
    return body


def _created(answer: requests.Response, status: int = 201) -> Any:
    assert answer.status_code == status, (answer.url, answer.status_code, answer.text)
    return answer.json() if "json" in answer.headers.get("Content-Type", "") else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _subscription(endpoint: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "device": "Harriet's phone",
            "keys": {"p256dh": _b64(public), "auth": _b64(secrets.token_bytes(16))}}


def _bridge_client(base_url: str, credential: str) -> Client:
    client = Client(base_url)
    client.http.headers["Authorization"] = f"Bearer {credential}"
    return client


def _ask(detective: Client, camera_ids: list[str], **extra: Any) -> dict[str, Any]:
    start = (clock.now() - timedelta(minutes=45)).replace(microsecond=0)
    body = {"camera_ids": camera_ids, "case_number": CASE, "offense": "robbery",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=30)).isoformat(),
            "lat": PLACE[0], "lon": PLACE[1], "message": MESSAGE, **extra}
    board: dict[str, Any] = _created(detective.send_json("POST", "/api/requests", body))
    assert board["state"] == "open", board
    return board


def _make_ready(target_id: str) -> None:
    """What the clip worker leaves behind for a processed upload (its video work is tested in
    test_footage_requests; here only who may reach the result matters)."""
    target = RequestTarget.get(target_id)
    # as a retried update: the push worker may be noting its notification on the row meanwhile
    stamp(target, RequestTarget.status.set(footage.READY))
    base = f"clips/{target.request_id}/{target_id}/"
    now = clock.now()
    Evidence(target_id=target_id, request_id=target.request_id, agency_id=target.agency_id,
             owner_id=target.owner_id, original_key=base + "original.mp4",
             original_sha256="a" * 64, clip_key=base + "clip.mp4", clip_sha256="b" * 64,
             poster_key=base + "poster.jpg", sheet_key=base + "sheet.jpg",
             manifest_key=base + "manifest.json", package_key=base + "package.zip",
             method="stream_copy", clip_seconds=30, made_at=now,
             delete_after=now + timedelta(days=30)).save()


@pytest.fixture(scope="module")
def world(devstack: Any, base_url: str, settings: Any) -> World:
    Agency(agency_id=AGENCY_B, name="Quill County PD", city="Quill County",
           created_at=clock.now()).save()
    accounts: dict[str, Account] = {}
    clients: dict[str, Client] = {}
    for name, role, agency in (
            ("owner_a", "owner", AGENCY_ID), ("founder_a", "owner", AGENCY_ID),
            ("member_a", "owner", AGENCY_ID), ("owner_b", "owner", AGENCY_ID),
            ("founder_b", "owner", AGENCY_ID), ("member_b", "owner", AGENCY_ID),
            ("detective_a1", "detective", AGENCY_ID), ("detective_a2", "detective", AGENCY_ID),
            ("supervisor_a", "supervisor", AGENCY_ID), ("admin_a", "agency_admin", AGENCY_ID),
            ("auditor_a", "auditor", AGENCY_ID),
            ("detective_b", "detective", AGENCY_B), ("supervisor_b", "supervisor", AGENCY_B),
            ("admin_b", "agency_admin", AGENCY_B), ("auditor_b", "auditor", AGENCY_B),
            ("officer_a", "officer", AGENCY_ID), ("officer_a2", "officer", AGENCY_ID),
            ("officer_b", "officer", AGENCY_B)):
        accounts[name] = make_user(role, agency_id=agency)
    accounts["owner_a"].user.update(actions=[User.display_name.set(OWNER_NAME)])
    for name, account in accounts.items():
        clients[name] = session_client(base_url, settings, account)
    owner_a = clients["owner_a"]

    # Two organisations: A's (its admin has a camera; a member) and B's.
    for founder, member, org_name in (("founder_a", "member_a", "Quill Traders"),
                                      ("founder_b", "member_b", "Elsewhere Traders")):
        assert clients[founder].post_form("/org", {"name": org_name}).status_code == 302
        org_id = User.get(accounts[founder].user.user_id).org_id
        accounts[member].user.update(actions=[User.org_id.set(org_id)])
    org_camera = _created(clients["founder_a"].send_json(
        "POST", "/api/cameras", _place_body(nickname=ORG_CAMERA)))["camera"]
    own_b = _created(clients["founder_b"].send_json(
        "POST", "/api/cameras", _place_body(nickname="B's own", lat=PLACE[0] + 0.01)))["camera"]

    camera = _created(owner_a.send_json("POST", "/api/cameras", _place_body(
        nickname=CAMERA_NAME, street=STREET, tier="on_alert")))["camera"]
    hidden = _created(owner_a.send_json("POST", "/api/cameras", _place_body(
        nickname=HIDDEN_NAME, street=HIDDEN_STREET, lat=PLACE[0] - 0.0003, tier="on_alert",
        visibility="hidden")))["camera"]
    photo = f"camera-photos/{camera['id']}/{uuid.uuid4().hex}"
    aws_client(settings, "s3").put_object(Bucket=settings.uploads_bucket, Key=photo,
                                          Body=b"\xff\xd8\xff\xe0 a jpeg", ContentType="image/jpeg")
    _created(owner_a.send_json("PUT", f"/api/cameras/{camera['id']}/photo", {"key": photo}), 200)

    # R1 asks A's camera and (by radius) the hidden one; A starts uploading (approves).
    detective = clients["detective_a1"]
    r1 = _ask(detective, [camera["id"]], hidden_radius_m=150)
    by_camera = {t.camera_id: t.target_id for t in RequestTarget.request_index.query(r1["id"])}
    asked, asked_hidden = by_camera[camera["id"]], by_camera[hidden["id"]]
    _created(owner_a.send_json("POST", f"/api/targets/{asked}/upload", {
        "filename": "export.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": clock.now().isoformat()}))
    # R2's clip is ready.
    r2 = _ask(detective, [camera["id"]])
    ready = r2["targets"][0]["id"]
    _make_ready(ready)

    incident = _created(detective.send_json("POST", "/api/incidents", {
        "lat": PLACE[0], "lon": PLACE[1], "label": MESSAGE, "case_number": CASE}))
    live_ask = _created(detective.send_json(
        "POST", f"/api/incidents/{incident['incident_id']}/ask", {"camera_id": camera["id"]}),
        200)
    bulletin = _created(detective.send_json(
        "POST", f"/api/incidents/{incident['incident_id']}/bulletins",
        {"text": MESSAGE, "recipients": [accounts["officer_a"].user.user_id]}))
    share = _created(owner_a.send_json("POST", "/api/shares", {
        "camera_ids": [camera["id"], hidden["id"]], "minutes": 20, "phone": True}))
    code = bridges.pairing_code(settings, accounts["owner_a"].user, "127.0.0.1")
    device_a = bridges.pair(settings, code, "A's bridge", "127.0.0.1").device
    box = Sealer(Path(tempfile.mkdtemp()))  # A's bridge says its key; A sets a recorder up
    bridge_setup.record_found(device_a, {"public_key": box.public_spki(), "devices": []})
    order_a = bridge_setup.place_order(
        settings, accounts["owner_a"].user, device_a.device_id,
        {"host": "192.168.1.64", "brand": "hikvision", "sealed_password": box.seal("pw")},
        "127.0.0.1")
    device_a.refresh()
    code = bridges.pairing_code(settings, accounts["owner_b"].user, "127.0.0.1")
    clients["bridge_b"] = _bridge_client(
        base_url, bridges.pair(settings, code, "B's bridge", "127.0.0.1").credential)
    endpoint = f"http://127.0.0.1:9/push/{uuid.uuid4().hex}"
    _created(owner_a.send_json("POST", "/api/push/subscriptions", _subscription(endpoint)))
    key_a = field_service.create_key(accounts["admin_a"].user, KEY_NAME, "127.0.0.1")
    key_b = field_service.create_key(accounts["admin_b"].user, "B's CAD", "127.0.0.1")
    key_a_item = ApiKey.get(tokens.digest(key_a))
    session_a = sessions.list_for(accounts["owner_a"].user.user_id)[0]
    chain_a = audit.chain_for(AGENCY_ID)

    ids = {"cam_a": camera["id"], "cam_hidden": hidden["id"], "cam_org_a": org_camera["id"],
           "cam_own_b": own_b["id"], "photo_a": photo,
           "r1": r1["id"], "r2": r2["id"], "t_asked": asked, "t_hidden": asked_hidden,
           "t_ready": ready, "share_a": share["share_id"], "device_a": device_a.device_id,
           "order_a": order_a,
           "incident_a": incident["incident_id"], "ask_a": live_ask["ask_id"],
           "bulletin_a": bulletin["bulletin_id"],
           "session_a": session_a.public_id,
           "sub_a": PushSubscription.get(push_service.subscription_id(endpoint)).subscription_id,
           "endpoint_a": endpoint,
           "key_a": key_a_item.public_id, "key_b": key_b, "chain_a": chain_a,
           "seq_a": "1", "detective_a1": accounts["detective_a1"].user.user_id,
           "owner_a": accounts["owner_a"].user.user_id,
           "member_a": accounts["member_a"].user.user_id,
           "member_b": accounts["member_b"].user.user_id, "piece": PIECE, "clip": "clip",
           "package": "package"}
    secret_words = (OWNER_NAME, accounts["owner_a"].email, CAMERA_NAME, STREET, HIDDEN_NAME,
                    HIDDEN_STREET, ORG_CAMERA, CASE, MESSAGE, KEY_NAME,
                    accounts["detective_a1"].email)
    made = World(ids, clients, accounts, secret_words)

    # Controls: the rightful users do reach every kind of object, so a refusal below is
    # about the caller and not a broken object.
    for client, path in ((owner_a, f"/api/cameras/{camera['id']}"),
                         (owner_a, f"/api/targets/{asked}/upload"),
                         (owner_a, f"/api/shares/{share['share_id']}"),
                         (detective, f"/api/requests/{r1['id']}"),
                         (clients["supervisor_a"], f"/api/requests/{r1['id']}"),
                         (clients["founder_a"], f"/api/cameras/{org_camera['id']}")):
        assert client.get(path).status_code == 200, path
    assert detective.send_json("POST", f"/api/evidence/{ready}/clip").status_code == 200
    made.snapshot = snapshot(made)
    return made


# ---------------------------------------------------------------- what must not change


NOISE = {"last_seen", "last_seen_at", "notified_at", "last_sent_at", "version"}


def _item(model: Any, *key: str) -> dict[str, Any] | None:
    try:
        found = model.get(*key, consistent_read=True)
    except model.DoesNotExist:
        return None
    return {k: v for k, v in found.attribute_values.items() if k not in NOISE}


def snapshot(world: World) -> dict[str, Any]:
    ids, accounts = world.ids, world.accounts
    items: dict[str, Any] = {
        name: _item(Camera, ids[name]) for name in ("cam_a", "cam_hidden", "cam_org_a")}
    items.update({name: _item(RequestTarget, ids[name])
                  for name in ("t_asked", "t_hidden", "t_ready")})
    items.update({name: _item(FootageRequest, ids[name]) for name in ("r1", "r2")})
    items["evidence"] = _item(Evidence, ids["t_ready"])
    items["share"] = _item(LiveShare, ids["share_a"])
    items["incident"] = _item(Incident, ids["incident_a"])
    items["ask"] = _item(LiveAsk, ids["ask_a"])
    # A's own police may watch (and are noted as viewers); nobody else is ever noted.
    viewers = json.loads(items["share"].pop("viewers", None) or "{}") if items["share"] else {}
    items["share_viewers"] = sorted(set(viewers) - {ids["detective_a1"]})
    items["device"] = _item(BridgeDevice, ids["device_a"])
    items["subscription"] = _item(PushSubscription, ids["sub_a"])
    items["sessions"] = sorted(s.public_id for s in sessions.list_for(ids["owner_a"]))
    items["detective_sessions"] = len(sessions.list_for(ids["detective_a1"]))
    items["users"] = {name: _item(User, a.user.user_id) for name, a in accounts.items()}
    items["key"] = {k.public_id: bool(k.revoked) for k in ApiKey.scan(
        ApiKey.agency_id == AGENCY_ID)}
    items["agency"] = _item(Agency, AGENCY_ID)
    items["orgs"] = {o.org_id: o.attribute_values for o in Organisation.scan(
        Organisation.admin_id.is_in(accounts["founder_a"].user.user_id,
                                    accounts["founder_b"].user.user_id))}
    items["field_a"] = sorted(e.event_key for e in FieldEvent.query(AGENCY_ID))
    items["program_a"] = [p.attribute_values for p in program.history(AGENCY_ID)]
    return items


# ---------------------------------------------------------------- routes with ids


@dataclass(frozen=True)
class Try:
    who: str
    args: dict[str, str]  # rule argument -> key in World.ids
    body: Any = None
    query: str = ""  # may name World.ids keys as {key}
    hides: bool = True  # answers exactly as for an id that does not exist


CAMERA_FORM = {k: str(v) for k, v in camera_body(nickname="Mine now").items()}
UPLOAD = {"filename": "x.mp4", "size": 1000, "clock_offset_s": 0,
          "video_starts_at": "2026-01-01T00:00:00+00:00"}
SEGMENT = {"camera_id": "", "name": PIECE, "start": "2026-01-01T00:00:00+00:00",
           "end": "2026-01-01T00:00:02+00:00", "duration_s": 2.0, "size": 10,
           "sha256": "0" * 64}
CLIP = {"size": 10, "sha256": "0" * 64, "starts_at": "2026-01-01T00:00:00+00:00",
        "ends_at": "2026-01-01T00:00:30+00:00"}
PHONE = {"mime": "video/webm", "duration_s": 2.0, "size": 1000}
CAM = {"camera_id": "cam_a"}
ORG_CAM = {"camera_id": "cam_org_a"}
OWNER_INTRUDERS = ("owner_b", "founder_b", "member_a")

PROBES: dict[tuple[str, str], list[Try]] = {
    # cameras (and their photos): other owners, another org's admin, a member of A's org
    ("GET", "/cameras/<camera_id>/edit"): [
        *(Try(w, CAM) for w in OWNER_INTRUDERS), Try("founder_b", ORG_CAM),
        Try("member_a", ORG_CAM)],
    ("POST", "/cameras/<camera_id>/edit"): [Try("owner_b", CAM, CAMERA_FORM),
                                            Try("founder_b", ORG_CAM, CAMERA_FORM)],
    ("POST", "/cameras/<camera_id>/pause"): [Try("owner_b", CAM, {"paused": "1"}),
                                             Try("member_a", ORG_CAM, {"paused": "1"})],
    ("POST", "/cameras/<camera_id>/confirm"): [Try("owner_b", CAM)],
    ("POST", "/cameras/<camera_id>/masks"): [
        Try("owner_b", CAM, {"masks": '[{"id": "m1", "points": [[0, 0], [1, 0], [1, 1]]}]'}),
        Try("founder_b", ORG_CAM, {"masks": ""})],
    ("POST", "/cameras/<camera_id>/withdraw"): [Try("owner_b", CAM),
                                                Try("founder_b", ORG_CAM)],
    ("GET", "/api/cameras/<camera_id>"): [*(Try(w, CAM) for w in OWNER_INTRUDERS),
                                          Try("founder_b", ORG_CAM), Try("member_a", ORG_CAM)],
    ("PUT", "/api/cameras/<camera_id>"): [Try("owner_b", CAM, camera_body(nickname="Mine")),
                                          Try("founder_b", ORG_CAM, camera_body())],
    ("DELETE", "/api/cameras/<camera_id>"): [Try("owner_b", CAM), Try("founder_b", ORG_CAM),
                                             Try("member_a", ORG_CAM)],
    ("PUT", "/api/cameras/<camera_id>/paused"): [Try("owner_b", CAM, {"paused": True}),
                                                 Try("founder_b", ORG_CAM, {"paused": True})],
    ("POST", "/api/cameras/<camera_id>/confirm"): [Try("owner_b", CAM, {})],
    ("POST", "/api/cameras/<camera_id>/photo-upload"): [
        Try("owner_b", CAM, {"content_type": "image/jpeg"})],
    ("PUT", "/api/cameras/<camera_id>/photo"): [Try("owner_b", CAM, {"key": "photo_a"})],
    ("POST", "/org/cameras/<camera_id>/hand-over"): [
        Try("founder_b", ORG_CAM, {"member_id": "member_b"}),
        Try("founder_b", CAM, {"member_id": "member_b"})],
    # an owner's asked cameras, uploads and clips
    ("GET", "/requests/<target_id>"): [Try("owner_b", {"target_id": "t_asked"}),
                                       Try("founder_b", {"target_id": "t_hidden"})],
    ("POST", "/requests/<target_id>/answer"): [
        Try("owner_b", {"target_id": "t_hidden"}, {"action": "decline"})],
    ("GET", "/api/targets/<target_id>"): [Try(w, {"target_id": "t_asked"})
                                          for w in OWNER_INTRUDERS],
    ("POST", "/api/targets/<target_id>/answer"): [
        Try("owner_b", {"target_id": "t_hidden"}, {"action": "approve"})],
    ("GET", "/api/targets/<target_id>/upload"): [Try("owner_b", {"target_id": "t_asked"})],
    ("POST", "/api/targets/<target_id>/upload"): [
        Try("owner_b", {"target_id": "t_asked"}, UPLOAD),
        Try("owner_b", {"target_id": "t_hidden"}, UPLOAD)],
    ("POST", "/api/targets/<target_id>/upload/parts"): [
        Try("owner_b", {"target_id": "t_asked"}, {"parts": [1]})],
    ("POST", "/api/targets/<target_id>/upload/complete"): [
        Try("owner_b", {"target_id": "t_asked"}, {})],
    # police: another program, or a detective of A's program who did not ask
    ("POST", "/api/evidence/<target_id>/<kind>"): [
        Try("detective_b", {"target_id": "t_ready", "kind": "clip"}),
        Try("supervisor_b", {"target_id": "t_ready", "kind": "package"}),
        Try("detective_a2", {"target_id": "t_ready", "kind": "clip"}),
        Try("detective_a2", {"target_id": "t_ready", "kind": "package"})],
    ("PUT", "/api/evidence/<target_id>/hold"): [
        Try("supervisor_b", {"target_id": "t_ready"}, {"hold": True, "reason": "mine"})],
    ("GET", "/cases/<request_id>"): [Try(w, {"request_id": "r1"})
                                     for w in ("detective_b", "supervisor_b", "detective_a2")],
    ("POST", "/cases/<request_id>/decision"): [
        Try("supervisor_b", {"request_id": "r1"}, {"decision": "approve"})],
    ("GET", "/api/requests/<request_id>"): [
        Try(w, {"request_id": "r1"}) for w in ("detective_b", "supervisor_b", "detective_a2")],
    ("GET", "/cases/<request_id>/timeline"): [
        Try(w, {"request_id": "r1"}) for w in ("detective_b", "supervisor_b", "detective_a2")],
    ("GET", "/api/requests/<request_id>/timeline"): [
        Try(w, {"request_id": "r1"}) for w in ("detective_b", "supervisor_b", "detective_a2")],
    ("GET", "/api/requests/<request_id>/timeline/export"): [
        Try(w, {"request_id": "r1"}) for w in ("detective_b", "supervisor_b", "detective_a2")],
    ("POST", "/api/requests/<request_id>/decision"): [
        Try("supervisor_b", {"request_id": "r1"}, {"approve": False})],
    # live shares: other owners and their bridges; another program's police
    ("POST", "/share/<share_id>/end"): [Try(w, {"share_id": "share_a"})
                                        for w in OWNER_INTRUDERS],
    ("GET", "/api/shares/<share_id>"): [Try("owner_b", {"share_id": "share_a"})],
    ("DELETE", "/api/shares/<share_id>"): [Try("owner_b", {"share_id": "share_a"}),
                                           Try("founder_b", {"share_id": "share_a"})],
    ("POST", "/api/shares/<share_id>/phone"): [Try("owner_b", {"share_id": "share_a"}, PHONE)],
    ("POST", "/api/shares/<share_id>/phone/<name>/done"): [
        Try("owner_b", {"share_id": "share_a", "name": "piece"}, {})],
    ("GET", "/live/<share_id>"): [Try("detective_b", {"share_id": "share_a"})],
    ("GET", "/api/live/<share_id>/pieces"): [
        Try(w, {"share_id": "share_a"}, query="camera={cam_a}")
        for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/live/<share_id>/quality"): [
        Try(w, {"share_id": "share_a"}, {"camera": "cam_a", "quality": "main"})
        for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/live/<share_id>/view"): [Try(w, {"share_id": "share_a"}, {})
                                            for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/live/<share_id>/leave"): [Try(w, {"share_id": "share_a"}, {})
                                             for w in ("detective_b", "supervisor_b")],
    ("POST", "/live/<share_id>/leave"): [Try(w, {"share_id": "share_a"})
                                         for w in ("detective_b", "supervisor_b")],
    # B's police on A's program's incident
    ("GET", "/incidents/<incident_id>"): [Try(w, {"incident_id": "incident_a"})
                                          for w in ("detective_b", "supervisor_b")],
    ("GET", "/api/incidents/<incident_id>"): [Try(w, {"incident_id": "incident_a"})
                                              for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/incidents/<incident_id>/watch"): [
        Try(w, {"incident_id": "incident_a"}, {"camera_id": "cam_a"})
        for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/incidents/<incident_id>/close"): [Try(w, {"incident_id": "incident_a"}, {})
                                                     for w in ("detective_b", "supervisor_b")],
    ("POST", "/incidents/<incident_id>/close"): [Try(w, {"incident_id": "incident_a"})
                                                 for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/incidents/<incident_id>/ask"): [
        Try(w, {"incident_id": "incident_a"}, {"camera_id": "cam_a"})
        for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/incidents/<incident_id>/pull"): [
        Try(w, {"incident_id": "incident_a"}, {"camera_id": "cam_a", "minutes": 1})
        for w in ("detective_b", "supervisor_b")],
    # A bulletin to officer_a: another officer of A's program, and B's police
    ("GET", "/bulletins/<bulletin_id>"): [Try(w, {"bulletin_id": "bulletin_a"})
                                          for w in ("officer_a2", "officer_b", "detective_b")],
    ("GET", "/bulletins/<bulletin_id>/still"): [
        Try(w, {"bulletin_id": "bulletin_a"}) for w in ("officer_a2", "officer_b")],
    ("GET", "/api/incidents/<incident_id>/recipients"): [
        Try(w, {"incident_id": "incident_a"}) for w in ("detective_b", "supervisor_b")],
    ("POST", "/api/incidents/<incident_id>/bulletins"): [
        Try(w, {"incident_id": "incident_a"}, {"text": "x", "recipients": ["officer_b"]})
        for w in ("detective_b", "supervisor_b")],
    # another owner on owner A's ask
    ("GET", "/asks/<ask_id>"): [Try(w, {"ask_id": "ask_a"}) for w in ("owner_b", "founder_a")],
    ("POST", "/asks/<ask_id>"): [Try(w, {"ask_id": "ask_a"}) for w in ("owner_b", "founder_a")],
    # a bridge of owner B, on owner A's work
    ("POST", "/api/bridge/shares/<share_id>/segments"): [
        Try("bridge_b", {"share_id": "share_a"}, {**SEGMENT, "camera_id": "cam_a"})],
    ("POST", "/api/bridge/shares/<share_id>/segments/<camera_id>/<name>/done"): [
        Try("bridge_b", {"share_id": "share_a", "camera_id": "cam_a", "name": "piece"}, {})],
    ("POST", "/api/bridge/targets/<target_id>/clip"): [
        Try("bridge_b", {"target_id": "t_asked"}, CLIP)],
    ("POST", "/api/bridge/targets/<target_id>/clip/done"): [
        Try("bridge_b", {"target_id": "t_asked"}, {})],
    ("POST", "/api/bridge/targets/<target_id>/unavailable"): [
        Try("bridge_b", {"target_id": "t_hidden"}, {"reason": "not mine"})],
    # an owner's bridges, sessions and devices
    ("POST", "/bridges/<device_id>/revoke"): [Try(w, {"device_id": "device_a"})
                                              for w in (*OWNER_INTRUDERS, "admin_a")],
    ("POST", "/bridges/<device_id>/scan"): [Try(w, {"device_id": "device_a"})
                                            for w in (*OWNER_INTRUDERS, "admin_a")],
    ("POST", "/bridges/<device_id>/cap"): [Try(w, {"device_id": "device_a"},
                                               {"max_upload_kbps": "100"})
                                           for w in (*OWNER_INTRUDERS, "admin_a")],
    ("POST", "/bridges/<device_id>/setups"): [
        Try(w, {"device_id": "device_a"}, {"host": "192.168.1.9", "brand": "dahua",
                                           "sealed_password": "c2VhbGVk" * 20})
        for w in (*OWNER_INTRUDERS, "admin_a")],
    ("POST", "/bridges/<device_id>/setups/<order_id>"): [
        Try(w, {"device_id": "device_a", "order_id": "order_a"}, {"camera_ch1": "cam_own_b"})
        for w in (*OWNER_INTRUDERS, "admin_a")],
    ("POST", "/api/bridge/setups/<order_id>"): [
        Try("bridge_b", {"order_id": "order_a"}, {"ok": False, "problem": "not mine"})],
    ("POST", "/account/sessions/<public_id>/revoke"): [
        Try(w, {"public_id": "session_a"}) for w in ("owner_b", "admin_b", "admin_a")],
    ("DELETE", "/api/me/sessions/<public_id>"): [
        Try(w, {"public_id": "session_a"}) for w in ("owner_b", "auditor_a", "detective_a1")],
    ("POST", "/account/notifications/<subscription_id>/remove"): [
        Try(w, {"subscription_id": "sub_a"}) for w in ("owner_b", "admin_a")],
    # another program's admin and auditor
    ("POST", "/admin/users/<user_id>/role"): [
        Try("admin_b", {"user_id": "detective_a1"}, {"role": "auditor"}),
        Try("admin_b", {"user_id": "owner_a"}, {"role": "detective"})],
    ("POST", "/admin/users/<user_id>/sessions/revoke"): [
        Try("admin_b", {"user_id": "detective_a1"}), Try("admin_b", {"user_id": "owner_a"})],
    ("POST", "/admin/api-keys/<public_id>/revoke"): [Try("admin_b", {"public_id": "key_a"})],
    ("GET", "/audit/events/<chain>/<seq>"): [
        Try("auditor_b", {"chain": "chain_a", "seq": "seq_a"})],
}

# Rules with an argument that names no object of anybody's: why each is left out here.
NOT_OBJECT_IDS = {
    ("GET", "/password/reset/<token>"): "a single-use secret mailed to its holder",
    ("GET", "/signup/finish/<token>"): "a single-use secret mailed to the address signed up",
    ("POST", "/signup/finish/<token>"): "a single-use secret mailed to the address signed up",
    ("POST", "/password/reset/<token>"): "a single-use secret mailed to its holder",
    ("GET", "/invite/<token>"): "a single-use secret mailed to its holder",
    ("POST", "/invite/<token>"): "a single-use secret mailed to its holder",
    ("GET", "/org/join/<token>"): "a single-use secret; checked against the invitee's email",
    ("POST", "/org/join/<token>"): "a single-use secret; checked against the invitee's email",
    ("GET", "/program/history/<int:number>"): "public: a program's published policy versions",
    ("GET", "/static/<path:filename>"): "public files",
    ("GET", "/static/<digest:digest>/<path:filename>"): "public files",
    ("GET", "/vendor/<package>/<path:filename>"): "public files",
    ("GET", "/vendor/<package>/<version:version>/<path:filename>"): "public files",
    ("PUT", "/api/ingest/<feed>"): "a feed name; the API key picks the program "
                                   "(test_an_ingest_key_writes_only_its_own_program)",
}
LITERAL_ARGS = {"kind", "name", "seq"}  # not faked when asking for a made-up object


def routes_with_ids(app: Any) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.arguments
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_with_an_id_is_probed(devstack: Any) -> None:
    found = routes_with_ids(devstack.app)
    missing = found - set(PROBES) - set(NOT_OBJECT_IDS)
    assert not missing, f"routes with ids that no object-access probe tries: {sorted(missing)}"
    assert set(PROBES) | set(NOT_OBJECT_IDS) <= found, "probes for routes that are gone"
    assert all(PROBES.values())


def made_up(value: str) -> str:
    """An id of the same shape that names nothing."""
    if value.startswith("agency#"):
        return "agency#no-such-program"
    if re.fullmatch(r"[0-9a-f]+", value):
        return secrets.token_hex(len(value) // 2 + 1)[: len(value)]
    return f"{value[:-6]}{secrets.token_hex(3)}" if len(value) > 6 else secrets.token_hex(4)


def concrete(world: World, rule: str, args: dict[str, str], fake: bool) -> str:
    path = rule
    for name, key in args.items():
        value = world.ids[key]
        if fake and name not in LITERAL_ARGS:
            value = made_up(value)
        path = path.replace(f"<{name}>", value)
    return path


def resolved(world: World, body: Any) -> Any:
    """Bodies may name World.ids keys as values (a victim's photo key, a member id...)."""
    if isinstance(body, dict):
        return {k: world.ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    return body


def send(client: Client, method: str, path: str, body: Any = None) -> requests.Response:
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.send_json(method, path, {} if body is None else body)
    return client.post_form(path, body or {})


def gist(answer: requests.Response) -> tuple[Any, ...]:
    """What a caller learns from a refusal: its status and its words (not the echoed path)."""
    if "json" in answer.headers.get("Content-Type", ""):
        data = answer.json()
        return answer.status_code, data.get("title"), data.get("detail"), data.get("errors")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>\s*(?:<p[^>]*>(.*?)</p>)?", answer.text, re.S)
    return answer.status_code, heading.groups() if heading else None


def leaked(world: World, answer: requests.Response) -> list[str]:
    return [s for s in world.secrets if s in answer.text]


def _destroys_last(route: tuple[str, str]) -> tuple[bool, str, str]:
    """Reads first: a delete that wrongly worked would leave later tries nothing to find."""
    method, rule = route
    last = method == "DELETE" or rule.endswith(("/withdraw", "/revoke", "/end", "/close"))
    return last, rule, method


ORDER: list[tuple[str, str]] = sorted(PROBES, key=_destroys_last)


@pytest.mark.parametrize("route", ORDER, ids=lambda r: f"{r[0]} {r[1]}")
def test_nobody_reaches_another_ones_object_by_its_id(world: World,
                                                      route: tuple[str, str]) -> None:
    method, rule = route
    failures = []
    for attempt in PROBES[route]:
        client = world.clients[attempt.who]
        body = resolved(world, attempt.body)
        query = "?" + attempt.query.format(**world.ids) if attempt.query else ""
        real = send(client, method, concrete(world, rule, attempt.args, False) + query, body)
        where = f"{method} {rule} as {attempt.who}"
        if leaked(world, real):
            failures.append(f"{where}: shows {leaked(world, real)}")
        if attempt.hides:
            fake = send(client, method, concrete(world, rule, attempt.args, True) + query, body)
            if gist(real) != gist(fake):
                failures.append(f"{where}: answers {gist(real)} for A's object but "
                                f"{gist(fake)} for none (its existence shows)")
            if real.status_code < 400 and not (method == "GET" and fake.status_code < 400):
                failures.append(f"{where}: {real.status_code} (it was not refused)")
        elif real.status_code < 400:
            failures.append(f"{where}: {real.status_code} (it was not refused)")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- ids in bodies and queries


def test_ids_in_bodies_open_nothing_of_anothers(world: World) -> None:
    """Routes whose object ids come in the body or the query, not the path."""
    ids, c = world.ids, world.clients
    # Another program's detective cannot ask A's camera, nor see it offered on a new case.
    asked = c["detective_b"].send_json("POST", "/api/requests", {
        "camera_ids": [ids["cam_a"]], "case_number": "B-1", "offense": "robbery",
        "window_start": (clock.now() - timedelta(minutes=30)).isoformat(),
        "window_end": (clock.now() - timedelta(minutes=29)).isoformat(),
        "lat": PLACE[0], "lon": PLACE[1]})
    assert asked.status_code == 422 and not leaked(world, asked)
    offered = c["detective_b"].get(f"/cases/new?camera_ids={ids['cam_a']}"
                                   f"&camera_ids={ids['cam_hidden']}")
    assert offered.status_code == 200 and ids["cam_a"] not in offered.text
    assert not leaked(world, offered)
    # Another owner, their bridge or their org cannot share A's cameras.
    for answer in (
            c["owner_b"].send_json("POST", "/api/shares", {"camera_ids": [ids["cam_a"]],
                                                          "minutes": 5}),
            c["founder_b"].post_form("/share", {"camera_ids": ids["cam_org_a"], "minutes": "5"}),
            c["bridge_b"].send_json("POST", "/api/bridge/shares", {
                "camera_ids": [ids["cam_a"]], "minutes": 5})):
        assert answer.status_code == 422, (answer.url, answer.status_code)
        assert not leaked(world, answer)
    # A bridge that names A's camera is not given A's work.
    state = c["bridge_b"].get(f"/api/bridge/state?camera={ids['cam_a']}")
    assert state.status_code == 200 and not leaked(world, state)
    assert ids["cam_a"] not in state.text and ids["share_a"] not in state.text
    assert ids["t_asked"] not in state.text
    # Another owner's "turn notifications off" with A's endpoint leaves A's device alone.
    off = c["owner_b"].send_json("DELETE", "/api/push/subscriptions",
                                 {"endpoint": ids["endpoint_a"]})
    assert off.status_code == 200 and off.json() == {"removed": False}
    # An org admin hands cameras only to their own organisation's members.
    handed = c["founder_b"].post_form(f"/org/cameras/{ids['cam_own_b']}/hand-over",
                                      {"member_id": ids["member_a"]})
    assert handed.status_code == 422
    assert Camera.get(ids["cam_own_b"]).owner_id == world.accounts["founder_b"].user.user_id
    # An owner's own lists never hold A's things.
    for client, path in ((c["owner_b"], "/api/cameras"), (c["owner_b"], "/api/me/activity"),
                         (c["owner_b"], "/requests"), (c["owner_b"], "/share"),
                         (c["owner_b"], "/bridges"), (c["owner_b"], "/account/sessions"),
                         (c["member_a"], "/cameras"), (c["founder_b"], "/org"),
                         (c["founder_b"], "/cameras")):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert not leaked(world, answer), (path, leaked(world, answer))
        for key in ("cam_a", "cam_org_a", "t_asked", "share_a", "device_a", "session_a"):
            assert ids[key] not in answer.text, (path, key)


def test_a_browser_taken_over_by_another_account_is_told_to_its_owner(world: World) -> None:
    """A push endpoint names one browser: a second account signing up for notifications in it
    (a shared tablet) takes it, and the first account reads that in its activity."""
    owner, other = world.clients["owner_a"], world.clients["owner_b"]
    owner_id = world.ids["owner_a"]
    endpoint = f"http://127.0.0.1:9/push/{uuid.uuid4().hex}"
    _created(owner.send_json("POST", "/api/push/subscriptions", _subscription(endpoint)))
    sid = push_service.subscription_id(endpoint)
    assert other.post_form(f"/account/notifications/{sid}/remove").status_code == 404
    _created(other.send_json("POST", "/api/push/subscriptions", _subscription(endpoint)))
    assert PushSubscription.get(sid).user_id == world.accounts["owner_b"].user.user_id
    told = [e for e in audit.activity_of(owner_id) if e.action == "push.unsubscribed"]
    assert told and "another account" in told[0].details
    assert told[0].actor_id == "system"  # who took it is not the first owner's business
    assert sid not in {s.subscription_id for s in push_service.subscriptions_of(owner_id)}


def test_another_program_sees_nothing_of_this_one(world: World) -> None:
    ids, c = world.ids, world.clients
    reads = {
        "detective_b": ["/api/map", "/map", "/api/live", "/live", "/cases", "/search",
                        "/api/registry.geojson", f"/live/{ids['share_a']}"],
        "supervisor_b": ["/api/live", "/cases", "/api/map"],
        "admin_b": ["/admin/users", "/admin/api-keys", "/admin/invitations", "/admin/policy",
                    "/admin/program", "/admin/feedback", "/api/registry.geojson"],
        "auditor_b": ["/api/audit/events", "/audit", "/audit/export.json", "/audit/export.csv",
                      "/audit/flags"],
    }
    for who, paths in reads.items():
        for path in paths:
            answer = c[who].get(path)
            assert answer.status_code == 200, (who, path, answer.status_code)
            assert not leaked(world, answer), (who, path, leaked(world, answer))
            for key in ("cam_a", "r1", "t_ready", "share_a", "owner_a", "detective_a1",
                        "key_a"):
                assert ids[key] not in answer.text, (who, path, key)
    # B's admin sets B's policy and B's public page; A's stay as they were (the last test).
    policy: dict[str, Any] = {"max_window_minutes": "15", "expire_days": "2",
                              "remind_after_hours": "6", "retention_days": "7",
                              "timezone": "America/Chicago",
                              "needs_supervisor": "1", "offenses": ["robbery"]}
    assert c["admin_b"].post_form("/admin/policy", policy).status_code == 302
    page = c["admin_b"].get("/admin/program")
    version = page.text.split('name="version" value="')[1].split('"')[0]
    words: dict[str, Any] = {"policy_text": "Program B's own words.", "note": "B",
                             "version": version, "q": ["Q?"], "a": ["A."]}
    written = c["admin_b"].post_form("/admin/program", words, token=form_token(page.text))
    assert written.status_code == 302, written.text
    assert Agency.get(AGENCY_B).max_window_minutes == 15
    found = c["detective_b"].send_json("POST", "/api/search", {
        "lat": PLACE[0], "lon": PLACE[1], "radius_m": 500,
        "incident_at": clock.now().isoformat(), "case_number": "B-2"}).json()
    assert found["cameras"] == [] and found["hidden_count"] == 0
    assert c["detective_b"].get("/api/live").json()["shares"] == []
    assert c["auditor_b"].get(f"/api/audit/events?case={CASE}").json()["events"] == []
    # An auditor of B who looks A's people up by email or id finds none of their events, and
    # not even their id (the log would show it with the auditor's own search).
    auditor = c["auditor_b"]
    for who in ("owner_a", "detective_a1"):
        email = world.accounts[who].email
        assert auditor.get(f"/api/audit/events?actor={email}").json()["events"] == []
        assert auditor.get(f"/audit?subject={email}").status_code == 200
        assert ids[who] not in auditor.get("/api/audit/events").text
    assert auditor.get(f"/api/audit/events?subject={ids['owner_a']}").json()["events"] == []


def test_an_ingest_key_writes_only_its_own_program(world: World, base_url: str) -> None:
    item = [{"id": "QX-CALL-1", "lat": PLACE[0], "lon": PLACE[1], "label": "Quill call"}]
    answer = requests.put(f"{base_url}/api/ingest/calls", json=item, timeout=30,
                      headers={"Authorization": f"Bearer {world.ids['key_b']}"})
    assert answer.status_code == 200, answer.text
    assert "call#QX-CALL-1" in {e.event_key for e in FieldEvent.query(AGENCY_B)}
    assert "QX-CALL-1" not in world.clients["detective_a1"].get("/api/map").text
    assert "QX-CALL-1" in world.clients["detective_b"].get("/api/map").text


# ---------------------------------------------------------------- hidden owners


def test_police_never_learn_who_a_hidden_owner_is(world: World) -> None:
    """Not the owner's name or email (for any camera), nor the hidden camera's name or street,
    anywhere A's own police look: search, map, export, cases, boards, live, evidence."""
    ids, c = world.ids, world.clients
    account = world.accounts["owner_a"]
    hidden = (OWNER_NAME, account.email, account.user.user_id, HIDDEN_NAME, HIDDEN_STREET,
              ids["cam_hidden"])
    live_hidden = hidden[:5]  # a share the owner started names its cameras' streams by id
    search = {"lat": PLACE[0], "lon": PLACE[1], "radius_m": 500,
              "incident_at": (clock.now() - timedelta(minutes=45)).isoformat(),
              "case_number": CASE}
    detective, supervisor = c["detective_a1"], c["supervisor_a"]
    answers = [
        detective.send_json("POST", "/api/search", search),
        detective.post_form("/search", {k: str(v) for k, v in search.items()}),
        detective.get("/api/map"), detective.get("/map"), detective.get("/cases"),
        detective.get(f"/api/requests/{ids['r1']}"), detective.get(f"/cases/{ids['r1']}"),
        detective.get(f"/api/requests/{ids['r2']}"), detective.get(f"/cases/{ids['r2']}"),
        supervisor.get(f"/api/requests/{ids['r1']}"), supervisor.get(f"/cases/{ids['r1']}"),
        supervisor.get("/cases"), detective.get("/api/registry.geojson"),
        c["admin_a"].get("/api/registry.geojson"), c["admin_a"].get("/admin/users"),
        detective.send_json("POST", f"/api/evidence/{ids['t_ready']}/clip"),
    ]
    for answer in answers:
        assert answer.status_code == 200, (answer.url, answer.status_code)
        shown = [s for s in hidden if s in answer.text]
        assert not shown, (answer.url, shown)
    assert answers[0].json()["hidden_count"] >= 1  # counted, not shown
    board = answers[5].json()
    assert {t["id"] for t in board["targets"]} == {ids["t_asked"], ids["t_hidden"]}
    live = [detective.get("/api/live"), detective.get("/live"),
            detective.get(f"/live/{ids['share_a']}"),
            detective.send_json("POST", f"/api/live/{ids['share_a']}/view", {}),
            detective.get(f"/api/live/{ids['share_a']}/pieces?camera={ids['cam_a']}")]
    for answer in live:
        assert answer.status_code == 200, (answer.url, answer.status_code, answer.text)
        shown = [s for s in live_hidden if s in answer.text]
        assert not shown, (answer.url, shown)
    assert ids["share_a"] in live[0].text  # the share itself is open to the program's police


# ---------------------------------------------------------------- auditors only read

# State-changing routes an auditor's session may use, and what it does there.
AUDITOR_MAY = {
    ("POST", "/logout"): "ends the auditor's own session",
    ("DELETE", "/api/session"): "ends the auditor's own session",
    ("POST", "/mfa/setup"): "the auditor's own second factor",
    ("POST", "/mfa/verify"): "the auditor's own second factor",
    ("POST", "/api/session/mfa"): "the auditor's own second factor",
    ("POST", "/api/push/subscriptions"): "the auditor's own devices",
    ("DELETE", "/api/push/subscriptions"): "the auditor's own devices (A's endpoint: "
                                           "test_ids_in_bodies_open_nothing_of_anothers)",
}
AUDITOR_SAMPLE = {"camera_id": "cam_a", "target_id": "t_ready", "request_id": "r1",
                  "share_id": "share_a", "device_id": "device_a", "order_id": "order_a",
                  "subscription_id": "sub_a", "user_id": "detective_a1", "name": "piece",
                  "kind": "clip", "feed": "=calls", "token": "=no-such-token",
                  "number": "=1", "chain": "chain_a", "seq": "seq_a"}


def _auditor_path(world: World, rule: str) -> str:
    sample = dict(AUDITOR_SAMPLE)
    sample["public_id"] = "key_a" if "api-keys" in rule else "session_a"
    path = rule.replace("<int:number>", "<number>")
    for name, key in sample.items():
        value = key[1:] if key.startswith("=") else world.ids[key]
        path = path.replace(f"<{name}>", value)
    return path


def test_an_auditor_changes_nothing(world: World, devstack: Any, base_url: str,
                                    settings: Any) -> None:
    """Every POST, PUT and DELETE, on A's real objects, with the bodies the probes use."""
    bodies = {route: tries[0].body for route, tries in PROBES.items()}
    writes = sorted((m, r) for m, r in EXPECTED if m != "GET")
    assert {(m, r) for m, r in routes_with_ids(devstack.app) if m != "GET"} <= set(writes)
    failures = []
    tried = 0
    for method, rule in writes:
        if (method, rule) in AUDITOR_MAY or EXPECTED[(method, rule)] == PUBLIC:
            continue  # public routes are opened by a token, code or key, never a session
        auditor = session_client(base_url, settings, world.accounts["auditor_a"])
        path = _auditor_path(world, rule)
        answer = send(auditor, method, path, resolved(world, bodies.get((method, rule))))
        tried += 1
        expected = 404 if allowed(EXPECTED[(method, rule)], "auditor") else 403
        if answer.status_code != expected or leaked(world, answer):
            failures.append(f"{method} {path}: {answer.status_code}, wanted {expected}")
    assert tried >= 50 and not failures, "\n".join(failures)


# ---------------------------------------------------------------- and after all of it


def test_nothing_of_a_changed(world: World) -> None:
    """Runs last: none of the tries above changed any of A's items (nor A's program's)."""
    after = snapshot(world)
    changed = {k: (world.snapshot[k], after[k]) for k in after if after[k] != world.snapshot[k]}
    assert not changed, changed
