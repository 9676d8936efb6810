"""Cameras: a registration body at a quiet scene, and CSV files for the bulk import."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.core.bulk import COLUMNS
from app.models.cameras import Camera
from tests.support import Client

# A quiet block of Nashville's grid (Church St & 7th Ave N) far from the seeded cameras.
SCENE = (36.16130, -86.78370)


def camera_body(**changes: Any) -> dict[str, Any]:
    body = {"nickname": "Front door", "lat": SCENE[0], "lon": SCENE[1] + 0.0002,
            "heading_deg": 270, "fov_deg": 90, "range_m": 40, "mount": "doorbell",
            "facing": "street", "retention_days": 14, "tier": "on_request",
            "visibility": "exact", "attested": True}
    body.update(changes)
    return body


# ---------------------------------------------------------------- bulk import (CSV)


def rows(n: int, start_lat: float = 36.15, **changes: str) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        row = {"nickname": f"Cam {i + 1}", "lat": f"{start_lat + i * 0.0003:.6f}",
               "lon": f"{-86.79 + (i % 10) * 0.0004:.6f}", "heading_deg": str((i * 37) % 360),
               "fov_deg": "90", "range_m": "30", "mount": "wall", "facing": "street",
               "retention_days": "14", "tier": "on_request", "visibility": "exact",
               "attested": "yes", "refused_offenses": "", "street": ""}
        row.update(changes)
        out.append(row)
    return out


def to_csv(records: list[dict[str, str]], delimiter: str = ",",
           columns: tuple[str, ...] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), delimiter=delimiter,
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8")


def send(client: Client, body: bytes, kind: str = "text/csv") -> Any:
    return client.send_json("POST", "/api/cameras/import", data=body,
                            headers={"Content-Type": kind})


def count_of(user_id: str) -> int:
    return sum(1 for _ in Camera.owner_index.query(user_id))
