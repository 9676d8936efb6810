"""The stack answers: health, pages, and the worker loop delivering mail."""

from __future__ import annotations

from tests.support import Client


def test_healthz_answers_json(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "env": "devstack"}


def test_landing_page_offers_sign_up(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Create an account" in response.text
