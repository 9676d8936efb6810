"""What every template can use: the user, the navigation for their role, the stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.core import roles
from app.core.audit_words import words_for
from app.web.access import current_session, current_user, settings

NAV: dict[str, list[tuple[str, str]]] = {
    roles.OWNER: [("home.index", "Home"), ("cameras.index", "My cameras"),
                  ("footage.my_requests", "Requests"), ("live.share_now", "Share now"),
                  ("bridges.index", "Bridges"),
                  ("account.activity", "My activity"), ("orgs.index", "Organisation")],
    roles.ORG_ADMIN: [("home.index", "Home"), ("cameras.index", "My cameras"),
                      ("footage.my_requests", "Requests"), ("orgs.index", "Organisation"),
                      ("account.activity", "My activity")],
    roles.DETECTIVE: [("home.index", "Home"), ("police.search", "Search"),
                      ("police.police_map_page", "Map"), ("footage.cases", "Requests"),
                      ("incidents.index", "Incidents"), ("live.police_list", "Live"),
                      ("account.activity", "My activity")],
    roles.SUPERVISOR: [("home.index", "Home"), ("police.search", "Search"),
                       ("police.police_map_page", "Map"), ("footage.cases", "Requests"),
                       ("incidents.index", "Incidents"), ("live.police_list", "Live"),
                      ("account.activity", "My activity")],
    roles.AGENCY_ADMIN: [("home.index", "Home"), ("admin.users", "Users"),
                         ("admin.invitations", "Invite"), ("cameras.import_page", "Agency cameras"),
                         ("bridges.index", "Bridges"), ("admin.api_keys", "API keys"),
                         ("admin.policy", "Policy"),
                         ("program.edit", "Program page"), ("account.activity", "My activity")],
    roles.OFFICER: [("home.index", "Home"), ("incidents.bulletins_page", "Bulletins"),
                    ("account.activity", "My activity")],
    roles.AUDITOR: [("home.index", "Home"), ("audit.log", "Audit log"),
                    ("audit.flags", "Flags"), ("audit.verify", "Verify"),
                    ("account.activity", "My activity")],
}


def _context() -> dict[str, Any]:
    user = current_user()
    item = current_session()
    ready = user is not None and item is not None and item.mfa_ok
    return {
        "user": user if ready else None,
        "pending_user": user if user is not None and not ready else None,
        "nav": NAV.get(user.role, []) if ready and user else [],
        "role_label": roles.LABELS,
        "is_devstack": settings().is_devstack,
        "devstack_data": (Path(settings().devstack_data).name + "/"
                          if settings().devstack_data else ""),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["action_words"] = words_for
