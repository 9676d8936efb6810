"""Share now (owners) and live shares (police)."""

from flask import Blueprint

bp = Blueprint("live", __name__)

from app.live import routes  # noqa: E402,F401
