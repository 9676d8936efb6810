"""A database that does not answer while a signed-in person's session is checked: they see a 503
in plain words (a problem for the API), never the log-in page, and are still signed in once the
database answers again. Only an answer ends a session (expired, no such user, inactive)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core import tokens
from app.models.sessions import Session
from app.models.users import User
from tests.faults.proxy import Call, Fault, FaultProxy
from tests.support import Client, make_user, session_client


def sdk_attempts() -> int:
    """How many times PynamoDB sends one call before giving up (its retries included)."""
    retries = User._get_connection().connection.client.meta.config.retries
    return int(retries["total_max_attempts"])


def get_item(table: str, key: str) -> Callable[[Call], bool]:
    """GetItem on one table (by its full name, quoted as the JSON body has it) for one key."""
    return lambda c: (c.service == "dynamodb" and c.operation == "GetItem"
                      and c.mentions(f'"{table}"') and c.mentions(key))


def signed_in_owner(app_via_proxy: str, settings: Any) -> tuple[Client, Any, str]:
    account = make_user("owner")
    phone = session_client(app_via_proxy, settings, account)
    token = phone.http.cookies.get("pl_session")
    assert token
    return phone, account, tokens.digest(token)


@pytest.mark.parametrize("table", ["users", "sessions"])
def test_an_unanswered_session_check_keeps_the_person_signed_in(
        app_via_proxy: str, proxy: FaultProxy, settings: Any, outcome: Any, table: str) -> None:
    phone, account, session_key = signed_in_owner(app_via_proxy, settings)
    assert phone.get("/cameras").status_code == 200
    key = account.user.user_id if table == "users" else session_key
    full_name = settings.table_prefix + table
    attempts = sdk_attempts()

    # A page: the whole lookup, the SDK's retries included, is throttled.
    proxy.add(Fault(f"{table} lookup throttled", get_item(full_name, key),
                    code="ProvisionedThroughputExceededException", times=attempts))
    page = phone.get("/cameras", headers={"Accept": "text/html"})
    assert page.status_code == 503, page.text[:300]
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Location" not in page.headers  # not sent to the log-in page
    assert "You are still signed in" in page.text
    assert 'action="/login"' not in page.text and "Traceback" not in page.text
    faults = [s.fault for s in proxy.calls("dynamodb", "GetItem", key)]
    assert faults.count(f"{table} lookup throttled") == attempts  # the SDK tried, and gave up

    # The API: the same fault, answered as a problem.
    proxy.add(Fault(f"{table} lookup timed out", get_item(full_name, key),
                    status=500, code="InternalServerError", times=attempts))
    api = phone.get("/api/me")
    assert api.status_code == 503
    assert api.headers["Content-Type"].startswith("application/problem+json")
    problem = api.json()
    assert problem["status"] == 503 and problem["type"] == "/problems/unavailable"
    assert "still signed in" in problem["detail"]

    # The database answers again: the same cookie is the same person, on the page they asked.
    assert Session.get(session_key, consistent_read=True).user_id == account.user.user_id
    again = phone.get("/cameras", headers={"Accept": "text/html"})
    assert again.status_code == 200
    assert account.user.display_name in again.text
    assert phone.get("/api/me").json()["user"]["id"] == account.user.user_id
    outcome(f"{attempts} throttled then {attempts} failed GetItem on {table}: a 503 page in "
            "plain words and a 503 problem, no log-in page; the session kept, the next "
            "request signed in")


def test_a_user_who_no_longer_exists_is_signed_out(app_via_proxy: str, settings: Any,
                                                  outcome: Any) -> None:
    """The other side: an answer ("no such user") still ends the session, as before."""
    phone, account, session_key = signed_in_owner(app_via_proxy, settings)
    account.user.delete()
    page = phone.get("/cameras", headers={"Accept": "text/html"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert Session.count(session_key) == 0
    outcome("no such user: the session is revoked and the page goes to log-in")
