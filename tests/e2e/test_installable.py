"""Chromium can install Porchlight as an app."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.e2e.helpers import PHONE, TIMEOUT_MS, launch_options, wait_for_service_worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def persistent(playwright: Playwright, base_url: str, tmp_path: Path
               ) -> Iterator[BrowserContext]:
    """A non-incognito profile: Chromium's installability check refuses incognito ones."""
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=tmp_path / "profile", base_url=base_url, **launch_options(), **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def test_chromium_finds_no_installability_errors(persistent: BrowserContext) -> None:
    page = persistent.pages[0] if persistent.pages else persistent.new_page()
    page.goto("/")
    wait_for_service_worker(page)
    cdp = persistent.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest").get("errors") == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []


def test_manifest_describes_a_standalone_app(phone: Page) -> None:
    response = phone.request.get("/manifest.webmanifest")
    assert response.ok
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Porchlight"
    assert manifest["start_url"].startswith("/")
    assert manifest["display"] == "standalone"

    sizes = set()
    for icon in manifest["icons"]:
        image = phone.request.get(icon["src"])
        assert image.ok, icon["src"]
        assert image.headers["content-type"] == "image/png", icon["src"]
        width, height = png_size(image.body())
        assert icon["sizes"] == f"{width}x{height}", f"{icon['src']} is {width}x{height}"
        if "any" in icon.get("purpose", "any").split():
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
