"""Keyboard users can skip straight to the page's content."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def on_screen(page: Page, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, """(el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
            && box.right <= window.innerWidth && box.bottom <= window.innerHeight;
    }"""))


def test_first_tab_shows_the_skip_link(phone: Page) -> None:
    phone.goto("/login")
    skip = phone.get_by_role("link", name="Skip to content")
    assert not on_screen(phone, ".skip-link"), "the skip link shows before it has focus"

    phone.keyboard.press("Tab")
    expect(skip).to_be_focused()
    assert on_screen(phone, ".skip-link"), "the focused skip link is off screen"

    phone.keyboard.press("Enter")
    expect(phone.locator("#main")).to_be_focused()
