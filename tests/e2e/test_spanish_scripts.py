"""The scripts speak the page's language: on the camera form in Spanish, what camera-form.js
writes (the pin's name, its answer when the location is refused) is the catalogue's Spanish,
read from the compiled catalogue itself (base.html's #pl-words, frontend/static/js/words.js)."""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE, log_in
from tests.support import make_user

pytestmark = pytest.mark.e2e

CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "translations"
es = gettext.translation("messages", CATALOGUE, languages=["es"]).gettext
PIN = "Camera position. Arrow keys move it."
REFUSED = "Location is blocked for this site. Tap the map or drag the pin instead."


def test_the_camera_form_script_speaks_spanish(new_context: Any, base_url: str) -> None:
    for words in (PIN, REFUSED):
        assert es(words) != words, f"{words!r} has no Spanish in the compiled catalogue"
    context = new_context(**PHONE, permissions=[])  # the location is never allowed
    page = context.new_page()
    log_in(page, make_user("owner"))
    context.add_cookies([{"name": "pl_lang", "value": "es", "url": base_url}])
    page.goto("/cameras/new")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    expect(page.get_by_role("button", name=es(PIN), exact=True)).to_be_visible()
    page.get_by_role("button", name=es("Use my location")).click()
    expect(page.locator(".js-locate-status")).to_have_text(es(REFUSED))
