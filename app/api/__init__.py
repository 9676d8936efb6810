"""The JSON API under /api/ (and /healthz). Errors are application/problem+json."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401
