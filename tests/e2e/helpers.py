"""Shared settings and page checks for the browser tests."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.support import Account, fresh_code

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A synthetic camera (a test pattern) for getUserMedia, granted without a prompt: the
    # owner's "send this phone's camera" runs on it.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
TABLET: dict[str, Any] = {
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Long enough for a slow CI machine, short enough that a broken page fails fast.
TIMEOUT_MS = 15_000


def launch_options() -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
                    "Run `make chromium` (as root) and try again.", pytrace=False)
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


def wait_for_service_worker(page: Page) -> None:
    """Wait until the worker is active, then reload so that it controls the page."""
    active = page.evaluate("""(ms) => Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), ms)),
    ])""", TIMEOUT_MS)
    assert active, f"no active service worker after {TIMEOUT_MS} ms"
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def collect_page_errors(page: Page) -> list[str]:
    """A list that fills with every uncaught JavaScript error on the page from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    return errors


def box_of(locator: Locator) -> FloatRect:
    """The element's box on the page; fails clearly when the element is not rendered."""
    box = locator.bounding_box()
    assert box is not None, f"{locator} has no box: it is not rendered"
    return box


def centre_of(locator: Locator) -> tuple[float, float]:
    box = box_of(locator)
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_with_mouse(page: Page, start: tuple[float, float], end: tuple[float, float],
                    steps: int = 8) -> None:
    """Press at start, move to end in small steps (as a hand would), release."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def log_in(page: Page, account: Account) -> None:
    """Log in through the form, with a fresh authenticator code when the role needs one."""
    page.goto("/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    if account.totp_secret:
        expect(page).to_have_url(re.compile(r"/mfa/verify"))
        page.get_by_label("6-digit code").fill(fresh_code(account.totp_secret))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


CHICAGO = ZoneInfo("America/Chicago")  # the demo program's zone: every page shows its times


def day_words(moment: datetime) -> str:
    """'Fri 4 Dec': a day as the pages write it, in the program's zone."""
    local = moment.astimezone(CHICAGO)
    return f"{local:%a} {local.day} {local:%b}"


# Every form control whose box leaves the screen, or whose value is wider than its box.
CUT = """() => [...document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea')]
  .filter((el) => el.offsetParent !== null)
  .map((el) => {
    const box = el.getBoundingClientRect();
    const out = box.left < 0 || box.right > document.documentElement.clientWidth + 0.5;
    const cut = el.tagName !== 'TEXTAREA' && el.type !== 'checkbox' && el.type !== 'radio'
      && el.type !== 'file' && el.scrollWidth > el.clientWidth + 1;
    return (out || cut) ? `${el.name || el.id}: ${Math.round(box.left)}–${Math.round(box.right)} px`
      + ` of ${document.documentElement.clientWidth}${cut ? ', value cut' : ''}` : '';
  })
  .filter(Boolean)"""


# The innermost elements reaching past the screen's right edge (for the failure message).
WIDE = """() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const past = (el) => el.getBoundingClientRect().right > edge;
  return [...document.querySelectorAll('body *')]
    .filter((el) => past(el) && ![...el.children].some(past))
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`
      + ` → ${Math.round(el.getBoundingClientRect().right)} px`)
    .slice(0, 8);
}"""
