"""The OpenAPI 3.1 document of the JSON API, built from the app's routes and their declarations.

Nothing here describes an endpoint by hand: paths and methods come from Flask's URL map, who may
call them from `@allow`, bodies, query parameters and answers from `@accepts`, `@query` and
`@answers` (app.web.jsonio), summaries from the views' docstrings. A JSON route without an
`@answers` declaration is a programming error (tests/integration/test_openapi.py fails).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.web.jsonio import MAX_JSON_BYTES, Contract, body_schema

JSON_PATHS_OUTSIDE_API = ("/healthz", "/transparency/checkpoints.json")
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "/problems/<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what was wrong, in plain words"},
        "instance": {"type": "string"},
        "correlation_id": {"type": "string",
                           "description": "on a 500: the reference to quote (also the "
                                          "X-Request-Id header and the server's log key)"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "each field (or query parameter) and what was wrong with it"},
        "problems": {"type": "array", "items": {
            "type": "object", "required": ["row", "column", "message"],
            "properties": {"row": {"type": "integer"}, "column": {"type": "string"},
                           "message": {"type": "string"}}}},
    },
}

SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey", "in": "cookie", "name": "pl_session",
        "description": "Set by POST /api/session (named __Host-pl_session over HTTPS). Ends "
                       "after idle and absolute limits; police roles must also confirm a TOTP "
                       "code (POST /api/session/mfa) before anything else answers."},
    "csrf": {
        "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
        "description": "Every state-changing call made with the session cookie sends this "
                       "header: the token from GET /api/csrf or GET /api/me, an HMAC bound to "
                       "the session."},
    "bridgeDevice": {
        "type": "http", "scheme": "bearer", "bearerFormat": "pbd_<device>_<secret>",
        "description": "A Porchlight Bridge's device credential, issued once by POST "
                       "/api/bridge/pair for a code shown in the owner's app; stored hashed, "
                       "revocable by the owner at /bridges. It acts only for that owner's "
                       "cameras."},
    "ingestKey": {
        "type": "http", "scheme": "bearer", "bearerFormat": "plk_<key id>_<secret>",
        "description": "A CAD/AVL feed key, made by an agency admin at /admin/api-keys and "
                       "shown once: the server keeps only its hash. It writes calls for "
                       "service and unit positions into its own agency's map layer and can do "
                       "nothing else; revoking it takes effect on the next call."},
}

PROBLEM_WORDS = {
    400: "The request could not be read (not JSON, too large, nested too deeply).",
    401: "Not logged in, or the session or credential has ended.",
    403: "Logged in but not allowed: the role, a missing MFA step, or no CSRF token.",
    404: "No such thing, or not one this caller may see.",
    405: "The path does not take this method.",
    409: "It conflicts with what is already there.",
    410: "It has ended (a live share).",
    413: "What was sent is too large.",
    415: "The body is not sent as application/json.",
    422: "The fields are missing, unknown, of the wrong type or out of range.",
    429: "Too many attempts; wait for Retry-After seconds.",
    503: "The database, or a service it relies on (address search), is not answering or not "
         "set up; try again in a moment. A signed-in caller stays signed in.",
}


def _access(view: Any) -> frozenset[str]:
    return frozenset(getattr(view, "_access", frozenset()))


def _security(view: Any, method: str) -> list[dict[str, list[str]]]:
    credential = getattr(view, "_credential", "")
    if credential:
        return [{credential: []}]
    if "public" in _access(view):
        return []
    if method in SAFE:
        return [{"session": []}]
    return [{"session": [], "csrf": []}]


def _parameters(rule: Any, contract: Contract) -> list[dict[str, Any]]:
    params = []
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        schema: dict[str, Any] = ({"type": "integer", "minimum": 0} if kind == "IntegerConverter"
                                  else {"type": "string", "minLength": 1, "maxLength": 200,
                                        "pattern": "^[^/]+$"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, spec in contract.query.items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": spec.required,
                                 "schema": spec.schema()}
        if spec.doc:
            param["description"] = spec.doc
        if spec.kind is list:
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _statuses(rule: Any, view: Any, method: str, contract: Contract) -> set[int]:
    codes: set[int] = set()
    if contract.body_for(method) is not None or contract.files:
        codes |= {400, 413, 415, 422}
    if contract.query:
        codes.add(422)
    if "public" not in _access(view) or bool(getattr(view, "_credential", None)):
        codes |= {401, 403}
    elif method not in SAFE and not getattr(view, "_csrf_exempt", False):
        codes.add(403)  # the CSRF check
    if rule.arguments:
        codes.add(404)
    codes |= set(getattr(view, "_problems", ()))
    codes.add(503)  # the session check meets a database that does not answer (app.web.access)
    return codes


def _operation(rule: Any, view: Any, method: str) -> dict[str, Any]:
    contract: Contract = getattr(view, "_contract", None) or Contract()
    doc = (view.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else view.__name__.replace("_", " ").capitalize()
    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
        "summary": summary,
        "tags": [rule.endpoint.split(".")[0]],
        "x-access": sorted(_access(view)),
        "security": _security(view, method),
    }
    if doc and "\n" in doc:
        operation["description"] = " ".join(line.strip() for line in doc.splitlines())
    params = _parameters(rule, contract)
    if params:
        operation["parameters"] = params
    body = contract.body_for(method)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": body_schema(body)}}}
    responses: dict[str, Any] = {}
    for status, (media, schema, words) in sorted(contract.answers_for(method).items()):
        entry: dict[str, Any] = {"description": words or ("No content" if status == 204
                                                          else "Done")}
        if status != 204:
            entry["content"] = {media: {"schema": schema}}
        responses[str(status)] = entry
    for status in sorted(_statuses(rule, view, method, contract)):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    if contract.files and method not in SAFE:
        operation["requestBody"] = {"required": True, "content": {
            media: {"schema": schema} for media, schema in contract.files.items()}}
    operation["responses"] = responses
    return operation


def json_routes(app: Flask) -> list[tuple[Any, Any, str]]:
    """(rule, view, method) of every JSON route, in path order."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule.startswith("/api/") or rule.rule in JSON_PATHS_OUTSIDE_API):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, view, method))
    return found


def _openapi_path(rule: Any) -> str:
    path = rule.rule
    for name in rule.arguments:
        for converter in ("int:", "path:", ""):
            path = path.replace(f"<{converter}{name}>", "{" + name + "}")
    return str(path)


def document(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for rule, view, method in json_routes(app):
        paths.setdefault(_openapi_path(rule), {})[method.lower()] = _operation(rule, view,
                                                                                method)
    settings = app.config.get("SETTINGS")
    server = getattr(settings, "public_url", "") or "/"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Porchlight JSON API",
            "version": "1",
            "description": (
                "The owner app, the police app, Porchlight Bridge and CAD/AVL feeds all use "
                "this API. Bodies are JSON objects of at most "
                f"{MAX_JSON_BYTES // 1024} KiB with known fields only; every error is "
                "application/problem+json (RFC 9457) saying what was wrong. Every police "
                "access is written to a tamper-evident audit log the owner concerned can "
                "read."),
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM},
            "responses": {
                f"Problem{status}": {"description": words, "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}}
                for status, words in PROBLEM_WORDS.items()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
