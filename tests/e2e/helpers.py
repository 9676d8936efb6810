"""Shared settings and page checks for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
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
