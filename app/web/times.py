"""Template filters that show times in the program's one time zone, named (app/core/localtime.py).

The zone is the signed-in user's program's; a visitor who is not signed in sees the zone of
the only program when there is one, else UTC (pages for visitors name their program's own).
Day and month names and the zone's words are in the page's language (app/web/i18n.py):
"Fri 4 Dec, 17:31 Chicago time", "vie 4 dic, 17:31 hora de Chicago".
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g
from pynamodb.exceptions import PynamoDBException

from app.core import localtime
from app.services.governance.policy import policy_for
from app.services.people import accounts
from app.web.access import current_user
from app.web.i18n import current


def program_zone() -> str:
    """The IANA name of the time zone every time on this page is shown in."""
    if "program_zone" not in g:
        user = current_user()
        try:
            if user is not None:
                g.program_zone = policy_for(user.agency_id).timezone
            else:
                programs = accounts.agencies()
                g.program_zone = programs[0].policy().timezone if len(programs) == 1 else "UTC"
        except PynamoDBException:
            # The error page for a database fault renders through here too: it must not fail.
            g.program_zone = "UTC"
    return str(g.program_zone)


Moment = datetime | str | None  # audit events carry their time as ISO 8601 text


def _parsed(moment: Moment) -> datetime | None:
    if isinstance(moment, str):
        return datetime.fromisoformat(moment) if moment else None
    return moment


def _when(moment: Moment) -> str:
    at = _parsed(moment)
    return localtime.when(at, program_zone(), current()) if at else ""


def _clock(moment: Moment, seconds: bool = False) -> str:
    at = _parsed(moment)
    return localtime.clock(at, program_zone(), seconds) if at else ""


def _day(moment: Moment) -> str:
    at = _parsed(moment)
    return localtime.date_only(at, program_zone(), current()) if at else ""


def _window(start: Moment, end: Moment) -> str:
    first, last = _parsed(start), _parsed(end)
    return localtime.window(first, last, program_zone(), current()) if first and last else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["clock"] = _clock
    app.jinja_env.filters["day"] = _day
    app.jinja_env.globals["window"] = _window
    app.jinja_env.globals["program_zone"] = program_zone
    app.jinja_env.globals["zone_label"] = lambda: localtime.zone_label(program_zone(), current())
