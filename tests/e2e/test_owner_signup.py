"""A camera owner signs up on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.services.people import accounts
from tests.e2e.helpers import no_horizontal_scroll
from tests.support import link_in, make_user, unique_email, wait_for_mail

pytestmark = pytest.mark.e2e


def fill_sign_up(phone: Page, name: str, email: str, password: str) -> None:
    phone.get_by_label("Your name").fill(name)
    phone.get_by_label("Email address").fill(email)
    phone.get_by_label("Password").fill(password)
    phone.get_by_role("button", name="Create account").tap()


def test_owner_signs_up_from_the_landing_page(phone: Page, base_url: str) -> None:
    email = unique_email("owner")
    phone.goto("/")
    assert no_horizontal_scroll(phone), "the landing page scrolls sideways at 390 px"
    phone.get_by_role("link", name="Create an account").tap()
    expect(phone).to_have_url(re.compile(r"/signup$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Create an account")

    fill_sign_up(phone, "Rosa Parker", email, "a porch light left on")

    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(phone.get_by_role("status")).to_contain_text(email)
    assert no_horizontal_scroll(phone), "the check-your-email page scrolls sideways at 390 px"

    # The emailed link, opened on the same phone, finishes the account with the password.
    link = link_in(wait_for_mail(email, "Finish creating"), "/signup/finish/")
    phone.goto(link.removeprefix(base_url))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Finish creating your account")
    expect(phone.get_by_role("main")).to_contain_text("Rosa Parker")
    phone.get_by_label("Password").fill("a porch light left on")
    phone.get_by_role("button", name="Finish creating account").tap()

    expect(phone).to_have_url(re.compile(r"/\?welcome=1$"))
    expect(phone.get_by_role("status")).to_contain_text("Your account is ready")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Rosa Parker")
    assert no_horizontal_scroll(phone), "the home page scrolls sideways at 390 px"

    phone.set_viewport_size({"width": 360, "height": 740})
    assert no_horizontal_scroll(phone), "the home page scrolls sideways at 360 px"


def test_the_landing_page_names_the_program_live_sharing_and_who_else_logs_in(
        phone: Page) -> None:
    """A resident arriving from the city's flyer must see it is their city's program, that live
    sharing is part of it, and that the police and auditors they read about use this page
    too."""
    phone.goto("/")
    main = phone.locator("main")
    for program in accounts.agencies():  # the demo's, and any other a test made
        expect(main).to_contain_text(f"{program.name}, {program.city}")
    expect(main).to_contain_text("live video for a time you choose")
    expect(main).to_contain_text(
        re.compile(r"Police officers, supervisors, program staff and independent auditors log in "
                   r"here too"))
    assert no_horizontal_scroll(phone), "the landing page scrolls sideways at 390 px"


def test_a_taken_address_gets_the_same_answer_and_its_holder_a_mail(phone: Page) -> None:
    holder = make_user("owner")
    phone.goto("/signup")
    fill_sign_up(phone, "Sam Taken", holder.email, "somebody elses porch")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(phone.get_by_role("status")).to_contain_text(holder.email)
    expect(phone.get_by_role("main")).not_to_contain_text("already exists")
    assert "/password/forgot" in wait_for_mail(holder.email, "Someone tried to sign up").text


def test_signup_form_fits_a_small_phone(phone: Page) -> None:
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.goto("/signup")
    assert no_horizontal_scroll(phone), "the sign-up page scrolls sideways at 360 px"


def test_short_password_is_explained_and_the_form_keeps_what_was_typed(phone: Page) -> None:
    email = unique_email("owner")
    phone.goto("/signup")
    phone.get_by_label("Your name").fill("Sam Short")
    phone.get_by_label("Email address").fill(email)
    phone.get_by_label("Password").fill("short")
    phone.get_by_role("button", name="Create account").tap()

    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(re.compile("at least 10 characters"))
    expect(summary).to_be_focused()

    password = phone.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("at least 10 characters"))
    expect(password).to_have_value("")
    expect(phone.get_by_label("Your name")).to_have_value("Sam Short")
    expect(phone.get_by_label("Your name")).not_to_have_attribute("aria-invalid", "true")
    expect(phone.get_by_label("Email address")).to_have_value(email)
    assert no_horizontal_scroll(phone), "the sign-up errors scroll sideways at 390 px"

    # The link in the summary takes the user to the field to fix.
    summary.get_by_role("link").tap()
    expect(password).to_be_focused()
