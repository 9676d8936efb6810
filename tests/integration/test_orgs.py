"""Organisations: an owner creates one and becomes its admin; members join by emailed link."""

from __future__ import annotations

from typing import Any

from app.core.language import translator
from app.services.auditing import audit
from app.services.people import accounts
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

    # The admin imports a camera and hands it to the member, who then sets its rules.
    csv = (b"nickname,lat,lon,heading_deg,fov_deg,range_m,mount,facing,retention_days,tier,"
           b"visibility,attested\r\nShop 4 door,36.1590,-86.7800,90,90,30,wall,entrance,14,"
           b"on_request,exact,yes\r\n")
    cam_id = founder.send_json("POST", "/api/cameras/import", data=csv,
                               headers={"Content-Type": "text/csv"}).json()["ids"][0]
    assert "Hand over to" in founder.get("/cameras").text
    handed = founder.post_form(f"/org/cameras/{cam_id}/hand-over",
                               {"member_id": member_account.user.user_id})
    assert handed.status_code == 302
    assert founder.get(f"/api/cameras/{cam_id}").status_code == 404
    mine = member.get(f"/api/cameras/{cam_id}")
    assert mine.status_code == 200 and mine.json()["camera"]["nickname"] == "Shop 4 door"
    assert "camera.received" in [e.action for e in audit.activity_of(
        member_account.user.user_id)]
    # Only to members: a stranger cannot be given a camera.
    other = founder.send_json("POST", "/api/cameras/import", data=csv.replace(b"Shop 4", b"Shop 5"),
                              headers={"Content-Type": "text/csv"}).json()["ids"][0]
    refused = founder.post_form(f"/org/cameras/{other}/hand-over", {"member_id": "nobody"})
    assert refused.status_code == 422
    acts = [e.action for e in audit.activity_of(founder_account.user.user_id)]
    assert "org.created" in acts and "org.joined" in acts


def test_police_cannot_use_organisations(signed_in: Any, client: Client) -> None:
    detective, _ = signed_in("detective")
    assert detective.get("/org").status_code == 403
    assert client.get("/org").status_code == 302


def test_an_invitation_is_in_the_invited_owners_language(signed_in: Any) -> None:
    """The mail goes to the invited owner: in the language their account chose, whatever the
    admin's (the Spanish read from the compiled catalogue: needs that of
    app/services/people/orgs.py in it)."""
    _ = translator("es").gettext
    founder, founder_account = signed_in("owner")
    assert founder.post_form("/org", {"name": "Vecinos de Pilsen"}).status_code == 302
    member, member_account = signed_in("owner")
    accounts.set_language(member_account.user, "es")
    sent = founder.post_form("/org/invitations", {"email": member_account.email})
    assert sent.status_code == 302
    subject = _("Join %(org)s on Porchlight") % {"org": "Vecinos de Pilsen"}
    assert subject != "Join Vecinos de Pilsen on Porchlight"  # the catalogue has the Spanish
    mail = wait_for_mail(member_account.email, subject)
    assert mail.text.startswith(_(
        "%(admin)s invites you to join %(org)s on Porchlight, so the organisation can help "
        "register and look after your cameras. You keep control of each camera.\n\nOpen this "
        "link within 14 days (log in or create an account first):\n\n%(link)s\n\nThe link "
        "works once.").split("%(link)s")[0] % {"admin": founder_account.user.display_name,
                                               "org": "Vecinos de Pilsen"})
    assert "/org/join/" in link_in(mail, "/org/join/")
