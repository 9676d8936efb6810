"""Which routes police can use, and which red-team case holds each to docs/privacy.md.

The routes are read from Flask's URL map: every rule whose declared access (`@allow`) lets a
detective or a supervisor in, by role or as any signed-in user. A test claims the routes it
attacks with `@covers(...)`, and must reach each of them during its run (conftest.py checks);
`test_zz_every_route.py` fails for a police-facing route that no case claims and that
EXEMPT does not excuse with a reason, so a new police-facing output cannot be added without
a case here.

Public routes (no session: sign-up, log-in, the program's pages, the transparency dashboard,
the bridge's and the CAD feed's own credentials) are not police-facing in this sense: they
answer anyone the same, with or without a police session. The dashboard's disclosure control
is held by tests/integration/test_transparency.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.core import roles
from app.web.access import ANY_USER

F = TypeVar("F", bound=Callable[..., Any])
Route = tuple[str, str]  # (method, rule)

POLICE = frozenset({roles.DETECTIVE, roles.SUPERVISOR})
CASES: dict[Route, list[str]] = {}

OWN_ACCOUNT = ("the officer's own account: shows only their own sessions, devices and "
               "profile, never registry data (test_object_access: another's ids refused)")
LEFT = ("ends the officer's own time watching a share they opened; answers only the share id "
        "they sent (another program's share: not found, test_object_access)")
BASE_MAP = ("the program's own map (PMTiles byte ranges) and street list from the uploads "
            "bucket's map/ prefix: the same bytes for every signed-in user, no registry data")
BULLETINS = ("a bulletin: an operator's own words and a still from a tile they could watch, "
             "with the incident's point they chose; no camera's name, place or owner "
             "(app.services.realtime.bulletins); only its sender and recipients read it "
             "(test_object_access)")
# Police-facing routes with no case of their own, and why none is needed.
EXEMPT: dict[Route, str] = {
    ("GET", "/api/bulletins"): BULLETINS,
    ("GET", "/bulletins"): BULLETINS,
    ("GET", "/bulletins/<bulletin_id>"): BULLETINS,
    ("GET", "/bulletins/<bulletin_id>/still"): BULLETINS,
    ("POST", "/api/incidents/<incident_id>/bulletins"): BULLETINS,
    ("GET", "/api/incidents/<incident_id>/recipients"): (
        "the program's own staff who can get bulletins, by name and role: no registry data"),
    ("GET", "/api/me"): OWN_ACCOUNT,
    ("GET", "/api/me/sessions"): OWN_ACCOUNT,
    ("DELETE", "/api/me/sessions/<public_id>"): OWN_ACCOUNT,
    ("GET", "/account/sessions"): OWN_ACCOUNT,
    ("POST", "/account/sessions/<public_id>/revoke"): OWN_ACCOUNT,
    ("POST", "/account/notifications/<subscription_id>/remove"): OWN_ACCOUNT,
    ("GET", "/api/push/key"): "the server's public VAPID key, the same for everyone",
    ("POST", "/api/push/subscriptions"): OWN_ACCOUNT + "; the live case subscribes with it",
    ("DELETE", "/api/push/subscriptions"): OWN_ACCOUNT,
    ("DELETE", "/api/session"): "signs the officer out; answers nothing",
    ("POST", "/logout"): "signs the officer out; answers nothing",
    ("POST", "/api/session/mfa"): "the officer's own second factor",
    ("GET", "/mfa/setup"): "the officer's own second factor",
    ("POST", "/mfa/setup"): "the officer's own second factor",
    ("GET", "/mfa/verify"): "the officer's own second factor",
    ("POST", "/mfa/verify"): "the officer's own second factor",
    ("POST", "/api/live/<share_id>/leave"): LEFT,
    ("POST", "/live/<share_id>/leave"): LEFT,
    ("GET", "/map/tiles.pmtiles"): BASE_MAP,
    ("GET", "/map/streets.geojson"): BASE_MAP,
    ("POST", "/api/geocode"): (
        "address search: place names from Amazon Location's place index or the program's "
        "street list, never from the registry (app/services/maps/geocoding.py); audited as "
        "place.geocoded (tests/integration/test_maps.py)"),
}


def covers(*routes: Route) -> Callable[[F], F]:
    """This test attacks these police-facing routes (and reaches each of them)."""

    def mark(test: F) -> F:
        for route in routes:
            CASES.setdefault(route, []).append(test.__name__)
        test._privacy_routes = routes  # type: ignore[attr-defined]
        return test

    return mark


def police_facing(app: Any) -> set[Route]:
    found = set()
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "_access", frozenset())
        if access & POLICE or ANY_USER in access:
            found |= {(method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def rule_of(app: Any, method: str, path: str) -> Route | None:
    """The URL map's rule for a request the red team sent."""
    from werkzeug.exceptions import HTTPException

    try:
        rule, _ = app.url_map.bind("127.0.0.1").match(path, method=method, return_rule=True)
    except HTTPException:
        return None
    return method, rule.rule
