"""What the browser runs speaks the reader's language too: the pages' scripts get their words
as JSON in the page (#pl-words, read by frontend/static/js/words.js), the service worker in its
own script (WORDS), and the app's manifest its name and description, with a `lang`. Their
answers vary with the cookie and Accept-Language that choose the language."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import requests

from tests.support import Client

CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "translations"
es = gettext.translation("messages", CATALOGUE, languages=["es"]).gettext
SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
DESCRIPTION = "Community safety cameras, with the owner in control."


def _varies(response: requests.Response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


def test_the_manifest_follows_the_language(base_url: str) -> None:
    visitor = Client(base_url)
    spanish = visitor.get("/manifest.webmanifest", headers=SPANISH)
    body = spanish.json()
    assert body["lang"] == "es" and body["description"] == es(DESCRIPTION) != DESCRIPTION
    assert body["name"] == body["short_name"] == "Porchlight"
    assert {"cookie", "accept-language"} <= _varies(spanish)
    assert visitor.get("/manifest.webmanifest", headers=ENGLISH).json()["lang"] == "en"
    # The page's link names its language: a browser fetches the manifest without cookies.
    assert visitor.get("/manifest.webmanifest?lang=en", headers=SPANISH).json()[
        "description"] == DESCRIPTION
    page = visitor.get("/transparency", headers=SPANISH).text
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=es">' in page


def test_the_scripts_words_follow_the_language(base_url: str) -> None:
    visitor = Client(base_url)
    page = visitor.get("/transparency", headers=SPANISH).text
    found = re.search(r'<script type="application/json" id="pl-words">(.*?)</script>', page)
    assert found, "a Spanish page carries its scripts' words"
    words = json.loads(found.group(1))  # (JSON, never HTML-escaped: \u003c)
    assert words["Use the compass"] == es("Use the compass") == "Usar la brújula"
    assert all(text == es(msgid) for msgid, text in words.items())
    assert 'id="pl-words"' not in visitor.get("/transparency", headers=ENGLISH).text

    worker = visitor.get("/sw.js", headers=SPANISH)
    assert {"cookie", "accept-language"} <= _varies(worker)
    line = re.search(r"^const WORDS = (.*);$", worker.text, flags=re.M)
    assert line, "the service worker's words come first"
    worker_words = json.loads(line.group(1))
    for msgid in ("Declined", "Some of it needs changing."):
        assert worker_words.get(msgid, msgid) == es(msgid)
    english = visitor.get("/sw.js", headers=ENGLISH).text
    assert "const WORDS = {};" in english
