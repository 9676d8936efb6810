"""Reading the camera registry (registration itself arrives with the registry issue)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.models.cameras import Camera


@dataclass(frozen=True)
class AgencySummary:
    total: int
    by_tier: dict[str, int]


def cameras_of(owner_id: str) -> list[Camera]:
    return list(Camera.owner_index.query(owner_id))


def agency_summary(agency_id: str) -> AgencySummary:
    tiers: Counter[str] = Counter()
    for camera in Camera.scan(Camera.agency_id == agency_id, attributes_to_get=["tier"]):
        tiers[camera.tier] += 1
    return AgencySummary(sum(tiers.values()), dict(tiers))
