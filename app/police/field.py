"""The police map, the live layers, and the ingest API that CAD/AVL systems call."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, render_template, request

from app.core import roles
from app.core.errors import BadRequestError, UnsupportedMediaTypeError
from app.police import bp
from app.services import field, registry
from app.web.access import PUBLIC, allow, client_ip, require_user, settings

SEARCHERS = (roles.DETECTIVE, roles.SUPERVISOR)


@bp.route("/map")
@allow(*SEARCHERS)
def police_map_page() -> Any:
    return render_template("police/map.html")


@bp.route("/api/map")
@allow(*SEARCHERS)
def police_map_data() -> Any:
    user = require_user()
    data = registry.police_map(settings(), user, client_ip())
    data["field"] = [{"kind": e.kind, "id": e.source_id, "lat": float(e.lat),
                      "lon": float(e.lon), "label": e.label, "detail": e.detail,
                      "updated_at": e.updated_at.isoformat()}
                     for e in field.active(user.agency_id)]
    return jsonify(data)


@bp.route("/api/ingest/<feed>", methods=["PUT"])
@allow(PUBLIC, csrf_exempt=True)
def ingest(feed: str) -> Any:
    """CAD/AVL push: `Authorization: Bearer plk_…`, a JSON list of {id, lat, lon, label}."""
    key = field.authenticate(request.headers.get("Authorization", ""))
    if feed not in field.KINDS:
        raise BadRequestError("The feed is 'calls' or 'units'.")
    if request.mimetype != "application/json":
        raise UnsupportedMediaTypeError("Send JSON with Content-Type: application/json.")
    try:
        items = json.loads(request.get_data() or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequestError(f"The body is not valid JSON: {exc}") from exc
    return jsonify(stored=field.ingest(key, feed, items), feed=feed), 200
