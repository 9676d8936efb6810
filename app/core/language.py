"""Texts in a person's language where no page is being shown: pushes and e-mails, made by the
web app and by the workers (which have no Flask). The same catalogues as the pages
(app/web/i18n.py), read with the standard library's gettext from the compiled `.mo` files;
a language without one, or a text not translated, falls back to English."""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

CATALOGUES = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES = {"en": "English", "es": "Español"}  # each in its own words, for the switch
DEFAULT = "en"


def known(code: object) -> str | None:
    """A language this app has, from what a form, cookie or account says (None: none)."""
    if not isinstance(code, str):
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def normal(code: object) -> str:
    """A language this app has (English when it has not this one)."""
    return known(code) or DEFAULT


@lru_cache(maxsize=8)
def translator(language: str) -> gettext.NullTranslations:
    return gettext.translation("messages", CATALOGUES, languages=[normal(language)],
                               fallback=True)
