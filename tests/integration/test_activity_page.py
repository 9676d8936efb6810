"""My activity for every role, over HTTP on devstack: each reads their own acts in sentences
(no action code, no hex id outside the proofs), and a damaged page link is refused plainly."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape
from typing import Any

import pytest

from app.core import roles
from app.core.language import translator
from app.services import clock
from tests.builders.cameras import SCENE, camera_body
from tests.support import form_token

SENTENCE = re.compile(r'<p class="receipt-what"><time[^>]*>\d{2}:\d{2}</time> ([^<]*)</p>')
HEX_ID = re.compile(r"\b[0-9a-f]{8,}\b")


def sentences(html: str) -> list[str]:
    return [unescape(s) for s in SENTENCE.findall(html)]


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_every_role_reads_its_activity_in_sentences(signed_in: Any, role: str) -> None:
    client, _ = signed_in(role)
    case = f"26-{uuid.uuid4().int % 10**6:06d}"
    if role in roles.PUBLIC_ROLES:
        made = client.send_json("POST", "/api/cameras", camera_body(nickname=f"Porch {case}"))
        assert made.status_code == 201, made.text
        expected = f"You registered your camera Porch {case}."
    elif role in (roles.DETECTIVE, roles.SUPERVISOR):
        searched = client.send_json("POST", "/api/search", {
            "lat": SCENE[0], "lon": SCENE[1], "radius_m": 50, "case_number": case,
            "incident_at": (clock.now() - timedelta(minutes=30)).isoformat()})
        assert searched.status_code == 200, searched.text
        expected = f"You searched for cameras for case {case}: "
    elif role == roles.AGENCY_ADMIN:
        assert client.get("/api/registry.geojson").status_code == 200
        expected = "You exported the camera registry ("
    elif role == roles.OFFICER:  # a responding officer opens a bulletin sent to them
        operator, _ = signed_in(roles.SUPERVISOR)
        incident = operator.send_json("POST", "/api/incidents", {
            "lat": SCENE[0], "lon": SCENE[1], "label": f"Call {case}"}).json()
        me = client.get("/api/me").json()["user"]["id"]
        sent = operator.send_json("POST", f"/api/incidents/{incident['incident_id']}/bulletins",
                                  {"text": "Grey hatchback", "recipients": [me]})
        assert sent.status_code == 201, sent.text
        assert client.get(f"/bulletins/{sent.json()['bulletin_id']}").status_code == 200
        expected = "You opened a bulletin."
    else:
        assert client.get("/audit").status_code == 200
        expected = "You searched the audit log."
    page = client.get("/account/activity")
    assert page.status_code == 200
    assert "Times are" in page.text
    said = sentences(page.text)
    for text in said:
        assert not HEX_ID.search(text) and not re.search(r"\b[a-z]+\.[a-z_]+\b", text), text
    assert any(s.startswith(expected) for s in said), (expected, said)
    # Only residents choose receipts; everyone sees their own proofs.
    assert ("Tell me when police access" in page.text) == (role in roles.PUBLIC_ROLES)


def test_a_damaged_page_link_is_refused_in_words(signed_in: Any) -> None:
    client, _ = signed_in("owner")
    page = client.get("/account/activity", params={"before": "yesterday", "before_seq": "3"})
    assert page.status_code == 422
    assert "This page link is damaged" in unescape(page.text)


def test_an_owner_who_chose_spanish_reads_the_activity_in_spanish(signed_in: Any) -> None:
    """The sentences and day headings are in the page's language (the Spanish read from the
    compiled catalogue: needs that of app/core/activity_words.py in it)."""
    _ = translator("es").gettext
    client, _account = signed_in("owner")
    nickname = f"Porche {uuid.uuid4().hex[:6]}"
    made = client.send_json("POST", "/api/cameras", camera_body(nickname=nickname))
    assert made.status_code == 201, made.text
    client.post_form("/language", {"language": "es"}, token=form_token(client.get("/").text))
    page = client.get("/account/activity")
    assert page.status_code == 200 and '<html lang="es"' in page.text
    expected = _("%(who)s registered %(camera)s.") % {
        "who": _("You"), "camera": _("your camera %(name)s") % {"name": nickname}}
    assert expected != f"You registered your camera {nickname}."  # the catalogue has it
    assert expected in sentences(page.text)
    assert f">{_('Today')}</h2>" in page.text and "hora de Chicago" in unescape(page.text)
