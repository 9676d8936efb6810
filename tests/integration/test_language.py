"""Pages in the reader's language: the browser's Accept-Language, else the language switch in
every page's footer (a cookie), and for a signed-in account its own choice, which follows it
to any device. The switch goes back to the page it was used on (its Referer), only on this
site."""

from __future__ import annotations

from typing import Any

from app.models.users import User
from tests.support import Client, form_token


def test_the_language_follows_the_browser_the_switch_and_the_account(
        signed_in: Any, base_url: str) -> None:
    visitor = Client(base_url)
    spanish = visitor.get("/transparency", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
    assert '<html lang="es"' in spanish and "Cambiar" in spanish and "Transparencia" in spanish
    english = visitor.get("/transparency", headers={"Accept-Language": "fr, en;q=0.5"}).text
    assert '<html lang="en"' in english and ">Change<" in english

    switched = visitor.post_form("/language", {"language": "en"}, token=form_token(spanish),
                                 headers={"Referer": f"{base_url}/transparency"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/transparency")
    assert "pl_lang=en" in switched.headers["Set-Cookie"]
    again = visitor.get("/transparency", headers={"Accept-Language": "es"}).text
    assert '<html lang="en"' in again  # the switch wins over the browser
    away = visitor.post_form("/language", {"language": "es"}, token=form_token(again),
                             headers={"Referer": "https://evil.example/x"})
    assert away.headers["Location"] in ("/", f"{base_url}/")
    unknown = visitor.post_form("/language", {"language": "xx"}, token=form_token(again))
    assert "pl_lang=en" in unknown.headers["Set-Cookie"]

    owner, account = signed_in("owner")
    page = owner.get("/cameras")
    owner.post_form("/language", {"language": "es"}, token=form_token(page.text))
    assert User.get(account.user.user_id).language == "es"
    for cookie in [c for c in owner.http.cookies if c.name == "pl_lang"]:
        owner.http.cookies.clear(cookie.domain, cookie.path, cookie.name)  # another device
    mine = owner.get("/cameras", headers={"Accept-Language": "en"}).text
    assert '<html lang="es"' in mine and "Mis cámaras" in mine  # the account's choice
