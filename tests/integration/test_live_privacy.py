"""A live share as police receive it: no camera's id, an approximate camera by its rounded place
only, a hidden camera by nothing but that it is there.

One owner shares three cameras at once, each with a street and a nickname that would identify
it: one shown exactly, one approximately, one hidden. Everything police receive about the share
is collected over HTTP (the program's list as JSON and as a page, the player's page, the view,
the pieces API and its piece URLs, the detective's own activity, and the push a detective's
phone gets, decrypted as the browser would: this test is the push service) and held to the
bounds; the aliases police get still play the video, and the owner still reads their own names.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from app.core.live_view import HIDDEN_NAME, rounded_place
from app.models.cameras import Camera
from app.services import clock
from app.services.auditing import audit
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import SCENE, camera_body
from tests.builders.push import Device, PushService, subscribe
from tests.support import Client

EXACT = {"nickname": "Corner shop door", "street": "2nd Avenue 14"}
APPROXIMATE = {"nickname": "Jane at 41 Oak Lane garage", "street": "17 Maple Street, Apt 3"}
HIDDEN = {"nickname": "Jane's back bedroom window", "street": "41 Oak Lane"}
NEVER_SAID = (APPROXIMATE["nickname"], APPROXIMATE["street"], HIDDEN["nickname"],
              HIDDEN["street"], "Oak Lane", "Maple")


@pytest.fixture
def police_phone() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


def register(owner: Client, visibility: str, words: dict[str, str], east: float) -> str:
    made = owner.send_json("POST", "/api/cameras", camera_body(
        tier="on_alert", visibility=visibility, lon=SCENE[1] + east, **words))
    assert made.status_code == 201, made.text
    return str(made.json()["camera"]["id"])


def test_police_get_aliases_and_only_what_each_visibility_allows(
        signed_in: Any, base_url: str, settings: Any, police_phone: PushService) -> None:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    phone = Device.new(police_phone.endpoint("detective"))
    subscribe(detective, phone)
    exact = register(owner, "exact", EXACT, 0.0)
    approximate = register(owner, "approximate", APPROXIMATE, 0.0004)
    hidden = register(owner, "hidden", HIDDEN, 0.0008)
    ids = (exact, approximate, hidden)

    started = owner.send_json("POST", "/api/shares", {"camera_ids": list(ids), "minutes": 10})
    assert started.status_code == 201, started.text
    share_id = started.json()["share_id"]
    assert started.json()["camera_ids"] == list(ids)  # the owner knows their own cameras

    # The bridge (the owner's) sends one piece of each camera, by camera id.
    bridge, headers, _device = paired_bridge(owner, base_url)
    pieces = {camera_id: f"piece of {camera_id}".encode() * 10 for camera_id in ids}
    at = clock.now() - timedelta(seconds=30)
    for camera_id, data in pieces.items():
        sent = send_piece(bridge, headers, share_id, piece_body(camera_id, data, at), data)
        assert sent.status_code == 200 and sent.json() == {"stored": True}, sent.text

    # Everything police receive about the share.
    listed = detective.get("/api/live")
    assert listed.status_code == 200
    [mine] = [s for s in listed.json()["shares"] if s["share_id"] == share_id]
    view = detective.send_json("POST", f"/api/live/{share_id}/view", {})
    assert view.status_code == 200, view.text
    cameras = view.json()["cameras"]
    assert [c["location"] for c in cameras] == ["exact", "approximate", "not shown"]
    assert [c["stream"] for c in cameras] == [c["stream"] for c in mine["cameras"]]
    received = [listed.text, view.text, html.unescape(detective.get("/live").text),
                html.unescape(detective.get(f"/live/{share_id}").text)]
    place = rounded_place(*(float(v) for v in (Camera.get(approximate).place_lat,
                                               Camera.get(approximate).place_lon)))
    for camera, data in zip(cameras, pieces.values(), strict=True):
        answer = detective.get(f"/api/live/{share_id}/pieces",
                               params={"camera": camera["stream"], "from": "start"})
        assert answer.status_code == 200, answer.text
        [piece] = answer.json()["pieces"]
        assert requests.get(piece["url"], timeout=10).content == data  # aliases play
        received.append(answer.text)
    push = police_phone.wait_for(phone.endpoint)[0]
    payload = phone.read(push)
    assert payload["kind"] == "live_share" and payload["url"] == f"/live/{share_id}"
    received.append(json.dumps(payload))

    # What each visibility lets through, and what it does not.
    for text in received:
        for camera_id in ids:
            assert camera_id not in text, (camera_id, text[:300])
        for words in NEVER_SAID:
            assert words not in text, (words, text[:300])
    assert [(c["name"], c["place"]) for c in cameras] == [
        (EXACT["nickname"], EXACT["street"]), ("A camera shown near its place", place),
        (HIDDEN_NAME, None)]
    where = f"{EXACT['street']} & {place} & {HIDDEN_NAME}"
    assert view.json()["where"] == mine["where"] == where
    assert payload["body"].startswith(f"Live share from {where}, until ")
    assert f"Live: {where}" in html.unescape(received[3])

    # Asking for pieces by a camera's id: a hidden camera's is "not part of the share", as a
    # made-up name is, so asking tells nothing; the ids police know from the map still work.
    for stream in (hidden, "0" * 32):
        refused = detective.get(f"/api/live/{share_id}/pieces", params={"camera": stream})
        assert refused.status_code == 404
        assert refused.json()["detail"] == "This camera is not part of the share."
    assert detective.get(f"/api/live/{share_id}/pieces",
                         params={"camera": exact}).status_code == 200

    # The detective's own events of the share name no camera either.
    activity = detective.get("/api/me/activity").text
    assert share_id in activity and not any(camera_id in activity for camera_id in ids)

    # The owner reads their own names, and the log maps each alias back to its camera.
    page = html.unescape(owner.get("/share").text)
    assert all(words["nickname"] in page for words in (EXACT, APPROXIMATE, HIDDEN))
    [event] = [e for e in audit.activity_of(owner_account.user.user_id)
               if e.action == "live.started" and share_id in e.details]
    mapped = json.loads(event.details)["aliases"]
    assert mapped == {cid: c["stream"] for cid, c in zip(ids, cameras, strict=True)}
