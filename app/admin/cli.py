"""`flask --app app.wsgi agency create`: a new deployment's first program and its admin.

Run once per police department, from a machine with the deployment's environment and AWS
credentials (DEPLOY.md). It creates the agency with the default policy and mails its admin a
single-use invitation (72 hours) to set a password and an authenticator app; everything else
(police users, policy) the admin does in the app.
"""

from __future__ import annotations

import re
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from pynamodb.exceptions import DoesNotExist

from app.admin import bp
from app.core import roles
from app.core.errors import ValidationError
from app.models.users import Agency
from app.services import accounts, audit, clock, mail
from app.web.access import settings


@bp.cli.command("create")
@click.option("--id", "agency_id", required=True, help="short id, like metro-pd")
@click.option("--name", required=True, help="Metro Police Department")
@click.option("--city", required=True, help="Nashville, TN")
@click.option("--timezone", "zone", required=True, help="IANA name, like America/Chicago")
@click.option("--admin-email", required=True, help="who runs the program")
def create(agency_id: str, name: str, city: str, zone: str, admin_email: str) -> None:
    """Create an agency and mail its first admin an invitation."""
    problems = []
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
    Agency(agency_id=agency_id, name=name.strip(), city=city.strip(), timezone=zone,
           created_at=clock.now()).save()
    token = accounts.issue_token(config, "invite", email, agency_id, accounts.INVITE_TTL,
                                 role=roles.AGENCY_ADMIN, created_by="system")
    mail.enqueue(config, email, f"You are invited to run Porchlight for {name}",
                 f"You are invited to Porchlight as {roles.LABELS[roles.AGENCY_ADMIN]} for "
                 f"{name}.\n\nOpen this link within 72 hours to set your password and your "
                 f"authenticator app:\n\n{config.public_url}/invite/{token}\n\n"
                 "The link works once.")
    audit.record(agency_id, audit.SYSTEM, "agency.created", "-",
                 {"name": name, "city": city, "timezone": zone, "admin_email": email})
    click.echo(f"Agency {agency_id} created; an invitation is on its way to {email}.")
