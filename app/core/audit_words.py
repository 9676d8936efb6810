"""Plain words for audit actions, shown to owners and auditors beside the action's code."""

from __future__ import annotations

ACTION_WORDS = {
    "account.signed_up": "Account created",
    "account.seeded": "Demo account created",
    "account.locked": "Account locked after failed sign-ins",
    "login.succeeded": "Signed in",
    "login.failed": "Failed sign-in",
    "logout": "Signed out",
    "session.revoked": "Session signed out",
    "session.expired": "Session ended",
    "invitation.created": "Invitation sent",
    "invitation.accepted": "Invitation accepted",
    "role.changed": "Role changed",
    "mfa.enrolled": "Authenticator app set up",
    "mfa.verified": "Authenticator code accepted",
    "mfa.failed": "Wrong authenticator code",
    "password.reset_requested": "Password reset asked for",
    "password.reset": "Password changed by reset link",
    "registry.seeded": "Demo cameras registered",
}


def words_for(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace(".", ": ").replace("_", " ").capitalize())
