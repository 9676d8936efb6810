"""`flask --app app.wsgi audit verify`: recompute every chain, name the first broken link."""

from __future__ import annotations

import sys

import click

from app.audit import bp
from app.services import audit


@bp.cli.command("verify")
def verify() -> None:
    """Check every audit chain; exit 0 when intact, 1 naming the first broken link."""
    chains, events, breaks = audit.verify_all()
    if not breaks:
        click.echo(f"OK: {chains} chain(s), {events} event(s) verified; no link is broken.")
        return
    for found in breaks:
        click.echo(f"BROKEN: {found}", err=True)
    click.echo(f"{len(breaks)} of {chains} chain(s) broken; {events} event(s) read.", err=True)
    sys.exit(1)
