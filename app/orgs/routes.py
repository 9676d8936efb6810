from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from app.core import roles
from app.core.errors import AppError, ValidationError
from app.orgs import bp
from app.services.people import orgs
from app.web.access import allow, client_ip, require_session, require_user, settings


@bp.route("", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def index() -> Any:
    user = require_user()
    org = orgs.get_org(user.org_id)
    context: dict[str, Any] = {"org": org, "errors": {}, "form": request.form,
                               "sent": request.args.get("sent")}
    if request.method == "POST" and org is None:
        try:
            orgs.create(user, require_session(), request.form.get("name", ""), client_ip())
        except ValidationError as exc:
            context["errors"] = exc.errors
            return render_template("orgs/index.html", **context), 422
        return redirect(url_for("orgs.index"))
    if org is not None and user.role == roles.ORG_ADMIN:
        context["members"] = orgs.members(org)
    return render_template("orgs/index.html", **context)


@bp.route("/invitations", methods=["POST"])
@allow(roles.ORG_ADMIN)
def invite() -> Any:
    user = require_user()
    try:
        orgs.invite(settings(), user, request.form.get("email", ""), client_ip())
    except ValidationError as exc:
        return render_template("orgs/index.html", org=orgs.get_org(user.org_id),
                               members=[], errors=exc.errors, form=request.form), 422
    return redirect(url_for("orgs.index", sent=request.form.get("email", "").strip().lower()))


@bp.route("/join/<token>", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def join(token: str) -> Any:
    found = orgs.invitation(token)
    if found is None:
        return render_template("auth/link_gone.html"), 410
    if request.method == "GET":
        return render_template("orgs/join.html", org=found[0], email=found[1], token=token)
    try:
        orgs.join(require_user(), token, client_ip())
    except AppError as exc:
        return render_template("orgs/join.html", org=found[0], email=found[1], token=token,
                               message=exc.detail), exc.status
    return redirect(url_for("orgs.index"))


@bp.route("/cameras/<camera_id>/hand-over", methods=["POST"])
@allow(roles.ORG_ADMIN)
def hand_over(camera_id: str) -> Any:
    orgs.hand_over(require_user(), camera_id, request.form.get("member_id", ""), client_ip())
    return redirect(url_for("cameras.index", done="handed"))
