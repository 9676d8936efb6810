"""The rules of a privacy mask (app/core/masks.py) and the bridge's reading of them
(bridge/masking.py): what the owner may save, and that both sides name the same masks alike."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from app.core import masks as rules
from app.core.errors import ValidationError
from bridge import masking

SQUARE = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]


def test_saved_masks_are_canonical_and_fingerprinted_as_the_bridge_does() -> None:
    saved = rules.check(json.dumps([{"id": "m1", "points": SQUARE},
                                    {"points": [[0, 0], [1, 0], [0.5, 1]]}]))
    assert [m["id"] for m in saved] == ["m1", "m2"]
    assert saved[1]["points"][0] == [0.0, 0.0]  # floats, as the bridge reads them
    stored = rules.dumps(saved)
    assert rules.loads(stored) == saved
    bridge_side = masking.from_json(json.loads(stored))
    assert bridge_side.fingerprint == rules.fingerprint(saved) != ""
    assert bridge_side.ids == ["m1", "m2"]
    assert rules.fingerprint([]) == masking.Masks().fingerprint == ""


@pytest.mark.parametrize(("sent", "says"), [
    ("not json", "could not be read"),
    ({"id": "m1"}, "could not be read"),
    ([{"id": "m1", "points": [[0, 0], [1, 1]]}], "between 3 and 32 corners"),
    ([{"id": "m1", "points": [[0, 0], [1.2, 0], [1, 1]]}], "outside the view"),
    ([{"id": "m1", "points": [[0, 0], ["x", 0], [1, 1]]}], "not a point"),
    ([{"id": "m1", "points": [[0, 0], [0.5, 0.5], [1, 1]]}], "covers almost nothing"),
    ([{"points": SQUARE}] * 9, "at most 8 masks"),
])
def test_masks_that_cannot_be_used_are_refused_on_the_masks_field(sent: object,
                                                                  says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.check(json.dumps(sent) if not isinstance(sent, str) else sent)
    assert says in refused.value.errors["masks"]


def test_a_repeated_or_odd_id_gets_a_fresh_one() -> None:
    saved = rules.check([{"id": "m1", "points": SQUARE}, {"id": "m1", "points": SQUARE},
                         {"id": "<script>", "points": SQUARE}])
    assert [m["id"] for m in saved] == ["m1", "m2", "m3"]


def test_the_audit_names_what_changed_by_id() -> None:
    before = rules.check([{"id": "m1", "points": SQUARE}, {"id": "m2", "points": SQUARE}])
    moved = [[x + 0.1, y] for x, y in SQUARE]
    after = rules.check([{"id": "m1", "points": moved}, {"id": "m3", "points": SQUARE}])
    assert rules.changes(before, after) == {"added": ["m3"], "changed": ["m1"],
                                            "removed": ["m2"]}


def _distance_to_outline(x: float, y: float, corners: list[tuple[float, float]]) -> float:
    best = math.inf
    for (x1, y1), (x2, y2) in zip(corners, [*corners[1:], corners[0]], strict=True):
        dx, dy = x2 - x1, y2 - y1
        along = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy or 1)))
        best = min(best, math.hypot(x - x1 - along * dx, y - y1 - along * dy))
    return best


def test_a_mask_covers_its_polygon_and_no_more_than_a_pixel_around_it() -> None:
    """Every pixel whose centre is inside (numpy, as the bridge fills); OpenCV, where the clip
    worker has it, adds the pixels its outline touches: none more than a pixel from it. Where
    two masks overlap, both cover the overlap."""
    chance = random.Random(21)
    for _ in range(60):
        polygons = []
        for _shape in range(chance.randint(1, 3)):
            x, y, r = chance.uniform(10, 86), chance.uniform(10, 54), chance.uniform(4, 30)
            angles = sorted(chance.uniform(0, 2 * math.pi) for _ in range(chance.randint(3, 7)))
            polygons.append([(x + r * math.cos(a), y + r * math.sin(a)) for a in angles])
        by_centre = masking._fill_numpy(96, 64, polygons)
        filled = masking._fill(96, 64, polygons)
        for corners in polygons:
            assert not (masking._fill_numpy(96, 64, [corners]) & ~by_centre).any()
        assert not (by_centre & ~filled).any()
        for row, col in zip(*np.where(filled & ~by_centre), strict=True):
            near = min(_distance_to_outline(col + 0.5, row + 0.5, p) for p in polygons)
            assert near <= 1.5, (row, col, near)  # a pixel touched, with fixed-point rounding


def test_a_mask_reaches_two_pixels_past_its_outline() -> None:
    masks = masking.from_json([{"id": "m1", "points": [[0.25, 0.25], [0.75, 0.25],
                                                       [0.75, 0.75], [0.25, 0.75]]}])
    covered = masking.coverage(masks, 40, 40)
    rows, cols = np.where(covered)
    # pixels 10..29 have their centres inside; grown by 2 (OpenCV's outline may add pixel 30)
    assert rows.min() == cols.min() == 8 and rows.max() in (31, 32) and cols.max() in (31, 32)


def test_corners_follow_the_display_rotation() -> None:
    top_left = [(0.0, 0.0)]
    assert masking.stored_points(top_left, 0) == [(0.0, 0.0)]
    assert masking.stored_points(top_left, 90) == [(1.0, 0.0)]
    assert masking.stored_points(top_left, 180) == [(1.0, 1.0)]
    assert masking.stored_points(top_left, -90) == masking.stored_points(top_left, 270)
