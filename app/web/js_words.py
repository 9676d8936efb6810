"""The browser scripts' words in the reader's language (docs/i18n.md, "Marking text").

The scripts under frontend/static/js mark what they show as `t('English text')`, with
`%(name)s` for values (words.js). `make messages` puts those texts in the catalogue (babel.cfg,
`-k t`); here the same extractor, Babel's JavaScript one, finds them in the files the app
serves, once per process (again when devstack's static folder changes), and each page gets
the translations of its language:

- pages: base.html renders `page_words()` as `<script type="application/json" id="pl-words">`
  (JSON is never run, so the CSP allows it), which words.js reads; nothing in English;
- the service worker, which has no page: /sw.js starts with `const WORDS = {...}` for its own
  texts (`worker_words()`), in the language of the request that fetched it.

A text without a translation is left out: the scripts show the English.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Mapping

from babel.messages.extract import extract_javascript
from flask_babel import get_locale, gettext

from app.core.language import DEFAULT
from app.web import assets

KEYWORD = "t"
SCRIPTS = "js/"
WORKER = "js/sw.js"

_lock = threading.Lock()
_found: dict[str, dict[str, tuple[str, ...]]] = {}  # static digest -> {file: msgids}
_translated: dict[tuple[str, str, str], dict[str, str]] = {}  # (digest, which, language)


def extract(source: bytes) -> tuple[str, ...]:
    """The texts a script marks with t(), in order, each once."""
    found: dict[str, None] = {}
    # t() inside a template literal's ${...} counts too (babel.cfg gives `make messages` the same)
    for _line, _name, message, _comments in extract_javascript(
            io.BytesIO(source), {KEYWORD: None}, [], {"parse_template_string": True}):
        text = message if isinstance(message, str) else next(
            (m for m in message if isinstance(m, str)), None)
        if text:
            found[text] = None
    return tuple(found)


def marked(files: Mapping[str, bytes]) -> dict[str, tuple[str, ...]]:
    """Each script's marked texts, by its path under the static folder ('js/app.js')."""
    return {name: extract(body) for name, body in sorted(files.items())
            if name.startswith(SCRIPTS) and name.endswith(".js")}


def _by_file() -> tuple[str, dict[str, tuple[str, ...]]]:
    snapshot = assets.current()
    found = _found.get(snapshot.digest)
    if found is None:
        with _lock:
            found = _found.get(snapshot.digest)
            if found is None:
                found = marked(snapshot.files)
                _found.clear()
                _translated.clear()
                _found[snapshot.digest] = found
    return snapshot.digest, found


def _language() -> str:
    return str(get_locale() or DEFAULT)


def _translate(which: str, msgids: Iterable[str]) -> dict[str, str]:
    language = _language()
    if language == DEFAULT:
        return {}
    digest, _ = _by_file()
    key = (digest, which, language)
    words = _translated.get(key)
    if words is None:
        words = {}
        for msgid in msgids:
            text = gettext(msgid)  # no values: the text as the catalogue has it, %% and all
            if text and text != msgid:
                words[msgid] = text
        _translated[key] = words
    return words


def page_words() -> dict[str, str]:
    """msgid -> translation of every text the page scripts mark; {} in English."""
    if _language() == DEFAULT:
        return {}
    _, found = _by_file()
    msgids = dict.fromkeys(m for name, ids in found.items() if name != WORKER for m in ids)
    return _translate("pages", msgids)


def worker_words() -> dict[str, str]:
    """msgid -> translation of the texts sw.js marks; {} in English."""
    if _language() == DEFAULT:
        return {}
    _, found = _by_file()
    return _translate("worker", found.get(WORKER, ()))
