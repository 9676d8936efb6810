"""Security headers on every kind of response."""

from __future__ import annotations

import re

import pytest

from tests.support import Client


@pytest.mark.parametrize("path", ["/", "/login", "/api/csrf", "/healthz", "/no-such-page",
                                  "/static/css/app.css", "/sw.js", "/manifest.webmanifest"])
def test_security_headers(client: Client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
    assert "unsafe-inline" not in csp
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    permissions = headers["Permissions-Policy"]
    assert "geolocation=(self)" in permissions and "camera=(self)" in permissions
    assert "microphone=()" in permissions


def test_nonce_is_new_on_every_response_and_matches_the_script(client: Client) -> None:
    first, second = client.get("/login"), client.get("/login")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"])
    assert nonce and f'nonce="{nonce.group(1)}"' in first.text
    assert first.headers["Content-Security-Policy"] != second.headers["Content-Security-Policy"]


def test_personal_pages_and_api_are_not_cached(client: Client) -> None:
    assert client.get("/api/csrf").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
