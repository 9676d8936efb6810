"""The auditor's pages (the log, events, exports, anomaly flags, verification) and the
`flask audit` commands."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group="audit")

from app.audit import cli, routes  # noqa: E402,F401
