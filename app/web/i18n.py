"""Pages in the reader's language (Flask-Babel): English, Spanish, and any a program adds.

Which language a page is in, first found wins:

1. the signed-in account's choice (`User.language`), so the owner's pushes and e-mails are in
   it too (app/core/language.py, which the workers use without Flask);
2. the `pl_lang` cookie, set by the language switch in every page's footer (`POST /language`);
3. the browser's `Accept-Language`;
4. English.

Catalogues live in `app/translations/<lang>/LC_MESSAGES/messages.po` (in the repository);
`make translations` compiles them to `.mo` (generated, not committed; `make run`, `check`,
`test` and the web zip do it first). Templates mark text with `{{ _("...") }}` or
`{% trans %}…{% endtrans %}`, Python with `gettext`/`lazy_gettext` from flask_babel.
`tests/unit/test_translations.py` fails when a template of TRANSLATED shows text that is not
marked, or a marked string has no Spanish translation.
"""

from __future__ import annotations

import flask_babel
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

from app.core import texts
from app.core.language import DEFAULT, LANGUAGES, known
from app.web import js_words

COOKIE = "pl_lang"
COOKIE_DAYS = 365


def select_locale() -> str:
    user = getattr(g, "user", None)
    chosen = known(getattr(user, "language", None)) if user is not None else None
    if chosen:
        return chosen
    chosen = known(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def current() -> str:
    """The language of this request ("en" outside one)."""
    if not has_request_context():
        return DEFAULT
    return str(get_locale() or DEFAULT)


class RequestTranslator(texts.English):
    """What app.core.texts translates with in the web app: Flask-Babel in a request of an app
    that has it (the request's language, the pages' catalogue); English anywhere else (a CLI
    command's app context, a worker's thread, a bare app in a test)."""

    def gettext(self, text: str, **values: object) -> str:
        if has_request_context() and "babel" in current_app.extensions:
            return flask_babel.gettext(text, **values)
        return super().gettext(text, **values)

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str:
        if has_request_context() and "babel" in current_app.extensions:
            return flask_babel.ngettext(singular, plural, num, **values)
        return super().ngettext(singular, plural, num, **values)


def remember(response: Response, language: str) -> Response:
    response.set_cookie(COOKIE, language, max_age=COOKIE_DAYS * 86400, secure=request.is_secure,
                        httponly=True, samesite="Lax", path="/")
    return response


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(app.root_path) + "/translations")
    texts.use(RequestTranslator())  # texts made by the rules and services (app/core/texts.py)
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current
    app.jinja_env.globals["script_words"] = js_words.page_words  # base.html: #pl-words
