"""The red team's world: a program of its own, its owners' cameras, its police.

A program (agency) of its own, so no other test's cameras are in its searches and counts.
Its areas lie 9 km apart along one parallel, each far enough from the others that no search
(2 km at most, from centres at most ~1.5 km from a camera) sees two of them:

- "hidden": one hidden camera, H, moved between spots by the trilateration cases;
- "approximate": an approximate camera, A, moved likewise;
- "requests": a hidden camera, R, for the request cases, and "empty": nothing at all;
- "scene": an incident with owner L's approximate camera (with a street address) and hidden
  camera (with a telling name), and a neighbour's exact camera: live shares, requests,
  evidence and activity pages.

Cameras are registered through the registry service (what seeding does); every probe is
made over HTTP by a signed-in officer, as tests/support.py's Client does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core import geo, roles
from app.core.cameras import parse_camera
from app.models.cameras import Camera
from app.models.users import Agency, User
from app.services import clock
from app.services.cameras import registry
from tests.privacy import adversary
from tests.privacy.adversary import Detective, Point, camera_fields, moved
from tests.privacy.routes import rule_of
from tests.support import Account, Client, FromAddress, make_user, session_client

PROGRAM = "red-team-program"
ROW = 36.05
AREAS = {"hidden": (ROW, -87.15), "approximate": (ROW, -87.05), "requests": (ROW, -86.95),
         "empty": (ROW, -86.85), "scene": (ROW, -86.75)}
OWNER_IP = "127.0.0.2"  # owners act from another loopback address than police
STREET = "17 Maple Street, Apt 3"
SECRET_NAME = "Jane at 41 Oak Lane garage"
SECRET_STREET = "41 Oak Lane"
OWNER_NAME = "Harriet Redteam-Owner"


def cell_spot(point: Point, precision: int, north: float, east: float) -> Point:
    """The spot at fractions (north, east) of the cell of this precision holding `point`."""
    box = geo.decode(geo.geohash(*point, precision))
    return (box.lat_lo + north * (box.lat_hi - box.lat_lo),
            box.lon_lo + east * (box.lon_hi - box.lon_lo))


def cell_centre(point: Point, precision: int) -> Point:
    return geo.decode(geo.geohash(*point, precision)).centre


def owner_client(base_url: str, settings: Any, account: Account) -> Client:
    client = session_client(base_url, settings, account)
    client.http.mount("http://", FromAddress(OWNER_IP))
    return client


@dataclass
class World:
    base_url: str
    settings: Any
    app: Any
    accounts: dict[str, Account]
    cameras: dict[str, str]  # name -> camera id
    spots: dict[str, Point]  # name -> where its owner put it when registering
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> its owner's form
    police: dict[str, Detective] = field(default_factory=dict)
    owners: dict[str, Client] = field(default_factory=dict)

    def client(self, name: str, mfa_ok: bool = True) -> Client:
        account = self.accounts[name]
        if mfa_ok:
            return session_client(self.base_url, self.settings, account)
        from app.services.people import sessions

        new = sessions.create(self.settings, account.user.user_id, account.user.role,
                              "127.0.0.1", "red team", mfa_ok=False)
        client = Client(self.base_url)
        client.http.cookies.set("pl_session", new.token, domain="127.0.0.1", path="/")
        return client

    def spy(self, name: str, budget: int = 10_000) -> Detective:
        """A new scripted session for one of the program's police (or anyone else)."""
        return Detective(self.client(name), budget=budget)

    def move(self, name: str, spot: Point) -> None:
        """The owner moves a camera (an edit in their app): nothing else about it changes."""
        camera = Camera.get(self.cameras[name])
        owner = User.get(camera.owner_id)
        fields = {**self.fields[name], "lat": round(spot[0], 7), "lon": round(spot[1], 7)}
        registry.update(owner, camera.camera_id, parse_camera(fields), OWNER_IP)

    def user_id(self, name: str) -> str:
        return self.accounts[name].user.user_id


def _register(world: World, owner: str, name: str, spot: Point, visibility: str,
              **changes: Any) -> None:
    fields = camera_fields(spot, visibility, nickname=changes.pop("nickname", name), **changes)
    camera = registry.register(world.accounts[owner].user, parse_camera(fields), OWNER_IP)
    world.cameras[name], world.fields[name] = camera.camera_id, fields
    world.spots[name] = (fields["lat"], fields["lon"])


@pytest.fixture(scope="session")
def world(devstack: Any, base_url: str, settings: Any) -> World:
    Agency(agency_id=PROGRAM, name="Red Team County PD", city="Nashville, TN",
           max_window_minutes=120, timezone="America/Chicago", created_at=clock.now()).save()
    accounts = {name: make_user(role, agency_id=PROGRAM) for name, role in (
        ("owner_h", roles.OWNER), ("owner_a", roles.OWNER), ("owner_r", roles.OWNER),
        ("owner_l", roles.OWNER), ("owner_n", roles.OWNER),
        ("detective", roles.DETECTIVE), ("detective_2", roles.DETECTIVE),
        ("supervisor", roles.SUPERVISOR), ("admin", roles.AGENCY_ADMIN),
        ("auditor", roles.AUDITOR))}
    accounts["owner_l"].user.update(actions=[User.display_name.set(OWNER_NAME)])
    made = World(base_url, settings, devstack.app, accounts, {}, {})
    hidden, approx = AREAS["hidden"], AREAS["approximate"]
    _register(made, "owner_h", "H", cell_spot(hidden, geo.HIDDEN_PRECISION, 0.1, 0.1), "hidden")
    _register(made, "owner_a", "A", cell_spot(approx, geo.APPROX_PRECISION, 0.1, 0.1),
              "approximate")
    _register(made, "owner_r", "R", cell_spot(AREAS["requests"], geo.HIDDEN_PRECISION, 0.3,
                                              0.3), "hidden")
    scene = AREAS["scene"]
    _register(made, "owner_l", "L-approx", moved(scene, 20, 25), "approximate",
              nickname="Maple porch", street=STREET, tier="on_alert", heading_deg=225)
    _register(made, "owner_l", "L-hidden", moved(scene, -30, 15), "hidden",
              nickname=SECRET_NAME, street=SECRET_STREET, tier="on_alert", heading_deg=315)
    _register(made, "owner_n", "N-exact", moved(scene, 10, -30), "exact",
              nickname="Corner shop door", heading_deg=90)
    for name in ("detective", "detective_2", "supervisor"):
        made.police[name] = made.spy(name)
    for name in ("owner_l", "owner_n"):
        made.owners[name] = owner_client(base_url, settings, accounts[name])
    return made


@pytest.fixture
def detective(world: World) -> Detective:
    return world.police["detective"]


# ---------------------------------------------------------------- every case reaches its routes


@pytest.fixture(autouse=True)
def reaches_its_routes(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that claims routes with @covers must send each of them at least once."""
    claimed = getattr(request.function, "_privacy_routes", ())
    first = len(adversary.SENT)
    yield
    if not claimed or getattr(request.node, "rep_call_failed", lambda: True)():
        return
    app = request.getfixturevalue("devstack").app
    reached = {rule_of(app, method, path) for method, path, _ in adversary.SENT[first:]}
    missing = [route for route in claimed if route not in reached]
    assert not missing, f"{request.function.__name__} claims routes it never reached: {missing}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call":
        failed = report.failed
        item.rep_call_failed = lambda: failed  # type: ignore[attr-defined]
    return report
