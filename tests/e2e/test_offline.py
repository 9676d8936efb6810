"""The service worker shows the offline page when the phone loses its connection."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_for_service_worker

pytestmark = pytest.mark.e2e

BRAND = "rgb(31, 58, 95)"  # --brand in app.css


def test_offline_page_when_the_network_is_gone(phone: Page) -> None:
    phone.goto("/login")
    wait_for_service_worker(phone)

    keys = phone.evaluate("caches.keys()")
    shell = [key for key in keys if key.startswith("porchlight-shell-")]
    assert len(shell) == 1, f"expected one shell cache, found {keys}"
    cached = phone.evaluate(
        "async (name) => (await (await caches.open(name)).keys()).map((r) => r.url)", shell[0])
    assert any(url.endswith("/offline") for url in cached), cached
    assert not [url for url in cached if "/api/" in url], cached

    phone.context.set_offline(True)
    try:
        phone.goto("/")
        expect(phone.get_by_role("heading", level=1)).to_have_text("You are offline")
        expect(phone.get_by_role("link", name="reload the page")).to_be_visible()
        # The stylesheet comes from the shell cache: the page looks like Porchlight.
        expect(phone.locator(".site-header")).to_have_css("background-color", BRAND)
    finally:
        phone.context.set_offline(False)

    # Back online, pages come from the network again (the offline page is never sticky).
    phone.goto("/signup")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Create an account")
