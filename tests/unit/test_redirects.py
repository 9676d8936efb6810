"""The rule for `next` after log-in: only paths of this site, by a strict allow rule.

Values are written as the app receives them, decoded once (Werkzeug decodes query strings and
form fields), so "/\t/evil.test" is what the link's "/%09/evil.test" becomes.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from app.core.redirects import MAX_LENGTH, local_path, safe_next

SITE = "https://cams.example.gov/login"

HOSTILE = [
    "/\t/evil.test",  # browsers drop the tab: //evil.test
    "/\n/evil.test",
    "/\r\n/evil.test",
    "/\r\nLocation: https://evil.test",
    "/\x00/evil.test",
    "/\x0b/evil.test",
    "/\x7f/evil.test",
    "/ /evil.test",
    " /evil.test",
    "\t/evil.test",
    "//evil.test",
    "///evil.test",
    "//evil.test/path",
    "/\\evil.test",
    "/\\/evil.test",
    "\\\\evil.test",
    "\\/evil.test",
    "/%5Cevil.test",
    "/%5c%5cevil.test",
    "/%2F/evil.test",
    "/%2f%2fevil.test",
    "%2F%2Fevil.test",
    "/%252F%252Fevil.test",  # a second decoding would give //evil.test
    "/%09/evil.test",  # the same, decoded twice
    "/%0d%0aSet-Cookie:x=1",
    "/%00",
    "/%2e%2e//evil.test",
    "/.//evil.test",  # resolves to //evil.test
    "/./evil.test",
    "/a/../../evil.test",
    "/a//b",
    "/..",
    "https://evil.test",
    "https:evil.test",
    "http:/evil.test",
    "HTTPS://evil.test",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.test",
    "evil.test/",
    "",
    "/\u3002evil.test",  # ideographic full stop
    "/\uff0f\uff0fevil.test",  # fullwidth solidus
    "/\u2215\u2215evil.test",  # division slash
    "/caf\u00e9",
    "/%C3%A9",
    "/#//evil.test",
    "/<script>",
    '/"onmouseover=alert(1)',
    "/%",
    "/%zz",
    "/%2",
    "/" + "a" * MAX_LENGTH,
]

LOCAL = [
    "/",
    "/account/activity",
    "/cameras/0123abcd/edit",
    "/cameras/",
    "/audit?action=login.failed&since=2026-01-01",
    "/audit?text=a%2Fb%20c",  # escapes in the query stay as they are
    "/search?next=//evil.test",  # the query cannot change where the path is
    "/requests/0f0f?tab=answers&x=y:z@w",
    "/program/history/3",
    "/a-b_c.d~e",
]


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_anything_but_a_path_of_this_site_is_refused(target: str) -> None:
    assert local_path(target) is None
    assert safe_next(target) == "/"
    assert safe_next(target, default="/account") == "/account"


@pytest.mark.parametrize("target", LOCAL)
def test_paths_of_this_site_are_followed_as_given(target: str) -> None:
    assert local_path(target) == target
    assert safe_next(target) == target


@pytest.mark.parametrize("target", LOCAL)
def test_what_is_followed_resolves_to_this_site_in_a_browser(target: str) -> None:
    resolved = urlsplit(urljoin(SITE, target))
    assert (resolved.scheme, resolved.netloc) == ("https", "cams.example.gov")
    assert not resolved.path.startswith("//")


def test_missing_next_goes_home() -> None:
    assert safe_next(None) == "/"
    assert safe_next("") == "/"
