from __future__ import annotations

from typing import Any

from flask import jsonify

from app.services import checkpoints
from app.transparency import bp
from app.web.access import PUBLIC, allow, settings


@bp.route("/transparency/checkpoints.json")
@allow(PUBLIC)
def checkpoint_feed() -> Any:
    """The signed audit checkpoints, newest first, and the public key that checks them."""
    response = jsonify(checkpoints.feed(settings()))
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may mirror it
    return response
