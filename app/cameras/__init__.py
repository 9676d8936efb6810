"""The owner's cameras: register, edit, pause, confirm and withdraw (pages and JSON API)."""

from flask import Blueprint

bp = Blueprint("cameras", __name__)

from app.cameras import api, bulk, routes  # noqa: E402,F401
