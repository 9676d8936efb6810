"""Footage-request notifications in Chromium: the service worker shows them and answers them.

There is no push service here. CDP's ServiceWorker.deliverPushMessage hands the worker's `push`
handler the payload the push worker would send (after the browser decrypted it), built by the
same code (app.services.push.notice_for) for a real request sent over HTTP by a detective.
tests/integration/test_push_protocol.py covers the encryption and VAPID half of the trip.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.core import footage
from app.models.footage import FootageRequest, PushSubscription, RequestTarget
from app.services import push
from app.services.footage.canvass import local_window
from app.services.governance.policy import policy_for
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import TIMEOUT_MS, collect_page_errors, log_in, wait_for_service_worker
from tests.e2e.pushing import (
    CLICK_IN_WORKER,
    app_worker,
    deliver_until_shown,
    wait_shown,
)
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

POLL_MS = 100
NICKNAME = "Side gate"

@pytest.fixture
def owner(devstack: Any, base_url: str, settings: Any) -> dict[str, Any]:
    """An owner with one camera, and a detective (over HTTP) ready to ask it."""
    account = make_user("owner")
    client = session_client(base_url, settings, account)
    cam = client.send_json("POST", "/api/cameras", camera_body(nickname=NICKNAME))
    assert cam.status_code == 201, cam.text
    detective = session_client(base_url, settings, make_user("detective"))
    return {"account": account, "detective": detective, "camera_id": cam.json()["camera"]["id"]}


def request_for(owner: dict[str, Any], settings: Any, case: str) -> tuple[str, dict[str, Any]]:
    """A real footage request over HTTP, and the push payload the push worker builds for it."""
    made = ask(owner["detective"], [owner["camera_id"]], *window(), case_number=case,
               offense="vandalism")
    assert made.status_code == 201, made.text
    board = made.json()
    request = FootageRequest.get(board["id"])
    target = RequestTarget.get(board["targets"][0]["id"])
    words = local_window(request, policy_for(request.agency_id).timezone)
    return target.target_id, push.notice_for(settings, request, target, words, False).payload


def wait_status(target_id: str, wanted: str) -> str:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        status = str(RequestTarget.get(target_id, consistent_read=True).status)
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(POLL_MS / 1000)  # no page is open: nothing for Playwright to deliver


def test_approve_and_decline_with_the_app_closed(phone: Page, owner: dict[str, Any],
                                                 base_url: str, settings: Any) -> None:
    """A push shows a notification with Approve and Decline; with every page closed, its
    buttons answer the request from the service worker alone.

    Chromium has no way to click a notification from a test (headless shows none, and CDP has
    no such command), so the tap is a `new NotificationEvent('notificationclick', ...)` that the
    worker dispatches to its own handler, and the handler's code runs unchanged. Two things a
    script-made event cannot do as a real tap does, checked and then stood in for:

    - `event.waitUntil` throws InvalidStateError on a script-constructed ExtendableEvent. The
      handler's promise is made before the call, so the answer is sent anyway; the stand-in
      keeps the promise and awaits it, as the browser keeps the worker alive for it.
    - `clients.openWindow` needs the user activation a real tap gives ("Not allowed to open a
      window" otherwise). The stand-in records the URL the handler opens.

    The answer itself is real: the worker's fetch to /api/answers, with credentials omitted,
    and the server's state change.
    """
    context = phone.context
    context.grant_permissions(["notifications"], origin=base_url)
    errors = collect_page_errors(phone)
    log_in(phone, owner["account"])
    phone.goto("/requests")
    wait_for_service_worker(phone)  # active, and controlling the page after a reload

    approve_id, approve_payload = request_for(owner, settings, "24-660071")
    decline_id, decline_payload = request_for(owner, settings, "24-660072")
    cdp = deliver_until_shown(phone, base_url, approve_payload, f"request-{approve_id}")
    shown = wait_shown(phone, f"request-{approve_id}")
    assert shown["title"] == "Police ask for your footage"
    assert "24-660071" in shown["body"] and "vandalism" in shown["body"]
    assert NICKNAME in shown["body"]
    assert shown["actions"] == [{"action": "approve", "title": "Approve"},
                                {"action": "decline", "title": "Decline"}]
    assert shown["requireInteraction"] is True  # stays until the owner answers
    assert shown["data"]["url"] == f"/requests/{approve_id}"
    assert set(shown["data"]["tokens"]) == {"approve", "decline"}
    second = deliver_until_shown(phone, base_url, decline_payload, f"request-{decline_id}")
    assert wait_shown(phone, f"request-{decline_id}")["body"].count("24-660072") == 1
    cdp.detach()
    second.detach()
    assert errors == []

    # The app is closed: no page is left, only the service worker.
    phone.close()
    assert context.pages == []
    worker = app_worker(context, base_url)

    approved = worker.evaluate(CLICK_IN_WORKER,
                               {"tag": f"request-{approve_id}", "action": "approve"})
    assert approved["found"] and approved["waited"] == 1, approved
    assert approved["refused"] == ["InvalidStateError"]  # the script-made event, as said above
    assert approved["failures"] == [], approved
    assert wait_status(approve_id, footage.APPROVED) == footage.APPROVED
    # Approve opens the request page where the owner chooses the file; the notification is gone.
    assert approved["opened"] == [f"{base_url}/requests/{approve_id}?done=approve"]
    assert approved["left"] == []

    declined = worker.evaluate(CLICK_IN_WORKER,
                               {"tag": f"request-{decline_id}", "action": "decline"})
    assert declined["found"] and declined["failures"] == [], declined
    assert wait_status(decline_id, footage.DECLINED) == footage.DECLINED
    assert declined["opened"] == []  # nothing to do next: it says so instead
    assert [n["title"] for n in declined["left"]] == ["Declined"]
    assert declined["left"][0]["actions"] == 0


def test_turn_on_notifications_says_why_when_the_browser_cannot(phone: Page,
                                                                base_url: str) -> None:
    """"Turn on notifications" in a browser that has no push service for this profile.

    Playwright's contexts are incognito profiles, and Chromium offers no push in incognito: with
    the notifications permission granted, `pushManager.subscribe()` still fails at once with
    "AbortError: Registration failed - permission denied". (In a normal profile with no network,
    Chromium never settles it: the promise was still pending after 20 s, and the page would say
    "Asking your browser…" for good.) So this checks the failure path: a sentence on the page,
    no JavaScript error, the button still there to try again, and nothing stored on the server.
    A subscription reaching the server is covered at the protocol level in
    tests/integration/test_push_protocol.py.
    """
    account = make_user("owner")
    phone.context.grant_permissions(["notifications"], origin=base_url)
    errors = collect_page_errors(phone)
    log_in(phone, account)
    phone.goto("/requests")
    wait_for_service_worker(phone)
    status = phone.get_by_role("status")
    expect(status).to_have_text("Notifications are off for this device.")
    turn_on = phone.get_by_role("button", name="Turn on notifications")
    turn_on.click()
    expect(status).to_contain_text("could not turn notifications on; you get email instead")
    expect(turn_on).to_be_visible()
    expect(turn_on).to_be_enabled()
    assert errors == []
    assert list(PushSubscription.user_index.query(account.user.user_id)) == []
