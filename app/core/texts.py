"""Texts made in Python and shown to people (validation errors, error titles, status words), in
the language of the request being answered.

The rules and services make these texts, and they hold no Flask (tests/unit/test_import_graph.py;
the clip worker's image has no Flask-Babel at all). So the web app hands its translator in when
it starts (`use`, from app/web/i18n.py): Flask-Babel's gettext, the request's language, the
pages' catalogue. Until then (a worker, a script), and outside a request, a text stays English
with its placeholders filled. Mark texts with these `gettext`/`ngettext` (`make messages` finds
them by name) and `%(name)s` placeholders; a label defined at import time is marked with
`app.core.roles.N_` and passed to `gettext` where it is shown.
"""

from __future__ import annotations

from typing import Protocol


class Translator(Protocol):
    def gettext(self, text: str, **values: object) -> str: ...

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str: ...


class English:
    """The source texts, placeholders filled (the way Flask-Babel fills them)."""

    def gettext(self, text: str, **values: object) -> str:
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str:
        values.setdefault("num", num)
        return (singular if num == 1 else plural) % values


_translator: Translator = English()


def use(translator: Translator | None) -> None:
    """Translate with `translator` from now on (None: English again)."""
    global _translator
    _translator = translator or English()


def gettext(text: str, **values: object) -> str:
    """`text` in the request's language, `%(name)s` placeholders filled from `values`."""
    return _translator.gettext(text, **values)


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """The singular or plural text for `num` in the request's language (`%(num)d` holds it)."""
    return _translator.ngettext(singular, plural, num, **values)
