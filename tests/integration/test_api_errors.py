"""Every bad request answers application/problem+json saying what was wrong, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.users import Agency
from app.services import clock
from app.services.people.accounts import find_by_email
from devstack.seed import AGENCY_ID
from tests.support import Client, link_in, unique_email, wait_for_mail

PROBLEM = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return dict(body)


def test_malformed_json(client: Client) -> None:
    response = client.send_json("POST", "/api/accounts", data=b'{"email": "a@b.org",',
                                headers={"Content-Type": "application/json"})
    body = problem(response, 400)
    assert "not valid JSON" in body["detail"] and "line 1" in body["detail"]


def test_wrong_content_type(client: Client) -> None:
    response = client.send_json("POST", "/api/accounts", data="email=a@b.org",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "application/json" in problem(response, 415)["detail"]


def test_body_must_be_an_object(client: Client) -> None:
    assert "object" in problem(client.send_json("POST", "/api/accounts", [1, 2]), 400)["detail"]


def test_unknown_and_missing_fields_are_listed_and_nothing_is_written(client: Client) -> None:
    email = unique_email()
    response = client.send_json("POST", "/api/accounts",
                                {"email": email, "password": 12, "role": "detective"})
    body = problem(response, 422)
    assert body["errors"]["role"].startswith("unknown field")
    assert body["errors"]["display_name"] == "required"
    assert body["errors"]["password"] == "must be a string"
    assert find_by_email(email) is None


def test_invalid_values_are_explained(client: Client) -> None:
    response = client.send_json("POST", "/api/accounts",
                                {"email": "nope", "password": "short", "display_name": "D"})
    body = problem(response, 422)
    assert "email" in body["errors"] and "password" in body["errors"]


def test_api_sign_up_confirm_and_login(client: Client) -> None:
    email = unique_email()
    created = client.send_json("POST", "/api/accounts", {"email": email, "display_name": "Api",
                                                          "password": "a fine api password",
                                                          "agency_id": AGENCY_ID})
    assert created.status_code == 202 and created.json()["email"] == email
    assert find_by_email(email) is None, "nothing is created before the emailed link is used"
    link = link_in(wait_for_mail(email, "Finish creating"), "/signup/finish/")
    token = link.rsplit("/", 1)[1]
    wrong = client.send_json("POST", "/api/accounts/confirm",
                             {"token": token, "password": "not the chosen password"})
    assert "password" in problem(wrong, 422)["errors"]
    confirmed = client.send_json("POST", "/api/accounts/confirm",
                                 {"token": token, "password": "a fine api password"})
    assert confirmed.status_code == 201 and confirmed.json()["user"]["role"] == "owner"
    assert client.get("/api/me").json()["user"]["email"] == email
    again = Client(client.base).send_json("POST", "/api/accounts/confirm",
                                          {"token": token, "password": "a fine api password"})
    problem(again, 410)
    assert client.send_json("DELETE", "/api/session").status_code == 204
    login = client.send_json("POST", "/api/session", {"email": email,
                                                      "password": "a fine api password"})
    assert login.status_code == 201 and login.json()["mfa_required"] is False
    assert client.get("/api/me").json()["user"]["email"] == email
    assert client.send_json("DELETE", "/api/session").status_code == 204
    assert problem(client.get("/api/me"), 401)


def test_oversized_body(client: Client, settings: Any) -> None:
    big = b'{"email": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    response = client.send_json("POST", "/api/accounts", data=big,
                                headers={"Content-Type": "application/json"})
    problem(response, 413)


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/me/extra/parts"])
def test_unknown_api_route(client: Client, path: str) -> None:
    assert problem(client.get(path), 404)["detail"] == "There is nothing at this address."


def test_wrong_method(client: Client) -> None:
    response = client.send_json("PUT", "/api/session", {"email": "a@b.org"})
    problem(response, 405)


def test_unknown_page_is_a_page_for_people(client: Client) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "There is nothing at this address." in response.text


def test_json_clients_get_problems_for_pages_too(client: Client) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    problem(response, 404)


def test_sign_up_must_name_the_program_when_several_run(client: Client) -> None:
    Agency(agency_id="second-pd", name="Second PD", city="Elsewhere",
           created_at=clock.now()).save()
    response = client.send_json("POST", "/api/accounts", {
        "email": unique_email(), "display_name": "Api", "password": "a fine api password"})
    body = problem(response, 422)
    assert "second-pd" in body["errors"]["agency_id"] and AGENCY_ID in body["errors"]["agency_id"]
