"""Organisations: create one, invite members, join by link."""

from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/org")

from app.orgs import routes  # noqa: E402,F401
