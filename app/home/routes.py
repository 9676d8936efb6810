from __future__ import annotations

from typing import Any

from flask import render_template, request

from app.core import roles
from app.home import bp
from app.services.cameras import registry
from app.services.people import accounts
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
