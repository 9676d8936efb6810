"""Bulk import for organisation admins: a CSV or GeoJSON file, all rows or none."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for

from app.cameras import bp
from app.core import roles
from app.core.bulk import COLUMNS, MAX_ROWS, BulkError, parse_bulk, template_csv
from app.core.errors import UnsupportedMediaTypeError, ValidationError
from app.core.texts import gettext
from app.services.cameras import registry
from app.web.access import allow, client_ip, require_user
from app.web.jsonio import accepts_file, answers
from app.web.shapes import INT, STR, arr, obj

KINDS = {"text/csv": "csv", "application/geo+json": "geojson", "application/json": "geojson"}


def _kind(filename: str, mimetype: str) -> str:
    name = filename.lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith(".csv"):
        return "csv"
    if mimetype in KINDS:
        return KINDS[mimetype]
    raise ValidationError(gettext("Upload a .csv or .geojson file."),
                          {"file": gettext("must be CSV or GeoJSON")})


@bp.route("/cameras/import", methods=["GET", "POST"])
@allow(roles.ORG_ADMIN, roles.AGENCY_ADMIN)
def import_page() -> Any:
    context: dict[str, Any] = {"columns": COLUMNS, "max_rows": MAX_ROWS, "problems": [],
                               "message": ""}
    if request.method == "GET":
        return render_template("cameras/import.html", **context)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError(gettext("Choose a file to upload."),
                                  {"file": gettext("no file chosen")})
        specs = parse_bulk(upload.read(), _kind(upload.filename, upload.mimetype))
        cameras = registry.import_cameras(require_user(), specs, client_ip(), upload.filename)
    except BulkError as exc:
        context.update(problems=exc.problems, message=exc.detail)
        return render_template("cameras/import.html", **context), 422
    except ValidationError as exc:
        context.update(message=exc.detail + " " + " ".join(exc.errors.values()))
        return render_template("cameras/import.html", **context), 422
    return redirect(url_for("cameras.index", done="imported", count=len(cameras)))


@bp.route("/cameras/import/template.csv")
@allow(roles.ORG_ADMIN, roles.AGENCY_ADMIN)
def import_template() -> Response:
    return Response(template_csv(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=porchlight-cameras-template.csv"})


@bp.route("/api/cameras/import", methods=["POST"])
@allow(roles.ORG_ADMIN, roles.AGENCY_ADMIN)
@accepts_file({
    "text/csv": {"type": "string", "description": "a header row naming the template's "
                                                  f"columns, then one camera per row (at most "
                                                  f"{MAX_ROWS})"},
    "application/geo+json": {"type": "object", "description": "a FeatureCollection of Points "
                                                              "whose properties are the "
                                                              "template's columns"},
    "application/json": {"type": "object", "description": "the same GeoJSON"}})
@answers(201, obj(imported=INT, ids=arr(STR)))
def import_api() -> Any:
    """Import many cameras at once (an organisation's or the agency's own): all or none; each
    problem named by row and column."""
    kind = KINDS.get(request.mimetype)
    if kind is None:
        raise UnsupportedMediaTypeError(
            "Send the file as text/csv or application/geo+json "
            f"(got {request.mimetype or 'none'}).")
    specs = parse_bulk(request.get_data(), kind)
    cameras = registry.import_cameras(require_user(), specs, client_ip(), f"api ({kind})")
    return jsonify(imported=len(cameras), ids=[c.camera_id for c in cameras]), 201
