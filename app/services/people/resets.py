"""Password reset by an emailed link.

Asking for a link is answered the same way, in the same time, whatever the address: every
request does the same reads and writes (the address's reset record, a token, one mail) and only
the mail's words differ: the link when an account uses the address, a note that none does
otherwise. Nothing that only a known address needs (an audit event) happens on the way: the
reset itself is audited, and the request is in the holder's mailbox.

Each address has one reset record (in the throttle table, "reset:<digest of the email>"): how
many reset mails it got this hour (at most `account_mail_limit`) and the digest of its newest
link. Only that link works: asking again replaces it, and a reset claims it with a conditional
write that removes it, so a used link, and every link older than the newest, answers "expired
or already used". A link made before the password last changed is refused as well.

The mail is in the account's language (`User.language`, English when unset); the note to an
address no account uses is in the language of the page it was asked from.
"""

from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist, UpdateError

from app.config import Settings
from app.core import passwords, tokens
from app.core.errors import LinkGoneError, NotFoundError
from app.core.language import DEFAULT, translator
from app.models.base import condition_failed
from app.models.tokens import OneTimeToken, Throttle
from app.models.users import User
from app.services import clock, mail
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.people import accounts, sessions, single_use, throttle

RESET_TTL = 60 * 60
MAIL_WINDOW = 60 * 60
KIND = "reset"
GONE = "This link has expired or was already used. Ask for a new one."


def _gone() -> LinkGoneError:
    return LinkGoneError(GONE)


def _record_key(email: str) -> str:
    return "reset:" + tokens.digest(accounts.normalise_email(email))


def _make_newest(settings: Settings, email: str, digest: str) -> bool:
    """Make the link the address's newest, counting one mail in this hour; False (and nothing
    changed) when the hour's mails are used up."""
    now = int(time.time())
    hour = now - now % MAIL_WINDOW
    expires = now + RESET_TTL + MAIL_WINDOW
    record = Throttle(key=_record_key(email), expires_epoch=expires)
    common = [Throttle.newest.set(digest), Throttle.expires_epoch.set(expires)]
    try:  # another mail in this hour
        record.update(actions=[Throttle.attempts.add(1), *common],
                      condition=(Throttle.window_start == hour)
                      & (Throttle.attempts < settings.account_mail_limit))
        return True
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    try:  # the first mail of the hour
        record.update(actions=[Throttle.attempts.set(1), Throttle.window_start.set(hour),
                               *common],
                      condition=Throttle.window_start.does_not_exist()
                      | (Throttle.window_start < hour))
        return True
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return False


def request_link(settings: Settings, email: str, ip: str, language: str = "en") -> None:
    """Mail a reset link, or a note that no account uses the address (see the docstring); the
    note in `language`, the page's."""
    throttle.count_request(settings, "reset", ip)
    token = tokens.new_token()
    if not _make_newest(settings, email, tokens.digest(token)):
        return  # this address had its mails for the hour; the answer stays the same
    user = accounts.holder_of(email)
    known = user is not None and user.active
    moment = clock.now()
    # Written for every address: for one without an account it names no user, opens nothing,
    # and is never sent.
    OneTimeToken(token_id=tokens.digest(token), kind=KIND, email=email,
                 agency_id=user.agency_id if user else "-",
                 user_id=user.user_id if user and known else None, created_at=moment,
                 expires_epoch=int(moment.timestamp()) + RESET_TTL).save()
    if user is not None and known:
        _ = translator(user.language or DEFAULT).gettext
        mail.enqueue(settings, email, _("Reset your Porchlight password"),
                     _("Hello %(name)s,\n\nSomeone (we hope you) asked to reset your "
                       "Porchlight password. Open this link within an hour to choose a new "
                       "one:\n\n%(link)s\n\nIt works once, and only until you ask for "
                       "another. If it was not you, ignore this email; your password stays as "
                       "it is.") % {"name": user.display_name,
                                    "link": f"{settings.public_url}/password/reset/{token}"})
    else:
        _ = translator(language).gettext
        mail.enqueue(settings, email, _("Reset your Porchlight password"),
                     _("Hello,\n\nSomeone (we hope you) asked to reset the password of a "
                       "Porchlight account with this email address, but no account uses "
                       "it.\n\nIf you meant to join, create an account at %(signup)s\nIf you "
                       "have an account under another address, ask again with that one.\n\nIf "
                       "it was not you, ignore this email.") % {
                           "signup": f"{settings.public_url}/signup"})


def usable(token: str) -> tuple[OneTimeToken, User] | None:
    """The link's token and account while it may still be used; None otherwise."""
    item = single_use.peek(token, KIND)
    if item is None or not item.user_id:
        return None
    try:
        user = accounts.get_user(item.user_id)
        record = Throttle.get(_record_key(item.email), consistent_read=True)
    except (NotFoundError, DoesNotExist):
        return None
    if record.newest != item.token_id or not user.active:
        return None  # a newer link was asked for, or this one was used
    if user.password_changed_at and item.created_at < user.password_changed_at:
        return None
    return item, user


def reset_password(settings: Settings, token: str, password: str, ip: str) -> User:
    found = usable(token)
    if found is None:
        raise _gone()
    item, user = found
    accounts.check_new_password(password, user.email)
    try:  # claim the link: it must still be the newest, and then no link is
        Throttle(key=_record_key(item.email)).update(
            actions=[Throttle.newest.remove()], condition=Throttle.newest == item.token_id)
    except UpdateError as exc:  # used in another tab, or a newer one came meanwhile
        if not condition_failed(exc):
            raise
        raise _gone() from exc
    single_use.take(token, KIND)
    user.update(actions=[User.password_hash.set(passwords.hash_password(password)),
                         User.password_changed_at.set(clock.now())],
                add_version_condition=False)
    revoked = sessions.revoke_all(user.user_id)
    throttle.clear_all(user.email)
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "password.reset",
                 user.user_id, {"sessions_revoked": revoked,
                                "asked_at": clock.iso(item.created_at)})
    return user
