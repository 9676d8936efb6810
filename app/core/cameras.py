"""What a camera registration is, and the rules it must meet. Pure: no I/O.

The same `parse_camera` checks the phone form, the JSON API and every CSV/GeoJSON row, so the
three can never disagree on what is valid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.core import geo, sharing
from app.core.errors import ValidationError
from app.core.roles import N_
from app.core.texts import gettext

MOUNTS = ("doorbell", "wall", "pole", "window", "other")
FACINGS = ("street", "sidewalk", "parking", "entrance", "alley", "yard", "storefront", "other")
TIERS = ("registered", "on_request", "on_alert", "always")
VISIBILITIES = ("exact", "approximate", "hidden")
OFFENSES = (
    "violent_crime", "robbery", "burglary", "theft", "vandalism", "traffic_collision",
    "missing_person", "drug_offense", "immigration", "protest_activity", "other",
)
# What pages show for each code (marked for the catalogue with N_, translated where shown).
TIER_WORDS = {
    "registered": N_("Registered only"),
    "on_request": N_("Shared on request"),
    "on_alert": N_("Shared on alert"),
    "always": N_("Shared always"),
}
MOUNT_WORDS = {"doorbell": N_("Doorbell"), "wall": N_("Wall"), "pole": N_("Pole"),
               "window": N_("Window"), "other": N_("Other")}
FACING_WORDS = {"street": N_("Street"), "sidewalk": N_("Sidewalk"), "parking": N_("Parking"),
                "entrance": N_("Entrance"), "alley": N_("Alley"), "yard": N_("Yard"),
                "storefront": N_("Storefront"), "other": N_("Other")}
VISIBILITY_WORDS = {"exact": N_("exact"), "approximate": N_("approximate"),
                    "hidden": N_("hidden")}
STALE_AFTER = timedelta(days=365)
MAX_NICKNAME = 60
# What police read instead of the owner's name for a camera they may not place exactly: a name
# such as "Jane's garage, 41 Oak Lane" would give away what the rounding or hiding keeps back
# (docs/privacy.md). The owner is told so on the camera form.
HIDDEN_NAME = "A camera not shown on the map"
APPROXIMATE_NAME = "A camera shown near its place"


def police_name(nickname: str, visibility: str) -> str:
    """The camera's name as police see it in search, map, export and live shares."""
    if visibility == "hidden":
        return HIDDEN_NAME
    if visibility == "approximate":
        return APPROXIMATE_NAME
    return nickname


def police_may_name(visibility: str) -> bool:
    """Whether police may name this camera by its id (ask it, pick it for a new case, watch
    it by id in a share). Never a hidden one: police never hold its id, and an id that leaked
    must name nothing, as a made-up one (docs/privacy.md, "Hidden cameras")."""
    return visibility != "hidden"


MAX_RANGE_M = 500
MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class CameraSpec:
    """A valid registration, as the owner described it."""

    nickname: str
    lat: float
    lon: float
    heading_deg: float
    fov_deg: float
    range_m: float
    mount: str
    facing: str
    retention_days: int
    tier: str
    visibility: str
    attested: bool
    refused_offenses: tuple[str, ...] = field(default_factory=tuple)
    street: str = ""
    schedule: str = ""  # when "shared always" is live (app.core.sharing); empty: any time
    max_live_minutes: int = 30  # the longest live session the owner allows
    recent_minutes: int = 0  # minutes police may pull from the bridge without asking


def _number(data: Mapping[str, Any], name: str, errors: dict[str, str], label: str,
            low: float, high: float, *, low_open: bool = False, whole: bool = False
            ) -> float:
    raw = data.get(name)
    label = gettext(label)  # marked with N_ by the caller
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[name] = gettext("Enter the %(label)s.", label=label)
        return 0.0
    if isinstance(raw, bool):
        errors[name] = gettext("The %(label)s must be a number.", label=label)
        return 0.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors[name] = gettext("The %(label)s must be a number, not %(value)s.", label=label,
                               value=repr(str(raw)[:20]))
        return 0.0
    if not math.isfinite(value):
        errors[name] = gettext("The %(label)s must be a number.", label=label)
        return 0.0
    if whole and value != int(value):
        errors[name] = gettext("The %(label)s must be a whole number.", label=label)
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bounds = {"label": label, "low": f"{low:g}", "high": f"{high:g}", "value": f"{value:g}"}
        errors[name] = (
            gettext("The %(label)s must be more than %(low)s and at most %(high)s "
                    "(got %(value)s).", **bounds) if low_open else
            gettext("The %(label)s must be at least %(low)s and at most %(high)s "
                    "(got %(value)s).", **bounds))
    return value


def _choice(data: Mapping[str, Any], name: str, options: tuple[str, ...],
            errors: dict[str, str], label: str, default: str | None = None) -> str:
    value = str(data.get(name) or default or "").strip().lower()
    if value not in options:
        errors[name] = gettext("Choose the %(label)s: one of %(options)s.",
                               label=gettext(label), options=", ".join(options))
    return value


def _truthy(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "true", "yes", "on", "y")


def _offenses(raw: Any, errors: dict[str, str]) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    items = raw if isinstance(raw, list | tuple) else str(raw).replace(";", "|").split("|")
    values = tuple(sorted({str(item).strip().lower() for item in items if str(item).strip()}))
    unknown = [v for v in values if v not in OFFENSES]
    if unknown:
        errors["refused_offenses"] = gettext(
            "Unknown offense categories: %(unknown)s. Use: %(known)s.",
            unknown=", ".join(unknown), known=", ".join(OFFENSES))
    return values


def _schedule(raw: Any, errors: dict[str, str]) -> str:
    text = "\n".join(ln.strip() for ln in str(raw or "").replace(";", "\n").splitlines()
                     if ln.strip())
    try:
        sharing.parse_schedule(text)
    except ValidationError as exc:
        errors.update(exc.errors)
    return text


def parse_camera(data: Mapping[str, Any]) -> CameraSpec:
    """A CameraSpec from loose input (form strings, JSON values, CSV cells), or every problem."""
    errors: dict[str, str] = {}
    nickname = str(data.get("nickname") or "").strip()
    if not 1 <= len(nickname) <= MAX_NICKNAME:
        errors["nickname"] = gettext("Give the camera a name (1 to %(max)s characters).",
                                     max=MAX_NICKNAME)
    lat = _number(data, "lat", errors, N_("latitude"), -90, 90)
    lon = _number(data, "lon", errors, N_("longitude"), -180, 180)
    heading = _number(data, "heading_deg", errors, N_("heading (degrees from north)"), 0, 360)
    fov = _number(data, "fov_deg", errors, N_("field of view in degrees"), 0, 360,
                  low_open=True)
    range_m = _number(data, "range_m", errors, N_("range in metres"), 0, MAX_RANGE_M,
                      low_open=True)
    retention = _number(data, "retention_days", errors, N_("number of days the recorder keeps"),
                        0, MAX_RETENTION_DAYS, whole=True)
    spec_kwargs = {
        "mount": _choice(data, "mount", MOUNTS, errors, N_("mount")),
        "facing": _choice(data, "facing", FACINGS, errors, N_("facing")),
        "tier": _choice(data, "tier", TIERS, errors, N_("sharing tier")),
        "visibility": _choice(data, "visibility", VISIBILITIES, errors, N_("map visibility")),
    }
    attested = _truthy(data.get("attested"))
    if not attested:
        errors["attested"] = gettext("Confirm that the camera does not look into private "
                                     "property or places where people expect privacy.")
    refused = _offenses(data.get("refused_offenses"), errors)
    street = str(data.get("street") or "").strip()[:120]
    schedule = _schedule(data.get("schedule"), errors)
    live_minutes = sharing.parse_live_minutes(data.get("max_live_minutes"), errors)
    recent_minutes = sharing.parse_recent_minutes(data.get("recent_minutes"), errors)
    if errors:
        raise ValidationError(gettext("Some camera details need fixing."), errors)
    return CameraSpec(nickname=nickname, lat=round(lat, 7), lon=round(lon, 7),
                      heading_deg=heading % 360, fov_deg=fov, range_m=range_m,
                      retention_days=int(retention), attested=True, refused_offenses=refused,
                      street=street, schedule=schedule, max_live_minutes=live_minutes,
                      recent_minutes=recent_minutes,
                      **spec_kwargs)


def police_place(lat: float, lon: float, visibility: str) -> tuple[float, float]:
    """Where police may place a camera: its spot if exact, its ~100 m cell's centre if
    approximate, its ~1 km cell's centre if hidden.

    Everything police-facing is computed from this place (the geo index is built on it), so
    two spots in one cell look the same to police however many searches they run: for a
    hidden camera, its ~1 km cell is the most police can learn (docs/privacy.md).
    """
    if visibility == "exact":
        return lat, lon
    if visibility == "hidden":
        return geo.hidden_place(lat, lon)
    return geo.approximate(lat, lon)


def is_stale(confirmed_at: datetime, now: datetime) -> bool:
    return now - confirmed_at >= STALE_AFTER
