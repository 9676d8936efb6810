"""Log-in, invitations, MFA and role changes, each audited, and the one-time tokens they use.

Sign-up is signups.py in this package, password reset resets.py; the limits and lockouts they
share are throttle.py."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from app.config import Settings
from app.core import passwords, roles
from app.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationError,
)
from app.core.texts import gettext
from app.models.base import condition_failed
from app.models.sessions import Session
from app.models.tokens import OneTimeToken
from app.models.users import Agency, EmailClaim, User
from app.services import clock, mail
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.people import mfa, sessions, single_use, throttle

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
INVITE_TTL = 72 * 60 * 60
BAD_LOGIN = "That email and password do not match an account."


@dataclass(frozen=True)
class LoginResult:
    user: User
    new_session: sessions.NewSession

    @property
    def mfa_needed(self) -> bool:
        return not self.new_session.session.mfa_ok


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationError(errors={"email": gettext("Enter an email address like "
                                                       "name@example.org.")})
    return email


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise ValidationError(errors={"display_name": gettext("Enter your name (up to 80 "
                                                              "characters).")})
    return name


def check_new_password(password: str, email: str) -> None:
    problems = passwords.password_problems(password or "", email)
    if problems:
        raise ValidationError(errors={"password": " ".join(problems)})


def agencies() -> list[Agency]:
    return sorted(Agency.scan(), key=lambda a: a.name)


def get_agency(agency_id: str) -> Agency:
    if not agency_id:  # DynamoDB refuses an empty key: that is a question, not a fault
        raise NotFoundError("That program does not exist.")
    try:
        return Agency.get(agency_id)
    except DoesNotExist as exc:
        raise NotFoundError("That program does not exist.") from exc


def get_user(user_id: str) -> User:
    user = User.find(user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


def find_by_email(email: str) -> User | None:
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        return None  # also keeps empty strings away from DynamoDB keys
    try:
        claim = EmailClaim.get(email, consistent_read=True)
    except DoesNotExist:
        return None
    try:
        return User.get(claim.user_id, consistent_read=True)
    except DoesNotExist:
        return None


def holder_of(email: str) -> User | None:
    """Like find_by_email, for answers that must not tell whether the address has an account:
    an unknown address costs the same two consistent reads as a known one."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        return None  # not an address at all: the caller's form check refuses it first
    try:
        claimed = EmailClaim.get(email, consistent_read=True).user_id
    except DoesNotExist:
        claimed = None
    try:
        user = User.get(claimed or uuid.uuid4().hex, consistent_read=True)
    except DoesNotExist:
        return None
    return user if claimed else None


def create_user(email: str, password: str, name: str, role: str, agency_id: str,
                password_hash: str | None = None) -> User:
    """The account, with its email claimed; `password_hash` when the password was hashed
    before (a sign-up finished by its emailed link)."""
    user = User(
        user_id=uuid.uuid4().hex,
        email=email,
        display_name=name,
        password_hash=password_hash or passwords.hash_password(password),
        role=role,
        agency_id=agency_id,
        created_at=clock.now(),
        password_changed_at=clock.now(),
    )
    try:
        with TransactWrite(connection=User._get_connection().connection) as tx:
            tx.save(EmailClaim(email=email, user_id=user.user_id),
                    condition=EmailClaim.email.does_not_exist())
            tx.save(user, condition=User.user_id.does_not_exist())
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            raise ConflictError(
                "An account with this email already exists. Log in or reset your password.",
            ) from exc
        raise
    user.version = 1
    return user


def login(settings: Settings, email: str, password: str, ip: str, user_agent: str) -> LoginResult:
    """Check the password. Only failures count against the caller's address, so the officers
    of a station behind one address never lock each other out; failures of one account lock
    that account (app/services/people/throttle.py)."""
    throttle.check_address(settings, "login", ip)
    email = normalise_email(email)
    failures_on_record = throttle.check_lock(settings, email)
    user = find_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(),
                                   password or "")
    if not (user and ok and user.active):
        throttle.count_failure(settings, "login", ip)
        locked = throttle.record_failure(settings, throttle.PASSWORD, email)
        if user:
            details = {"reason": "wrong password" if not ok else "account disabled"}
            audit.record(user.agency_id, Actor("anonymous", "anonymous", ip),
                         "login.failed", user.user_id, details)
            if locked:
                audit.record(user.agency_id, Actor("system", "system", ip), "account.locked",
                             user.user_id, {"minutes": settings.lockout_seconds // 60})
        raise UnauthorizedError(BAD_LOGIN)
    if failures_on_record:
        throttle.clear(throttle.PASSWORD, email)  # never the code failures: see verify_mfa
    if passwords.needs_rehash(user.password_hash):
        user.update(actions=[User.password_hash.set(passwords.hash_password(password))])
    return open_session(settings, user, ip, user_agent)


def open_session(settings: Settings, user: User, ip: str, user_agent: str) -> LoginResult:
    """A new session for a user who just proved their password (police still owe a code)."""
    new = sessions.create(settings, user.user_id, user.role, ip, user_agent,
                          mfa_ok=not roles.requires_mfa(user.role))
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "login.succeeded",
                 user.user_id, {"session": new.session.public_id,
                                "mfa": "pending" if not new.session.mfa_ok else "not required"})
    return LoginResult(user, new)


def logout(user: User, session: Session, ip: str) -> None:
    sessions.revoke(session)
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "logout", user.user_id,
                 {"session": session.public_id})


def revoke_session(actor: User, target_user: User, session: Session, ip: str) -> None:
    sessions.revoke(session)
    audit.record(actor.agency_id, Actor(actor.user_id, actor.role, ip), "session.revoked",
                 target_user.user_id, {"session": session.public_id})


def revoke_all_sessions(admin: User, user_id: str, ip: str) -> int:
    """An agency admin ends every session of a user of their program."""
    target = managed_user(admin, user_id)
    count = sessions.revoke_all(target.user_id)
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "session.revoked",
                 target.user_id, {"sessions": count, "scope": "all"})
    return count


def managed_user(admin: User, user_id: str) -> User:
    """A user of the admin's program; another program's is "not found", as one that does
    not exist."""
    target = get_user(user_id)
    if target.agency_id != admin.agency_id:
        raise NotFoundError("No such user.")
    return target


def invite(settings: Settings, admin: User, email: str, role: str, ip: str) -> str:
    if admin.role != roles.AGENCY_ADMIN:
        raise ForbiddenError("Only an agency admin can invite police users.")
    errors = {}
    try:
        email = check_email(email)
    except ValidationError as exc:
        errors.update(exc.errors)
    if role not in roles.INVITED_ROLES:
        errors["role"] = gettext("Choose one of: %(roles)s.",
                                 roles=", ".join(sorted(roles.INVITED_ROLES)))
    if errors:
        raise ValidationError(errors=errors)
    if find_by_email(email):
        raise ConflictError("Somebody already has an account with this email.")
    token = single_use.issue(settings, "invite", email, admin.agency_id, INVITE_TTL, role=role,
                       created_by=admin.user_id)
    agency = get_agency(admin.agency_id)
    link = f"{settings.public_url}/invite/{token}"
    mail.enqueue(settings, email, f"You are invited to Porchlight for {agency.name}",
                 f"{admin.display_name} invited you to Porchlight as {roles.LABELS[role]} for "
                 f"{agency.name}.\n\nOpen this link within 72 hours to set your password and "
                 f"your authenticator app:\n\n{link}\n\nThe link works once.")
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "invitation.created",
                 "-", {"email": email, "role": role})
    return token


def pending_invitations(agency_id: str) -> list[OneTimeToken]:
    now = clock.now().timestamp()
    return [t for t in OneTimeToken.agency_index.query(agency_id, scan_index_forward=False)
            if t.kind == "invite" and not t.used_at and t.expires_epoch > now]


def accept_invite(token: str, name: str, password: str, ip: str) -> User:
    peeked = single_use.peek(token, "invite")
    if peeked is None:
        single_use.take(token, "invite")  # raises the plain "expired or used" error
        raise AssertionError("unreachable")
    errors: dict[str, str] = {}
    for check, args in ((check_name, (name,)), (check_new_password, (password, peeked.email))):
        try:
            check(*args)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors=errors)
    item = single_use.take(token, "invite")
    user = create_user(item.email, password, check_name(name), item.role or roles.DETECTIVE,
                        item.agency_id)
    audit.record(item.agency_id, Actor(user.user_id, user.role, ip), "invitation.accepted",
                 user.user_id, {"role": user.role, "invited_by": item.created_by or "-"})
    return user


def begin_mfa_enrolment(user: User) -> str:
    """A new pending secret, shown once as a QR code; enrolment completes with a valid code."""
    if user.mfa_enrolled:
        raise ConflictError("An authenticator app is already set up for this account.")
    secret = mfa.new_secret()
    user.update(actions=[User.mfa_pending_secret.set(secret)])
    return secret


def confirm_mfa_enrolment(settings: Settings, user: User, session: Session, code: str,
                          ip: str) -> None:
    if user.mfa_enrolled:
        raise ConflictError("An authenticator app is already set up for this account.")
    secret = user.mfa_pending_secret
    step = mfa.accepted_step(secret, code, 0) if secret else None
    if step is None:
        raise ValidationError(errors={"code": gettext("That code is not right. Enter the 6 "
                                                      "digits your app shows now.")})
    user.update(actions=[User.mfa_secret.set(secret), User.mfa_pending_secret.remove(),
                         User.mfa_last_step.set(step)])
    sessions.mark_mfa_ok(session)
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "mfa.enrolled",
                 user.user_id, {"session": session.public_id})


def verify_mfa(settings: Settings, user: User, session: Session, code: str, ip: str) -> None:
    """Check the authenticator code of a session that passed the password.

    Wrong codes are counted per account apart from wrong passwords, and a correct password
    never clears them: whoever knows the password gets `login_max_failures` guesses in all,
    then the account locks, its sessions still waiting for a code end, and the holder is told
    by mail that someone knows their password."""
    throttle.check_address(settings, "login", ip)
    throttle.check_lock(settings, user.email)
    step = mfa.accepted_step(user.mfa_secret or "", code, int(user.mfa_last_step))
    if step is not None:
        try:
            user.update(actions=[User.mfa_last_step.set(step)],
                        condition=User.mfa_last_step < step, add_version_condition=False)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise  # a database fault is no wrong code: nothing is counted against them
            step = None  # this code (or a later one) was used already
    if step is None:
        throttle.count_failure(settings, "login", ip)
        locked = throttle.record_failure(settings, throttle.CODE, user.email)
        audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "mfa.failed",
                     user.user_id, {"locked": locked})
        if locked:
            _lock_after_codes(settings, user, ip)
            raise TooManyRequestsError(
                f"Too many wrong codes: this account is locked for "
                f"{settings.lockout_seconds // 60} minutes. Log in again after that.",
                retry_after=settings.lockout_seconds)
        raise ValidationError(errors={"code": gettext("That code is not right, or was already "
                                                      "used. Enter the newest 6 digits.")})
    throttle.clear(throttle.CODE, user.email)
    sessions.mark_mfa_ok(session)
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "mfa.verified",
                 user.user_id, {"session": session.public_id})


def _lock_after_codes(settings: Settings, user: User, ip: str) -> None:
    ended = 0
    for item in sessions.list_for(user.user_id):
        if not item.mfa_ok:  # sessions that passed the password and wait for a code
            sessions.revoke(item)
            ended += 1
    minutes = settings.lockout_seconds // 60
    audit.record(user.agency_id, Actor("system", "system", ip), "account.locked",
                 user.user_id, {"minutes": minutes, "after": "wrong authenticator codes",
                                "sessions_ended": ended})
    mail.enqueue(settings, user.email, "Your Porchlight account is locked",
                 f"Hello {user.display_name},\n\nSomeone entered your Porchlight password "
                 f"correctly, then {settings.login_max_failures} wrong authenticator codes. "
                 f"Your account is locked for {minutes} minutes.\n\nIf this was not you, "
                 f"someone knows your password: choose a new one now at "
                 f"{settings.public_url}/password/forgot and tell your agency's admin.")


def set_language(user: User, language: str) -> User:
    """The account's language for pages, pushes and e-mails (checked by app.web.i18n)."""
    user.update(actions=[User.language.set(language)])
    return user


def agency_users(agency_id: str) -> list[User]:
    return list(User.agency_index.query(agency_id, scan_index_forward=False))


def change_role(admin: User, user_id: str, role: str, ip: str) -> User:
    target = managed_user(admin, user_id)
    if target.user_id == admin.user_id:
        raise ForbiddenError("You cannot change your own role; ask another agency admin.")
    if target.role not in roles.INVITED_ROLES or role not in roles.INVITED_ROLES:
        raise ValidationError(errors={"role": gettext("Police and auditor roles can only be "
                                                      "changed among themselves; owners keep "
                                                      "their role.")})
    old = target.role
    if old == role:
        return target
    try:
        target.update(actions=[User.role.set(role)], condition=User.role == old)
    except (UpdateError, PutError) as exc:
        if not condition_failed(exc):
            raise
        raise ConflictError("The role changed meanwhile; reload and try again.") from exc
    sessions.revoke_all(target.user_id)
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "role.changed",
                 target.user_id, {"from": old, "to": role})
    return target
