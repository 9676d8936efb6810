"""Security headers on every response, with a per-request CSP nonce."""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.wrappers import Response

from app.web.access import settings


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _tile_origin() -> str:
    """The map tile server's origin, allowed as an image source ("" when maps have no tiles)."""
    url = settings().tile_url
    if not url.startswith("https://"):
        return ""
    return " " + "/".join(url.split("/", 3)[:3])


def _storage_origins() -> str:
    """Where phones upload and read back photos, video parts and clips: the buckets' origins."""
    cfg = settings()
    local = cfg.endpoint_for("s3")
    if local:
        return " " + local.rstrip("/")
    region = cfg.region
    origins = [f"https://{bucket}.s3.{region}.amazonaws.com https://{bucket}.s3.amazonaws.com"
               for bucket in (cfg.uploads_bucket, cfg.clips_bucket)]
    return " " + " ".join(origins) + f" https://s3.{region}.amazonaws.com"


def set_headers(response: Response) -> Response:
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        f"img-src 'self' data: blob:{_tile_origin()}{_storage_origins()}; "
        f"connect-src 'self'{_storage_origins()}; "
        f"media-src 'self' blob:{_storage_origins()}; "
        "worker-src 'self'; "
        "manifest-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )
    # Browsers ignore HSTS over plain http:// (devstack), so every stage sends the same header.
    response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = (
        "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), interest-cohort=()"
    )
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.path.startswith("/api/") or (
        request.endpoint not in ("static", "pwa.manifest", "pwa.service_worker")
    ):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
