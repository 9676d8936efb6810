"""Owners pair and remove their bridges; bridges call in with their device credential."""

from flask import Blueprint

bp = Blueprint("bridges", __name__)

from app.bridges import routes  # noqa: E402,F401
