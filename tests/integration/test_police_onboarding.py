"""Police roles exist only by invitation and must enrol TOTP before any page."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from app.services.auditing import audit
from tests.support import Client, fresh_code, link_in, unique_email, wait_for_mail


def invite_link(admin: Client, email: str, role: str) -> str:
    response = admin.post_form("/admin/invitations", {"email": email, "role": role})
    assert response.status_code == 200, response.text
    assert f"Invitation sent to {email}" in response.text
    link = link_in(wait_for_mail(email, "invited"), "/invite/")
    return link.split(admin.base, 1)[1]


def test_invited_detective_enrols_mfa_then_logs_in_with_it(signed_in: Any,
                                                           base_url: str) -> None:
    admin, _ = signed_in("agency_admin")
    email = unique_email("det")
    path = invite_link(admin, email, "detective")

    newcomer = Client(base_url)
    page = newcomer.get(path)
    assert page.status_code == 200 and "Detective" in page.text
    accepted = newcomer.post_form(path, {"display_name": "Det. New",
                                         "password": "a long detective pass"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/mfa/setup"

    # Before enrolment, every page leads back to the MFA step.
    assert newcomer.get("/account/activity").headers["Location"] == "/mfa/setup"
    assert newcomer.get("/api/me").status_code == 403

    setup = newcomer.get("/mfa/setup")
    assert setup.status_code == 200 and "<svg" in setup.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', setup.text)
    assert secret
    secret_key = secret.group(1).replace(" ", "")
    wrong = newcomer.post_form("/mfa/setup", {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    done = newcomer.post_form("/mfa/setup", {"code": fresh_code(secret_key)})
    assert done.status_code == 302
    me = newcomer.get("/api/me").json()["user"]
    assert me["role"] == "detective" and me["mfa_enrolled"]

    # The link works once.
    assert Client(base_url).get(path).status_code == 410

    # A later log-in needs the code; the password alone reaches only the MFA page.
    later = Client(base_url)
    step_one = later.post_form("/login", {"email": email, "password": "a long detective pass"})
    assert step_one.headers["Location"].startswith("/mfa/verify")
    assert later.get("/").status_code == 200 and "Hello" not in later.get("/").text
    assert later.get("/api/me").status_code == 403
    verified = later.post_form("/mfa/verify", {"code": fresh_code(secret_key)})
    assert verified.status_code == 302
    assert later.get("/api/me").status_code == 200

    acts = [e.action for e in audit.activity_of(me["id"])]
    for action in ("invitation.accepted", "mfa.enrolled", "login.succeeded", "mfa.verified"):
        assert action in acts


def test_replayed_totp_code_is_refused(signed_in: Any, base_url: str, make_account: Any) -> None:
    account = make_account("supervisor")
    first, second = Client(base_url), Client(base_url)
    for c in (first, second):
        c.post_form("/login", {"email": account.email, "password": account.password})
    code = pyotp.TOTP(account.totp_secret).now()
    assert first.post_form("/mfa/verify", {"code": code}).status_code == 302
    replay = second.post_form("/mfa/verify", {"code": code})
    assert replay.status_code == 422 and "already used" in replay.text


def test_owner_cannot_invite_and_roles_cannot_be_self_chosen(signed_in: Any,
                                                             base_url: str) -> None:
    owner, _ = signed_in("owner")
    assert owner.post_form("/admin/invitations", {"email": unique_email(),
                                                  "role": "detective"}).status_code == 403
    admin, _ = signed_in("agency_admin")
    bad = admin.send_json("POST", "/api/invitations", {"email": unique_email(), "role": "owner"})
    assert bad.status_code == 422 and "role" in bad.json()["errors"]


def test_role_change_signs_the_user_out_and_is_audited(signed_in: Any) -> None:
    admin, _ = signed_in("agency_admin")
    detective, account = signed_in("detective")
    uid = account.user.user_id
    changed = admin.post_form(f"/admin/users/{uid}/role", {"role": "supervisor"})
    assert changed.status_code == 302
    assert detective.get("/api/me").status_code == 401
    events = audit.activity_of(uid)
    change = next(e for e in events if e.action == "role.changed")
    assert '"to":"supervisor"' in change.details


def test_admin_cannot_touch_users_of_another_agency(signed_in: Any) -> None:
    from app.models.users import Agency
    from app.services import clock
    from tests.support import make_user

    Agency(agency_id="other-pd", name="Other PD", city="Elsewhere", created_at=clock.now()).save()
    stranger = make_user("detective", agency_id="other-pd")
    admin, _ = signed_in("agency_admin")
    response = admin.post_form(f"/admin/users/{stranger.user.user_id}/role",
                               {"role": "supervisor"})
    assert response.status_code == 404
