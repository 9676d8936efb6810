"""Demo data for devstack only: one agency, one user per role, cameras on downtown Nashville's grid.

Passwords and TOTP secrets are fixed and printed, because this data exists only in memory on
the developer's own machine. Nothing here runs against real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.config import load_settings
from app.core import roles
from app.core.cameras import parse_camera
from app.models.users import Agency, Organisation, User
from app.services import clock
from app.services.auditing import audit
from app.services.cameras import registry
from app.services.maps import basemap
from app.services.people import accounts

AGENCY_ID = "demo-metro"
DOMAIN = "demo.porchlight.test"


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str
    name: str
    totp_secret: str | None = None


DEMO_USERS = (
    DemoUser(roles.OWNER, f"owner@{DOMAIN}", "owner-demo-pass-1", "Dana Owner"),
    DemoUser(roles.ORG_ADMIN, f"district@{DOMAIN}", "district-demo-pass-1", "SoBro District"),
    DemoUser(roles.DETECTIVE, f"detective@{DOMAIN}", "detective-demo-pass-1", "Det. Ray Cruz",
             "JBSWY3DPEHPK3PXPDETECTIVE2"),
    DemoUser(roles.SUPERVISOR, f"supervisor@{DOMAIN}", "supervisor-demo-pass-1", "Sgt. Ada Lee",
             "JBSWY3DPEHPK3PXPSUPERVISR2"),
    DemoUser(roles.AGENCY_ADMIN, f"admin@{DOMAIN}", "admin-demo-pass-1", "Lt. Sam Park",
             "JBSWY3DPEHPK3PXPAGENCYADM2"),
    DemoUser(roles.AUDITOR, f"auditor@{DOMAIN}", "auditor-demo-pass-1", "Civilian Oversight",
             "JBSWY3DPEHPK3PXPAUDITORXX2"),
    DemoUser(roles.OFFICER, f"officer@{DOMAIN}", "officer-demo-pass-1", "Ofc. Jo Reyes",
             "JBSWY3DPEHPK3PXPOFFICERXX2"),
)

# Downtown Nashville: the numbered avenues cross Broadway and the streets north of it. The
# grid is turned about 35 degrees, so each intersection is placed from two real corners.
BROADWAY_1ST = (36.16228, -86.77448)  # 1st Ave N & Broadway
AVENUE_STEP = (-0.00076, -0.00095)  # one avenue west along Broadway
STREET_STEP = (0.00094, -0.00048)  # one street north along an avenue
AVENUES = ("1st Ave N", "2nd Ave N", "3rd Ave N", "4th Ave N", "5th Ave N")
STREETS = ("Broadway", "Commerce St", "Church St", "Union St")
TIERS = ("registered", "on_request", "on_request", "on_alert", "always")
MOUNTS = ("wall", "doorbell", "pole", "window", "wall")


def intersection(avenue: float, street: float) -> tuple[float, float]:
    lat = BROADWAY_1ST[0] + avenue * AVENUE_STEP[0] + street * STREET_STEP[0]
    lon = BROADWAY_1ST[1] + avenue * AVENUE_STEP[1] + street * STREET_STEP[1]
    return round(lat, 6), round(lon, 6)


def street_grid() -> dict[str, Any]:
    """The demo city's streets as GeoJSON: each avenue and street a line through its corners,
    on past the last by half a block. Drawn on devstack's maps (which have no tiles) and
    searched by its address search (app.services.cameras.registry: basemap, geocoding)."""

    def steps(count: int) -> list[float]:
        return [-0.5, *range(count), count - 0.5]

    lines = [(name, [intersection(a, s) for s in steps(len(STREETS))])
             for a, name in enumerate(AVENUES)]
    lines += [(name, [intersection(a, s) for a in steps(len(AVENUES))])
              for s, name in enumerate(STREETS)]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in points]}}
        for name, points in lines]}


def is_empty() -> bool:
    return next(iter(Agency.scan(limit=1)), None) is None


def seed() -> list[DemoUser]:
    """Create the demo agency, users and cameras; returns the users to print."""
    now = clock.now()
    centre = intersection(2, 1.5)  # the middle of the seeded grid
    Agency(agency_id=AGENCY_ID, name="Metro Demo Police Department", city="Nashville, TN",
           max_window_minutes=120, timezone="America/Chicago", centre_lat=centre[0],
           centre_lon=centre[1], created_at=now).save()
    basemap.put_streets(load_settings(), street_grid())
    created: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = accounts.create_user(demo.email, demo.password, demo.name, demo.role, AGENCY_ID)
        if demo.totp_secret:
            user.update(actions=[User.mfa_secret.set(demo.totp_secret)])
        created[demo.role] = user
        audit.record(AGENCY_ID, audit.SYSTEM, "account.seeded", user.user_id, {"role": demo.role})
    district = created[roles.ORG_ADMIN]
    org = Organisation(org_id="demo-sobro", agency_id=AGENCY_ID, name="SoBro Business District",
                       admin_id=district.user_id, created_at=now)
    org.save()
    district.update(actions=[User.org_id.set(org.org_id)])
    owners = [created[roles.OWNER], district]
    count = 0
    for a, avenue in enumerate(AVENUES):
        for s, street in enumerate(STREETS):
            lat, lon = intersection(a, s)
            spec = parse_camera({
                "nickname": f"{street} at {avenue}", "lat": lat, "lon": lon,
                "heading_deg": (35 + 90 * ((a + s) % 4)) % 360, "fov_deg": 90, "range_m": 30,
                "mount": MOUNTS[(a * 4 + s) % len(MOUNTS)], "facing": "street",
                "retention_days": (7, 14, 30)[(a + s) % 3],
                "tier": TIERS[(a * 4 + s) % len(TIERS)],
                "visibility": ("exact", "approximate", "exact", "hidden")[(a + 2 * s) % 4],
                "attested": True, "street": f"{avenue} & {street}, Nashville",
            })
            camera = registry.new_camera(owners[(a + s) % 2], spec)
            camera.created_at = now - timedelta(days=30 * (a + s))
            if (a, s) == (4, 3):
                camera.confirmed_at = now - timedelta(days=400)  # one stale camera to confirm
            camera.save()
            count += 1
    audit.record(AGENCY_ID, audit.SYSTEM, "registry.seeded", "-", {"cameras": count})
    return list(DEMO_USERS)
