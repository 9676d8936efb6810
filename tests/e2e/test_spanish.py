"""An owner whose phone speaks Spanish, at 390 px: every page of their main journey comes in
Spanish (the words the catalogue gives, read from the compiled catalogue itself), nothing is
cut or wider than the screen (Spanish runs about a quarter longer than English), and the
footer's switch takes them to English and back, remembered on their account."""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.models.users import User
from tests.builders.cameras import camera_body
from tests.e2e.helpers import CUT, WIDE, no_horizontal_scroll
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e

CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "translations"
SPANISH = gettext.translation("messages", CATALOGUE, languages=["es"])
es = SPANISH.gettext
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "locale": "es-MX",
             "is_mobile": True, "has_touch": True}
JOURNEY = [("/", "My cameras"), ("/cameras", "Add a camera"),
           ("/cameras/new", "Register the camera"), ("/requests", "Requests"),
           ("/share", "Share now"), ("/bridges", "Pair a bridge"),
           ("/account/activity", "My activity")]


def _fits(page: Page, path: str) -> None:
    assert no_horizontal_scroll(page), f"{path} is wider than 390 px: {page.evaluate(WIDE)}"
    cut = page.evaluate(CUT)
    assert not cut, f"{path}: form controls cut or off the screen: {cut}"


def test_an_owner_goes_through_the_app_in_spanish(new_context: Any, base_url: str,
                                                  settings: Any) -> None:
    account = make_user("owner")
    owner = session_client(base_url, settings, account)
    assert owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Tienda de la esquina", tier="on_alert")).status_code == 201
    page = new_context(**PHONE_390).new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label(es("Email address")).fill(account.email)
    page.get_by_label(es("Password"), exact=True).fill(account.password)
    page.get_by_role("button", name=es("Log in")).click()
    nav = page.get_by_role("navigation", name=es("Main"))
    expect(nav.get_by_role("link", name=es("My cameras"))).to_be_visible()
    _fits(page, "/login")

    for path, words in JOURNEY:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        assert es(words) != words, f"{words!r} has no Spanish"
        expect(page.locator("body")).to_contain_text(es(words))
        _fits(page, path)

    # The footer's switch: English, remembered on the account, and back.
    page.goto("/cameras")
    page.get_by_label(es("Language")).select_option("en")
    page.get_by_role("button", name=es("Change")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{base_url}/cameras")
    assert User.get(account.user.user_id).language == "en"
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(es("My cameras"))
    assert User.get(account.user.user_id).language == "es"
