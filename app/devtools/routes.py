from __future__ import annotations

from typing import Any

from flask import render_template

from app.core.errors import NotFoundError
from app.devtools import bp
from app.models.outbox import OutboxMessage
from app.web.access import PUBLIC, allow, settings


@bp.route("/outbox")
@allow(PUBLIC, mfa_exempt=True)
def outbox() -> Any:
    if not settings().is_devstack:
        raise NotFoundError()
    messages = sorted(OutboxMessage.scan(), key=lambda m: m.sent_at, reverse=True)[:50]
    return render_template("outbox.html", messages=messages)
