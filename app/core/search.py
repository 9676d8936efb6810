"""Incident search: which registered cameras could have seen a scene. Pure: no I/O.

The service reads candidates through the geo index; this module decides, for each, whether it
is inside the radius, whether it points at the scene, whether its recorder probably kept the
footage, and what police may see of it (its map visibility).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.core import geo
from app.core.cameras import is_stale, probably_kept


@dataclass(frozen=True)
class Candidate:
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    hidden_count: int  # hidden cameras inside the radius: can still be asked, never shown
    candidates_read: int


def classify(candidates: Iterable[Candidate], lat: float, lon: float, radius_m: float,
             incident_at: datetime, now: datetime) -> SearchResult:
    hits: list[Hit] = []
    hidden = 0
    read = 0
    for cam in candidates:
        read += 1
        if cam.paused:
            continue
        approximate = cam.visibility == "approximate"
        # An approximate camera is judged from the place police see, never its exact one:
        # otherwise a few searches around it would reveal where it really is.
        shown = geo.approximate(cam.lat, cam.lon) if approximate else (cam.lat, cam.lon)
        dist = geo.distance_m(shown[0], shown[1], lat, lon)
        if dist > radius_m:
            continue
        if cam.visibility == "hidden":
            hidden += 1
            continue
        step = 100 if approximate else 5
        hits.append(Hit(
            camera_id=cam.camera_id, owner_id=cam.owner_id, nickname=cam.nickname,
            lat=shown[0], lon=shown[1], approximate=approximate,
            distance_m=int(round(dist / step) * step),
            covers=geo.sees(shown[0], shown[1], cam.heading_deg, cam.fov_deg, cam.range_m,
                            lat, lon),
            kept=probably_kept(cam.retention_days, incident_at, now),
            stale=is_stale(cam.confirmed_at, now),
            heading_deg=cam.heading_deg, fov_deg=cam.fov_deg, range_m=cam.range_m,
            mount=cam.mount, tier=cam.tier,
        ))
    hits.sort(key=lambda h: (not h.covers, h.distance_m, h.camera_id))
    return SearchResult(hits, hidden, read)


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
    if cam.visibility == "approximate":
        return (*geo.approximate(cam.lat, cam.lon), True)
    return cam.lat, cam.lon, False


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
            "name": cam.nickname,
            "porchlight:id": cam.camera_id,
            "porchlight:tier": cam.tier,
            "porchlight:fov_deg": cam.fov_deg,
            "porchlight:range_m": cam.range_m,
            "porchlight:location": "approximate" if approximate else "exact",
            "porchlight:stale": is_stale(cam.confirmed_at, now),
        },
    }
