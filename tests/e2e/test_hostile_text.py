"""HTML and script typed into text fields are shown as text and never run, on every page that
shows them, for every role that looks: owners, police (map and its popups, search results, case
board, live list), auditors, admins and the public (program page, feedback, transparency).
`javascript:` typed anywhere never becomes a link. Real Chromium, with the app's CSP, so an
escape that failed would show here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from app.models.users import Agency, User
from app.services import clock
from app.services.cameras import bridges
from app.services.governance import program
from app.services.realtime import field
from tests.builders.cameras import SCENE, camera_body
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import collect_page_errors, log_in
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

IMG = '<img src=x onerror="window.__pwned=1">'
SVG = '"><svg onload=window.__pwned=2>'
SCRIPT = "<script>window.__pwned=3</script>"
JS_URL = "javascript:window.__pwned=4"


def pwned(page: Page) -> Any:
    return page.evaluate("() => window.__pwned")


def visit(page: Page, path: str, shows: str | None = None) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert pwned(page) is None, f"script ran on {path}"
    assert not page.locator("img[src='x'], svg[onload]").count(), f"markup injected on {path}"
    assert not page.locator("[href^='javascript:' i], [src^='javascript:' i]").count(), path
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


def open_popup(page: Page, shows: str) -> None:
    """Open the popup of the camera marker titled `shows`; it must hold the text as text."""
    marker = page.locator(f".leaflet-marker-icon[title='{shows}']")
    expect(marker).to_have_count(1)
    marker.dispatch_event("click")  # wherever the map has put it, under a cone or off screen
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(shows)
    assert not popup.locator("img, svg, script").count()
    assert pwned(page) is None


@pytest.fixture
def own_agency(devstack: Any) -> Iterator[str]:
    """A program of its own, removed afterwards: with two programs the sign-up form asks
    which one, and later tests sign up to the only program without saying."""
    agency = f"hx-{uuid.uuid4().hex[:8]}"
    Agency(agency_id=agency, name="PD " + IMG, city=SCRIPT, created_at=clock.now()).save()
    yield agency
    Agency(agency_id=agency).delete()


def test_markup_in_program_org_bridge_answer_and_browser_fields_never_runs(
        new_context: Callable[..., BrowserContext], base_url: str, settings: Any,
        devstack: Any, own_agency: str) -> None:
    """A program of its own, so its map, search and public pages hold only these payloads."""
    agency = own_agency
    admin = make_user("agency_admin", agency_id=agency)
    admin.user.update(actions=[User.display_name.set(SVG)])
    program.save(admin.user, f"{SCRIPT}\n\n{JS_URL}", [{"q": SVG, "a": IMG + JS_URL}],
                 SCRIPT, "127.0.0.1", 0)
    program.send_feedback(settings, agency, IMG + JS_URL, "", None, "127.0.0.1")

    owner = make_user("owner", agency_id=agency)
    owner.user.update(actions=[User.display_name.set(IMG)])
    owner_http = session_client(base_url, settings, owner)
    camera = owner_http.send_json("POST", "/api/cameras", camera_body(
        nickname=SVG, street=JS_URL, tier="on_alert")).json()["camera"]
    assert owner_http.post_form("/org", {"name": SCRIPT}).status_code == 302
    code = bridges.pairing_code(settings, User.get(owner.user.user_id), "127.0.0.1")
    bridges.pair(settings, code, IMG, "127.0.0.1")
    share = owner_http.send_json("POST", "/api/shares", {"camera_ids": [camera["id"]],
                                                         "minutes": 5})
    assert share.status_code == 201, share.text

    detective = make_user("detective", agency_id=agency)
    detective.user.update(actions=[User.display_name.set(SCRIPT)])
    police = session_client(base_url, settings, detective)
    start = (clock.now() - timedelta(minutes=30)).replace(microsecond=0)
    asked = police.send_json("POST", "/api/requests", {
        "camera_ids": [camera["id"]], "case_number": SVG, "offense": "robbery",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(seconds=30)).isoformat(),
        "lat": SCENE[0], "lon": SCENE[1], "message": JS_URL})
    assert asked.status_code == 201, asked.text
    target_id = asked.json()["targets"][0]["id"]
    assert owner_http.send_json("POST", f"/api/targets/{target_id}/answer", {
        "action": "decline", "reason": SCRIPT + JS_URL}).status_code == 200

    # The owner, in a browser whose user agent is markup (the sessions page shows it).
    page = new_context(user_agent=IMG, **PHONE).new_page()
    errors = collect_page_errors(page)
    log_in(page, owner)
    visit(page, "/cameras", shows=SVG)
    visit(page, f"/cameras/{camera['id']}/edit")
    assert page.locator("input[name='nickname']").input_value() == SVG
    visit(page, "/org", shows=SCRIPT)
    visit(page, "/bridges", shows=IMG)
    visit(page, "/share")
    visit(page, "/account/sessions", shows=IMG)
    visit(page, "/account/activity")
    visit(page, f"/requests/{target_id}", shows=SCRIPT + JS_URL)  # the decline reason

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, detective)
    visit(page, f"/map?lat={SCENE[0]}&lon={SCENE[1]}&zoom=17")  # the map opens at the scene
    open_popup(page, SVG)
    visit(page, "/search")
    page.get_by_label("Latitude").fill(str(SCENE[0]))
    page.get_by_label("Longitude").fill(str(SCENE[1]))
    page.get_by_label("Case number").fill(IMG)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("camera(s) within")
    assert SVG in page.locator("main").inner_text() and pwned(page) is None
    open_popup(page, SVG)
    visit(page, f"/cases/{asked.json()['id']}", shows=SVG)
    expect(page.locator(".js-rows h3")).to_have_text(SVG)  # redrawn by the board's script
    assert pwned(page) is None and not page.locator(".js-rows svg, .js-rows a").count()
    visit(page, "/live", shows=JS_URL)
    visit(page, f"/live/{share.json()['share_id']}")

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, admin)
    visit(page, "/admin/program")
    assert page.locator("textarea[name='policy_text']").input_value().startswith(SCRIPT)
    visit(page, "/admin/feedback", shows=IMG + JS_URL)
    visit(page, "/admin/users", shows=SVG)
    visit(page, "/admin/policy")

    page = new_context(**PHONE).new_page()
    errors += collect_page_errors(page)
    log_in(page, make_user("auditor", agency_id=agency))
    visit(page, "/audit")
    page.locator("a[href^='/audit/events/']").first.click()
    visit(page, page.url.removeprefix(base_url))

    page = new_context(**PHONE).new_page()  # anyone, signed in or not
    errors += collect_page_errors(page)
    visit(page, f"/program?program={agency}", shows=SCRIPT)
    assert SVG in page.locator("main").inner_text() and JS_URL in page.locator("main").inner_text()
    visit(page, f"/program/history?program={agency}", shows=SVG)
    visit(page, f"/program/history/1?program={agency}", shows=JS_URL)
    visit(page, f"/program/feedback?program={agency}", shows="PD " + IMG)
    visit(page, f"/transparency?program={agency}", shows="PD " + IMG)
    assert not errors, errors
