"""The police map, the live layers, and the ingest API that CAD/AVL systems call."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

from app.core import roles
from app.core.errors import BadRequestError
from app.police import bp
from app.services.cameras import registry
from app.services.realtime import field
from app.web.access import PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, query, read_items, read_query
from app.web.queries import police_query
from app.web.shapes import ANY_OBJECT, INT, NUM, STR, TIME, arr, obj

FIELD_ITEM = Field(dict, fields={
    "id": Field(str, max_length=64, min_length=1, doc="the CAD incident or unit id"),
    "lat": Field(float, minimum=-90, maximum=90), "lon": Field(float, minimum=-180, maximum=180),
    "label": Field(str, max_length=120, min_length=1, doc="what the map shows"),
    "detail": Field(str, required=False, max_length=200),
    "ttl_minutes": Field(int, required=False, minimum=1, maximum=field.MAX_TTL_MINUTES,
                         doc="how long it stays on the map"),
    "units": Field(list, required=False, max_items=field.MAX_UNITS,
                   items=Field(str, max_length=64, min_length=1),
                   doc="calls only: the ids of the units assigned to the call (their "
                       "officers are offered first for the incident's bulletins)"),
    "officers": Field(list, required=False, max_items=field.MAX_OFFICERS,
                      items=Field(str, max_length=254, min_length=3),
                      doc="units only: the e-mail addresses of the officers in the unit, as "
                          "their Porchlight accounts have them")})
INGEST_BODY = Field(list, items=FIELD_ITEM, max_items=field.MAX_ITEMS)

SEARCHERS = (roles.DETECTIVE, roles.SUPERVISOR)
INGEST_MAX_BYTES = 256 * 1024


@bp.route("/map")
@allow(*SEARCHERS)
def police_map_page() -> Any:
    return render_template("police/map.html")


VIEW_EDGE = "an edge of the map's view, in degrees (give all four, or none)"


@bp.route("/api/map")
@police_query("registry.view_refused")
@allow(*SEARCHERS)
@query(south=Field(float, required=False, doc=VIEW_EDGE),
       west=Field(float, required=False, doc=VIEW_EDGE),
       north=Field(float, required=False, doc=VIEW_EDGE),
       east=Field(float, required=False, doc=VIEW_EDGE))
@answers(200, obj(mode=STR, cameras=arr(ANY_OBJECT),
                  clusters=arr(obj(lat=NUM, lon=NUM, count=INT, precision=INT)),
                  hidden_count=INT,
                  field=arr(obj(kind=STR, id=STR, lat=NUM, lon=NUM, label=STR, detail=STR,
                                updated_at=TIME))))
def police_map_data() -> Any:
    """The map of one view (south, west, north, east): its cameras when it is a few streets
    across (`mode` "cameras"; hidden ones only counted, by ~1 km area), else how many cameras
    each area of it holds (`mode` "clusters", at each area's centre). Without a view: every
    camera of the program (slow for a large one; the page always sends its view). Both carry
    the live CAD/AVL layers."""
    user = require_user()
    asked = read_query()
    if asked:
        data = registry.police_map_view(settings(), user, registry.check_viewport(asked),
                                        client_ip())
    else:
        data = registry.police_map(settings(), user, client_ip())
    data["field"] = [{"kind": e.kind, "id": e.source_id, "lat": float(e.lat),
                      "lon": float(e.lon), "label": e.label, "detail": e.detail,
                      "updated_at": e.updated_at.isoformat()}
                     for e in field.active(user.agency_id)]
    return jsonify(data)


@bp.route("/api/ingest/<feed>", methods=["PUT"])
@allow(PUBLIC, csrf_exempt=True, credential="ingestKey")
@accepts(INGEST_BODY)
@answers(200, obj(stored=INT, feed=STR))
def ingest(feed: str) -> Any:
    """CAD/AVL push: replace-or-add calls for service (`calls`) or unit positions (`units`).

    `Authorization: Bearer plk_…` (an agency admin makes the key at /admin/api-keys); the
    body is a JSON list of 1 to 500 items, all stored or none. Each stays on the agency's map
    until its ttl_minutes pass (default: calls 4 h, units 10 min)."""
    key = field.authenticate(request.headers.get("Authorization", ""))
    if feed not in field.KINDS:
        raise BadRequestError("The feed is 'calls' or 'units'.")
    items = read_items(max_bytes=INGEST_MAX_BYTES)
    return jsonify(stored=field.ingest(key, feed, items), feed=feed), 200
