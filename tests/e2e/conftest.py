"""Browser fixtures: one Chromium for the session, a fresh phone-sized page per test.

Debian's Chromium (/usr/bin/chromium) is used; Playwright's own browser downloads are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.helpers import PHONE, TABLET, TIMEOUT_MS


@pytest.fixture
def new_context(browser: Browser, base_url: str) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(**options) -> a fresh context on the app; all are closed after the test."""
    opened: list[BrowserContext] = []

    def build(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield build
    for context in opened:
        context.close()


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Page:
    """A fresh page in a new phone-sized context (390 x 844, touch)."""
    return new_context(**PHONE).new_page()


@pytest.fixture
def tablet(new_context: Callable[..., BrowserContext]) -> Page:
    """A fresh page in a new tablet-sized context (820 x 1180, touch)."""
    return new_context(**TABLET).new_page()
