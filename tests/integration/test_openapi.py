"""The OpenAPI document: valid 3.1, complete, generated from the code; bodies held to it."""

from __future__ import annotations

import json
from typing import Any

import requests
from openapi_spec_validator import validate

from app.web import openapi


def document(base_url: str) -> dict[str, Any]:
    answer = requests.get(f"{base_url}/api/openapi.json", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    return body


def test_the_document_is_valid_openapi_3_1_and_names_every_json_route(
        devstack: Any, base_url: str) -> None:
    doc = document(base_url)
    validate(doc)  # raises on anything OpenAPI 3.1 does not allow
    assert doc["openapi"] == "3.1.0"
    documented = {(method.upper(), path) for path, methods in doc["paths"].items()
                  for method in methods}
    routes = {(method, openapi._openapi_path(rule))
              for rule, _view, method in openapi.json_routes(devstack.app)}
    assert documented == routes
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert any(code.startswith("2") for code in operation["responses"]), where
            assert operation["summary"], where
            assert operation["x-access"], where
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert answer["$ref"].startswith("#/components/responses/Problem"), where


def test_the_cad_avl_ingest_api_and_its_key_scheme_are_documented(base_url: str) -> None:
    doc = document(base_url)
    ingest = doc["paths"]["/api/ingest/{feed}"]["put"]
    assert ingest["security"] == [{"ingestKey": []}]
    scheme = doc["components"]["securitySchemes"]["ingestKey"]
    assert scheme["scheme"] == "bearer" and scheme["bearerFormat"].startswith("plk_")
    assert "hash" in scheme["description"] and "revok" in scheme["description"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array" and body["maxItems"] == 500
    item = body["items"]
    assert set(item["required"]) == {"id", "lat", "lon", "label"}
    assert item["additionalProperties"] is False
    assert item["properties"]["lat"] == {"type": "number", "minimum": -90, "maximum": 90}
    for path, methods in doc["paths"].items():
        for operation in methods.values():
            if path.startswith("/api/bridge/") and path != "/api/bridge/pair":
                assert operation["security"] == [{"bridgeDevice": []}], path


def test_a_body_is_held_to_the_schema_the_document_shows(base_url: str, signed_in: Any) -> None:
    doc = document(base_url)
    schema = doc["paths"]["/api/cameras"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    owner, _ = signed_in("owner")
    body = {name: "x" for name in schema["required"]}
    body["nickname"] = "n" * (schema["properties"]["nickname"]["maxLength"] + 1)
    body["mount"] = "ceiling"  # not in its enum
    body["colour"] = "red"  # not a property
    answer = owner.send_json("POST", "/api/cameras", body)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert errors["nickname"] == "must be at most 60 characters"
    assert errors["mount"].startswith("must be one of: doorbell, wall")
    assert errors["colour"].startswith("unknown field")
    assert errors["lat"] == "must be a number"
    assert set(schema["properties"]["mount"]["enum"]) == {"doorbell", "wall", "pole", "window",
                                                          "other"}


def raw_post(base_url: str, path: str, data: bytes,
             content_type: str = "application/json") -> requests.Response:
    """A public JSON endpoint, with the anonymous CSRF cookie and token a browser would hold."""
    session = requests.Session()
    token = session.get(f"{base_url}/api/csrf", timeout=30).json()["csrf_token"]
    return session.post(f"{base_url}{path}", data=data, timeout=30,
                        headers={"Content-Type": content_type, "X-CSRF-Token": token})


def test_hostile_json_gets_a_problem_that_says_what_was_wrong(base_url: str) -> None:
    cases = {
        "too large": (json.dumps({"email": "a@b.org", "password": "p" * 70_000}).encode(),
                      413, "larger than 64 KiB"),
        "nested": (b'{"email": ' + b"[" * 50 + b"]" * 50 + b', "password": "x"}', 400,
                   "nests deeper than 8"),
        "nested past Python's limit": (b"[" * 60_000 + b"]" * 60_000, 413, "larger"),
        "NaN": (b'{"email": NaN, "password": "x"}', 400, "NaN"),
        "not UTF-8": (b'{"email": "\xff\xfe", "password": "x"}', 400, "UTF-8"),
        "not an object": (b'["a@b.org", "x"]', 400, "JSON object"),
        "truncated": (b'{"email": "a@b.org", "pass', 400, "not valid JSON"),
    }
    for name, (data, status, words) in cases.items():
        answer = raw_post(base_url, "/api/session", data)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json", name
        assert words in answer.json()["detail"], (name, answer.json())
    deep_small = b"[" * 20_000 + b"]" * 20_000  # under 64 KiB, past any sane depth
    answer = raw_post(base_url, "/api/session", deep_small)
    assert answer.status_code == 400 and "nests deeper" in answer.json()["detail"]
    wrong_type = raw_post(base_url, "/api/session", b"email=a", "application/x-www-form-urlencoded")
    assert wrong_type.status_code == 415


def test_the_board_says_a_clips_gaps_its_method_and_whether_its_package_is_made(
        base_url: str) -> None:
    """The contract names every kind of gap, the delivered length, the three ways a
    clip is made, the package that follows the clip, and the 409 while it is prepared."""
    doc = document(base_url)
    board = doc["paths"]["/api/requests/{request_id}"]["get"]
    schema = board["responses"]["200"]["content"]["application/json"]["schema"]
    clip = schema["properties"]["targets"]["items"]["properties"]["clip"]["anyOf"][0]
    assert {"seconds", "method", "truncated", "gaps", "package_ready"} <= set(clip["required"])
    assert clip["properties"]["method"]["enum"] == ["stream_copy", "smart_cut", "reencode"]
    gap = clip["properties"]["gaps"]["items"]
    assert set(gap["required"]) == {"start", "end", "kind", "words"}
    assert gap["properties"]["kind"]["enum"] == ["before_file", "after_file", "camera_offline"]
    assert "gaps" in board["description"] and "package_ready" in board["description"]
    link = doc["paths"]["/api/evidence/{target_id}/{kind}"]["post"]
    assert "409" in link["responses"] and "being prepared" in link["description"]
