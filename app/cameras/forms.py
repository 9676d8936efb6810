"""Turning a camera into form values and back; shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from app.core.cameras import (
    FACING_WORDS,
    FACINGS,
    MOUNT_WORDS,
    MOUNTS,
    OFFENSES,
    TIER_WORDS,
    TIERS,
    VISIBILITIES,
    VISIBILITY_WORDS,
)
from app.core.footage import OFFENSE_WORDS
from app.models.cameras import Camera
from app.services.cameras import registry

DEFAULTS = {"heading_deg": "0", "fov_deg": "90", "range_m": "30", "mount": "wall",
            "facing": "street", "retention_days": "14", "tier": "on_request",
            "visibility": "exact"}


def choices() -> dict[str, Any]:
    return {"mounts": MOUNTS, "facings": FACINGS, "tiers": TIERS, "tier_words": TIER_WORDS,
            "visibilities": VISIBILITIES, "offenses": OFFENSES, "mount_words": MOUNT_WORDS,
            "facing_words": FACING_WORDS, "offense_words": OFFENSE_WORDS,
            "visibility_words": VISIBILITY_WORDS}


def form_values(camera: Camera) -> dict[str, Any]:
    return {
        "nickname": camera.nickname, "lat": f"{float(camera.lat):.6f}",
        "lon": f"{float(camera.lon):.6f}", "heading_deg": f"{float(camera.heading_deg):g}",
        "fov_deg": f"{float(camera.fov_deg):g}", "range_m": f"{float(camera.range_m):g}",
        "mount": camera.mount, "facing": camera.facing,
        "retention_days": str(int(camera.retention_days)), "tier": camera.tier,
        "visibility": camera.visibility, "street": camera.street,
        "refused_offenses": list(camera.refused_offenses or []), "attested": "",
        "schedule": camera.schedule or "", "max_live_minutes": str(int(camera.max_live_minutes
                                                                       or 30)),
        "recent_minutes": str(int(camera.recent_minutes or 0)),
    }


def camera_json(camera: Camera) -> dict[str, Any]:
    return {
        "id": camera.camera_id, "nickname": camera.nickname, "lat": float(camera.lat),
        "lon": float(camera.lon), "heading_deg": float(camera.heading_deg),
        "fov_deg": float(camera.fov_deg), "range_m": float(camera.range_m),
        "mount": camera.mount, "facing": camera.facing,
        "retention_days": int(camera.retention_days), "tier": camera.tier,
        "visibility": camera.visibility, "refused_offenses": list(camera.refused_offenses or []),
        "street": camera.street, "paused": bool(camera.paused),
        "schedule": camera.schedule or "", "max_live_minutes": int(camera.max_live_minutes or 30),
        "recent_minutes": int(camera.recent_minutes or 0),
        "needs_confirmation": registry.needs_confirmation(camera),
        "confirmed_at": camera.confirmed_at.isoformat(),
        "created_at": camera.created_at.isoformat(),
    }
