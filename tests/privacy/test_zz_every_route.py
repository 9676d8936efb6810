"""Every police-facing route has a red-team case, or a reason it needs none (routes.py).

Named to run last in this folder; it imports its siblings itself, so it holds when run alone.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from tests.privacy.routes import CASES, EXEMPT, police_facing


def _load_cases() -> None:
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"tests.privacy.{path.stem}")


def test_every_police_facing_route_has_a_case(devstack: Any) -> None:
    _load_cases()
    facing = police_facing(devstack.app)
    missing = sorted(facing - set(CASES) - set(EXEMPT))
    assert not missing, ("police-facing routes without a red-team case in tests/privacy/ "
                         f"(add one with @covers, or a reason to routes.EXEMPT): {missing}")
    gone = sorted((set(CASES) | set(EXEMPT)) - facing)
    assert not gone, f"cases or exemptions for routes police cannot use (any more): {gone}"
    both = sorted(set(CASES) & set(EXEMPT))
    assert not both, f"routes both exempt and covered: {both}"
    assert all(reason.strip() for reason in EXEMPT.values())
