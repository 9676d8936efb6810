"""Incidents in progress: the real-time operator's screen (police)."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from app.incidents import routes  # noqa: E402,F401
