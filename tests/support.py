"""Test support: the running stack, HTTP clients per role, and helpers that read the stack.

These helpers talk to the embedded AWS and to the app over real HTTP; none of them replaces
project code.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp
import requests
from requests.adapters import HTTPAdapter
from werkzeug.serving import BaseWSGIServer, make_server

from app.core import roles
from app.models.outbox import OutboxMessage
from app.models.users import User
from app.services import clock
from app.services.people import accounts, sessions
from devstack.seed import AGENCY_ID

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct-horse-battery-staple"


class FromAddress(HTTPAdapter):
    """Connect from this loopback address (Linux routes all of 127/8 to loopback), so the app
    sees it as the client's IP: tests tell people apart by address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class AppServer:
    """The Flask app served over real HTTP on a free loopback port, in a thread."""

    def __init__(self) -> None:
        self._app: Any = None
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._app(environ, start_response)

    def start(self, app: Any) -> AppServer:
        self._app = app
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


def form_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@dataclass
class Client:
    """A browser-like HTTP client: keeps cookies, finds the CSRF token like a form would."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, timeout=30, **kw)

    def csrf(self) -> str:
        return str(self.http.get(self.base + "/api/csrf", timeout=30).json()["csrf_token"])

    def post_form(self, path: str, data: dict[str, str] | None = None, token: str | None = None,
                  **kw: Any) -> requests.Response:
        body = dict(data or {})
        body["csrf_token"] = self.csrf() if token is None else token
        kw.setdefault("allow_redirects", False)
        return self.http.post(self.base + path, data=body, timeout=30, **kw)

    def send_json(self, method: str, path: str, body: Any = None, csrf: bool = True,
                  **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}))
        if csrf:
            headers.setdefault("X-CSRF-Token", self.csrf())
        if body is not None:
            kw["json"] = body
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def login(self, email: str, password: str, totp_secret: str | None = None
              ) -> requests.Response:
        response = self.post_form("/login", {"email": email, "password": password})
        if totp_secret and response.status_code == 302 and "/mfa/" in response.headers["Location"]:
            response = self.post_form("/mfa/verify", {"code": fresh_code(totp_secret)})
        return response


_used_steps: dict[str, int] = {}
_lock = threading.Lock()


def fresh_code(secret: str) -> str:
    """A TOTP code for a step this secret has not used yet (the server refuses replays).

    The server accepts the current step and the next one (clock drift), so a secret can sign
    in twice per 30 seconds; a third attempt waits for the next step.
    """
    with _lock:
        while True:
            now_step = int(time.time() // 30)
            last = _used_steps.get(secret, 0)
            for step in (now_step, now_step + 1):
                if step > last:
                    _used_steps[secret] = step
                    return pyotp.TOTP(secret).at(step * 30)
            time.sleep(1)


@dataclass
class Account:
    user: User
    email: str
    password: str
    totp_secret: str | None = None


def make_user(role: str, agency_id: str = AGENCY_ID) -> Account:
    """A user of any role, created through the accounts service (as seeding does)."""
    email = unique_email(role)
    user = accounts.create_user(email, PASSWORD, f"Test {role}", role, agency_id)
    secret = None
    if roles.requires_mfa(role):
        secret = pyotp.random_base32()
        user.update(actions=[User.mfa_secret.set(secret)])
    return Account(user, email, PASSWORD, secret)


def session_client(base: str, settings: Any, account: Account) -> Client:
    """A client holding a fresh, fully signed-in session for the account (MFA done)."""
    new = sessions.create(settings, account.user.user_id, account.user.role, "127.0.0.1",
                          "pytest", mfa_ok=True)
    client = Client(base)
    client.http.cookies.set("pl_session", new.token, domain="127.0.0.1", path="/")
    return client


def wait_for_mail(to: str, subject_part: str = "", timeout: float = 15.0) -> OutboxMessage:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for message in OutboxMessage.scan(OutboxMessage.to == to):
            if subject_part in message.subject:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} within {timeout}s")


def link_in(message: OutboxMessage, path_part: str) -> str:
    match = re.search(r"https?://[^\s]+" + re.escape(path_part) + r"[^\s]+", message.text)
    assert match, f"no {path_part} link in mail"
    return match.group(0)


def wait_for_event(user_id: str, action: str, actor_id: str | None = None,
                   timeout: float = 20.0) -> Any:
    """The newest audit event about the user with this action (and actor, when given: for an
    owner's notice, the police user who caused it), once a worker has written it. Other tests
    may have left older events of the same action."""
    from app.services.auditing import audit, notices

    deadline = time.time() + timeout
    while time.time() < deadline:
        for event in audit.activity_of(user_id):
            if event.action == action and actor_id in (None, notices.caused_by(event)[0]):
                return event
        time.sleep(0.2)
    raise AssertionError(f"no {action} event for {user_id} within {timeout}s")


class TimeTravel:
    """Real time plus the jumps a test makes: `advance(2)` is two seconds passing at once, for
    the app server and the workers too (a test's devstack runs them in its own process)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return clock.system_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
