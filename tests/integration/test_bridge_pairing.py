"""An owner pairs a bridge with a one-time code; the bridge calls in with its credential and
learns its cameras and the approved requests; removing it in the app stops it at once."""

from __future__ import annotations

from typing import Any

from app.services.auditing import audit
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.support import Client, form_token


def test_pair_call_in_and_remove(signed_in: Any, base_url: str) -> None:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body(nickname="Till")).json()["camera"]
    code = shown_code(owner)
    bridge = Client(base_url)

    wrong = bridge.send_json("POST", "/api/bridge/pair", {"code": "AAAA-AAAA"}, csrf=False)
    assert wrong.status_code == 422 and "expired or was already used" in wrong.json()["detail"]
    paired = bridge.send_json("POST", "/api/bridge/pair",
                              {"code": code.lower().replace("-", " "), "name": "Back office"},
                              csrf=False)
    assert paired.status_code == 201, paired.text
    credential = paired.json()["credential"]
    assert credential.startswith("pbd_")
    again = bridge.send_json("POST", "/api/bridge/pair", {"code": code}, csrf=False)
    assert again.status_code == 422  # single use

    target_id = ask(detective, [cam["id"]], *window()).json()["targets"][0]["id"]
    owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    headers = {"Authorization": f"Bearer {credential}"}
    state = bridge.get("/api/bridge/state", headers=headers).json()
    assert [c["nickname"] for c in state["cameras"]] == ["Till"]
    assert [r["target_id"] for r in state["requests"]] == [target_id]

    # A panic button on the owner's network: the bridge starts a share; its state says so.
    owner.send_json("PUT", f"/api/cameras/{cam['id']}", camera_body(nickname="Till",
                                                                   tier="on_alert"))
    shared = bridge.send_json("POST", "/api/bridge/shares",
                              {"camera_ids": [cam["id"]], "minutes": 10}, csrf=False,
                              headers=headers)
    assert shared.status_code == 201, shared.text
    state = bridge.get("/api/bridge/state", headers=headers).json()
    assert [s["share_id"] for s in state["shares"]] == [shared.json()["share_id"]]
    assert state["shares"][0]["preroll_seconds"] == 120

    forged = credential[:-4] + "AAAA"
    assert bridge.get("/api/bridge/state",
                      headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert bridge.get("/api/bridge/state").status_code == 401

    page = owner.get("/bridges")
    assert "Back office" in page.text
    device_id = paired.json()["device_id"]
    removed = owner.post_form(f"/bridges/{device_id}/revoke", token=form_token(page.text))
    assert removed.status_code == 302
    refused = bridge.get("/api/bridge/state", headers=headers)
    assert refused.status_code == 401 and "Pair it again" in refused.json()["detail"]
    actions = [e.action for e in audit.activity_of(account.user.user_id)]
    assert {"bridge.code_shown", "bridge.paired", "bridge.revoked"} <= set(actions)

    stranger, _ = signed_in("owner")
    assert stranger.post_form(f"/bridges/{device_id}/revoke").status_code == 404
