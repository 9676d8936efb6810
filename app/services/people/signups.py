"""An owner's sign-up, answered the same way, in the same time, whether or not the address
already has an account.

`start` checks the form (nothing it says depends on which accounts exist), then does the same
work for every address: hashes the password, reads the address's claim and account, writes a
pending sign-up and queues one mail. Only the mail's words differ: a link that finishes the
account when the address is new, or, when it is taken (an owner's or an officer's), a note to
its holder that someone tried to sign up with it, and how to log in or reset the password. The
page and the API say "check your email" either way. Nothing is created until the link is
used, so nobody can take an address they cannot read.

`finish` is the link's page: the password chosen at sign-up confirms it (a stranger who is
sent a link they did not ask for cannot finish somebody else's sign-up), creates the account
and opens a session.

The link's mail is in the language of the page it was asked from; the note to an address's
holder is in the holder's language (`User.language`, English when unset).
"""

from __future__ import annotations

from app.config import Settings
from app.core import passwords, roles
from app.core.errors import ValidationError
from app.core.language import DEFAULT, translator
from app.core.roles import N_
from app.core.texts import gettext
from app.models.tokens import OneTimeToken
from app.services import mail
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.people import accounts, single_use, throttle

SIGNUP_TTL = 24 * 60 * 60
KIND = "signup"
WRONG_PASSWORD = N_("That is not the password you chose when you signed up.")


def check_form(email: str, password: str, name: str, agency_id: str) -> tuple[str, str]:
    """The normalised email and name; every problem of the form at once."""
    errors: dict[str, str] = {}
    for check, args in ((accounts.check_email, (email,)), (accounts.check_name, (name,)),
                        (accounts.check_new_password, (password, email))):
        try:
            check(*args)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors=errors)
    if not agency_id:  # more than one program runs here, and the sign-up did not say which
        choices = ", ".join(a.agency_id for a in accounts.agencies())
        raise ValidationError(gettext("Choose the police program your cameras are in."),
                              {"agency_id": gettext("required here; one of: %(choices)s",
                                                    choices=choices)})
    accounts.get_agency(agency_id)
    return accounts.check_email(email), accounts.check_name(name)


def start(settings: Settings, email: str, password: str, name: str, agency_id: str,
          ip: str, language: str = "en") -> str:
    """Mail the address (see the module docstring); the normalised email to show. `language`
    is the page's, for a new address's mail."""
    throttle.count_request(settings, "signup", ip)
    email, name = check_form(email, password, name, agency_id)
    password_hash = passwords.hash_password(password)  # the costly step, on every path
    if not throttle.allow_mail(settings, KIND, email):
        return email  # this address had its mails for the hour; the answer stays the same
    holder = accounts.holder_of(email)
    # The pending sign-up is written for every address, so both answers do the same writes; for
    # a taken address its link is never sent, and could not make a second account anyway.
    token = single_use.issue(settings, KIND, email, agency_id, SIGNUP_TTL,
                                 display_name=name, password_hash=password_hash)
    if holder is None:
        _ = translator(language).gettext
        mail.enqueue(settings, email, _("Finish creating your Porchlight account"),
                     _("Hello %(name)s,\n\nTo finish creating your Porchlight account, open "
                       "this link within 24 hours and enter the password you chose:\n\n"
                       "%(link)s\n\nIf you did not sign up, ignore this email: no account is "
                       "made without it.") % {
                           "name": name, "link": f"{settings.public_url}/signup/finish/{token}"})
    else:
        _ = translator(holder.language or DEFAULT).gettext
        mail.enqueue(settings, email, _("Someone tried to sign up with your address"),
                     _("Hello %(name)s,\n\nSomeone (perhaps you) tried to create a Porchlight "
                       "account with this email address, which already has one. Nothing was "
                       "changed.\n\nTo use your account, log in at %(login)s\nForgot your "
                       "password? Choose a new one at %(forgot)s\n\nIf it was not you, you "
                       "need not do anything.") % {
                           "name": holder.display_name, "login": f"{settings.public_url}/login",
                           "forgot": f"{settings.public_url}/password/forgot"})
    return email


def pending(token: str) -> OneTimeToken | None:
    """The sign-up waiting behind a link, while it can still be finished."""
    return single_use.peek(token, KIND)


def finish(settings: Settings, token: str, password: str, ip: str,
           user_agent: str) -> accounts.LoginResult:
    """Create the account of a pending sign-up and open a session; the password chosen at
    sign-up must be given again."""
    throttle.check_address(settings, "login", ip)
    item = pending(token)
    if item is None:
        single_use.take(token, KIND)  # raises the plain "expired or used" error
        raise AssertionError("unreachable")
    if not passwords.verify_password(item.password_hash or "", password or ""):
        throttle.count_failure(settings, "login", ip)
        raise ValidationError(errors={"password": gettext(WRONG_PASSWORD)})
    item = single_use.take(token, KIND)
    user = accounts.create_user(item.email, "", item.display_name or "", roles.OWNER,
                                item.agency_id, password_hash=item.password_hash)
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "account.signed_up",
                 user.user_id, {"role": user.role})
    return accounts.open_session(settings, user, ip, user_agent)
