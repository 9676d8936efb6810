"""Every JSON answer the test suite provokes is checked against the OpenAPI document.

`ContractWatch` hangs off the test app as an `after_request` hook: a success answer must be a
status the operation declares, of its media type, valid against its schema; an error answer
must be application/problem+json, a valid Problem, with a status the operation lists. What it
finds is collected, and the session fails at its end when anything was found (conftest.py).
So the contract is held to by several hundred tests' real traffic, not only by the fuzzer.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Flask, Response, request
from jsonschema import Draft202012Validator

from app.web import openapi


class ContractWatch:
    def __init__(self, app: Flask) -> None:
        self.document = openapi.document(app)
        self.found: list[str] = []
        self._lock = threading.Lock()
        app.after_request(self.check)

    def _operation(self) -> dict[str, Any] | None:
        rule = request.url_rule
        if rule is None:
            return None
        path = self.document["paths"].get(openapi._openapi_path(rule))
        return None if path is None else path.get(request.method.lower())

    def _note(self, words: str) -> None:
        with self._lock:
            self.found.append(f"{request.method} {request.path}: {words}")

    def check(self, response: Response) -> Response:
        operation = self._operation()
        if operation is None or response.direct_passthrough:
            return response
        status = str(response.status_code)
        declared = operation["responses"].get(status)
        if declared is None:
            self._note(f"answered {status}, which the document does not list")
            return response
        if response.status_code >= 400:
            self._problem(response)
        elif response.status_code != 204:
            self._success(response, declared)
        return response

    def _problem(self, response: Response) -> None:
        if response.mimetype != "application/problem+json":
            self._note(f"error {response.status_code} is {response.mimetype}, not problem+json")
            return
        self._valid(response, openapi.PROBLEM)

    def _success(self, response: Response, declared: dict[str, Any]) -> None:
        content = declared.get("content", {})
        if response.mimetype not in content:
            self._note(f"answered {response.mimetype}; declared {sorted(content)}")
            return
        self._valid(response, content[response.mimetype]["schema"])

    def _valid(self, response: Response, schema: dict[str, Any]) -> None:
        try:
            body = json.loads(response.get_data())
        except ValueError:
            self._note(f"{response.status_code} body is not JSON")
            return
        for error in Draft202012Validator(schema).iter_errors(body):
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            self._note(f"{response.status_code} body at {where}: {error.message[:200]}")
