"""Texts made in Python come in the request's language: an owner's camera form shows its field
errors in Spanish, and the API's problem+json says its title, detail and field errors in
Spanish, its type and field names unchanged (the API's contract). The Spanish is read from the
compiled catalogue itself (`make translations`), as tests/e2e/test_spanish.py does, so a text
left untranslated fails here."""

from __future__ import annotations

import gettext
import html
from pathlib import Path
from typing import Any

from tests.builders.cameras import camera_body
from tests.support import form_token

CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "translations"
SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
ENGLISH = {"Accept-Language": "en"}
PROBLEM = "application/problem+json"


def es(msgid: str, **values: object) -> str:
    """The catalogue's Spanish for `msgid`, placeholders filled; fails when it has none."""
    text = gettext.translation("messages", CATALOGUE, languages=["es"]).gettext(msgid)
    assert text != msgid, f"{msgid!r} has no Spanish in the compiled catalogue"
    return text % values if values else text


NAME_ERROR = "Give the camera a name (1 to %(max)s characters)."


def test_the_camera_forms_errors_are_in_the_owners_language(signed_in: Any) -> None:
    owner, _account = signed_in("owner")
    form = {name: str(value) for name, value in camera_body(nickname="").items()}
    form["attested"] = "yes"
    page = owner.get("/cameras/new", headers=SPANISH)
    answer = owner.post_form("/cameras/new", form, token=form_token(page.text), headers=SPANISH)
    assert answer.status_code == 422
    assert '<html lang="es"' in answer.text
    assert es(NAME_ERROR, max=60) in html.unescape(answer.text)

    english = owner.post_form("/cameras/new", form, token=form_token(page.text), headers=ENGLISH)
    assert english.status_code == 422
    assert NAME_ERROR % {"max": 60} in html.unescape(english.text)


def test_an_api_problem_is_in_the_callers_language(signed_in: Any) -> None:
    owner, _account = signed_in("owner")
    answer = owner.send_json("POST", "/api/cameras", camera_body(nickname="", lat=123),
                             headers=SPANISH)
    assert answer.status_code == 422 and answer.headers["Content-Type"] == PROBLEM
    body = answer.json()
    assert body["type"] == "/problems/validation-error"  # the slug is the contract
    assert body["title"] == es("Some of what was sent cannot be used")
    assert body["detail"] == es("Some camera details need fixing.")
    assert set(body["errors"]) == {"nickname", "lat"}  # so are the field names
    assert body["errors"]["nickname"] == es(NAME_ERROR, max=60)
    assert body["errors"]["lat"] == es(
        "The %(label)s must be at least %(low)s and at most %(high)s (got %(value)s).",
        label=es("latitude"), low="-90", high="90", value="123")

    english = owner.send_json("POST", "/api/cameras", camera_body(nickname=""), headers=ENGLISH)
    assert english.json()["title"] == "Some of what was sent cannot be used"
    assert english.json()["errors"] == {"nickname": NAME_ERROR % {"max": 60}}
