"""CSRF protection for every state-changing request, forms and JSON alike.

The token is an HMAC of the session (or, before log-in, of a random cookie), so it needs no
storage, changes at log-in, and cannot be made without the server's secret key.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from app.core import tokens
from app.core.errors import CsrfError
from app.web.access import current_session, settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANON_COOKIE = "pl_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def _anon_binding() -> str:
    """The random value of this browser's pre-login CSRF cookie (made when missing)."""
    if "csrf_anon" not in g:
        g.csrf_anon = request.cookies.get(ANON_COOKIE) or ""
        if not g.csrf_anon or len(g.csrf_anon) > 100:
            g.csrf_anon = tokens.new_token(16)
            g.csrf_set_cookie = True
    return str(g.csrf_anon)


def _binding() -> str:
    item = current_session()
    if item is not None:
        return "s:" + item.session_id
    return "a:" + _anon_binding()


def csrf_token() -> str:
    return tokens.sign(settings().secret_key, "csrf", _binding())


def check_csrf() -> None:
    _anon_binding()
    if request.method in SAFE_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "_csrf_exempt", False):
        return
    sent = request.headers.get(HEADER) or ""
    if not sent and request.mimetype in ("application/x-www-form-urlencoded",
                                         "multipart/form-data"):
        sent = request.form.get(FIELD, "")
    if not tokens.check_signature(settings().secret_key, "csrf", _binding(), sent):
        raise CsrfError("The form expired or did not come from this site. Reload the page and "
                        "try again." if sent else "The request has no CSRF token. Reload the "
                        "page and try again.")


def set_anon_cookie(response: Response) -> Response:
    # Never on an answer any cache may keep (static files): it would hand one cookie to all.
    if g.get("csrf_set_cookie") and not response.cache_control.public:
        response.set_cookie(ANON_COOKIE, g.csrf_anon, httponly=True, samesite="Lax",
                            secure=settings().cookie_secure, path="/")
    return response


def init_app(app: Flask) -> None:
    # Registered after the identity loader, so the token binds to the session when there is one.
    app.before_request(check_csrf)
    app.after_request(set_anon_cookie)
    app.jinja_env.globals["csrf_token"] = csrf_token
