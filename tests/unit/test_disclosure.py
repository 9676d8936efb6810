"""Small-cell and complementary suppression: what a reader can work out from a published table."""

from __future__ import annotations

import pytest

from app.core import disclosure


@pytest.mark.parametrize(("count", "small"), [(0, False), (1, True), (4, True), (5, False)])
def test_counts_from_1_to_4_are_small(count: int, small: bool) -> None:
    assert disclosure.is_small(count) is small


def test_a_median_needs_five_values() -> None:
    assert disclosure.median([10, 20, 30, 40]) is None
    assert disclosure.median([10, 20, 30, 40, 50]) == 30


def hide(values: dict[str, float], groups: list[list[str]]) -> set[str]:
    few = {k for k, v in values.items() if disclosure.is_small(v)}
    return few | disclosure.complementary(values, few, set(), groups)


def test_a_lone_small_cell_takes_the_smallest_other_cell_that_is_not_0() -> None:
    values = {"a": 3, "b": 0, "c": 9, "d": 12, "total": 24}
    assert hide(values, [["a", "b", "c", "d", "total"]]) == {"a", "c"}


def test_small_cells_that_can_only_be_1_each_or_4_each_take_another() -> None:
    ones = {"a": 1, "b": 1, "c": 18, "total": 20}
    assert hide(ones, [["a", "b", "c", "total"]]) == {"a", "b", "c"}
    fours = {"a": 4, "b": 4, "c": 4, "d": 8, "total": 20}
    assert hide(fours, [["a", "b", "c", "d", "total"]]) == {"a", "b", "c", "d"}
    mixed = {"a": 2, "b": 3, "c": 15, "total": 20}  # 5 = 1+4, 2+3, 3+2, 4+1: safe
    assert hide(mixed, [["a", "b", "c", "total"]]) == {"a", "b"}


def test_hiding_in_one_group_protects_the_next() -> None:
    # Two months x two areas: hiding a complement in a row can leave a column with one hidden.
    values = {"m1a": 2, "m1b": 10, "m1": 12, "m2a": 7, "m2b": 9, "m2": 16,
              "a": 9, "b": 19, "all": 28}
    groups = [["m1a", "m1b", "m1"], ["m2a", "m2b", "m2"], ["a", "b", "all"],
              ["m1a", "m2a", "a"], ["m1b", "m2b", "b"], ["m1", "m2", "all"]]
    hidden = hide(values, groups)
    for group in groups:
        assert not disclosure.given_away(group, values, {k: (0, 1e9) for k in hidden})
    assert "all" not in hidden


def test_a_cell_hidden_for_its_own_reason_is_protected_too() -> None:
    minutes = {"a": 35.5, "b": 120.0, "c": 80.0, "total": 235.5}  # a rests on 2 shares
    assert disclosure.complementary(minutes, set(), {"a"}, [["a", "b", "c", "total"]]) == {"c"}
