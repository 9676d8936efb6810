"""The devstack outbox: mail that would have gone out by SES. Answers 404 on any other stage."""

from flask import Blueprint

bp = Blueprint("devtools", __name__)

from app.devtools import routes  # noqa: E402,F401
