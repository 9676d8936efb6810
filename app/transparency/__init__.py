"""Public, no login: the audit checkpoint feed (and the program's figures)."""

from flask import Blueprint

bp = Blueprint("transparency", __name__)

from app.transparency import routes  # noqa: E402,F401
