"""Roles and what they imply. Pure data, no I/O."""

from __future__ import annotations

OWNER = "owner"
ORG_ADMIN = "org_admin"
DETECTIVE = "detective"
SUPERVISOR = "supervisor"
AGENCY_ADMIN = "agency_admin"
AUDITOR = "auditor"
# A responding officer: gets bulletins (a still and a description) for the calls they are on,
# on their phone; no registry, no map, no live video (app.services.realtime.bulletins).
OFFICER = "officer"

ALL_ROLES = (OWNER, ORG_ADMIN, DETECTIVE, SUPERVISOR, AGENCY_ADMIN, AUDITOR, OFFICER)
# Police who read the registry (search, map, export).
POLICE_ROLES = frozenset({DETECTIVE, SUPERVISOR, AGENCY_ADMIN})
# Everyone sworn or employed by the program: their activity reads as police's.
AGENCY_STAFF = POLICE_ROLES | {OFFICER}
# Roles that exist only through an agency_admin's invitation and must enrol TOTP before any page.
INVITED_ROLES = frozenset({DETECTIVE, SUPERVISOR, AGENCY_ADMIN, AUDITOR, OFFICER})
MFA_ROLES = INVITED_ROLES
PUBLIC_ROLES = frozenset({OWNER, ORG_ADMIN})
# Who pairs bridges: owners for their cameras, the agency admin for the agency's own street
# cameras (app.services.cameras.bridges).
BRIDGE_HOLDERS = frozenset({OWNER, ORG_ADMIN, AGENCY_ADMIN})

def N_(text: str) -> str:
    """Marks a text for the translation catalogue (app/web/i18n.py); translated where shown."""
    return text


LABELS = {
    OWNER: N_("Camera owner"),
    ORG_ADMIN: N_("Organisation admin"),
    DETECTIVE: N_("Detective"),
    SUPERVISOR: N_("Supervisor"),
    AGENCY_ADMIN: N_("Agency admin"),
    AUDITOR: N_("Auditor"),
    OFFICER: N_("Responding officer"),
}


def requires_mfa(role: str) -> bool:
    return role in MFA_ROLES


def idle_limit(role: str, police_idle: int, owner_idle: int) -> int:
    """Seconds of inactivity after which a session of this role ends."""
    return police_idle if role in MFA_ROLES else owner_idle
