"""What every template can use: the user, the navigation for their role, the stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import gettext

from app.core import roles
from app.core.audit_words import words_for
from app.core.roles import N_
from app.web.access import current_session, current_user, settings
from app.web.i18n import current

NAV: dict[str, list[tuple[str, str]]] = {
    roles.OWNER: [("home.index", N_("Home")), ("cameras.index", N_("My cameras")),
                  ("footage.my_requests", N_("Requests")), ("live.share_now", N_("Share now")),
                  ("bridges.index", N_("Bridges")),
                  ("account.activity", N_("My activity")), ("orgs.index", N_("Organisation"))],
    roles.ORG_ADMIN: [("home.index", N_("Home")), ("cameras.index", N_("My cameras")),
                      ("footage.my_requests", N_("Requests")), ("orgs.index", N_("Organisation")),
                      ("account.activity", N_("My activity"))],
    roles.DETECTIVE: [("home.index", N_("Home")), ("police.search", N_("Search")),
                      ("police.police_map_page", N_("Map")), ("footage.cases", N_("Requests")),
                      ("incidents.index", N_("Incidents")), ("live.police_list", N_("Live")),
                      ("account.activity", N_("My activity"))],
    roles.SUPERVISOR: [("home.index", N_("Home")), ("police.search", N_("Search")),
                       ("police.police_map_page", N_("Map")), ("footage.cases", N_("Requests")),
                       ("incidents.index", N_("Incidents")), ("live.police_list", N_("Live")),
                      ("account.activity", N_("My activity"))],
    roles.AGENCY_ADMIN: [("home.index", N_("Home")), ("admin.users", N_("Users")),
                         ("admin.invitations", N_("Invite")),
                         ("cameras.import_page", N_("Agency cameras")),
                         ("bridges.index", N_("Bridges")), ("admin.api_keys", N_("API keys")),
                         ("admin.policy", N_("Policy")),
                         ("program.edit", N_("Program page")),
                         ("account.activity", N_("My activity"))],
    roles.OFFICER: [("home.index", N_("Home")), ("incidents.bulletins_page", N_("Bulletins")),
                    ("account.activity", N_("My activity"))],
    roles.AUDITOR: [("home.index", N_("Home")), ("audit.log", N_("Audit log")),
                    ("audit.flags", N_("Flags")), ("audit.verify", N_("Verify")),
                    ("account.activity", N_("My activity"))],
}


N_("Sessions")  # base.html adds it to every menu


def _context() -> dict[str, Any]:
    user = current_user()
    item = current_session()
    ready = user is not None and item is not None and item.mfa_ok
    return {
        "user": user if ready else None,
        "pending_user": user if user is not None and not ready else None,
        "nav": NAV.get(user.role, []) if ready and user else [],
        "role_label": {role: gettext(words) for role, words in roles.LABELS.items()},
        "is_devstack": settings().is_devstack,
        "devstack_data": (Path(settings().devstack_data).name + "/"
                          if settings().devstack_data else ""),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["action_words"] = lambda action: words_for(action, current())
