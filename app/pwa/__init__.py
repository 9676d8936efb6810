"""The PWA's own routes: manifest, service worker and offline page (flask-pwa is not used)."""

from flask import Blueprint

bp = Blueprint("pwa", __name__)

from app.pwa import routes  # noqa: E402,F401
