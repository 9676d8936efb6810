from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from flask_babel import force_locale, gettext
from werkzeug.security import safe_join

from app.core.errors import NotFoundError
from app.core.language import known
from app.pwa import bp
from app.web import assets, i18n, js_words
from app.web.access import PUBLIC, allow

# The app shell: cached by the service worker at install, served when the network is gone.
SHELL_STATIC = ("css/app.css", "js/app.js", "icons/icon-192.png", "icons/icon-512.png")


@bp.route("/manifest.webmanifest")
@allow(PUBLIC, mfa_exempt=True)
def manifest() -> Any:
    """The app's manifest in the page's language: base.html links it with ?lang= (a browser
    fetches a manifest without cookies, so the language switch and the account's choice would
    not reach it); without one, the request's language (app/web/i18n.py)."""
    language = known(request.args.get("lang"))
    if language:
        with force_locale(language):
            return _manifest()
    return _manifest()


def _manifest() -> Any:
    body = {
        "name": gettext("Porchlight"),
        "short_name": gettext("Porchlight"),
        "description": gettext("Community safety cameras, with the owner in control."),
        "lang": i18n.current(),
        "id": "/",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f3a5f",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = current_app.response_class(current_app.json.dumps(body),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))  # its words are the reader's language
    return response


@bp.route("/sw.js")
@allow(PUBLIC, mfa_exempt=True)
def service_worker() -> Response:
    # The static folder's digest names the cache: any change to the shell, to the worker or to
    # what the shell's URLs look like gives a new cache, and the old one is deleted.
    static = assets.current()
    source = static.files["js/sw.js"].decode("utf-8")
    shell = ["/offline"] + [url_for("static", filename=name) for name in SHELL_STATIC]
    # WORDS: its notifications' words in the request's language (app/web/js_words.py).
    prelude = (f"const SHELL_VERSION = {static.digest!r};\n"
               f"const SHELL_URLS = {current_app.json.dumps(shell)};\n"
               f"const WORDS = {current_app.json.dumps(js_words.worker_words())};\n")
    response = current_app.response_class(prelude + source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    response.headers["Service-Worker-Allowed"] = "/"
    return response


VENDOR = {"leaflet": "xstatic.pkg.leaflet", "markercluster": "xstatic.pkg.leaflet_markercluster"}


@lru_cache(maxsize=4)
def vendor_package(package: str) -> tuple[str, str]:
    """The package's folder and its PyPI version ("1.9.3.0"), which fingerprints its files."""
    import importlib

    module = importlib.import_module(VENDOR[package])
    return str(module.BASE_DIR), f"{module.VERSION}.{module.BUILD}"


@bp.url_defaults
def _add_vendor_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "pwa.vendor" and values.get("package") in VENDOR:
        values.setdefault("version", vendor_package(values["package"])[1])


@bp.route("/vendor/<package>/<version:version>/<path:filename>")
@allow(PUBLIC, mfa_exempt=True)
def vendor(package: str, version: str, filename: str) -> Any:
    """Leaflet and its cluster plugin, served from the PyPI packages (never from a CDN), under
    their version: kept a year like the static files (app.web.assets), and another version's
    URL gets the current file, not kept."""
    body = _vendor_file(package, filename)
    current = vendor_package(package)[1]
    return assets.file_response(body, filename,
                                assets.A_YEAR if version == current else assets.NOT_FOR_KEEPS)


@bp.route("/vendor/<package>/<path:filename>")
@allow(PUBLIC, mfa_exempt=True)
def vendor_unversioned(package: str, filename: str) -> Any:
    """The URLs of pages rendered before versions were in them."""
    return assets.file_response(_vendor_file(package, filename), filename, assets.AN_HOUR)


def _vendor_file(package: str, filename: str) -> bytes:
    if package not in VENDOR or filename.endswith(".map"):
        raise NotFoundError()
    path = safe_join(vendor_package(package)[0], filename)
    if path is None or not Path(path).is_file():
        raise NotFoundError()
    return Path(path).read_bytes()


@bp.route("/offline")
@allow(PUBLIC, mfa_exempt=True)
def offline() -> Any:
    return render_template("offline.html")
