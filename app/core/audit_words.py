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
    "camera.registered": "Camera registered",
    "camera.updated": "Camera changed",
    "camera.paused": "Camera paused",
    "camera.resumed": "Camera resumed",
    "camera.confirmed": "Camera confirmed as still there",
    "camera.withdrawn": "Camera withdrawn (deleted)",
    "camera.imported": "Cameras imported from a file",
    "camera.photo_added": "Photo of the view added",
    "registry.searched": "Police searched the registry",
    "registry.camera_found": "Police search found your camera",
    "registry.exported": "Police exported the registry",
    "registry.camera_exported": "Police export included your camera",
    "registry.viewed": "Police opened the camera map",
    "registry.camera_viewed": "Police opened a map showing your camera",
    "apikey.created": "API key created",
    "apikey.revoked": "API key revoked",
    "org.created": "Organisation created",
    "org.invited": "Organisation invitation sent",
    "org.joined": "Member joined the organisation",
    "camera.handed_over": "Camera handed over to a member",
    "camera.received": "Camera received from your organisation",
}


def words_for(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace(".", ": ").replace("_", " ").capitalize())
