"""CSRF, lockout, throttling, session expiry and revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app import create_app
from app.models.sessions import Session
from app.models.tokens import Throttle
from app.services import clock
from app.services.auditing import audit
from tests.support import AppServer, Client, session_client, unique_email


def test_form_without_csrf_token_is_refused(client: Client) -> None:
    client.get("/signup")
    response = client.post_form("/signup", {"display_name": "X", "email": unique_email(),
                                            "password": "long enough pass"}, token="")
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_csrf_token_from_another_browser_is_refused(client: Client) -> None:
    stolen = Client(client.base).csrf()
    response = client.post_form("/signup", {"display_name": "X", "email": unique_email(),
                                            "password": "long enough pass"}, token=stolen)
    assert response.status_code == 403


def test_json_api_needs_csrf_header(client: Client) -> None:
    response = client.send_json("POST", "/api/session", {"email": "a@b.org", "password": "x"},
                                csrf=False)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/csrf-failed"


def test_csrf_token_changes_at_login(client: Client, make_account: Any) -> None:
    account = make_account("owner")
    before = client.csrf()
    client.login(account.email, account.password)
    after = client.csrf()
    assert before != after
    # A token taken before login no longer works for the signed-in session.
    assert client.post_form("/logout", token=before).status_code == 403


def test_repeated_failures_lock_the_account(client: Client, make_account: Any,
                                            settings: Any) -> None:
    account = make_account("owner")
    for _ in range(settings.login_max_failures):
        assert client.login(account.email, "wrong password!").status_code == 401
    locked = client.login(account.email, account.password)
    assert locked.status_code == 429
    assert "locked" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert "account.locked" in [e.action for e in audit.activity_of(account.user.user_id)]


def test_login_attempts_per_address_are_throttled(devstack: Any, make_account: Any) -> None:
    # The counter is shared with the main test server (same address): start it from zero, in
    # a window that does not end during the test.
    for item in Throttle.scan(Throttle.key.startswith("login:ip:127.0.0.1:")):
        item.delete()
    strict = create_app(devstack.settings.with_overrides(login_ip_limit=3,
                                                         login_ip_window_seconds=10**9))
    server = AppServer()
    server.start(strict)
    try:
        client = Client(server.url)
        codes = [client.send_json("POST", "/api/session",
                                  {"email": unique_email(), "password": "x"}).status_code
                 for _ in range(5)]
    finally:
        server.stop()
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


def _age_session(client: Client, **shift: timedelta) -> None:
    user_id = client.get("/api/me").json()["user"]["id"]
    for item in Session.user_index.query(user_id):
        actions = []
        if "idle" in shift:
            actions.append(Session.last_seen.set(clock.now() - shift["idle"]))
        if "age" in shift:
            actions.append(Session.created_at.set(clock.now() - shift["age"]))
        item.update(actions=actions)


@pytest.mark.parametrize(("role", "idle_minutes", "ends"), [
    ("detective", 31, True),
    ("detective", 20, False),
    ("owner", 31, False),
])
def test_idle_timeout_for_police_roles(signed_in: Any, role: str, idle_minutes: int,
                                       ends: bool) -> None:
    client, _ = signed_in(role)
    _age_session(client, idle=timedelta(minutes=idle_minutes))
    response = client.get("/api/me")
    assert response.status_code == (401 if ends else 200)
    if ends:
        assert "without activity" in response.json()["detail"]


def test_absolute_limit_ends_any_session(signed_in: Any) -> None:
    client, account = signed_in("owner")
    _age_session(client, age=timedelta(hours=12, minutes=1))
    page = client.get("/account/activity")
    assert page.status_code == 302 and "ended=absolute" in page.headers["Location"]
    acts = [e.action for e in audit.activity_of(account.user.user_id)]
    assert "session.expired" in acts


def test_user_lists_and_revokes_another_session(base_url: str, settings: Any,
                                                make_account: Any) -> None:
    account = make_account("owner")
    phone = session_client(base_url, settings, account)
    laptop = session_client(base_url, settings, account)
    listed = phone.get("/api/me/sessions").json()["sessions"]
    assert len(listed) == 2
    other = next(s for s in listed if not s["current"])
    assert phone.send_json("DELETE", f"/api/me/sessions/{other['id']}").status_code == 204
    assert laptop.get("/api/me").status_code == 401
    assert phone.get("/api/me").status_code == 200
    assert "session.revoked" in [e.action for e in audit.activity_of(account.user.user_id)]


def test_session_cookie_is_locked_down(client: Client, make_account: Any) -> None:
    account = make_account("owner")
    response = client.login(account.email, account.password)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    stored = list(Session.user_index.query(account.user.user_id))[0]
    assert client.http.cookies["pl_session"] != stored.session_id  # only a digest is stored
