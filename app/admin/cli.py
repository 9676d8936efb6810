"""`flask --app app.wsgi agency create`: a new deployment's first program and its admin.

Run once per police department, from a machine with the deployment's environment and AWS
credentials (DEPLOY.md). It creates the agency with the default policy and mails its admin a
single-use invitation (72 hours) to set a password and an authenticator app; everything else
(police users, policy) the admin does in the app. `agency set-centre` moves where a program's
maps open (its city's centre, which `create` takes with --centre or looks up from --city).
"""

from __future__ import annotations

import re
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from pynamodb.exceptions import DoesNotExist

from app.admin import bp
from app.config import Settings
from app.core import roles
from app.core.errors import UnavailableError, ValidationError
from app.models.users import Agency
from app.services import clock, mail
from app.services.auditing import audit
from app.services.maps import geocoding
from app.services.people import accounts, single_use
from app.web.access import settings


@bp.cli.command("create")
@click.option("--id", "agency_id", required=True, help="short id, like metro-pd")
@click.option("--name", required=True, help="Metro Police Department")
@click.option("--city", required=True, help="Nashville, TN")
@click.option("--timezone", "zone", required=True, help="IANA name, like America/Chicago")
@click.option("--admin-email", required=True, help="who runs the program")
@click.option("--centre", "centre_text", default="",
              help="where its maps open, LAT,LON like 36.1627,-86.7816 (default: the city, "
                   "looked up with the address search)")
def create(agency_id: str, name: str, city: str, zone: str, admin_email: str,
           centre_text: str) -> None:
    """Create an agency and mail its first admin an invitation."""
    problems: list[str] = []
    centre = _centre(centre_text, problems)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,38}[a-z0-9]", agency_id):
        problems.append("--id: 3-40 lower-case letters, digits and dashes")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append("--timezone: an IANA name like America/Chicago")
    try:
        email = accounts.check_email(admin_email)
    except ValidationError:
        problems.append("--admin-email: not an email address")
        email = ""
    try:
        Agency.get(agency_id)
        problems.append(f"--id: agency {agency_id} exists already")
    except DoesNotExist:
        pass
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    config = settings()
    centre = centre or _city_centre(config, city)
    Agency(agency_id=agency_id, name=name.strip(), city=city.strip(), timezone=zone,
           centre_lat=centre[0] if centre else None, centre_lon=centre[1] if centre else None,
           created_at=clock.now()).save()
    token = single_use.issue(config, "invite", email, agency_id, accounts.INVITE_TTL,
                                 role=roles.AGENCY_ADMIN, created_by="system")
    mail.enqueue(config, email, f"You are invited to run Porchlight for {name}",
                 f"You are invited to Porchlight as {roles.LABELS[roles.AGENCY_ADMIN]} for "
                 f"{name}.\n\nOpen this link within 72 hours to set your password and your "
                 f"authenticator app:\n\n{config.public_url}/invite/{token}\n\n"
                 "The link works once.")
    audit.record(agency_id, audit.SYSTEM, "agency.created", "-",
                 {"name": name, "city": city, "timezone": zone, "admin_email": email})
    click.echo(f"Agency {agency_id} created; an invitation is on its way to {email}.")
    click.echo(f"Its maps open at {centre[0]:.5f},{centre[1]:.5f}." if centre else
               "Its maps have no centre: set one with `agency set-centre`.")


@bp.cli.command("set-centre")
@click.option("--id", "agency_id", required=True, help="the agency's id, like metro-pd")
@click.option("--centre", "centre_text", required=True, help="LAT,LON like 36.1627,-86.7816")
def set_centre(agency_id: str, centre_text: str) -> None:
    """Set where an agency's maps open (its city's centre)."""
    problems: list[str] = []
    centre = _centre(centre_text, problems)
    try:
        agency = Agency.get(agency_id)
    except DoesNotExist:
        problems.append(f"--id: no agency {agency_id}")
    if problems or centre is None:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    agency.update(actions=[Agency.centre_lat.set(centre[0]), Agency.centre_lon.set(centre[1])])
    audit.record(agency_id, audit.SYSTEM, "agency.centre_set", "-",
                 {"lat": centre[0], "lon": centre[1]})
    click.echo(f"Agency {agency_id}: maps open at {centre[0]:.5f},{centre[1]:.5f}.")


def _centre(text: str, problems: list[str]) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lat, lon = (float(part) for part in text.split(","))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return round(lat, 6), round(lon, 6)
    except ValueError:
        pass
    problems.append("--centre: LAT,LON in degrees, like 36.1627,-86.7816")
    return None


def _city_centre(config: Settings, city: str) -> tuple[float, float] | None:
    """The city as the address search finds it (Amazon Location on AWS), or None."""
    try:
        found = geocoding.geocoder(config).find(city, None)
    except UnavailableError:
        return None
    return (round(found[0].lat, 6), round(found[0].lon, 6)) if found else None
