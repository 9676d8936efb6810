"""The auditor's pages on a 360 px phone: the log, an event, the flags, with nothing wider than
the screen, every filter labelled, and a flag's events one tap away."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from app.services.auditing import audit
from tests.e2e.helpers import PHONE, log_in, no_horizontal_scroll
from tests.support import make_user

pytestmark = pytest.mark.e2e

LONG_CASE = "2026-ROBBERY-000000000000000000000000001"  # 40 characters, no space to wrap at


def test_auditor_pages_fit_a_small_phone(new_context: Callable[..., BrowserContext],
                                         devstack: Any) -> None:
    agency = f"e2e-aud-{uuid.uuid4().hex[:8]}"
    detective = make_user("detective", agency_id=agency)
    actor = audit.Actor(detective.user.user_id, "detective", "198.51.100.7")
    for i in range(3):  # one place, three case numbers, no request: two flags
        audit.record(agency, actor, "registry.searched", "-", {
            "case": f"{LONG_CASE[:-1]}{i}", "lat": 41.88 + 0.0001 * i, "lon": -87.62,
            "radius_m": 150})
    page = new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}}).new_page()
    log_in(page, make_user("auditor", agency_id=agency))

    page.goto("/audit")
    for label in ("Who did it (email or user id)", "Who it is about (email or user id)",
                  "Action", "Case number", "Text in the details", "From", "To",
                  "Events per page"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    newest = page.get_by_role("link", name=re.compile(r"Police searched the registry ?, event 3"))
    expect(newest).to_be_visible()
    assert no_horizontal_scroll(page), "the audit log is wider than a 360 px screen"

    newest.click()
    expect(page.get_by_role("heading", name="Police searched the registry")).to_be_visible()
    expect(page.get_by_text("Its details and IP address match their seal.")).to_be_visible()
    assert no_horizontal_scroll(page), "an audit event is wider than a 360 px screen"

    page.goto("/audit/flags")
    expect(page.get_by_role("heading", name="Repeated searches around one place")).to_be_visible()
    page.get_by_text("The 3 event(s) behind it").first.click()
    assert no_horizontal_scroll(page), "the flags page is wider than a 360 px screen"
    page.get_by_role("link", name="Event 2: Police searched the registry").first.click()
    expect(page.get_by_text("Event 2 of chain")).to_be_visible()
