"""Stylesheets and scripts reach the phone compressed, under URLs that change with their content,
and are kept for a year; pages, which carry personal data, are never stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from app.web.compression import MIN_BYTES
from tests.e2e.helpers import PHONE, log_in
from tests.support import Account, make_user

pytestmark = pytest.mark.e2e

A_YEAR = "public, max-age=31536000, immutable"
FINGERPRINTED = re.compile(r"^/(static/[0-9a-f]{12}|vendor/[a-z]+/\d+(\.\d+)*)/")


@pytest.fixture
def owner(devstack: object) -> Account:
    return make_user("owner")


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    # No service worker: what is checked here is what the server sends, not the shell cache.
    return new_context(**PHONE, service_workers="block").new_page()


def test_scripts_and_styles_come_compressed_under_fingerprinted_urls_for_a_year(
        page: Page, owner: Account) -> None:
    answers: list[Response] = []
    page.on("response", lambda answer: answers.append(answer))
    log_in(page, owner)
    form = page.goto("/cameras/new")
    assert form is not None
    # The camera form's module has imported the map kit and drawn the pin.
    expect(page.locator(".js-camera-map").get_by_role("button", name="Camera position")
           ).to_be_visible()

    assets = {urlsplit(a.url).path: a for a in answers
              if a.request.resource_type in ("stylesheet", "script")}
    names = {path.rsplit("/", 1)[-1] for path in assets}
    assert {"app.css", "app.js", "camera-form.js", "map-kit.js", "leaflet.js"} <= names, names
    for path, answer in assets.items():
        headers = answer.all_headers()
        assert answer.status == 200, path
        assert FINGERPRINTED.match(path), f"{path} has no fingerprint"
        assert headers.get("cache-control") == A_YEAR, f"{path}: {headers}"
        if len(answer.body()) >= MIN_BYTES:  # app.css, app.js, leaflet.js… (not a tiny module)
            assert headers.get("content-encoding") in ("br", "gzip"), f"{path}: {headers}"
            assert "accept-encoding" in headers.get("vary", "").lower(), f"{path}: {headers}"
    # A module imported by a relative path shares its importer's fingerprint.
    prefix = {path.rsplit("/js/", 1)[0] for path in assets if path.endswith((
        "/camera-form.js", "/map-kit.js", "/app.js"))}
    assert len(prefix) == 1, prefix

    page_headers = form.all_headers()
    assert page_headers["cache-control"] == "no-store"
    assert page_headers.get("content-encoding") in ("br", "gzip"), page_headers
