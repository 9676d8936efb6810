"""A form sent while the phone is offline is kept on the phone and sent when it is back online
(frontend/static/js/outbox.js and the "outbox" section of sw.js).

Two paths send it, and the tests say which one they drive. Chromium fires Background Sync's
'sync' event in the worker when Playwright's set_offline(False) ends its offline emulation:
test_background_sync_sends_with_the_app_closed relies on that alone (no page is open). The
page's own path (its 'online' event, or its next load, asks the worker to send), which is all
browsers without Background Sync have, is driven alone where the test hides Background Sync
from the page (without_background_sync); elsewhere both paths may fire, and the worker and the
server's idempotency key make that one send.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from app.services.people import sessions
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import (
    collect_page_errors,
    log_in,
    no_horizontal_scroll,
    wait_for_service_worker,
)
from tests.support import Account, make_user, session_client

pytestmark = pytest.mark.e2e

WAITING = "1 form waiting to be sent when you are back online"
KEPT = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('porchlight-outbox', 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const read = open.result.transaction('forms').objectStore('forms').getAll();
    read.onsuccess = () => { open.result.close(); resolve(read.result); };
  };
})"""
PUT_BACK = """(entry) => new Promise((resolve, reject) => {
  const open = indexedDB.open('porchlight-outbox', 1);
  open.onsuccess = () => {
    const tx = open.result.transaction('forms', 'readwrite');
    tx.objectStore('forms').put(entry);
    tx.oncomplete = () => { open.result.close(); resolve(); };
    tx.onerror = () => reject(tx.error);
  };
})"""


@pytest.fixture
def owner(devstack: object) -> Account:
    return make_user("owner")


def status(page: Page) -> Any:
    return page.locator(".outbox-status")


def ready(page: Page) -> None:
    """The worker controls the page, and the page's outbox listens for submits."""
    wait_for_service_worker(page)
    expect(page.locator("html")).to_have_attribute("data-outbox", "ready")


def without_background_sync(page: Page) -> None:
    """As in browsers without it (Firefox, Safari): the page cannot register a 'sync'."""
    page.context.add_init_script("delete ServiceWorkerRegistration.prototype.sync")


def go_offline(page: Page) -> None:
    page.context.set_offline(True)
    page.wait_for_function("!navigator.onLine")


def fill_camera_form(page: Page, owner: Account, nickname: str) -> None:
    log_in(page, owner)
    page.goto("/cameras/new")
    ready(page)
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    page.get_by_label("Name of the camera").fill(nickname)
    page.get_by_label("Shared on alert").check()
    page.get_by_label("This camera does not look into anyone's home").check()


def cameras_named(context: BrowserContext, nickname: str) -> list[dict[str, Any]]:
    """The owner's cameras of that name, from the app's API in the browser's own session."""
    answer = context.request.get("/api/cameras")
    assert answer.ok, answer.text()
    return [c for c in answer.json()["cameras"] if c["nickname"] == nickname]


def test_a_camera_registered_offline_is_kept_and_sent_on_reconnect(
        phone: Page, owner: Account, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app")  # devstack holds it at WARNING
    errors = collect_page_errors(phone)
    without_background_sync(phone)  # the page's reconnect path sends it, alone
    fill_camera_form(phone, owner, "Porch over Elm St")

    go_offline(phone)
    phone.get_by_role("button", name="Register the camera").click()
    # No browser error page: the same page, the form as typed, and plain words.
    kept = status(phone)
    expect(kept).to_have_attribute("role", "status")
    expect(kept).to_contain_text(f"{WAITING}: your new camera “Porch over Elm St”")
    expect(phone).to_have_url(re.compile(r"/cameras/new$"))
    expect(phone.get_by_label("Name of the camera")).to_have_value("Porch over Elm St")
    assert no_horizontal_scroll(phone), "the status makes the page scroll sideways at 390 px"
    [entry] = phone.evaluate(KEPT)
    names = [name for name, _ in entry["fields"]]
    assert "nickname" in names and "csrf_token" not in names, names
    assert entry["state"] == "waiting" and entry["user"] == owner.user.user_id
    assert cameras_named(phone.context, "Porch over Elm St") == []

    phone.context.set_offline(False)
    # Sent within seconds; a first try that meets a network still waking up is retried after
    # 2 s, then 5 s (outbox.js BACKOFF_MS).
    expect(kept).to_contain_text("Sent: your new camera “Porch over Elm St”.", timeout=20_000)
    assert phone.evaluate(KEPT) == [], "the form's data are still on the phone after it was sent"
    kept.get_by_role("link", name="See it").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My cameras")
    card = phone.locator(".card", has_text="Porch over Elm St")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Shared on alert")

    # The phone never heard that answer (say), and sends the same form again: the server
    # knows it by its key, and there is still one camera.
    phone.evaluate(PUT_BACK, entry)
    phone.reload()
    expect(status(phone)).to_contain_text("Sent: your new camera “Porch over Elm St”.")
    assert len(cameras_named(phone.context, "Porch over Elm St")) == 1
    assert errors == []
    # What the phone kept is written to no log on its way (a record's extra fields included).
    logged = [str(vars(record)) for record in caplog.records]
    assert any("'POST'" in line and "/cameras/new" in line for line in logged), logged[-5:]
    assert not [line for line in logged if "Porch over Elm St" in line or entry["key"] in line]


def test_a_kept_form_waits_for_log_in_when_the_session_ended(phone: Page,
                                                             owner: Account) -> None:
    fill_camera_form(phone, owner, "Garage, back lane")
    go_offline(phone)
    phone.get_by_role("button", name="Register the camera").click()
    expect(status(phone)).to_contain_text(WAITING)

    # The session ends while the phone is offline (its CSRF token with it).
    sessions.revoke_all(owner.user.user_id)
    phone.context.set_offline(False)
    kept = status(phone)
    expect(kept).to_contain_text("1 form waiting for you to log in: your new camera "
                                 "“Garage, back lane”. It is sent once you have.")
    assert [e["state"] for e in phone.evaluate(KEPT)] == ["login"]

    kept.get_by_role("link", name="Log in").click()
    phone.get_by_label("Email address").fill(owner.email)
    phone.get_by_label("Password").fill(owner.password)
    phone.get_by_role("button", name="Log in").click()
    # Back on the form's page, in a new session: the kept form goes with a fresh token.
    expect(phone).to_have_url(re.compile(r"/cameras/new$"))
    expect(status(phone)).to_contain_text("Sent: your new camera “Garage, back lane”.")
    assert len(cameras_named(phone.context, "Garage, back lane")) == 1
    assert phone.evaluate(KEPT) == []


def test_a_kept_form_is_never_sent_under_another_account(phone: Page, owner: Account) -> None:
    fill_camera_form(phone, owner, "Kiosk corner")
    go_offline(phone)
    phone.get_by_role("button", name="Register the camera").click()
    expect(status(phone)).to_contain_text(WAITING)
    sessions.revoke_all(owner.user.user_id)
    phone.context.set_offline(False)
    expect(status(phone)).to_contain_text("1 form waiting for you to log in")

    # Someone else logs in on this phone: the form waits for its own account.
    log_in(phone, make_user("owner"))
    expect(status(phone)).to_contain_text(
        "1 form filled in under another account waiting on this device")
    assert "Kiosk corner" not in status(phone).inner_text()
    assert cameras_named(phone.context, "Kiosk corner") == []

    phone.context.clear_cookies()  # they leave; the owner logs in again
    log_in(phone, owner)
    expect(status(phone)).to_contain_text("Sent: your new camera “Kiosk corner”.")
    assert len(cameras_named(phone.context, "Kiosk corner")) == 1


def test_an_answer_to_a_footage_request_is_kept_and_sent(phone: Page, base_url: str,
                                                         settings: Any) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    camera = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Shop door"))
    assert camera.status_code == 201, camera.text
    detective = session_client(base_url, settings, make_user("detective"))
    made = ask(detective, [camera.json()["camera"]["id"]], *window())
    assert made.status_code == 201, made.text
    target_id = made.json()["targets"][0]["id"]

    without_background_sync(phone)  # the page's reconnect path sends it, alone
    log_in(phone, owner)
    phone.goto(f"/requests/{target_id}")
    ready(phone)
    phone.get_by_label("Reason (optional, the detective does not see it)").fill("Away that week")
    go_offline(phone)
    phone.get_by_role("button", name="Decline").click()
    kept = status(phone)
    expect(kept).to_contain_text(
        f"{WAITING}: your answer “decline” to the request for Shop door")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Shop door")

    phone.context.set_offline(False)
    expect(kept).to_contain_text("Sent: your answer “decline” to the request for Shop door.",
                                 timeout=20_000)  # with a retry if the first try meets no network
    kept.get_by_role("link", name="See it").click()
    expect(phone.locator(".js-status")).to_have_text("declined")
    answered = owner_client.get(f"/api/targets/{target_id}").json()
    assert answered["status"] == "declined" and answered["reason"] == "Away that week"


def test_a_refused_form_comes_back_into_the_form(phone: Page, owner: Account) -> None:
    fill_camera_form(phone, owner, "Porch light")
    phone.get_by_label("This camera does not look into anyone's home").uncheck()
    go_offline(phone)
    phone.get_by_role("button", name="Register the camera").click()
    expect(status(phone)).to_contain_text(WAITING)

    # The app is closed; back online, another page sends it, and the server refuses it (the
    # statement about private places is missing): the page says why, and keeps it.
    context = phone.context
    phone.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto("/cameras")
    kept = status(page)
    expect(kept).to_contain_text(re.compile(
        r"Not sent: your new camera “Porch light”\. Confirm that the camera does not look "
        r"into private property"))
    assert [e["state"] for e in page.evaluate(KEPT)] == ["refused"]

    # On the form's page, what was typed goes back into the form, to check and send again.
    kept.get_by_role("link", name="Open the form to check it").click()
    expect(page).to_have_url(re.compile(r"/cameras/new$"))
    expect(status(page)).to_contain_text("It is back in the form: check it and send it again.")
    expect(page.get_by_label("Name of the camera")).to_have_value("Porch light")
    expect(page.get_by_label("Shared on alert")).to_be_checked()
    assert page.evaluate(KEPT) == []
    page.get_by_label("This camera does not look into anyone's home").check()
    page.get_by_role("button", name="Register the camera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cameras")
    expect(page.locator(".card", has_text="Porch light")).to_have_count(1)


def test_background_sync_sends_with_the_app_closed(phone: Page, owner: Account) -> None:
    fill_camera_form(phone, owner, "Back yard gate")
    go_offline(phone)
    phone.get_by_role("button", name="Register the camera").click()
    expect(status(phone)).to_contain_text(WAITING)
    tags = phone.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
    assert tags == ["porchlight-outbox"], tags

    # The resident closes the app; the phone is back online later. No Porchlight page is
    # open, so only the worker's 'sync' event can send it.
    context = phone.context
    phone.close()
    context.set_offline(False)
    for _ in range(75):
        if cameras_named(context, "Back yard gate"):
            break
        time.sleep(0.2)
    assert len(cameras_named(context, "Back yard gate")) == 1

    # The next time the app opens, it says the form went, and keeps nothing.
    page = context.new_page()
    page.goto("/cameras")
    expect(status(page)).to_contain_text("Sent: your new camera “Back yard gate”.")
    assert page.evaluate(KEPT) == []
