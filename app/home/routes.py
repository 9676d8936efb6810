from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, render_template, request

from app.core import language as languages
from app.core import roles
from app.home import bp
from app.services.cameras import registry
from app.services.people import accounts
from app.web import i18n
from app.web.access import PUBLIC, allow, current_session, current_user


@bp.route("/")
@allow(PUBLIC)
def index() -> Any:
    user, item = current_user(), current_session()
    if user is None or item is None or not item.mfa_ok:
        return render_template("home/landing.html", programs=accounts.agencies())
    context: dict[str, Any] = {"welcome": request.args.get("welcome")}
    if user.role in (roles.OWNER, roles.ORG_ADMIN):
        context["cameras"] = registry.cameras_of(user.user_id)
        context["stale_count"] = sum(1 for c in context["cameras"]
                                     if registry.needs_confirmation(c))
    elif user.role in roles.POLICE_ROLES or user.role == roles.AUDITOR:
        context["summary"] = registry.agency_summary(user.agency_id)
    return render_template("home/home.html", **context)


@bp.route("/language", methods=["POST"])
@allow(PUBLIC)
def language() -> Any:
    """The language switch in every page's footer: remembered in a cookie, and on the account
    when signed in (its pushes and e-mails follow it). Back to the page it was sent from."""
    chosen = languages.normal(request.form.get("language"))
    user = current_user()
    if user is not None and user.language != chosen:
        accounts.set_language(user, chosen)
    return i18n.remember(redirect(_same_site_page(request.referrer)), chosen)


def _same_site_page(referrer: str | None) -> str:
    """The page the switch was used on (the browser's Referer: this site's pages send it,
    Referrer-Policy strict-origin-when-cross-origin), else home. The page itself holds no
    `next` field: it would copy the address into the page, ids of a refused page included."""
    parts = urlsplit(referrer or "")
    if parts.netloc != request.host or parts.scheme not in ("http", "https") \
            or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")
