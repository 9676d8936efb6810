"""The program's own map: its tiles, its street list, address search, and what map pages use."""

from flask import Blueprint

bp = Blueprint("maps", __name__)

from app.maps import routes  # noqa: E402,F401
