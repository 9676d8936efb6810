"""Privacy masks as the owner saves them: checked, in one canonical JSON form, and named.

An owner draws polygons over a camera's view (the camera form); every picture of that camera
that leaves the owner for the police is then masked (bridge/masking.py blacks them out: the
bridge before its uploads, the clip worker in every clip cut from an upload). This module has
no video in it: the web app checks and stores the masks, and fingerprints them the way
bridge/masking.py does (tests/unit/test_masking.py checks that the two agree), so a bridge's
upload can be checked against the masks the camera has now.

A mask: {"id": "m1", "points": [[x, y], ...]}, each corner a fraction (0..1) of the view's
width and height from its top left, as the owner sees the view; 3 to MAX_POINTS corners; at
most MAX_MASKS per camera.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from app.core.errors import ValidationError
from app.core.texts import gettext as _

MAX_MASKS = 8
MAX_POINTS = 32
ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
Mask = dict[str, Any]


def _area(points: list[list[float]]) -> float:
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def _bad(words: str) -> ValidationError:
    return ValidationError(words, {"masks": words})


def _corners(number: int, points: Any) -> list[list[float]]:
    if not isinstance(points, list) or not 3 <= len(points) <= MAX_POINTS:
        raise _bad(_("Mask %(number)s needs between 3 and %(most)s corners.", number=number,
                     most=MAX_POINTS))
    corners: list[list[float]] = []
    for point in points:
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise _bad(_("Mask %(number)s has a corner that is not a point.",
                         number=number)) from None
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise _bad(_("Mask %(number)s has a corner outside the view.", number=number))
        corners.append([float(round(x, 4)), float(round(y, 4))])
    if _area(corners) < 1e-4:
        raise _bad(_("Mask %(number)s covers almost nothing: draw it around the area to hide.",
                     number=number))
    return corners


def check(data: Any) -> list[Mask]:
    """The masks an owner sent (a list, or its JSON text), canonical; ValidationError on the
    `masks` field saying what is wrong."""
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.strip() else []
        except ValueError:
            raise _bad(_("The masks could not be read. Draw them again.")) from None
    if not isinstance(data, list):
        raise _bad(_("The masks could not be read. Draw them again."))
    if len(data) > MAX_MASKS:
        raise _bad(_("A camera can have at most %(most)s masks.", most=MAX_MASKS))
    masks: list[Mask] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise _bad(_("Mask %(number)s has no corners.", number=number))
        mask_id = str(item.get("id") or f"m{number}")
        if not ID.match(mask_id) or any(m["id"] == mask_id for m in masks):
            mask_id = next(f"m{n}" for n in range(1, MAX_MASKS * 2 + 2)
                           if all(m["id"] != f"m{n}" for m in masks))
        masks.append({"id": mask_id, "points": _corners(number, item.get("points"))})
    return masks


def loads(text: str | None) -> list[Mask]:
    """The masks stored on a camera (its JSON text, "" when none)."""
    return json.loads(text) if text else []


def dumps(masks: list[Mask]) -> str:
    return json.dumps(masks, separators=(",", ":"), sort_keys=True) if masks else ""


def fingerprint(masks: list[Mask]) -> str:
    """Which masks: a short SHA-256 of their canonical JSON ("" for none), as the bridge and
    the clip worker compute it (bridge.masking.Masks.fingerprint)."""
    return hashlib.sha256(dumps(masks).encode()).hexdigest()[:16] if masks else ""


def changes(before: list[Mask], after: list[Mask]) -> dict[str, list[str]]:
    """Which masks were added, changed and removed, by id (for the audit log: ids only, never
    where on the view they are)."""
    old = {m["id"]: m["points"] for m in before}
    new = {m["id"]: m["points"] for m in after}
    return {"added": sorted(set(new) - set(old)),
            "changed": sorted(i for i in set(new) & set(old) if new[i] != old[i]),
            "removed": sorted(set(old) - set(new))}
