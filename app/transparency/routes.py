from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, render_template, request

from app.core.errors import NotFoundError
from app.models.users import Agency
from app.services.auditing import checkpoints
from app.services.governance import transparency
from app.transparency import bp
from app.transparency.charts import charts_for
from app.web.access import PUBLIC, allow, settings
from app.web.jsonio import answers
from app.web.shapes import STR, arr, obj


@bp.route("/transparency/checkpoints.json")
@allow(PUBLIC)
@answers(200, obj(algorithm=STR, key_id=STR, public_key=STR,
                  checkpoints=arr({"type": "object"})))
def checkpoint_feed() -> Any:
    """The signed audit checkpoints, newest first, and the public key that checks them."""
    response = jsonify(checkpoints.feed(settings()))
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may mirror it
    return response


def _program() -> tuple[Agency, list[Agency]]:
    """`?program=<agency id>`, or the only (or first) program."""
    found = transparency.programs()
    wanted = request.args.get("program", "").strip()
    chosen = next((a for a in found if a.agency_id == wanted), None) if wanted \
        else transparency.default_program(found)
    if chosen is None:
        raise NotFoundError("There is no such program.")
    return chosen, found


@bp.route("/transparency")
@allow(PUBLIC)
def index() -> Any:
    """The program's figures for anyone: counts only, small cells hidden."""
    agency, found = _program()
    report = transparency.report(agency)
    return render_template("transparency/index.html", report=report, programs=found,
                           charts=charts_for(report), ALL=transparency.ALL,
                           month_label=transparency.month_label,
                           area_label=transparency.area_label)


@bp.route("/transparency.csv")
@allow(PUBLIC)
def download() -> Any:
    """The same figures, one row per month x neighbourhood x figure, hidden as on the page."""
    agency, _ = _program()
    text = transparency.csv_text(transparency.report(agency))
    name = re.sub(r"[^a-z0-9-]", "-", agency.agency_id.lower())[:40]
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="porchlight-transparency-{name}.csv"',
        "Cache-Control": "public, max-age=300"})
