"""Incident search: which registered cameras could have seen a scene. Pure: no I/O.

The service reads candidates through the geo index; this module decides, for each, whether it
is inside the radius, whether it points at the scene, whether its recorder probably kept the
footage, and what police may see of it (its map visibility).

Hidden cameras are never hits. They are counted, and asked for footage, by the ~1 km cells a
search circle touches (`hidden_cells`), never by a distance: whatever circles police draw,
the count is the same for every spot inside a hidden camera's cell, so no number of searches
narrows one down below its cell (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core import geo
from app.core.cameras import STALE_AFTER, is_stale, police_name


@dataclass(slots=True)
class Candidate:
    """A camera as the search sees it: at its police place (see cameras.police_place)."""

    camera_id: str
    owner_id: str
    nickname: str
    lat: float
    lon: float
    heading_deg: float
    fov_deg: float
    range_m: float
    mount: str
    tier: str
    visibility: str
    retention_days: int
    confirmed_at: datetime
    paused: bool = False
    rules: str = ""  # the owner's sharing rules in words, shown to police beside the camera


@dataclass(slots=True)
class Hit:
    camera_id: str
    owner_id: str
    nickname: str
    lat: float  # where police may show it: exact, or the approximate cell centre
    lon: float
    approximate: bool
    distance_m: int
    covers: bool  # within its range and the scene inside its field of view
    kept: bool  # the recorder probably still holds footage of the incident
    stale: bool
    heading_deg: float
    fov_deg: float
    range_m: float
    mount: str
    tier: str
    rules: str = ""


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    hidden_count: int  # hidden cameras in the cells the circle touches: asked, never shown
    candidates_read: int


def hidden_cells(lat: float, lon: float, radius_m: float) -> frozenset[str]:
    """The hidden-camera cells (geohash precision HIDDEN_PRECISION) a search circle touches.

    A hidden camera is counted and asked when its cell is one of these: every hidden camera
    within the radius is (its cell meets the circle), and which ones are depends on the cells
    alone, never on where inside its cell a camera stands."""
    return frozenset(geo.cover_cells(lat, lon, radius_m, geo.HIDDEN_PRECISION))


def in_hidden_cells(geohash: str, cells: frozenset[str]) -> bool:
    return geohash[:geo.HIDDEN_PRECISION] in cells


def classify(candidates: Iterable[Candidate], lat: float, lon: float, radius_m: float,
             incident_at: datetime, now: datetime) -> SearchResult:
    """Keep the cameras within the radius, mark those that point at the scene, rank them.

    Candidates stand at their police place, so nothing here can depend on an exact place the
    owner chose not to show. Hidden cameras are skipped: the service counts them by cell
    (`hidden_cells`), and `hidden_count` here is always 0.
    """
    hits: list[Hit] = []
    read = 0
    age = now - incident_at
    stale_before = now - STALE_AFTER
    distance, bearing, in_view = geo.distance_m, geo.bearing_deg, geo.in_view
    for cam in candidates:
        read += 1
        if cam.paused or cam.visibility == "hidden":
            continue
        dist = distance(cam.lat, cam.lon, lat, lon)
        if dist > radius_m:
            continue
        approximate = cam.visibility == "approximate"
        covers = dist <= cam.range_m and (
            dist < 1.0 or in_view(cam.heading_deg, cam.fov_deg,
                                  bearing(cam.lat, cam.lon, lat, lon)))
        step = 100 if approximate else 5
        hits.append(Hit(
            cam.camera_id, cam.owner_id, police_name(cam.nickname, cam.visibility), cam.lat,
            cam.lon, approximate,
            int(round(dist / step) * step), covers, age < timedelta(days=cam.retention_days),
            cam.confirmed_at <= stale_before, cam.heading_deg, cam.fov_deg, cam.range_m,
            cam.mount, cam.tier, cam.rules,
        ))
    hits.sort(key=lambda h: (not h.covers, h.distance_m, h.camera_id))
    return SearchResult(hits, 0, read)


# OpenStreetMap's tagging for surveillance cameras, so GIS tools read the export as they would
# read OSM data (https://wiki.openstreetmap.org/wiki/Tag:man_made=surveillance).
OSM_ZONE = {"street": "town", "sidewalk": "town", "alley": "town", "parking": "parking",
            "entrance": "building", "yard": "building", "storefront": "shop", "other": "public"}
OSM_MOUNT = {"doorbell": "wall", "wall": "wall", "pole": "pole", "window": "wall",
             "other": "wall"}


def shown_place(cam: Candidate) -> tuple[float, float, bool] | None:
    """Where police may see a camera (lat, lon, approximate); None when hidden or paused."""
    if cam.visibility == "hidden" or cam.paused:
        return None
    return cam.lat, cam.lon, cam.visibility == "approximate"


def export_feature(cam: Candidate, facing: str, now: datetime) -> dict[str, object] | None:
    """One GeoJSON feature as police may see it; None for hidden or paused cameras."""
    place = shown_place(cam)
    if place is None:
        return None
    lat, lon, approximate = place
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "man_made": "surveillance",
            "surveillance": "outdoor",
            "surveillance:type": "camera",
            "surveillance:zone": OSM_ZONE.get(facing, "public"),
            "camera:type": "fixed",
            "camera:mount": OSM_MOUNT.get(cam.mount, "wall"),
            "camera:direction": round(cam.heading_deg) % 360,
            "name": police_name(cam.nickname, cam.visibility),
            "porchlight:id": cam.camera_id,
            "porchlight:tier": cam.tier,
            "porchlight:fov_deg": cam.fov_deg,
            "porchlight:range_m": cam.range_m,
            "porchlight:location": "approximate" if approximate else "exact",
            "porchlight:stale": is_stale(cam.confirmed_at, now),
        },
    }
