from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from app.admin import bp
from app.core import footage, roles
from app.core.errors import AppError, ValidationError
from app.services.governance.policy import policy_for, save_policy
from app.services.people import accounts
from app.services.realtime import field
from app.web.access import allow, client_ip, require_user, settings

INVITABLE = sorted(roles.INVITED_ROLES)


@bp.route("/users")
@allow(roles.AGENCY_ADMIN)
def users() -> Any:
    admin = require_user()
    # The program's staff only: residents are no police role's business (not even by name).
    staff = [u for u in accounts.agency_users(admin.agency_id) if u.role in roles.INVITED_ROLES]
    return render_template("admin/users.html", users=staff, invitable=INVITABLE,
                           changed=request.args.get("changed"))


@bp.route("/invitations", methods=["GET", "POST"])
@allow(roles.AGENCY_ADMIN)
def invitations() -> Any:
    admin = require_user()
    context: dict[str, Any] = {"invitable": INVITABLE, "errors": {}, "form": {}}
    status = 200
    if request.method == "POST":
        try:
            accounts.invite(settings(), admin, request.form.get("email", ""),
                            request.form.get("role", ""), client_ip())
            context["sent_to"] = request.form.get("email", "").strip().lower()
        except ValidationError as exc:
            context.update(errors=exc.errors, form=request.form)
            status = 422
        except AppError as exc:
            context.update(message=exc.detail, form=request.form)
            status = exc.status
    context["pending"] = accounts.pending_invitations(admin.agency_id)
    return render_template("admin/invitations.html", **context), status


@bp.route("/users/<user_id>/role", methods=["POST"])
@allow(roles.AGENCY_ADMIN)
def change_role(user_id: str) -> Any:
    target = accounts.change_role(require_user(), user_id, request.form.get("role", ""),
                                  client_ip())
    return redirect(url_for("admin.users", changed=target.user_id))


@bp.route("/users/<user_id>/sessions/revoke", methods=["POST"])
@allow(roles.AGENCY_ADMIN)
def revoke_sessions(user_id: str) -> Any:
    accounts.revoke_all_sessions(require_user(), user_id, client_ip())
    return redirect(url_for("admin.users", changed=user_id))


@bp.route("/api-keys", methods=["GET", "POST"])
@allow(roles.AGENCY_ADMIN)
def api_keys() -> Any:
    admin = require_user()
    context: dict[str, Any] = {"errors": {}, "new_key": None}
    status = 200
    if request.method == "POST":
        try:
            context["new_key"] = field.create_key(admin, request.form.get("name", ""),
                                                  client_ip())
        except ValidationError as exc:
            context["errors"] = exc.errors
            status = 422
    context["keys"] = field.keys_of(admin.agency_id)
    return render_template("admin/api_keys.html", **context), status


@bp.route("/api-keys/<public_id>/revoke", methods=["POST"])
@allow(roles.AGENCY_ADMIN)
def revoke_api_key(public_id: str) -> Any:
    field.revoke_key(require_user(), public_id, client_ip())
    return redirect(url_for("admin.api_keys"))


@bp.route("/policy", methods=["GET", "POST"])
@allow(roles.AGENCY_ADMIN)
def policy() -> Any:
    """The program's rules: request window, offense list, approval, answer time, retention."""
    admin = require_user()
    current = policy_for(admin.agency_id)
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            save_policy(admin, form, request.form.getlist("offenses"), client_ip())
            return redirect(url_for("admin.policy", saved=1))
        except ValidationError as exc:
            errors = exc.errors
    return render_template("admin/policy.html", policy=current, form=form, errors=errors,
                           limits=footage.POLICY_LIMITS, offenses=footage.OFFENSE_WORDS,
                           saved=request.args.get("saved")), 422 if errors else 200
