"""The camera registry: owners register, edit, pause and withdraw; police search. Audited."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from app.aws import aws_client
from app.config import Settings
from app.core import geo, idempotency, roles, sharing
from app.core.cameras import CameraSpec, is_stale, police_may_name, police_name, police_place
from app.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.core.search import (
    Candidate,
    SearchResult,
    classify,
    export_feature,
    hidden_cells,
    in_hidden_cells,
    shown_place,
)
from app.core.texts import gettext
from app.models.base import MAX_ID
from app.models.cameras import Camera, index_cell
from app.models.users import Agency, User
from app.services import clock
from app.services.auditing import audit, notices
from app.services.auditing.audit import Actor

DEFAULT_RADIUS_M = 300
MAX_RADIUS_M = 2000
QUERY_THREADS = 12
MAX_HIDDEN_QUERIES = 48  # as geo.cover's max_coarse: more is a circle near a pole


@dataclass(frozen=True)
class AgencySummary:
    total: int
    by_tier: dict[str, int]


def cameras_of(owner_id: str) -> list[Camera]:
    return sorted(Camera.owner_index.query(owner_id), key=lambda c: c.created_at)


def agency_summary(agency_id: str) -> AgencySummary:
    tiers: Counter[str] = Counter()
    for camera in Camera.agency_index.query(agency_id, attributes_to_get=["t"]):
        tiers[camera.tier] += 1
    return AgencySummary(sum(tiers.values()), dict(tiers))


def _apply(camera: Camera, spec: CameraSpec) -> None:
    camera.nickname = spec.nickname
    camera.lat, camera.lon = spec.lat, spec.lon
    camera.place_lat, camera.place_lon = police_place(spec.lat, spec.lon, spec.visibility)
    camera.geohash = geo.geohash(camera.place_lat, camera.place_lon)
    camera.cell = index_cell(camera.agency_id, camera.geohash[: geo.CELL_PRECISION])
    camera.heading_deg, camera.fov_deg = spec.heading_deg, spec.fov_deg
    camera.range_m = spec.range_m
    camera.mount, camera.facing = spec.mount, spec.facing
    camera.retention_days = spec.retention_days
    camera.tier, camera.visibility = spec.tier, spec.visibility
    camera.refused_offenses = list(spec.refused_offenses)
    camera.street = spec.street
    camera.schedule = spec.schedule
    camera.max_live_minutes = spec.max_live_minutes
    camera.recent_minutes = spec.recent_minutes


def new_camera(owner: User, spec: CameraSpec, org_id: str | None = None) -> Camera:
    """A camera item for the owner, not yet saved (bulk import saves many in one go)."""
    moment = clock.now()
    camera = Camera(camera_id=uuid.uuid4().hex, owner_id=owner.user_id,
                    agency_id=owner.agency_id, org_id=org_id, created_at=moment,
                    confirmed_at=moment, attested_at=moment, updated_at=moment)
    _apply(camera, spec)
    return camera


def _summary(camera: Camera) -> dict[str, Any]:
    """What the audit log keeps of a camera: never its location."""
    return {"camera": camera.camera_id, "nickname": camera.nickname, "tier": camera.tier,
            "visibility": camera.visibility, "schedule": camera.schedule or "",
            "max_live_minutes": int(camera.max_live_minutes or 30),
            "recent_minutes": int(camera.recent_minutes or 0),
            "refused_offenses": sorted(camera.refused_offenses or [])}


def register(owner: User, spec: CameraSpec, ip: str, key: str = "") -> Camera:
    """A new camera. With an idempotency `key` (a form the phone kept offline and may send
    more than once), its id derives from the key: a second send finds the first camera."""
    if owner.role not in roles.PUBLIC_ROLES:
        raise ForbiddenError("Only camera owners and organisation admins register cameras.")
    camera = new_camera(owner, spec)
    if key:
        camera.camera_id = idempotency.derived_id(owner.user_id, key)
    try:
        camera.save(condition=Camera.camera_id.does_not_exist())
    except PutError as exc:
        if key and exc.cause_response_code == "ConditionalCheckFailedException":
            return owned(owner, camera.camera_id)  # sent before: no second camera, no event
        raise
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.registered",
                 owner.user_id, _summary(camera))
    return camera


def owned(owner: User, camera_id: str) -> Camera:
    """The owner's camera; another owner's camera is "not found", never "forbidden"."""
    camera = Camera.find(camera_id)
    if camera is None or camera.owner_id != owner.user_id:
        raise NotFoundError("No such camera.")
    return camera


def named_by_police(officer: User, camera_ids: Iterable[str]) -> dict[str, Camera]:
    """The cameras police of the officer's program may name by these ids (one batch read),
    by id. Another program's camera is not among them, nor a hidden one: police never hold a
    hidden camera's id, and one that leaked names nothing (`cameras.police_may_name`)."""
    wanted = list(dict.fromkeys(i for i in camera_ids if i and len(i) <= MAX_ID))
    found = Camera.batch_get(wanted) if wanted else []
    return {c.camera_id: c for c in found
            if c.agency_id == officer.agency_id and police_may_name(c.visibility)}


def update(owner: User, camera_id: str, spec: CameraSpec, ip: str) -> Camera:
    camera = owned(owner, camera_id)
    before = _summary(camera)
    _apply(camera, spec)
    camera.updated_at = camera.confirmed_at = camera.attested_at = clock.now()
    camera.save()  # the version attribute refuses a concurrent edit
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.updated",
                 owner.user_id, {**_summary(camera), "before": before})
    return camera


def set_paused(owner: User, camera_id: str, paused: bool, ip: str) -> Camera:
    camera = owned(owner, camera_id)
    camera.update(actions=[Camera.paused.set(paused), Camera.updated_at.set(clock.now())])
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip),
                 "camera.paused" if paused else "camera.resumed", owner.user_id,
                 _summary(camera))
    return camera


def confirm(owner: User, camera_id: str, ip: str) -> Camera:
    camera = owned(owner, camera_id)
    camera.update(actions=[Camera.confirmed_at.set(clock.now())])
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.confirmed",
                 owner.user_id, _summary(camera))
    return camera


def withdraw(settings: Settings, owner: User, camera_id: str, ip: str) -> None:
    """Delete for real: the item goes; the audit log keeps a tombstone without the location."""
    camera = owned(owner, camera_id)
    camera.delete()
    if camera.photo_key:
        aws_client(settings, "s3").delete_object(Bucket=settings.uploads_bucket,
                                                 Key=camera.photo_key)
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "camera.withdrawn",
                 owner.user_id, {"camera": camera.camera_id, "nickname": camera.nickname})


def needs_confirmation(camera: Camera) -> bool:
    return is_stale(camera.confirmed_at, clock.now())


@dataclass(frozen=True)
class SearchRequest:
    lat: float
    lon: float
    radius_m: float
    incident_at: datetime
    case_number: str


def check_search(data: dict[str, Any], max_radius: float) -> SearchRequest:
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for name, low, high in (("lat", -90, 90), ("lon", -180, 180), ("radius_m", 1, max_radius)):
        raw = data.get(name, DEFAULT_RADIUS_M if name == "radius_m" else None)
        try:
            values[name] = float(raw)  # type: ignore[arg-type]
            if not low <= values[name] <= high:
                errors[name] = gettext("must be from %(low)s to %(high)s", low=format(low, "g"),
                                       high=format(high, "g"))
        except (TypeError, ValueError):
            errors[name] = gettext("must be a number")
    case = str(data.get("case_number") or "").strip()
    if not 3 <= len(case) <= 40:
        errors["case_number"] = gettext("Enter the case number (3 to 40 characters).")
    incident_at = None
    try:
        incident_at = datetime.fromisoformat(str(data.get("incident_at") or ""))
        if incident_at.tzinfo is None:
            raise ValueError("no time zone")
        if incident_at > clock.now():
            errors["incident_at"] = gettext("The incident time cannot be in the future.")
    except ValueError:
        errors["incident_at"] = gettext("Give the incident time with its zone, like "
                                        "2026-11-21T19:40Z.")
    if errors or incident_at is None:
        raise ValidationError(gettext("The search needs a place, a radius, a time and a case "
                                      "number."), errors)
    return SearchRequest(values["lat"], values["lon"], values["radius_m"], incident_at, case)


def _too_close_to_a_pole() -> ValidationError:
    return ValidationError(gettext("This place is too close to a pole to search around."),
                           {"lat": gettext("too far north or south to search here")})


def _read(agency_id: str, ranges: list[geo.Range], hidden: bool) -> list[Camera]:
    """One parallel round of Queries (at most 12), as it would be on DynamoDB: the cameras
    police may see, or only the hidden ones."""
    if not ranges:
        return []
    keep = Camera.visibility == "hidden" if hidden else Camera.visibility != "hidden"

    def one(rng: geo.Range) -> list[Camera]:
        return list(Camera.cell_index.query(index_cell(agency_id, rng.cell),
                                            Camera.geohash.between(rng.low, rng.high),
                                            filter_condition=keep))

    with ThreadPoolExecutor(max_workers=min(QUERY_THREADS, len(ranges))) as pool:
        return [camera for batch in pool.map(one, ranges) for camera in batch]


def _visible_ranges(lat: float, lon: float, radius_m: float) -> list[geo.Range]:
    try:
        return geo.cover(lat, lon, radius_m)
    except geo.AreaTooLarge as exc:
        raise _too_close_to_a_pole() from exc


def _hidden_ranges(lat: float, lon: float, radius_m: float
                   ) -> tuple[frozenset[str], list[geo.Range]]:
    try:
        cells = hidden_cells(lat, lon, radius_m)
    except geo.AreaTooLarge as exc:
        raise _too_close_to_a_pole() from exc
    ranges = geo.cell_ranges(sorted(cells))
    if len(ranges) > MAX_HIDDEN_QUERIES:  # thin cells near a pole: as the search refuses
        raise _too_close_to_a_pole()
    return cells, ranges


def _active_hidden(cameras: list[Camera], cells: frozenset[str]) -> list[Camera]:
    return sorted((c for c in cameras if not c.paused and in_hidden_cells(c.geohash, cells)),
                  key=lambda c: c.camera_id)


def _candidates(agency_id: str, lat: float, lon: float, radius_m: float) -> list[Camera]:
    """The exact and approximate cameras near the circle (hidden ones are never read here)."""
    return _read(agency_id, _visible_ranges(lat, lon, radius_m), hidden=False)


def hidden_in_area(agency_id: str, lat: float, lon: float, radius_m: float) -> list[Camera]:
    """The hidden, active cameras police may count and ask around a circle: those whose ~1 km
    cell the circle touches. Never shown; never chosen by a distance (app.core.search)."""
    cells, ranges = _hidden_ranges(lat, lon, radius_m)
    return _active_hidden(_read(agency_id, ranges, hidden=True), cells)


def as_candidate(camera: Camera) -> Candidate:
    """A camera as the search sees it: at its police place."""
    return Candidate(
        camera_id=camera.camera_id, owner_id=camera.owner_id, nickname=camera.nickname,
        lat=float(camera.place_lat), lon=float(camera.place_lon),
        heading_deg=float(camera.heading_deg),
        fov_deg=float(camera.fov_deg), range_m=float(camera.range_m), mount=camera.mount,
        tier=camera.tier, visibility=camera.visibility,
        retention_days=int(camera.retention_days), confirmed_at=camera.confirmed_at,
        paused=bool(camera.paused), rules=rules_words(camera),
    )


def rules_words(camera: Camera) -> str:
    """The owner's sharing rules as police read them beside the camera."""
    refused = ", ".join(o.replace("_", " ") for o in camera.refused_offenses or [])
    live = {"always": f"live {sharing.schedule_words(camera.schedule or '')}",
            "on_alert": "live only while the owner shares it"}.get(camera.tier, "no live view")
    parts = [live]
    if camera.tier in ("always", "on_alert"):
        parts.append(f"sessions up to {int(camera.max_live_minutes or 30)} min")
    if int(camera.recent_minutes or 0):
        parts.append(f"recent minutes: up to {int(camera.recent_minutes)} without asking")
    if refused:
        parts.append(f"refuses {refused}")
    return "; ".join(parts)


def max_radius(agency_id: str) -> float:
    try:
        agency = Agency.get(agency_id)
    except DoesNotExist:
        return MAX_RADIUS_M
    return float(agency.max_radius_m or MAX_RADIUS_M)


def search(settings: Settings, officer: User, request: SearchRequest, ip: str
           ) -> SearchResult:
    """The cameras that could have seen the incident; the search and each owner are audited."""
    if officer.role not in (roles.DETECTIVE, roles.SUPERVISOR):
        raise ForbiddenError("Only detectives and supervisors search the registry.")
    # Exact and approximate cameras by distance; hidden ones counted by cell (docs/privacy.md).
    cameras = _candidates(officer.agency_id, request.lat, request.lon, request.radius_m)
    hidden = hidden_in_area(officer.agency_id, request.lat, request.lon, request.radius_m)
    result = replace(classify((as_candidate(c) for c in cameras), request.lat, request.lon,
                              request.radius_m, request.incident_at, clock.now()),
                     hidden_count=len(hidden))
    actor = Actor(officer.user_id, officer.role, ip)
    audit.record(officer.agency_id, actor, "registry.searched", "-", {
        "case": request.case_number, "lat": round(request.lat, 5), "lon": round(request.lon, 5),
        "radius_m": request.radius_m, "incident_at": request.incident_at.isoformat(),
        "shown": len(result.hits), "hidden": result.hidden_count,
    })
    # Every owner whose camera the search returned sees who searched, when, and for which case.
    per_owner: dict[str, list[str]] = {}
    for hit in result.hits:
        per_owner.setdefault(hit.owner_id, []).append(hit.nickname)
    notices.enqueue(settings, officer.agency_id, actor, "registry.camera_found", {
        owner_id: {"case": request.case_number, "cameras": ", ".join(sorted(names))}
        for owner_id, names in per_owner.items()})
    return result


def import_cameras(admin: User, specs: list[CameraSpec], ip: str, source: str) -> list[Camera]:
    """Write every camera of a checked file, or none: a failed write removes those written."""
    if admin.role not in (roles.ORG_ADMIN, roles.AGENCY_ADMIN):
        raise ForbiddenError("Only organisation and agency admins import cameras from a file.")
    cameras = [new_camera(admin, spec) for spec in specs]
    for camera in cameras:
        camera.source = "agency" if admin.role == roles.AGENCY_ADMIN else "owner"
    written: list[Camera] = []
    try:
        with Camera.batch_write() as batch:
            for camera in cameras:
                batch.save(camera)
                written.append(camera)
    except Exception:  # whatever stopped the import: undo what was written, then re-raise it
        with Camera.batch_write() as undo:
            for camera in written:
                undo.delete(camera)
        raise
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "camera.imported",
                 admin.user_id, {"count": len(cameras), "source": source})
    return cameras


def export_geojson(settings: Settings, officer: User, ip: str) -> dict[str, Any]:
    """The agency's registry as GeoJSON for GIS tools; audited, and each owner is told."""
    if officer.role not in roles.POLICE_ROLES:
        raise ForbiddenError("Only police roles export the registry.")
    now = clock.now()
    features = []
    owners: Counter[str] = Counter()
    for camera in Camera.agency_index.query(officer.agency_id):
        feature = export_feature(as_candidate(camera), camera.facing, now)
        if feature is not None:
            features.append(feature)
            owners[camera.owner_id] += 1
    actor = Actor(officer.user_id, officer.role, ip)
    audit.record(officer.agency_id, actor, "registry.exported", "-",
                 {"cameras": len(features), "owners": len(owners)})
    notices.enqueue(settings, officer.agency_id, actor, "registry.camera_exported",
                    {owner_id: {"cameras": count} for owner_id, count in owners.items()})
    return {"type": "FeatureCollection", "features": features}


def police_map(settings: Settings, officer: User, ip: str) -> dict[str, Any]:
    """Every camera police may see on the map (hidden ones only counted), for one agency."""
    if officer.role not in (roles.DETECTIVE, roles.SUPERVISOR):
        raise ForbiddenError("Only detectives and supervisors use the police map.")
    now = clock.now()
    cameras, hidden = [], 0
    seen_owners: Counter[str] = Counter()
    for camera in Camera.agency_index.query(officer.agency_id):
        candidate = as_candidate(camera)
        if shown_place(candidate) is None:
            hidden += 0 if camera.paused else 1
            continue
        seen_owners[camera.owner_id] += 1
        cameras.append(_map_camera(camera, candidate, now))
    _map_viewed(settings, officer, ip, {"cameras": len(cameras), "hidden": hidden}, seen_owners)
    return {"mode": "cameras", "cameras": cameras, "clusters": [], "hidden_count": hidden}


def _map_camera(camera: Camera, candidate: Candidate, now: datetime) -> dict[str, Any]:
    """One camera as the police map shows it (only for one shown_place() places)."""
    lat, lon, approximate = shown_place(candidate) or (0.0, 0.0, False)
    return {"id": camera.camera_id, "name": police_name(camera.nickname, camera.visibility),
            "lat": lat, "lon": lon, "heading_deg": candidate.heading_deg,
            "fov_deg": candidate.fov_deg, "range_m": candidate.range_m, "mount": camera.mount,
            "tier": camera.tier, "approximate": approximate,
            "stale": is_stale(camera.confirmed_at, now), "source": camera.source,
            "rules": candidate.rules}


def _map_viewed(settings: Settings, officer: User, ip: str, details: dict[str, Any],
                seen_owners: Counter[str]) -> None:
    """The view is audited; every owner whose camera it showed is told."""
    actor = Actor(officer.user_id, officer.role, ip)
    audit.record(officer.agency_id, actor, "registry.viewed", "-", details)
    notices.enqueue(settings, officer.agency_id, actor, "registry.camera_viewed",
                    {owner_id: {"cameras": count} for owner_id, count in seen_owners.items()})


# The map of a viewport (what the police map page asks for as it pans and zooms): its cameras
# when it is a few streets across, else how many cameras each area holds. A city's registry is
# never sent whole: at 10,000 cameras that answer took seconds to read and megabytes to send.
DETAIL_MAX_M = 2000  # a viewport at most this far from its centre to a corner gets its cameras
COUNT_FIRST_M = 1000  # beyond this, its areas are counted before any camera is read
MAX_MAP_CAMERAS = 1000  # more than this in a small viewport: its ~150 m areas, counted
MAP_CLUSTER_PRECISIONS = (6, 5)  # ~1.2 x 0.6 km, then ~4.9 x 4.9 km areas
MAX_MAP_CELLS = 60  # Queries one view may make (12 at a time)
DETAIL_CLUSTER_PRECISION = geo.APPROX_PRECISION


@dataclass(frozen=True)
class Viewport:
    south: float
    west: float
    north: float
    east: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2

    @property
    def half_diagonal_m(self) -> float:
        return geo.distance_m(*self.centre, self.north, self.east)

    def holds(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


def check_viewport(data: dict[str, Any]) -> Viewport:
    """The four edges of the map's view, in degrees; refused when they do not make a box."""
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for name, low, high in (("south", -85, 85), ("north", -85, 85), ("west", -180, 180),
                            ("east", -180, 180)):
        try:
            values[name] = float(data[name])
            if not low <= values[name] <= high:
                errors[name] = gettext("must be from %(low)s to %(high)s", low=low, high=high)
        except (KeyError, TypeError, ValueError):
            errors[name] = gettext("must be a number")
    if not errors and values["south"] >= values["north"]:
        errors["north"] = gettext("must be north of south")
    if not errors and values["west"] >= values["east"]:
        errors["east"] = gettext("must be east of west (a view across the antimeridian is "
                                 "refused)")
    if errors:
        raise ValidationError(gettext("The map view needs its four edges: south, west, north, "
                                      "east."), errors)
    return Viewport(values["south"], values["west"], values["north"], values["east"])


def police_map_view(settings: Settings, officer: User, view: Viewport, ip: str
                    ) -> dict[str, Any]:
    """The map of one viewport: its cameras (hidden ones only counted, by ~1 km area) when it
    is a few streets across and holds at most MAX_MAP_CAMERAS, else the number of cameras in
    each area of it (never where a hidden or paused camera is, nor one of its fields)."""
    if officer.role not in (roles.DETECTIVE, roles.SUPERVISOR):
        raise ForbiddenError("Only detectives and supervisors use the police map.")
    agency = officer.agency_id
    if COUNT_FIRST_M < view.half_diagonal_m <= DETAIL_MAX_M:
        # A view of a district: count its areas first, and read its cameras only when there
        # are few enough to draw (reading thousands to count them took over a second).
        clusters, hidden = _counted(agency, view)
        if sum(c["count"] for c in clusters) > MAX_MAP_CAMERAS:
            return _clusters_viewed(settings, officer, ip, view, clusters, hidden)
    if view.half_diagonal_m <= DETAIL_MAX_M:
        try:
            ranges = geo.cover(*view.centre, view.half_diagonal_m)
            cells, hidden_ranges = _hidden_ranges(*view.centre, view.half_diagonal_m)
        except geo.AreaTooLarge as exc:
            raise _too_close_to_a_pole() from exc
        hidden = len(_active_hidden(_read(agency, hidden_ranges, hidden=True), cells))
        now = clock.now()
        shown = []
        for camera in _read(agency, ranges, hidden=False):
            candidate = as_candidate(camera)
            place = shown_place(candidate)
            if place is not None and view.holds(place[0], place[1]):
                shown.append((camera, candidate))
        if len(shown) <= MAX_MAP_CAMERAS:
            seen: Counter[str] = Counter(camera.owner_id for camera, _ in shown)
            cameras = [_map_camera(camera, candidate, now) for camera, candidate in shown]
            _map_viewed(settings, officer, ip, {"cameras": len(cameras), "hidden": hidden,
                                                "view": _view_words(view)}, seen)
            return {"mode": "cameras", "cameras": cameras, "clusters": [],
                    "hidden_count": hidden}
        counts: Counter[str] = Counter(
            geo.geohash(float(c.place_lat), float(c.place_lon), DETAIL_CLUSTER_PRECISION)
            for c, _ in shown)
        clusters = [_cluster(cell, count) for cell, count in sorted(counts.items())]
    else:
        clusters, hidden = _counted(agency, view)
    return _clusters_viewed(settings, officer, ip, view, clusters, hidden)


def _clusters_viewed(settings: Settings, officer: User, ip: str, view: Viewport,
                     clusters: list[dict[str, Any]], hidden: int) -> dict[str, Any]:
    """A view answered with counts: audited; no owner is told, as no camera is shown."""
    _map_viewed(settings, officer, ip, {"clusters": len(clusters),
                                        "cameras": sum(c["count"] for c in clusters),
                                        "hidden": hidden, "view": _view_words(view)},
                Counter())
    return {"mode": "clusters", "cameras": [], "clusters": clusters, "hidden_count": hidden}


def _counted(agency_id: str, view: Viewport) -> tuple[list[dict[str, Any]], int]:
    """The shown cameras per area of the view, and its hidden ones, counted by DynamoDB (a
    COUNT Query per area: no camera is read out)."""
    for precision in MAP_CLUSTER_PRECISIONS:
        try:
            cells = geo.box_cells(view.south, view.west, view.north, view.east, precision,
                                  MAX_MAP_CELLS // 2)
            break
        except geo.AreaTooLarge:
            continue
    else:
        raise ValidationError(gettext("Zoom in: the map counts cameras over at most about "
                                      "30 km."), {"view": gettext("too large")})
    shown = (Camera.visibility != "hidden") & (Camera.paused != True)  # noqa: E712
    hidden = (Camera.visibility == "hidden") & (Camera.paused != True)  # noqa: E712

    def count(job: tuple[str, bool]) -> int:
        cell, hidden_only = job
        pad = geo.HASH_PRECISION - len(cell)
        return int(Camera.cell_index.count(
            index_cell(agency_id, cell[:geo.CELL_PRECISION]),
            Camera.geohash.between(cell + "0" * pad, cell + "z" * pad),
            filter_condition=hidden if hidden_only else shown))

    jobs = [(cell, False) for cell in cells] + [(cell, True) for cell in cells]
    with ThreadPoolExecutor(max_workers=min(QUERY_THREADS, len(jobs))) as pool:
        found = list(pool.map(count, jobs))
    clusters = [_cluster(cell, n) for cell, n in zip(cells, found[:len(cells)], strict=True)
                if n]
    return clusters, sum(found[len(cells):])


def _cluster(cell: str, count: int) -> dict[str, Any]:
    lat, lon = geo.decode(cell).centre
    return {"lat": round(lat, 6), "lon": round(lon, 6), "count": count,
            "precision": len(cell)}


def _view_words(view: Viewport) -> str:
    return (f"{view.south:.4f},{view.west:.4f} to {view.north:.4f},{view.east:.4f}")
