from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify, render_template, request

from app.core import roles
from app.core.cameras import TIER_WORDS
from app.core.errors import ValidationError
from app.police import bp
from app.services.cameras import registry
from app.web.access import allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, read_json
from app.web.queries import police_query, refused
from app.web.shapes import BOOL, INT, NUM, STR, arr, obj

SEARCHERS = (roles.DETECTIVE, roles.SUPERVISOR)
HIT = obj(camera_id=STR, nickname=STR, lat=NUM, lon=NUM, approximate=BOOL, distance_m=INT,
          covers=BOOL, kept=BOOL, stale=BOOL, heading_deg=NUM, fov_deg=NUM, range_m=NUM,
          mount=STR, tier=STR, rules=STR)


def result_json(result: registry.SearchResult) -> dict[str, Any]:
    return {
        "cameras": [{k: v for k, v in asdict(hit).items() if k != "owner_id"}
                    for hit in result.hits],
        "covering": sum(1 for hit in result.hits if hit.covers),
        "hidden_count": result.hidden_count,
    }


@bp.route("/search", methods=["GET", "POST"])
@police_query("registry.search_refused", "POST")
@allow(*SEARCHERS)
def search() -> Any:
    user = require_user()
    limit = registry.max_radius(user.agency_id)
    form: dict[str, Any] = {"radius_m": str(registry.DEFAULT_RADIUS_M)}
    if request.method == "GET":
        return render_template("police/search.html", form=form, errors={}, result=None,
                               max_radius=limit, tier_words=TIER_WORDS)
    form = request.form.to_dict()
    try:
        found = registry.search(settings(), user, registry.check_search(form, limit),
                                client_ip())
    except ValidationError as exc:
        refused(exc)
        return render_template("police/search.html", form=form, errors=exc.errors, result=None,
                               max_radius=limit, tier_words=TIER_WORDS), 422
    return render_template("police/search.html", form=form, errors={}, result=found,
                           result_data=result_json(found), max_radius=limit,
                           tier_words=TIER_WORDS)


@bp.route("/api/search", methods=["POST"])
@police_query("registry.search_refused")
@allow(*SEARCHERS)
@accepts({"lat": Field(float), "lon": Field(float), "radius_m": Field(float, required=False),
          "incident_at": Field(str, max_length=40, doc="ISO 8601 date and time"),
          "case_number": Field(str, max_length=40)})
@answers(200, obj(cameras=arr(HIT), covering=INT, hidden_count=INT))
def api_search() -> Any:
    """Cameras that may have seen an incident, nearest first. Hidden cameras are only
    counted, by the ~1 km cells the circle touches (docs/privacy.md). Every search is audited
    with its case number, refused ones too."""
    user = require_user()
    data = read_json()
    request_ = registry.check_search(data, registry.max_radius(user.agency_id))
    return jsonify(result_json(registry.search(settings(), user, request_, client_ip())))


@bp.route("/api/registry.geojson")
@police_query("registry.export_refused")
@allow(roles.DETECTIVE, roles.SUPERVISOR, roles.AGENCY_ADMIN)
@answers(200, obj(type=STR, features=arr({"type": "object"})), media="application/geo+json")
def export() -> Any:
    """The program's registry as GeoJSON for the agency's own GIS (audited)."""
    body = registry.export_geojson(settings(), require_user(), client_ip())
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    response.headers["Content-Disposition"] = "attachment; filename=porchlight-registry.geojson"
    return response
