"""A detective logs in with password and authenticator code on a tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import Account, fresh_code, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def detective(devstack: object) -> Account:
    return make_user("detective")


def log_in_with_password(page: Page, account: Account) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/mfa/verify"))
    expect(page.get_by_label("6-digit code")).to_be_visible()


def wrong_code(right: str) -> str:
    return f"{(int(right) + 500_000) % 1_000_000:06d}"


def test_detective_needs_the_code_after_the_password(tablet: Page, detective: Account) -> None:
    assert detective.totp_secret
    log_in_with_password(tablet, detective)

    code = fresh_code(detective.totp_secret)
    tablet.get_by_label("6-digit code").fill(wrong_code(code))
    tablet.get_by_role("button", name="Continue").click()
    expect(tablet.get_by_role("alert")).to_contain_text("That code is not right")
    expect(tablet.get_by_label("6-digit code")).to_have_attribute("aria-invalid", "true")
    expect(tablet).to_have_url(re.compile(r"/mfa/verify"))

    tablet.get_by_label("6-digit code").fill(code)
    tablet.get_by_role("button", name="Continue").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Hello, Test detective")
    expect(tablet).to_have_url(re.compile(r"/$"))


def test_pages_wait_for_the_code(tablet: Page, detective: Account) -> None:
    log_in_with_password(tablet, detective)
    tablet.goto("/account/activity")
    expect(tablet).to_have_url(re.compile(r"/mfa/verify"))
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Enter your code")
    # After the code, the detective lands on the page they asked for.
    assert detective.totp_secret
    tablet.get_by_label("6-digit code").fill(fresh_code(detective.totp_secret))
    tablet.get_by_role("button", name="Continue").click()
    expect(tablet).to_have_url(re.compile(r"/account/activity$"))
    expect(tablet.get_by_role("heading", level=1)).to_have_text("My activity")
