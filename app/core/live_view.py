"""What police see of the cameras in a live share. Pure: no I/O.

Each camera follows its owner's map visibility, as it does in search results and on the map:

- exact: its nickname, and its street when the owner gave one;
- approximate: only its rounded place (the ~100 m cell's centre police see on the map), never
  its street or its nickname (a nickname like "Jane at 41 Oak Lane garage" would give away what
  the rounding hides);
- hidden: "A camera not shown on the map", and no place at all.

Police never receive a camera's id in a share: each camera has an alias, random and drawn once
per share (`new_alias`), which the app maps back to the camera. Nothing about the camera can
be read from it, and the same camera in two shares has two unrelated aliases.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.cameras import APPROXIMATE_NAME, HIDDEN_NAME

EXACT, APPROXIMATE, NOT_SHOWN = "exact", "approximate", "not shown"
ALIAS_BYTES = 8  # 64 random bits: unguessable within a share's few hours


def new_alias() -> str:
    """A camera's name in one share: 16 hex digits, random, never derived from the camera."""
    return secrets.token_hex(ALIAS_BYTES)


@dataclass(frozen=True)
class SharedCamera:
    """A camera of a share as police may see it."""

    stream: str  # the alias the player asks for pieces by
    name: str
    place: str | None  # in words; None for a hidden camera
    location: str  # exact, approximate or "not shown"

    @property
    def label(self) -> str:
        """How the share's place names this camera: its place, else its name."""
        return self.place or self.name

    def as_json(self) -> dict[str, str | None]:
        return {"stream": self.stream, "name": self.name, "place": self.place,
                "location": self.location}


def rounded_place(place_lat: float, place_lon: float) -> str:
    """An approximate camera's place in words: its cell's centre, as the map shows it."""
    return f"within about 100 m of {place_lat:.4f}, {place_lon:.4f}"


def shared_camera(alias: str, visibility: str, nickname: str, street: str,
                  place_lat: float, place_lon: float) -> SharedCamera:
    """One camera as police see it in a share. `place_lat`/`place_lon` are the camera's police
    place (app.core.cameras.police_place): exact, or its cell's centre."""
    if visibility == "exact":
        return SharedCamera(alias, nickname, street.strip() or None, EXACT)
    if visibility == "approximate":
        return SharedCamera(alias, APPROXIMATE_NAME, rounded_place(place_lat, place_lon),
                            APPROXIMATE)
    return SharedCamera(alias, HIDDEN_NAME, None, NOT_SHOWN)  # hidden, or anything unknown


def where(cameras: Iterable[SharedCamera], limit: int = 120) -> str:
    """The share's place in one line (police list, player heading, push text)."""
    labels = list(dict.fromkeys(c.label for c in cameras))
    return " & ".join(labels)[:limit] or HIDDEN_NAME
