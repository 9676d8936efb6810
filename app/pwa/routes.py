from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template, send_from_directory, url_for

from app.core.errors import NotFoundError
from app.pwa import bp
from app.web.access import PUBLIC, allow

# The app shell: cached by the service worker at install, served when the network is gone.
SHELL_STATIC = ("css/app.css", "js/app.js", "icons/icon-192.png", "icons/icon-512.png")


@lru_cache(maxsize=1)
def shell_version(static_folder: str) -> str:
    """A hash of the shell's files and the worker itself: a new deploy gets a new cache."""
    digest = hashlib.sha256()
    root = Path(static_folder)
    for name in (*SHELL_STATIC, "js/sw.js"):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.route("/manifest.webmanifest")
@allow(PUBLIC, mfa_exempt=True)
def manifest() -> Any:
    body = {
        "name": "Porchlight",
        "short_name": "Porchlight",
        "description": "Community safety cameras, with the owner in control.",
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
    return response


@bp.route("/sw.js")
@allow(PUBLIC, mfa_exempt=True)
def service_worker() -> Response:
    static = current_app.static_folder or ""
    source = (Path(static) / "js" / "sw.js").read_text(encoding="utf-8")
    shell = ["/offline"] + [url_for("static", filename=name) for name in SHELL_STATIC]
    prelude = (f"const SHELL_VERSION = {shell_version(static)!r};\n"
               f"const SHELL_URLS = {current_app.json.dumps(shell)};\n")
    response = current_app.response_class(prelude + source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


VENDOR = {"leaflet": "xstatic.pkg.leaflet", "markercluster": "xstatic.pkg.leaflet_markercluster"}


@lru_cache(maxsize=4)
def vendor_dir(package: str) -> str:
    import importlib

    return str(importlib.import_module(VENDOR[package]).BASE_DIR)


@bp.route("/vendor/<package>/<path:filename>")
@allow(PUBLIC, mfa_exempt=True)
def vendor(package: str, filename: str) -> Any:
    """Leaflet and its cluster plugin, served from the PyPI packages (never from a CDN)."""
    if package not in VENDOR or filename.endswith(".map"):
        raise NotFoundError()
    return send_from_directory(vendor_dir(package), filename, max_age=86400)


@bp.route("/offline")
@allow(PUBLIC, mfa_exempt=True)
def offline() -> Any:
    return render_template("offline.html")
