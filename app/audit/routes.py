"""The auditor's pages: the log, one event, exports, the anomaly flags and verification.

Every view here only reads (GET), and each read is itself audited by app.services.auditing.review.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, render_template, request

from app.audit import bp
from app.audit.forms import ACTIONS, filter_args, parse_filter, parse_period
from app.core import roles
from app.core.errors import ValidationError
from app.services import clock
from app.services.auditing import anomalies, audit, review
from app.web.access import allow, client_ip, require_user, settings


def _log_page(errors: dict[str, str], page: review.Page | None = None) -> Any:
    args = request.args.to_dict()
    query = filter_args(args)
    fields = {k: v for k, v in errors.items() if k != "before"}  # no field holds the cursor
    return render_template(
        "audit/log.html", events=[audit.event_json(e) for e in page.events] if page else [],
        page=page, errors=fields, message=errors.get("before", ""), form=args,
        actions=ACTIONS, query=query,
        export_query={k: v for k, v in query.items() if k != "per_page"},
        export_max=review.EXPORT_MAX, scan_max=review.SCAN_MAX)


@bp.route("")
@allow(roles.AUDITOR)
def log() -> Any:
    user = require_user()
    try:
        flt = parse_filter(request.args.to_dict(), user.agency_id)
    except ValidationError as exc:
        return _log_page(exc.errors), 422
    return _log_page({}, review.review(user, flt, client_ip()))


@bp.route("/events/<chain>/<seq>")
@allow(roles.AUDITOR)
def event(chain: str, seq: str) -> Any:
    view = review.open_event(settings(), require_user(), chain, seq, client_ip())
    return render_template("audit/event.html", e=audit.event_json(view.event),
                           findings=view.findings, people=view.people, newest=view.newest)


def _download(body: str, mimetype: str, kind: str, capped: bool) -> Response:
    agency = re.sub(r"[^A-Za-z0-9_-]", "-", require_user().agency_id)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    name = f"porchlight-audit-{agency}-{stamp}"
    if capped:
        name += f"-newest-{review.EXPORT_MAX}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{kind}"',
        "Cache-Control": "no-store"})


@bp.route("/export.csv")
@allow(roles.AUDITOR)
def export_csv() -> Any:
    user = require_user()
    flt = parse_filter(request.args.to_dict(), user.agency_id)
    text, capped = review.export_csv(user, flt, client_ip())
    return _download(text, "text/csv", "csv", capped)


@bp.route("/export.json")
@allow(roles.AUDITOR)
def export_json() -> Any:
    user = require_user()
    flt = parse_filter(request.args.to_dict(), user.agency_id)
    body, capped = review.export_json(settings(), user, flt, client_ip())
    return _download(json.dumps(body, indent=1, ensure_ascii=False), "application/json", "json",
                     capped)


@bp.route("/flags")
@allow(roles.AUDITOR)
def flags() -> Any:
    user = require_user()
    context = {"periods": anomalies.PERIODS, "checks": anomalies.CHECKS, "form": request.args}
    try:
        period = parse_period(request.args.to_dict())
    except ValidationError as exc:
        return render_template("audit/flags.html", review=None, people={}, errors=exc.errors,
                               **context), 422
    found, people = review.flags(user, period, client_ip())
    return render_template("audit/flags.html", review=found, people=people, errors={},
                           **context)


@bp.route("/verify")
@allow(roles.AUDITOR)
def verify() -> Any:
    chains, count, breaks = audit.verify_all(only=audit.chain_for(require_user().agency_id))
    return render_template("audit/verify.html", chains=chains, count=count, breaks=breaks)
