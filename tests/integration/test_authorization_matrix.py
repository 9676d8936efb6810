"""Every route x every role (and anonymous): who gets in, who is refused.

The table (tests/integration/access_matrix.py) is written by hand, so a route whose access
changes by accident fails here; a new route fails until it is added to the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROLES_UNDER_TEST
from tests.integration.access_matrix import EXPECTED, PUBLIC, allowed
from tests.support import Client, make_user, session_client

pytestmark = pytest.mark.slow  # about 48 s in all: left out of `make check`

SAMPLE = {"<token>": "no-such-token", "<public_id>": "0000000000000000",
          "<camera_id>": "0" * 32, "<feed>": "calls", "<request_id>": "0" * 32,
          "<target_id>": "0" * 32, "<kind>": "clip", "<subscription_id>": "0" * 64,
          "<device_id>": "0" * 32, "<share_id>": "0" * 32, "<int:number>": "1",
          "<incident_id>": "0" * 32, "<ask_id>": "0" * 32, "<bulletin_id>": "0" * 32,
          "<chain>": "agency%23none", "<seq>": "1",
          "<name>": "20260101T000000.000Z.mp4",
          "<package>/<path:filename>": "leaflet/leaflet.css",
          "<package>/<version:version>/<path:filename>": "leaflet/1.9.3.0/leaflet.css",
          "<digest:digest>/<path:filename>": "0123456789ab/css/app.css",
          "<path:filename>": "css/app.css"}


def routes_of(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_is_in_the_table(devstack: Any) -> None:
    assert routes_of(devstack.app) == set(EXPECTED)


@pytest.fixture(scope="module")
def victims(devstack: Any) -> dict[str, Any]:
    """Users the admin routes act upon, so no matrix call harms a shared account."""
    return {role: make_user(role) for role in ROLES_UNDER_TEST}


@pytest.mark.parametrize("role", [None, *ROLES_UNDER_TEST], ids=lambda r: r or "anonymous")
def test_matrix(role: str | None, base_url: str, settings: Any, victims: dict[str, Any]) -> None:
    failures = []
    account = make_user(role) if role else None
    target = victims["detective"].user.user_id
    for (method, path), rule in sorted(EXPECTED.items()):
        concrete = path.replace("<user_id>", target)
        for key, value in SAMPLE.items():
            concrete = concrete.replace(key, value)
        # A fresh session per call: logout and revocation routes end the session they use.
        client = session_client(base_url, settings, account) if account else Client(base_url)
        api = path.startswith("/api/")
        if method == "GET":
            response = client.get(concrete)
        elif api:
            response = client.send_json(method, concrete, {})
        else:
            response = client.post_form(concrete, {})
        status = response.status_code
        location = response.headers.get("Location", "")
        refused_anon = status == 401 or (status == 302 and location.startswith("/login?next="))
        if rule == PUBLIC:
            # Reached the view; a 401 here is the view's own answer to empty credentials.
            ok = status != 403 and status < 500
        elif allowed(rule, role):
            ok = status != 403 and not refused_anon and status < 500
        elif role is None:
            ok = refused_anon
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {concrete} as {role or 'anonymous'}: {status} {location}")
    assert not failures, "\n".join(failures)
