"""Times as people read them (app/core/localtime.py, and the page filters of app/web/times.py):
in English exactly as they always read; in another language with its day and month names (by
Babel, as written in the US) and its words for the zone (from the catalogue)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, g
from flask_babel import Babel

from app.core import localtime
from app.core.language import translator
from app.web import times

ZONE = "America/Chicago"
START = datetime(2026, 12, 4, 23, 30, 30, tzinfo=UTC)  # 17:30:30 on Fri 4 Dec in Chicago
END = datetime(2026, 12, 4, 23, 31, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 12, 5, 6, 10, tzinfo=UTC)  # 00:10 on Sat 5 Dec in Chicago
SEPTEMBER = datetime(2026, 9, 4, 23, 30, tzinfo=UTC)


def test_english_reads_as_it_always_did() -> None:
    for english in ((), ("en",)):
        assert localtime.day(START, ZONE, *english) == "Fri 4 Dec"
        assert localtime.when(START, ZONE, *english) == "Fri 4 Dec, 17:30 Chicago time"
        assert localtime.date_only(START, ZONE, *english) == "Fri 4 Dec 2026"
        assert localtime.zone_label(ZONE, *english) == "Chicago time"
        assert localtime.window(START, END, ZONE, *english) == \
            "17:30:30–17:31:30 on Fri 4 Dec, Chicago time"
        assert localtime.window(START, AFTER_MIDNIGHT, ZONE, *english) == \
            "Fri 4 Dec 17:30:30 – Sat 5 Dec 00:10:00, Chicago time"
        assert localtime.long_day(START, ZONE, *english) == "Friday 4 December"
        assert localtime.long_day(START, ZONE, *english, year=True) == "Friday 4 December 2026"
    assert localtime.clock(START, ZONE) == "17:30"
    assert localtime.clock(START, ZONE, seconds=True) == "17:30:30"
    assert localtime.zone_label("America/Port_of_Spain") == "Port of Spain time"
    assert localtime.zone_label("UTC") == localtime.zone_label("") == "UTC"
    assert localtime.when(START, "UTC") == "Fri 4 Dec, 23:30 UTC"


def test_spanish_days_and_months_as_written_in_the_us() -> None:
    assert localtime.day(START, ZONE, "es") == "vie 4 dic"
    assert localtime.day(SEPTEMBER, ZONE, "es") == "vie 4 sep"
    assert localtime.date_only(START, ZONE, "es") == "vie 4 dic 2026"
    assert localtime.long_day(START, ZONE, "es") == "Viernes, 4 de diciembre"
    assert localtime.long_day(START, ZONE, "es", year=True) == "Viernes, 4 de diciembre de 2026"
    assert localtime.babel_locale("es") == "es_US" and localtime.babel_locale("xx") == "en"


def test_spanish_words_for_the_zone_come_from_the_catalogue() -> None:
    _ = translator("es").gettext
    label = _("%(city)s time") % {"city": "Chicago"}
    assert label == "hora de Chicago"  # in the catalogue since the footage request's push
    assert localtime.zone_label(ZONE, "es") == label
    assert localtime.zone_label("UTC", "es") == "UTC"
    assert localtime.when(START, ZONE, "es") == _("%(day)s, %(time)s %(zone)s") % {
        "day": "vie 4 dic", "time": "17:30", "zone": label}
    assert localtime.window(START, END, ZONE, "es") == \
        _("%(start)s–%(end)s on %(day)s, %(zone)s") % {
            "start": "17:30:30", "end": "17:31:30", "day": "vie 4 dic", "zone": label}
    assert localtime.window(START, AFTER_MIDNIGHT, ZONE, "es") == \
        "vie 4 dic 17:30:30 – sáb 5 dic 00:10:00, hora de Chicago"


def page_app(language: str) -> Flask:
    """A bare app whose pages are in `language` (as app/web/i18n.py would choose it)."""
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: language)
    times.init_app(app)
    return app


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_page_filters_follow_the_page_language(language: str) -> None:
    app = page_app(language)
    with app.test_request_context():
        g.program_zone = ZONE
        filters, names = app.jinja_env.filters, app.jinja_env.globals
        assert filters["when"](START) == filters["when"](START.isoformat()) == \
            localtime.when(START, ZONE, language)
        assert filters["day"](START) == localtime.date_only(START, ZONE, language)
        assert filters["clock"](START, True) == "17:30:30"  # the same 24-hour clock in both
        assert names["window"](START, END) == localtime.window(START, END, ZONE, language)
        assert names["zone_label"]() == localtime.zone_label(ZONE, language)
        assert filters["when"](None) == filters["day"]("") == ""


def test_an_english_page_shows_exactly_the_english_words() -> None:
    with page_app("en").test_request_context():
        g.program_zone = ZONE
        assert times._when(START) == "Fri 4 Dec, 17:30 Chicago time"
        assert times._day(START) == "Fri 4 Dec 2026"
        assert times._window(START, END) == "17:30:30–17:31:30 on Fri 4 Dec, Chicago time"
    with page_app("es").test_request_context():
        g.program_zone = ZONE
        assert times._when(START).startswith("vie 4 dic, 17:30 ")
        assert times._day(START) == "vie 4 dic 2026"
