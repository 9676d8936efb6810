"""Footage requests: detectives' cases and status boards, owners' answers and uploads, push."""

from flask import Blueprint

bp = Blueprint("footage", __name__)

from app.footage import api, pages  # noqa: E402,F401
