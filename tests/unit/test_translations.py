"""Every text a translated page shows is in the catalogue, and the Spanish catalogue has it.

Three checks (app/web/i18n.py says how pages are translated):

- each template in TRANSLATED shows no text outside `_()` / `{% trans %}`: its text nodes and
  its aria-label, title, alt, placeholder and data-confirm attributes, once every Jinja
  expression, statement, comment and trans block is taken out, hold no words;
- the catalogue template (app/translations/messages.pot) is what the sources mark now
  (`make messages` brings it up to date);
- every marked text has a Spanish translation (tools/catalogue.py es missing lists them).

Templates not yet converted are listed in NOT_YET, so that a new template is translated from
the start: one in neither list fails.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "frontend" / "templates"
CATALOGUES = ROOT / "app" / "translations"

# Every page (issue 21, part 1): police, admin and auditor pages too.
TRANSLATED = {
    "base.html", "error.html", "offline.html", "_forms.html", "_map.html", "outbox.html",
    "auth/forgot.html", "auth/forgot_sent.html", "auth/invite.html", "auth/link_gone.html",
    "auth/login.html", "auth/mfa_setup.html", "auth/mfa_verify.html", "auth/reset.html",
    "auth/signup.html", "auth/signup_finish.html", "auth/signup_sent.html",
    "home/home.html", "home/landing.html",
    "account/activity.html", "account/leave.html", "account/left.html", "account/sessions.html",
    "admin/api_keys.html", "admin/invitations.html", "admin/policy.html", "admin/users.html",
    "audit/_events.html", "audit/_log_events.html", "audit/event.html", "audit/flags.html",
    "audit/log.html", "audit/verify.html",
    "cameras/form.html", "cameras/index.html", "cameras/import.html",
    "footage/my_requests.html", "footage/answer.html", "footage/_push.html",
    "footage/board.html", "footage/cases.html", "footage/new.html", "footage/timeline.html",
    "incidents/ask.html", "incidents/bulletin.html", "incidents/bulletins.html",
    "incidents/index.html", "incidents/screen.html",
    "live/share.html", "live/list.html", "live/watch.html",
    "bridges/index.html", "bridges/_setup.html",
    "orgs/index.html", "orgs/join.html", "transparency/index.html",
    "police/map.html", "police/search.html",
    "program/page.html", "program/none.html", "program/history.html", "program/feedback.html",
    "program/edit.html", "program/feedback_list.html",
}
# Templates still English only: converting one moves it above (none left).
NOT_YET: set[str] = set()
ATTRIBUTES = re.compile(r'\b(aria-label|title|alt|placeholder|data-confirm)="([^"]*)"')
ALLOWED = re.compile(r"\bPorchlight\b")  # the name, in any language


def _names() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def _listed(name: str, names: set[str]) -> bool:
    return name in names or any(n.endswith("/") and name.startswith(n) for n in names)


def shown_words(source: str) -> list[str]:
    """The words a template shows that are not marked for translation."""
    text = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S | re.I)
    found = [value for _name, value in ATTRIBUTES.findall(text)]
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    found += re.split(r"\s{2,}|\n", html.unescape(text))
    return [words.strip() for words in found
            if re.search(r"[A-Za-z]{2,}", ALLOWED.sub("", words))]


@pytest.mark.parametrize("name", sorted(TRANSLATED))
def test_a_translated_template_shows_only_marked_text(name: str) -> None:
    left = shown_words((TEMPLATES / name).read_text())
    assert not left, f"{name} shows text that is not marked for translation: {left[:8]}"


def test_every_template_is_translated_or_listed_as_not_yet() -> None:
    unknown = [n for n in _names() if not _listed(n, TRANSLATED) and not _listed(n, NOT_YET)]
    assert not unknown, f"mark these templates' text (and list them in TRANSLATED): {unknown}"


def _marked() -> set[str]:
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
                "N_": None}
    found: set[str] = set()
    for folder in (ROOT / "app", TEMPLATES):
        for _file, _line, message, _comments, _context in extract_from_dir(
                folder, method_map, keywords=keywords,
                options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(path: Path) -> dict[str, bool]:
    with path.open("rb") as handle:
        return {(m.id if isinstance(m.id, str) else m.id[0]): bool(
            m.string if isinstance(m.string, str) else all(m.string)) and not m.fuzzy
            for m in read_po(handle) if m.id}


def test_the_catalogue_holds_every_marked_text_and_spanish_translates_it() -> None:
    marked = _marked()
    template = set(_catalogue(CATALOGUES / "messages.pot"))
    assert not marked - template, ("run `make messages`: marked texts missing from "
                                   f"messages.pot: {sorted(marked - template)[:10]}")
    spanish = _catalogue(CATALOGUES / "es" / "LC_MESSAGES" / "messages.po")
    untranslated = sorted(m for m in marked if not spanish.get(m))
    assert not untranslated, ("texts without a Spanish translation (tools/catalogue.py es "
                              f"fill): {untranslated[:10]}")
