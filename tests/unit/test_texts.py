"""Texts made by the rules and services (app/core/texts.py) never fail for want of a request:
a worker, a CLI command's app context, or a bare Flask app without Flask-Babel gets English with
its placeholders filled; only a request of the web app is translated (app/web/i18n.py)."""

from __future__ import annotations

from flask import Flask

from app.core import texts
from app.web.i18n import RequestTranslator


def test_english_fills_placeholders_and_picks_the_plural() -> None:
    english = texts.English()
    assert english.gettext("Keep it under %(max)s characters.", max="2,000") == (
        "Keep it under 2,000 characters.")
    assert english.gettext("50% off, literally") == "50% off, literally"  # no values: as is
    assert english.ngettext("%(num)d camera", "%(num)d cameras", 1) == "1 camera"
    assert english.ngettext("%(names)s is", "%(names)s are", 2, names="A, B") == "A, B are"


def test_the_web_apps_translator_is_english_outside_a_request() -> None:
    translator = RequestTranslator()
    assert translator.gettext("Resume %(names)s first.", names="Porch") == "Resume Porch first."
    app = Flask(__name__)  # no Flask-Babel on it, as in tests/unit/test_error_types.py
    with app.app_context():  # a CLI command's context: no request, no locale to choose
        assert translator.gettext("Not found") == "Not found"
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert translator.ngettext("%(num)d row", "%(num)d rows", 3) == "3 rows"


def test_a_worker_without_the_web_app_gets_english() -> None:
    assert texts.gettext("line %(number)s: hours go from 00:00 to 24:00", number=2) == (
        "line 2: hours go from 00:00 to 24:00")
