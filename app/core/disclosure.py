"""Publishing counts without singling anybody out. Pure: no I/O.

The transparency page and its CSV both go through these rules, so they hide the same cells:

- A count from 1 to 4 is not shown ("fewer than 5"): so few cameras, requests or answers in one
  month and one neighbourhood could point at a person. 0 is shown: it singles nobody out.
- A figure that rests on a count is hidden when that count is 1 to 4 (the minutes of live
  video rest on the number of shares); a median is shown only when it rests on at least 5
  values.
- Complementary suppression: cells that add up to a total form a group, the total included.
  When the total and the shown cells would give a hidden cell away by subtraction, the smallest
  other cell of the group that is not 0 is hidden too (the total only when nothing else is
  left). A hidden cell is given away when it is the only one hidden in its group, or when the
  sum of the hidden ones leaves it a single possible value: two "fewer than 5" adding up to 2
  are both 1, and "fewer than 5" with a hidden cell of at least 5 adding up to 6 are 1 and 5.
  This repeats until no group gives anything away, since hiding a cell in one group can expose
  another group. (Each group is checked on its own; nothing here solves several groups'
  equations together.)
- Some figures are never hidden (accesses without the owner's consent): the program must show
  them whatever they are. They belong to no group.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict, deque
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

THRESHOLD = 5
FEW = (1.0, float(THRESHOLD - 1))  # what a reader knows of a "fewer than 5"


def is_small(count: float) -> bool:
    """A count that could single somebody out: 1 to 4."""
    return 0 < count < THRESHOLD


def median(values: Sequence[float]) -> float | None:
    """The median, or None when it would rest on fewer than THRESHOLD values."""
    if len(values) < THRESHOLD:
        return None
    return float(statistics.median(values))


def given_away(group: Sequence[K], values: Mapping[K, float],
               known: Mapping[K, tuple[float, float]]) -> bool:
    """Can a reader work out one of the group's hidden cells from the total and the shown cells?

    `known` holds what a reader knows of each hidden cell: the lowest and highest value it can
    have. The group's cells add up to its last one, the total.
    """
    hidden = [key for key in group if key in known]
    if len(hidden) == 1:
        return True
    if not hidden or group[-1] in known:
        return False  # nothing hidden, or a hidden total: no sum to subtract from
    rest = sum(values.get(key, 0.0) for key in hidden)  # the total minus the shown cells
    for key in hidden:
        others = [known[k] for k in hidden if k != key]
        low = max(known[key][0], rest - sum(high for _, high in others))
        high = min(known[key][1], rest - sum(low for low, _ in others))
        if high - low < 1e-9:
            return True
    return False


def complementary(values: Mapping[K, float], few: Collection[K], hidden: Collection[K],
                  groups: Sequence[Sequence[K]]) -> set[K]:
    """The cells to hide besides `few` (counts of 1 to 4) and `hidden` (hidden for a reason of
    their own, any value) so that no group gives a hidden cell away.

    The pick is the smallest shown cell of the group that is not 0 (a hidden 0 protects
    nothing: whoever subtracts learns the other cell anyway); among equals, the first in the
    group, so a part before its total. Each pick puts the groups it belongs to back in line.
    Returns only the new cells.
    """
    known: dict[K, tuple[float, float]] = {key: (0.0, math.inf) for key in hidden}
    known.update({key: FEW for key in few})
    member_of: dict[K, list[int]] = defaultdict(list)
    for number, group in enumerate(groups):
        for key in group:
            member_of[key].append(number)
    waiting = deque(range(len(groups)))
    queued = set(waiting)
    out: set[K] = set()
    while waiting:
        number = waiting.popleft()
        queued.discard(number)
        group = groups[number]
        if not given_away(group, values, known):
            continue
        shown = [key for key in group if key not in known]
        candidates = [key for key in shown if values.get(key, 0.0) != 0] or shown
        if not candidates:
            continue  # everything is hidden already
        pick = min(candidates, key=lambda key: values.get(key, 0.0))
        # A reader learns that it is not 0 and not "fewer than 5".
        known[pick] = (min(values.get(pick, 0.0), THRESHOLD), math.inf)
        out.add(pick)
        for again in member_of[pick]:
            if again not in queued:
                waiting.append(again)
                queued.add(again)
    return out
