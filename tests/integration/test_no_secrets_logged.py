"""Nothing secret is logged in devstack either, even with every logger of the project at DEBUG:
every record the web app, the workers and the local AWS make while people log in with a
password and a TOTP code, ask for footage, start an upload, pair a bridge and make a CAD key is
kept and searched. (tests/deploy/ does the same with the built artifacts' CloudWatch output.)"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from app import logs
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.builders.field import new_key
from tests.builders.footage import ask, window
from tests.support import Client, form_token, make_user, wait_for_event


class Keep(logging.Handler):
    """Every record, with its arguments, extras and traceback, as one text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.texts.append(text + json.dumps(record.__dict__, default=str))


@pytest.fixture
def kept() -> Iterator[Keep]:
    keep = Keep()
    root = logging.getLogger()
    # Root, and the loggers that do not pass records up (Powertools' worker loggers).
    targets = [root] + [logger for logger in logging.root.manager.loggerDict.values()
                        if isinstance(logger, logging.Logger) and not logger.propagate]
    before = {name: logging.getLogger(name).level for name in ("", *logs.OURS)}
    for target in targets:
        target.addHandler(keep)
    for name in ("", *logs.OURS):
        logging.getLogger(name).setLevel(logging.DEBUG)
    logs.quiet_libraries()
    yield keep
    for target in targets:
        target.removeHandler(keep)
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def log_in(base_url: str, account: Any, secrets: list[str]) -> Client:
    """The log-in form (and the TOTP page for police), as a browser does it."""
    client = Client(base_url)
    page = client.get("/login")
    done = client.post_form("/login", {"email": account.email, "password": account.password},
                            token=form_token(page.text))
    if "/mfa/" in done.headers.get("Location", ""):
        code = pyotp.TOTP(account.totp_secret).now()
        secrets += [account.totp_secret, code]
        verify = client.get("/mfa/verify")
        client.post_form("/mfa/verify", {"code": code}, token=form_token(verify.text))
    secrets += [account.password, *client.http.cookies.values(), client.csrf()]
    return client


def test_nothing_secret_is_logged_even_at_debug(base_url: str, settings: Any,
                                                kept: Keep) -> None:
    secrets: list[str] = [settings.secret_key, settings.vapid_private_key]
    owner_account, detective_account = make_user("owner"), make_user("detective")
    admin_account = make_user("agency_admin")
    owner = log_in(base_url, owner_account, secrets)
    detective = log_in(base_url, detective_account, secrets)
    camera = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    target_id = ask(detective, [camera], *window()).json()["targets"][0]["id"]
    owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    started = owner.send_json("POST", f"/api/targets/{target_id}/upload", {
        "filename": "export.mp4", "size": 1000, "clock_offset_s": 0,
        "video_starts_at": window()[0].isoformat()})
    assert started.status_code == 201, started.text
    urls = owner.send_json("POST", f"/api/targets/{target_id}/upload/parts",
                           {"parts": [1]}).json()["urls"]
    secrets += parse_qs(urlsplit(urls["1"]).query)["X-Amz-Signature"]
    code = shown_code(owner)
    paired = Client(base_url).send_json("POST", "/api/bridge/pair", {"code": code},
                                        csrf=False).json()
    secrets += [code, paired["credential"]]
    admin = log_in(base_url, admin_account, secrets)
    secrets.append(new_key(admin))
    # The workers have run: the owner's notice of the request is in their log.
    wait_for_event(owner_account.user.user_id, "request.received")

    assert len(kept.texts) > 20, "the capture saw the app and the workers at work"
    leaks = []
    for secret in {s for s in secrets if s}:
        pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
        leaks += [f"{secret[:4]}… in: {text[:160]}" for text in kept.texts
                  if pattern.search(text)]
    assert not leaks, leaks[:5]
