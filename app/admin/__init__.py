"""The agency admin's pages: users, invitations, roles and sessions."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", cli_group="agency")

from app.admin import cli, routes  # noqa: E402,F401
