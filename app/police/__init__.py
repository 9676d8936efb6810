"""Police pages: the incident search (which cameras could have seen this?)."""

from flask import Blueprint

bp = Blueprint("police", __name__)

from app.police import field, routes  # noqa: E402,F401
