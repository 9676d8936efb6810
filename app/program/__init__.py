"""The program's public pages: policy and FAQ (with history), feedback to the agency's admins."""

from flask import Blueprint

bp = Blueprint("program", __name__)

from app.program import routes  # noqa: E402,F401
