"""Organisations: an owner creates one (and becomes its admin), invites members by email (in
the language of the invited address's account, when it has one; else English)."""

from __future__ import annotations

import uuid

from pynamodb.exceptions import DoesNotExist

from app.config import Settings
from app.core import roles
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.core.language import DEFAULT, translator
from app.core.texts import gettext
from app.models.cameras import Camera
from app.models.sessions import Session
from app.models.users import Organisation, User
from app.services import clock, mail
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.people import accounts, single_use

ORG_INVITE_TTL = 14 * 24 * 3600


def get_org(org_id: str | None) -> Organisation | None:
    if not org_id:
        return None
    try:
        return Organisation.get(org_id)
    except DoesNotExist:
        return None


def create(owner: User, session: Session, name: str, ip: str) -> Organisation:
    """The owner becomes the organisation's admin; their session follows the new role."""
    if owner.role not in roles.PUBLIC_ROLES or owner.org_id:
        raise ConflictError("You are already in an organisation; leave it to create another.")
    name = (name or "").strip()
    if not 2 <= len(name) <= 80:
        raise ValidationError(errors={"name": gettext("Give the organisation a name (2 to 80 "
                                                       "characters).")})
    org = Organisation(org_id=uuid.uuid4().hex, agency_id=owner.agency_id, name=name,
                       admin_id=owner.user_id, created_at=clock.now())
    org.save()
    owner.update(actions=[User.role.set(roles.ORG_ADMIN), User.org_id.set(org.org_id)])
    session.update(actions=[Session.role.set(roles.ORG_ADMIN)])
    audit.record(owner.agency_id, Actor(owner.user_id, roles.ORG_ADMIN, ip), "org.created",
                 owner.user_id, {"org": org.org_id, "name": name, "role": roles.ORG_ADMIN})
    return org


def members(org: Organisation) -> list[User]:
    return [u for u in accounts.agency_users(org.agency_id) if u.org_id == org.org_id]


def _administered_org(admin: User, doing: str) -> Organisation:
    """The organisation this user runs; 409 before it exists, 403 for anyone but its admin."""
    org = get_org(admin.org_id)
    if org is None:
        raise ConflictError(f"Create your organisation first, then {doing}.")
    if admin.role != roles.ORG_ADMIN or org.admin_id != admin.user_id:
        raise ForbiddenError(f"Only the organisation's admin may {doing}.")
    return org


def invite(settings: Settings, admin: User, email: str, ip: str) -> None:
    org = _administered_org(admin, "invite its members")
    email = accounts.check_email(email)
    token = single_use.issue(settings, "org_invite", email, admin.agency_id, ORG_INVITE_TTL,
                                created_by=admin.user_id, role=org.org_id)
    link = f"{settings.public_url}/org/join/{token}"
    invited = accounts.holder_of(email)  # the mail goes to them: their language, not the admin's
    _ = translator((invited.language if invited else None) or DEFAULT).gettext
    mail.enqueue(settings, email, _("Join %(org)s on Porchlight") % {"org": org.name},
                 _("%(admin)s invites you to join %(org)s on Porchlight, so the organisation "
                   "can help register and look after your cameras. You keep control of each "
                   "camera.\n\nOpen this link within 14 days (log in or create an account "
                   "first):\n\n%(link)s\n\nThe link works once.") % {
                       "admin": admin.display_name, "org": org.name, "link": link})
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "org.invited", "-",
                 {"org": org.org_id, "email": email})


def invitation(token: str) -> tuple[Organisation, str] | None:
    item = single_use.peek(token, "org_invite")
    org = get_org(item.role) if item else None
    return (org, item.email) if item and org else None


def join(user: User, token: str, ip: str) -> Organisation:
    found = invitation(token)
    if found is None:
        raise NotFoundError("This invitation has expired or was already used.")
    org, email = found
    if user.email != email:
        raise ForbiddenError(f"This invitation is for {email}. Log in with that address.")
    if user.role != roles.OWNER:
        raise ConflictError("Only camera owners join an organisation.")
    single_use.take(token, "org_invite")
    user.update(actions=[User.org_id.set(org.org_id)])
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "org.joined",
                 org.admin_id, {"org": org.org_id, "member": user.user_id})
    return org


def hand_over(admin: User, camera_id: str, member_id: str, ip: str) -> None:
    """The org admin gives a camera to a member, who then sets its rules themselves."""
    org = _administered_org(admin, "hand cameras to members")
    camera = registry.owned(admin, camera_id)
    member = next((m for m in members(org) if m.user_id == member_id
                   and m.user_id != admin.user_id), None)
    if member is None:
        raise ValidationError(errors={"member_id": gettext("Choose a member of your "
                                                            "organisation.")})
    camera.update(actions=[Camera.owner_id.set(member.user_id), Camera.org_id.set(org.org_id),
                           Camera.updated_at.set(clock.now())])
    details = {"camera": camera.camera_id, "nickname": camera.nickname, "org": org.org_id,
               "from": admin.user_id, "to": member.user_id}
    actor = Actor(admin.user_id, admin.role, ip)
    audit.record(admin.agency_id, actor, "camera.handed_over", admin.user_id, details)
    audit.record(admin.agency_id, actor, "camera.received", member.user_id, details)
