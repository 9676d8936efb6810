"""The map's tiles and street list, its client library, and address search for police."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from app.core import roles
from app.core.errors import NotFoundError
from app.maps import bp
from app.services.maps import basemap, geocoding
from app.web.access import ANY_USER, PUBLIC, allow, client_ip, current_user, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, read_json
from app.web.queries import police_query
from app.web.shapes import NUM, STR, arr, obj

# protomaps-leaflet draws the PMTiles map in Leaflet; from npm (tools/vendor_js.py fetches
# it and checks its hash), kept under its version like the other vendored libraries.
PROTOMAPS_LEAFLET = "5.1.0"
VENDOR = Path(__file__).resolve().parents[2] / "frontend" / "vendor"
ARCHIVE_SECONDS = 3600  # a browser keeps a piece of the map this long (the ETag tells a new map)


@bp.route("/map/tiles.pmtiles")
@allow(ANY_USER)
def tiles() -> Any:
    """One byte range of the program's PMTiles map, from S3, for the map library."""
    first, last = basemap.parse_range(request.headers.get("Range", ""))
    try:
        piece = basemap.archive_range(settings(), first, last)
    except basemap.RangeNotSatisfiable as exc:
        raise RequestedRangeNotSatisfiable() from exc
    response = current_app.response_class(piece.data, status=206,
                                          mimetype="application/vnd.pmtiles")
    response.headers["Content-Range"] = piece.content_range
    response.headers["Accept-Ranges"] = "bytes"
    if piece.etag:
        response.headers["ETag"] = piece.etag
    response.headers["Cache-Control"] = f"private, max-age={ARCHIVE_SECONDS}"
    return response


@bp.route("/map/streets.geojson")
@allow(ANY_USER)
def street_list() -> Any:
    """The program's street list, drawn on maps that have no tiles."""
    found = basemap.street_list(settings())
    if found is None:
        raise NotFoundError("This program has no street list.")
    response = jsonify(found.geojson)
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = f"private, max-age={basemap.STREETS_SECONDS}"
    return response


@lru_cache(maxsize=1)
def _library() -> bytes:
    return (VENDOR / "protomaps-leaflet" / "protomaps-leaflet.js").read_bytes()


@bp.route(f"/map/protomaps-leaflet-{PROTOMAPS_LEAFLET}.js")
@allow(PUBLIC, mfa_exempt=True)
def map_library() -> Any:
    """The map library, kept by browsers for a year: its URL names its version."""
    response = current_app.response_class(_library(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.route("/api/geocode", methods=["POST"])
@police_query("place.geocode_refused")
@allow(roles.DETECTIVE, roles.SUPERVISOR)
@accepts({"q": Field(str, max_length=geocoding.MAX_TEXT,
                     doc="an address or two streets that cross, like \"5th Ave N & Church St\"")})
@answers(200, obj(candidates=arr(obj(label=STR, lat=NUM, lon=NUM))))
@fails(503)
def geocode() -> Any:
    """Places matching an address, nearest the program's centre first (at most 5). Audited."""
    text = geocoding.check_text(read_json())
    places = geocoding.look_up(settings(), require_user(), text, client_ip())
    return jsonify(candidates=[{"label": p.label, "lat": p.lat, "lon": p.lon} for p in places])


@bp.app_template_global()
def map_config() -> dict[str, Any]:
    """What every map of the page needs (templates/_map.html): the base map, its attribution,
    the street list for maps without one, and where the user's program is."""
    cfg = settings()
    if cfg.tile_url:
        kind, tiles_url = "raster", cfg.tile_url
    elif cfg.map_key:
        kind, tiles_url = "pmtiles", url_for("maps.tiles")
    else:
        kind, tiles_url = "", ""
    user = current_user()
    centre = basemap.centre(user.agency_id) if user is not None else None
    return {"kind": kind, "tiles": tiles_url, "attribution": cfg.map_attribution,
            "streets": url_for("maps.street_list"), "centre": list(centre) if centre else None,
            "library": url_for("maps.map_library") if kind == "pmtiles" else ""}
