"""What the running app sends for pages, JSON and its static files: gzip, fingerprints, caching."""

from __future__ import annotations

import gzip
import re

import requests

from app import FRONTEND
from tests.support import Client

A_YEAR = "public, max-age=31536000, immutable"


def raw_get(client: Client, path: str, accept: str = "gzip") -> requests.Response:
    """The bytes as sent (requests would decode them), with this Accept-Encoding."""
    response = client.http.get(client.base + path, headers={"Accept-Encoding": accept},
                               stream=True, timeout=30, allow_redirects=False)
    response.raw.decode_content = False
    response._content = response.raw.read()
    return response


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:static|vendor)/[^"]+)"', html)


def test_pages_are_gzipped_and_never_stored(client: Client) -> None:
    page = raw_get(client, "/login")
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers["Cache-Control"] == "no-store"
    assert "Accept-Encoding" in page.headers["Vary"]
    html = gzip.decompress(page.content).decode()
    assert 'name="password"' in html
    identity = raw_get(client, "/login", accept="identity")
    assert "Content-Encoding" not in identity.headers and b'name="password"' in identity.content


def test_json_answers_are_gzipped(client: Client) -> None:
    spec = raw_get(client, "/api/openapi.json")
    assert spec.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(spec.content).startswith(b"{")


def test_a_page_links_its_files_under_this_builds_fingerprint(client: Client) -> None:
    urls = asset_urls(client.get("/login").text)
    assert urls and all(re.match(r"/static/[0-9a-f]{12}/", url) for url in urls), urls
    assert len({url.split("/")[2] for url in urls}) == 1, urls
    stylesheet = next(url for url in urls if url.endswith("/css/app.css"))
    css = raw_get(client, stylesheet)
    assert css.status_code == 200 and css.headers["Cache-Control"] == A_YEAR
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.content) == (FRONTEND / "static/css/app.css").read_bytes()
    # A file any cache may keep sets no cookie, or a shared cache would hand it to everyone.
    assert "Set-Cookie" not in Client(client.base).get(stylesheet).headers
    # An icon is compressed already: sent as it is.
    icon = raw_get(client, stylesheet.replace("css/app.css", "icons/icon-192.png"))
    assert "Content-Encoding" not in icon.headers and icon.content.startswith(b"\x89PNG")
    assert raw_get(client, stylesheet.replace("app.css", "none.css")).status_code == 404


def test_another_builds_fingerprint_gets_the_current_file_not_kept(client: Client) -> None:
    """A page from the build before (or after) this one, during a deploy: not a 404, and
    not a year's cache for bytes this build chose for another build's URL."""
    old = client.get("/static/0123456789ab/js/app.js")
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    assert old.content == (FRONTEND / "static/js/app.js").read_bytes()


def test_plain_static_urls_still_answer_for_an_hour(client: Client) -> None:
    """The service worker's notification icons are written as /static/icons/…"""
    icon = client.get("/static/icons/icon-192.png")
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/png"
    assert icon.headers["Cache-Control"] == "public, max-age=3600"


def test_vendor_files_carry_their_package_version(client: Client) -> None:
    versioned = raw_get(client, "/vendor/leaflet/1.9.3.0/leaflet.js")
    assert versioned.status_code == 200 and versioned.headers["Cache-Control"] == A_YEAR
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert b"Leaflet" in gzip.decompress(versioned.content)
    assert client.get("/vendor/leaflet/0.7/leaflet.css").headers["Cache-Control"] == "no-cache"
    plain = client.get("/vendor/leaflet/images/marker-icon.png")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "public, max-age=3600"
    for refused in ("/vendor/leaflet/1.9.3.0/leaflet.js.map", "/vendor/nope/1.0/x.js",
                    "/vendor/leaflet/1.9.3.0/..%2F__init__.py"):
        assert client.get(refused).status_code == 404, refused
