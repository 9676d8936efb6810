"""Organisations: an owner creates one and becomes its admin; members join by emailed link."""

from __future__ import annotations

from typing import Any

from app.services import accounts, audit
from tests.support import Client, link_in, wait_for_mail


def test_owner_creates_an_organisation_and_invites_a_member(signed_in: Any) -> None:
    founder, founder_account = signed_in("owner")
    assert "Create an organisation" in founder.get("/org").text
    empty = founder.post_form("/org", {"name": ""})
    assert empty.status_code == 422 and "Give the organisation a name" in empty.text
    created = founder.post_form("/org", {"name": "Riverside Merchants"})
    assert created.status_code == 302
    # The same session continues with the new role.
    assert founder.get("/api/me").json()["user"]["role"] == "org_admin"
    assert founder.get("/cameras/import").status_code == 200

    member, member_account = signed_in("owner")
    sent = founder.post_form("/org/invitations", {"email": member_account.email})
    assert sent.status_code == 302
    link = link_in(wait_for_mail(member_account.email, "Join Riverside Merchants"), "/org/join/")
    path = link.split(founder.base, 1)[1]

    stranger, _ = signed_in("owner")
    wrong = stranger.post_form(path)
    assert wrong.status_code == 403 and member_account.email in wrong.text

    assert "Join Riverside Merchants" in member.get(path).text
    assert member.post_form(path).status_code == 302
    assert accounts.get_user(member_account.user.user_id).org_id
    assert member.get(path).status_code == 410  # the link works once
    page = founder.get("/org").text
    assert "Test owner" in page
    acts = [e.action for e in audit.activity_of(founder_account.user.user_id)]
    assert "org.created" in acts and "org.joined" in acts


def test_police_cannot_use_organisations(signed_in: Any, client: Client) -> None:
    detective, _ = signed_in("detective")
    assert detective.get("/org").status_code == 403
    assert client.get("/org").status_code == 302
