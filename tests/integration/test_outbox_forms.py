"""The server side of forms a phone kept offline (frontend/static/js/outbox.js): the same form
sent twice with its idempotency key registers one camera and answers a request once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.core import footage
from app.models.footage import RequestTarget
from app.services.auditing import audit
from app.services.cameras import registry
from tests.builders.cameras import SCENE, camera_body
from tests.builders.footage import ask, window
from tests.support import Client

CAMERA_FORM = {"nickname": "Side gate", "lat": f"{SCENE[0]:.6f}", "lon": f"{SCENE[1]:.6f}",
               "heading_deg": "90", "fov_deg": "90", "range_m": "30", "mount": "wall",
               "facing": "street", "retention_days": "14", "tier": "on_request",
               "visibility": "exact", "max_live_minutes": "30", "attested": "yes"}


def events(user_id: str, action: str) -> int:
    return sum(e.action == action for e in audit.activity_of(user_id, limit=300))


def test_a_camera_form_sent_twice_with_its_key_registers_one_camera(signed_in: Any) -> None:
    owner, account = signed_in("owner")
    key = str(uuid.uuid4())
    first = owner.post_form("/cameras/new", {**CAMERA_FORM, "idempotency_key": key})
    assert first.status_code == 302, first.text
    # The answer never reached the phone; it sends the same form again, in a new page view.
    again = owner.post_form("/cameras/new", {**CAMERA_FORM, "idempotency_key": key})
    assert again.status_code == 302, again.text
    assert again.headers["Location"] == first.headers["Location"]  # the same camera
    cameras = registry.cameras_of(account.user.user_id)
    assert [c.nickname for c in cameras] == ["Side gate"]
    assert events(account.user.user_id, "camera.registered") == 1

    # Another form (another key), or one sent the ordinary way, is another camera.
    assert owner.post_form("/cameras/new", {**CAMERA_FORM, "idempotency_key": str(
        uuid.uuid4())}).status_code == 302
    assert owner.post_form("/cameras/new", CAMERA_FORM).status_code == 302
    assert len(registry.cameras_of(account.user.user_id)) == 3


def test_another_owner_with_the_same_key_gets_a_camera_of_their_own(signed_in: Any) -> None:
    key = str(uuid.uuid4())
    ids = []
    for _ in range(2):
        owner, account = signed_in("owner")
        assert owner.post_form("/cameras/new", {**CAMERA_FORM, "idempotency_key": key}
                               ).status_code == 302
        [camera] = registry.cameras_of(account.user.user_id)
        ids.append(camera.camera_id)
    assert ids[0] != ids[1]


@pytest.mark.parametrize("key", ["short", "x" * 65, "has spaces in it here", "<script>x</x>"])
def test_a_malformed_key_is_refused_and_registers_nothing(signed_in: Any, key: str) -> None:
    owner, account = signed_in("owner")
    refused = owner.post_form("/cameras/new", {**CAMERA_FORM, "idempotency_key": key},
                              headers={"Accept": "application/json"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "The form's idempotency key is not valid."
    assert registry.cameras_of(account.user.user_id) == []


def test_a_refused_camera_form_says_why_in_json_for_the_worker(signed_in: Any) -> None:
    owner, account = signed_in("owner")
    form = {k: v for k, v in CAMERA_FORM.items() if k != "attested"}
    refused = owner.post_form("/cameras/new", {**form, "idempotency_key": str(uuid.uuid4())},
                              headers={"Accept": "application/json"})
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "private property" in refused.json()["errors"]["attested"]
    # A person's browser still gets the form back, with the errors on it.
    page = owner.post_form("/cameras/new", form)
    assert page.status_code == 422 and "There is a problem" in page.text
    assert registry.cameras_of(account.user.user_id) == []


@pytest.fixture
def asked(signed_in: Any) -> dict[str, Any]:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    camera = owner.send_json("POST", "/api/cameras", camera_body(nickname="Front door"))
    assert camera.status_code == 201, camera.text
    made = ask(detective, [camera.json()["camera"]["id"]], *window())
    assert made.status_code == 201, made.text
    return {"owner": owner, "owner_id": account.user.user_id,
            "target_id": made.json()["targets"][0]["id"]}


def answer(owner: Client, target_id: str, action: str, key: str = "") -> Any:
    body = {"action": action, "reason": "Not at home that day"}
    if key:
        body["idempotency_key"] = key
    return owner.post_form(f"/requests/{target_id}/answer", body)


def test_an_answer_sent_twice_with_its_key_is_taken_once(asked: dict[str, Any]) -> None:
    owner, target_id = asked["owner"], asked["target_id"]
    key = str(uuid.uuid4())
    assert answer(owner, target_id, "decline", key).status_code == 302
    # The request closed with that answer; the same answer sent again is still no error.
    again = answer(owner, target_id, "decline", key)
    assert again.status_code == 302, again.text
    assert again.headers["Location"].endswith(f"/requests/{target_id}?done=decline")
    assert RequestTarget.get(target_id).status == footage.DECLINED
    assert events(asked["owner_id"], "answer.declined") == 1


def test_a_kept_answer_that_came_too_late_says_why(asked: dict[str, Any]) -> None:
    owner, target_id = asked["owner"], asked["target_id"]
    # Answered meanwhile on another device (or without the key): the kept answer is refused
    # with plain words the phone shows.
    assert answer(owner, target_id, "no_footage").status_code == 302
    late = owner.post_form(f"/requests/{target_id}/answer",
                           {"action": "decline", "idempotency_key": str(uuid.uuid4())},
                           headers={"Accept": "application/json"})
    assert late.status_code == 409 and late.json()["detail"] == "This request is closed."
    assert RequestTarget.get(target_id).status == footage.NO_FOOTAGE
