"""Sign-up, log-in, log-out and password reset over HTTP against devstack."""

from __future__ import annotations

from typing import Any

from app.core.language import translator
from app.services.auditing import audit
from app.services.people import accounts
from app.services.people.accounts import find_by_email
from devstack.seed import AGENCY_ID
from tests.support import PASSWORD, Client, link_in, unique_email, wait_for_mail


def actions_about(user_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(user_id)]


def signup(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post_form("/signup", {"display_name": "Dana", "email": email,
                                        "password": password, "agency_id": AGENCY_ID})


def finish_link(client: Client, email: str) -> str:
    """The path of the link that finishes the sign-up, from the mail to the address."""
    return link_in(wait_for_mail(email, "Finish creating"), "/signup/finish/").split(
        client.base, 1)[1]


def test_owner_signs_up_by_the_emailed_link_and_lands_on_home(client: Client) -> None:
    email = unique_email("owner")
    response = signup(client, email)
    assert response.status_code == 200
    assert "Check your email" in response.text and email in response.text
    assert find_by_email(email) is None, "nothing is created before the link is used"
    path = finish_link(client, email)
    page = client.get(path)
    assert page.status_code == 200 and "Dana" in page.text and email in page.text
    wrong = client.post_form(path, {"password": "not the chosen one"})
    assert wrong.status_code == 422 and "not the password you chose" in wrong.text
    done = client.post_form(path, {"password": PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/?welcome=1")
    home = client.get("/?welcome=1")
    assert "Hello, Dana" in home.text and "Your cameras" in home.text
    me = client.get("/api/me").json()["user"]
    assert me["role"] == "owner" and me["email"] == email
    assert "account.signed_up" in actions_about(me["id"])
    # The link works once.
    assert Client(client.base).get(path).status_code == 410
    assert Client(client.base).post_form(path, {"password": PASSWORD}).status_code == 410


def test_sign_up_form_errors_are_plain_and_keep_input(client: Client) -> None:
    response = client.post_form("/signup", {"display_name": "Dana", "email": "not-an-email",
                                            "password": "short"})
    assert response.status_code == 422
    assert "Enter an email address like name@example.org." in response.text
    assert "Use at least 10 characters." in response.text
    assert 'value="not-an-email"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_login_logout_round_trip_is_audited(client: Client, make_account: Any) -> None:
    account = make_account("owner")
    response = client.login(account.email, account.password)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/activity").status_code == 200
    out = client.post_form("/logout")
    assert out.status_code == 302
    assert client.get("/account/activity").status_code == 302  # back to the log-in page
    acts = actions_about(account.user.user_id)
    assert "login.succeeded" in acts and "logout" in acts


def test_wrong_password_is_refused_without_saying_which_part(client: Client,
                                                             make_account: Any) -> None:
    account = make_account("owner")
    wrong = client.login(account.email, "not the password")
    unknown = client.login(unique_email(), "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "do not match an account" in response.text
    assert "login.failed" in actions_about(account.user.user_id)


def test_password_reset_by_emailed_link(client: Client, make_account: Any) -> None:
    account = make_account("owner")
    other_device = Client(client.base)
    assert other_device.login(account.email, account.password).status_code == 302
    sent = client.post_form("/password/forgot", {"email": account.email})
    assert sent.status_code == 200 and "Check your email" in sent.text
    mail = wait_for_mail(account.email, "Reset")
    link = link_in(mail, "/password/reset/")
    path = link.split(client.base, 1)[1]
    assert client.get(path).status_code == 200
    new_password = "a brand new porch light"
    done = client.post_form(path, {"password": new_password})
    assert done.status_code == 302 and "reset=1" in done.headers["Location"]
    # The link works once; old password gone; other sessions signed out.
    assert client.get(path).status_code == 410
    assert client.login(account.email, account.password).status_code == 401
    assert Client(client.base).login(account.email, new_password).status_code == 302
    assert other_device.get("/account/activity").status_code == 302
    assert "password.reset" in actions_about(account.user.user_id)


def test_reset_for_unknown_email_answers_the_same(client: Client) -> None:
    response = client.post_form("/password/forgot", {"email": unique_email()})
    assert response.status_code == 200 and "Check your email" in response.text


def test_reset_with_forged_token_is_refused(client: Client) -> None:
    assert client.get("/password/reset/forged-token").status_code == 410
    response = client.post_form("/password/reset/forged-token", {"password": "whatever-long-1"})
    assert response.status_code == 410


# The mails' words in Spanish, read from the compiled catalogue (needs the Spanish of
# app/services/people/resets.py and signups.py in it).
RESET_MAIL = ("Hello %(name)s,\n\nSomeone (we hope you) asked to reset your Porchlight password. "
              "Open this link within an hour to choose a new one:\n\n%(link)s\n\nIt works once, "
              "and only until you ask for another. If it was not you, ignore this email; your "
              "password stays as it is.")
FINISH_MAIL = ("Hello %(name)s,\n\nTo finish creating your Porchlight account, open this link "
               "within 24 hours and enter the password you chose:\n\n%(link)s\n\nIf you did "
               "not sign up, ignore this email: no account is made without it.")
TAKEN_SUBJECT = "Someone tried to sign up with your address"


def test_an_owner_who_chose_spanish_gets_the_reset_and_sign_up_mails_in_spanish(
        client: Client, make_account: Any) -> None:
    """The reset link's mail is in the account's language; a sign-up's link in the language of
    the page it was asked from; the note to an address's holder in the holder's language, not
    the asking page's."""
    _ = translator("es").gettext
    account = make_account("owner")
    accounts.set_language(account.user, "es")
    sent = client.post_form("/password/forgot", {"email": account.email},
                            headers={"Accept-Language": "en"})
    assert sent.status_code == 200
    subject = _("Reset your Porchlight password")
    assert subject != "Reset your Porchlight password"  # the catalogue has the Spanish
    mail = wait_for_mail(account.email, subject)
    link = link_in(mail, "/password/reset/")
    assert mail.text == _(RESET_MAIL) % {"name": account.user.display_name, "link": link}
    assert client.get(link.split(client.base, 1)[1]).status_code == 200  # the link works

    taken = signup(client, account.email)  # an English page asks for the Spanish holder's address
    assert taken.status_code == 200
    assert _("Hello %(name)s,") % {"name": account.user.display_name} in \
        wait_for_mail(account.email, _(TAKEN_SUBJECT)).text

    email = unique_email("owner")
    visitor = Client(client.base)
    asked = visitor.post_form("/signup", {"display_name": "Dana", "email": email,
                                          "password": PASSWORD, "agency_id": AGENCY_ID},
                              headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert asked.status_code == 200
    mail = wait_for_mail(email, _("Finish creating your Porchlight account"))
    link = link_in(mail, "/signup/finish/")
    assert mail.text == _(FINISH_MAIL) % {"name": "Dana", "link": link}
    assert visitor.post_form(link.split(client.base, 1)[1], {"password": PASSWORD},
                             headers={"Accept-Language": "es-MX,es;q=0.9"}).status_code == 302
    # the language they signed up in is theirs now: their mails and pushes follow it
    joined = find_by_email(email)
    assert joined is not None and joined.language == "es"
