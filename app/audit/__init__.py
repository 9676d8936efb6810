"""The audit log for auditors, and the `flask audit verify` command."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group="audit")

from app.audit import cli, routes  # noqa: E402,F401
