"""Audit commands against the configured stack (`flask --app app.wsgi audit ...`).

    verify       recompute every chain and check it against every signed checkpoint
    checkpoint   sign every chain's head into a new checkpoint now
"""

from __future__ import annotations

import sys

import click
from flask import current_app

from app.audit import bp
from app.services.auditing import audit, checkpoints


@bp.cli.command("verify")
def verify() -> None:
    """Check every audit chain and checkpoint; exit 0 when intact, 1 naming what broke."""
    settings = current_app.config["SETTINGS"]
    events_by_chain, heads = audit.load_chains()
    breaks = audit.verify_loaded(events_by_chain, heads)
    problems = checkpoints.verify(settings, events_by_chain)
    chains, events = len(events_by_chain), sum(len(v) for v in events_by_chain.values())
    newest = checkpoints.latest()
    if not breaks and not problems:
        click.echo(f"OK: {chains} chain(s), {events} event(s) verified; no link is broken.")
        if newest is None:
            click.echo("No checkpoint yet: run `flask --app app.wsgi audit checkpoint`.")
        else:
            covered = sum(int(c["seq"]) for c in newest.chains)
            click.echo(f"Checkpoint {newest.seq} ({newest.statement['at']}, signed by "
                       f"{newest.key_id}) covers {covered} event(s); every checkpoint holds.")
        return
    for found in breaks:
        click.echo(f"BROKEN: {found}", err=True)
    for problem in problems:
        click.echo(f"BROKEN: {problem}", err=True)
    click.echo(f"{len(breaks)} of {chains} chain(s) broken, {len(problems)} checkpoint "
               f"problem(s); {events} event(s) read.", err=True)
    sys.exit(1)


@bp.cli.command("checkpoint")
def checkpoint() -> None:
    """Sign every chain's head into a new checkpoint (the feed anyone can mirror)."""
    made = checkpoints.make(current_app.config["SETTINGS"])
    click.echo(f"Checkpoint {made.seq} signed at {made.statement['at']}: {len(made.chains)} "
               f"chain(s), root {made.statement['root']}.")
