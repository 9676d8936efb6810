"""Errors are told apart by their type (and AWS's error code), never by the words of a message.

On a bare Flask app with the real error mapping (app.web.errors) and the real session check
(app.web.access); the services the session check calls are replaced by small fakes, so each
kind of failure can be raised on purpose. tests/faults/test_session_check.py makes the same
failures on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from flask import Flask
from pynamodb.exceptions import DoesNotExist, GetError, PutError, UpdateError
from werkzeug.exceptions import BadRequest, BadRequestKeyError, MethodNotAllowed

from app.aws import s3_missing
from app.config import load_settings
from app.core import footage
from app.core.bulk import BulkError, RowProblem
from app.core.errors import (
    BadRequestError,
    CsrfError,
    LinkGoneError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from app.models.base import STORE_ERRORS, condition_failed
from app.services.auditing import audit
from app.services.people import accounts
from app.services.people import sessions as session_service
from app.web import access, errors
from app.web.access import ANY_USER, allow

TOKEN = "a-session-token-that-must-never-be-logged"
ENV = {
    "PORCHLIGHT_ENV": "devstack",
    "PORCHLIGHT_SECRET_KEY": "s" * 40,
    "AWS_REGION": "us-east-2",
    "PORCHLIGHT_TABLE_PREFIX": "pl-test-",
    "PORCHLIGHT_UPLOADS_BUCKET": "pl-test-uploads",
    "PORCHLIGHT_CLIPS_BUCKET": "pl-test-clips",
    "PORCHLIGHT_MAIL_QUEUE_URL": "http://127.0.0.1/1/mail",
    "PORCHLIGHT_AUDIT_QUEUE_URL": "http://127.0.0.1/1/audit",
    "PORCHLIGHT_PUSH_QUEUE_URL": "http://127.0.0.1/1/push",
    "PORCHLIGHT_CLIPS_QUEUE_URL": "http://127.0.0.1/1/clips",
    "PORCHLIGHT_PUBLIC_URL": "http://127.0.0.1:8000",
}


def client_error(code: str, operation: str = "GetItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"words about {code}"}}, operation)


# -- the error mapping ---------------------------------------------------------------------

def mapped(raised: Exception) -> Any:
    """What the one error mapping answers an API caller for this exception."""
    app = Flask(__name__)
    errors.init_app(app)

    @app.route("/api/thing", methods=["GET"])
    def thing() -> str:
        raise raised

    return app.test_client().get("/api/thing")


@pytest.mark.parametrize("raised", [
    BadRequest("The CSRF token is missing."),
    BadRequest("Invalid form-data: cannot parse beyond the boundary"),
    BadRequestKeyError("csrf_token"),
    BadRequest(),
], ids=["mentions-csrf", "werkzeug-internals", "missing-form-key", "no-words"])
def test_werkzeugs_own_400s_get_the_same_plain_words_whatever_their_text(raised: Exception
                                                                         ) -> None:
    answer = mapped(raised)
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert answer.json["detail"] == errors.PLAIN_WORDS[400]


@pytest.mark.parametrize(("raised", "status", "slug"), [
    (CsrfError("The request has no CSRF token. Reload the page and try again."), 403,
     "csrf-failed"),
    (BadRequestError("The body nests deeper than 8 levels."), 400, "bad-request"),
    (UnavailableError("Address search is not answering; try again."), 503, "unavailable"),
    (NotFoundError("No such camera."), 404, "not-found"),
])
def test_porchlights_own_refusals_keep_their_words_and_type(raised: Exception, status: int,
                                                            slug: str) -> None:
    answer = mapped(raised)
    assert answer.status_code == status
    assert answer.json["type"] == f"/problems/{slug}"
    assert answer.json["detail"] == str(raised)


def test_a_used_link_is_its_own_type_and_still_names_the_token_for_the_api() -> None:
    """Routes that have a "link gone" page catch LinkGoneError; no route reads a ValidationError
    for a field called "token" to find out."""
    with pytest.raises(LinkGoneError):
        footage.read_answer_token("s" * 40, "not.a.real.answer.token", 0)
    answer = mapped(LinkGoneError("This link has expired or was already used."))
    assert answer.status_code == 422 and answer.json["errors"] == {
        "token": "expired or already used"}
    assert isinstance(LinkGoneError("x"), ValidationError)  # old callers' except still holds


def test_a_wrong_method_says_which_are_allowed() -> None:
    answer = mapped(MethodNotAllowed(valid_methods=["GET", "POST"]))
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"


def test_row_problems_come_from_a_bulk_error_only() -> None:
    bulk = mapped(BulkError("2 rows cannot be imported.",
                            [RowProblem(3, "lat", "not a number")]))
    assert bulk.json["problems"] == [{"row": 3, "column": "lat", "message": "not a number"}]
    other = ValidationError("No.")
    other.problems = ["an attribute of that name is not a bulk error"]  # type: ignore[attr-defined]
    assert "problems" not in mapped(other).json


# -- the storage errors: an answer, or a failure to answer ---------------------------------

def test_no_such_item_is_an_answer_not_a_store_failure() -> None:
    assert not issubclass(DoesNotExist, STORE_ERRORS)
    for failure in (GetError("x", client_error("ThrottlingException")),
                    ReadTimeoutError(endpoint_url="http://127.0.0.1"),
                    EndpointConnectionError(endpoint_url="http://127.0.0.1"),
                    client_error("InternalServerError")):
        assert isinstance(failure, STORE_ERRORS)


@pytest.mark.parametrize(("code", "refused"), [
    ("ConditionalCheckFailedException", True),
    ("ProvisionedThroughputExceededException", False),
    ("ThrottlingException", False),
    ("InternalServerError", False),
    ("AccessDeniedException", False),
])
def test_only_a_refused_condition_counts_as_losing_a_race(code: str, refused: bool) -> None:
    for kind in (PutError, UpdateError):
        assert condition_failed(kind("words", client_error(code, "PutItem"))) is refused


@pytest.mark.parametrize(("code", "missing"), [
    ("NoSuchKey", True), ("404", True), ("NotFound", True),
    ("SlowDown", False), ("403", False), ("AccessDenied", False), ("InternalError", False),
])
def test_only_s3s_not_found_means_nothing_is_there(code: str, missing: bool) -> None:
    assert s3_missing(client_error(code, "HeadObject")) is missing


# -- the session check ---------------------------------------------------------------------

@dataclass
class FakeSession:
    user_id: str = "u1"
    role: str = "owner"
    public_id: str = "p1"
    mfa_ok: bool = True


@dataclass
class FakeUser:
    user_id: str = "u1"
    role: str = "owner"
    agency_id: str = "a1"
    active: bool = True
    mfa_enrolled: bool = False


@dataclass
class Store:
    """The services the session check calls, answering as this test wants."""

    user: Callable[[], FakeUser]
    session: Callable[[], FakeSession | None] = FakeSession
    expired: str | None = None
    audit: Callable[[], None] = lambda: None
    revoked: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(session_service, "load", lambda token: self.session())
        monkeypatch.setattr(session_service, "expired", lambda settings, item: self.expired)
        monkeypatch.setattr(audit, "record_once", self._record_once)
        monkeypatch.setattr(session_service, "revoke",
                            lambda item: self.revoked.append(item.public_id))
        monkeypatch.setattr(session_service, "touch",
                            lambda item: self.touched.append(item.public_id))
        monkeypatch.setattr(accounts, "get_user", lambda user_id: self.user())

    def _record_once(self, key: str, *args: Any) -> None:
        self.audit()
        self.audited.append(key)


def raising(exc: Exception) -> Callable[[], Any]:
    def fail() -> Any:
        raise exc

    return fail


def signed_in_call(store: Store, monkeypatch: pytest.MonkeyPatch) -> Any:
    store.install(monkeypatch)
    app = Flask(__name__)
    app.config["SETTINGS"] = load_settings(ENV)
    access.init_app(app)
    errors.init_app(app)

    @app.route("/api/mine")
    @allow(ANY_USER)
    def mine() -> dict[str, str]:
        user = access.require_user()
        return {"user": user.user_id}

    client = app.test_client()
    client.set_cookie("pl_session", TOKEN)
    return client.get("/api/mine")


@pytest.mark.parametrize("failure", [
    GetError("Failed to get item", client_error("ProvisionedThroughputExceededException")),
    GetError("Failed to get item", ReadTimeoutError(endpoint_url="http://127.0.0.1")),
    EndpointConnectionError(endpoint_url="http://127.0.0.1"),
    client_error("ResourceNotFoundException"),
], ids=["throttled", "timed-out", "unreachable", "table-missing"])
@pytest.mark.parametrize("where", ["session", "user"])
def test_a_store_that_does_not_answer_keeps_the_session_and_answers_503(
        failure: Exception, where: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    store = Store(user=raising(failure) if where == "user" else FakeUser,
                  session=raising(failure) if where == "session" else FakeSession)
    with caplog.at_level(logging.WARNING):
        answer = signed_in_call(store, monkeypatch)
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert answer.json["type"] == "/problems/unavailable"
    assert "still signed in" in answer.json["detail"]
    assert store.revoked == [] and store.touched == []
    logged = [r.getMessage() for r in caplog.records]
    assert any("session check failed" in line for line in logged), logged
    assert not any(TOKEN in line for line in logged)


@pytest.mark.parametrize(("user", "said"), [
    (raising(NotFoundError("No such user.")), "Log in to continue."),
    (lambda: FakeUser(active=False), "Your account changed. Log in again."),
    (lambda: FakeUser(role="detective"), "Your account changed. Log in again."),
], ids=["no-such-user", "inactive", "role-changed"])
def test_only_an_answer_about_the_user_ends_the_session(user: Callable[[], FakeUser], said: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(user=user)
    answer = signed_in_call(store, monkeypatch)
    assert answer.status_code == 401 and answer.json["detail"] == said
    assert store.revoked == ["p1"] and store.touched == []


def test_a_good_session_is_touched_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(user=FakeUser)
    answer = signed_in_call(store, monkeypatch)
    assert answer.status_code == 200 and answer.json == {"user": "u1"}
    assert store.revoked == [] and store.touched == ["p1"]


def test_an_expired_session_is_audited_once_then_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(user=FakeUser, expired="idle")
    answer = signed_in_call(store, monkeypatch)
    assert answer.status_code == 401 and "without activity" in answer.json["detail"]
    assert store.audited == ["session-expired#p1"] and store.revoked == ["p1"]


def test_an_expired_session_whose_audit_fails_is_ended_by_the_next_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not revoked before its event is written: the retry writes the event (once, by its key)
    and ends it. Meanwhile it is refused like any expired session: no one is signed in by it."""
    store = Store(user=FakeUser, expired="absolute",
                  audit=raising(GetError("x", client_error("ThrottlingException"))))
    answer = signed_in_call(store, monkeypatch)
    assert answer.status_code == 503 and store.revoked == [] and store.touched == []
    store.audit = lambda: None
    assert signed_in_call(store, monkeypatch).status_code == 401
    assert store.audited == ["session-expired#p1"] and store.revoked == ["p1"]


def test_an_expired_session_of_a_departed_user_ends_without_an_event(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(user=raising(NotFoundError("No such user.")), expired="idle")
    assert signed_in_call(store, monkeypatch).status_code == 401
    assert store.audited == [] and store.revoked == ["p1"]
