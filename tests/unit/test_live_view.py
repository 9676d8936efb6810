"""What police see of each camera in a live share, by its map visibility (app.core.live_view)."""

from __future__ import annotations

import re

from app.core import live_view
from app.core.live_view import HIDDEN_NAME, shared_camera, where

PLACE = (41.878114, -87.629798)


def test_exact_shows_name_and_street() -> None:
    seen = shared_camera("a1", "exact", "Back alley", "17 Maple Street", *PLACE)
    assert (seen.name, seen.place, seen.location) == ("Back alley", "17 Maple Street", "exact")
    assert shared_camera("a1", "exact", "Back alley", " ", *PLACE).label == "Back alley"


def test_approximate_shows_only_the_rounded_place() -> None:
    seen = shared_camera("a2", "approximate", "Jane at 41 Oak Lane garage",
                         "17 Maple Street, Apt 3", *PLACE)
    text = str(seen.as_json())
    assert "Oak Lane" not in text and "Maple" not in text and "Jane" not in text
    assert seen.place == "within about 100 m of 41.8781, -87.6298"
    assert seen.location == "approximate"


def test_hidden_shows_nothing_but_that_it_is_there() -> None:
    seen = shared_camera("a3", "hidden", "Jane's garage", "41 Oak Lane", *PLACE)
    assert seen.as_json() == {"stream": "a3", "name": HIDDEN_NAME, "place": None,
                              "location": "not shown"}


def test_where_joins_what_police_may_read() -> None:
    cameras = [shared_camera("a", "exact", "Shop", "2nd Ave", *PLACE),
               shared_camera("b", "hidden", "Jane's garage", "41 Oak Lane", *PLACE),
               shared_camera("c", "hidden", "Side", "41 Oak Lane", *PLACE)]
    assert where(cameras) == f"2nd Ave & {HIDDEN_NAME}"
    assert where([]) == HIDDEN_NAME


def test_aliases_are_random_and_say_nothing() -> None:
    drawn = {live_view.new_alias() for _ in range(1000)}
    assert len(drawn) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", a) for a in drawn)
