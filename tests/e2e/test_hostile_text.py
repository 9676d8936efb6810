"""HTML and script typed into text fields are shown as text and never run, on every page that
shows them, for every role that looks: owners, police (map, case board, live list), auditors
and admins. Real Chromium, with the app's CSP, so an escape that failed would show here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page

from app.models.users import User
from app.services import clock, field
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import collect_page_errors, log_in
from tests.integration.test_registry import SCENE, camera_body
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

IMG = '<img src=x onerror="window.__pwned=1">'
SVG = '"><svg onload=window.__pwned=2>'
SCRIPT = "<script>window.__pwned=3</script>"


def pwned(page: Page) -> Any:
    return page.evaluate("() => window.__pwned")


def visit(page: Page, path: str, shows: str | None = None) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert pwned(page) is None, f"script ran on {path}"
    assert not page.locator("img[src='x'], svg[onload]").count(), f"markup injected on {path}"
    if shows:
        assert shows in page.locator("body").inner_text(), f"{shows!r} not shown as text on {path}"


def test_markup_in_every_text_field_is_shown_as_text_and_never_runs(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        devstack: Any) -> None:
    owner = make_user("owner")
    owner.user.update(actions=[User.display_name.set(IMG)])
    owner_http = session_client(base_url, settings, owner)
    camera = owner_http.send_json("POST", "/api/cameras", camera_body(
        nickname=SVG, street=SCRIPT, tier="on_alert")).json()["camera"]
    detective = make_user("detective")
    detective.user.update(actions=[User.display_name.set(SCRIPT)])
    police = session_client(base_url, settings, detective)
    start = (clock.now() - timedelta(minutes=30)).replace(microsecond=0)
    board = police.send_json("POST", "/api/requests", {
        "camera_ids": [camera["id"]], "case_number": "24-<b>1</b>", "offense": "robbery",
        "window_start": start.isoformat(), "window_end": (start + timedelta(seconds=30)
                                                          ).isoformat(),
        "lat": SCENE[0], "lon": SCENE[1], "message": IMG + SCRIPT})
    assert board.status_code == 201, board.text
    target_id = board.json()["targets"][0]["id"]
    admin = make_user("agency_admin")
    key = field.create_key(admin.user, "CAD <i>feed</i>", "127.0.0.1")
    assert requests.put(f"{base_url}/api/ingest/calls", timeout=30,
                        headers={"Authorization": f"Bearer {key}"},
                        json=[{"id": "X<b>1", "lat": SCENE[0], "lon": SCENE[1],
                               "label": IMG}]).status_code == 200
    assert owner_http.send_json("POST", "/api/shares", {"camera_ids": [camera["id"]],
                                                        "minutes": 5}).status_code == 201

    page = new_context(**PHONE).new_page()
    errors = collect_page_errors(page)
    log_in(page, owner)
    visit(page, "/cameras", shows=SVG)
    visit(page, "/requests")
    visit(page, f"/requests/{target_id}", shows="24-<b>1</b>")
    visit(page, "/account/activity")
    visit(page, "/share")

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, detective)
    visit(page, "/map")
    visit(page, f"/cases/{board.json()['id']}", shows="24-<b>1</b>")
    visit(page, "/cases")
    visit(page, "/live")

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, admin)
    visit(page, "/admin/users", shows=SCRIPT)
    visit(page, "/admin/api-keys", shows="CAD <i>feed</i>")

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, make_user("auditor"))
    visit(page, "/audit")
    visit(page, "/audit/flags")
    assert not errors, errors
