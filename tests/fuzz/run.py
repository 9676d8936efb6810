"""Schemathesis against /api/openapi.json, in-process on the WSGI app, as every kind of caller.

Each operation of the document is fuzzed as anonymous, as a signed-in user of each role (MFA
done, with the session's CSRF token), as a paired bridge and as a CAD/AVL feed key; with
valid (positive) and schema-breaking (negative) inputs; with random ids and with ids of real
objects the caller owns (so cases reach past the 404). Every answer is checked: no 5xx, the
status is one the document lists, its media type and body match the document, every error
is application/problem+json, and schema-breaking input is refused with a 4xx.

Short run: tests/fuzz/test_fuzz.py (part of `make test`). Long run, against a fresh devstack:

    .venv/bin/python -m tests.fuzz.run --examples 200
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

ROLES = ("owner", "org_admin", "detective", "supervisor", "agency_admin", "auditor")
# Operations that would end the caller's own session for the rest of the run; they are fuzzed
# anonymously only (their authorised behaviour has its own tests).
SELF_ENDING = {("DELETE", "/api/session")}


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> a real object's id


@dataclass
class FuzzReport:
    cases: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    operations: int = 0
    seconds: float = 0.0
    covered: set[tuple[str, str]] = field(default_factory=set)  # (METHOD, path) fuzzed

    def figures(self) -> dict[str, Any]:
        return {"fuzz_cases": self.cases, "fuzz_5xx": self.server_errors,
                "fuzz_failures": len(self.failures), "fuzz_operations": self.operations,
                "fuzz_seconds": round(self.seconds, 1),
                "fuzz_statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


# ---------------------------------------------------------------- callers


def _signed_in(name: str, settings: Any, user: Any) -> Caller:
    """A browser's session of this user (MFA done) and the CSRF token bound to it."""
    from app.core import tokens
    from app.services.people import sessions

    new = sessions.create(settings, user.user_id, user.role, "127.0.0.1", "fuzz", mfa_ok=True)
    csrf = tokens.sign(settings.secret_key, "csrf", "s:" + new.session.session_id)
    return Caller(name, {"X-CSRF-Token": csrf}, {"pl_session": new.token})


def _anonymous(settings: Any) -> Caller:
    """A browser before log-in: its random CSRF cookie and the token bound to it."""
    from app.core import tokens

    anon = tokens.new_token(16)
    return Caller("anonymous", {"X-CSRF-Token": tokens.sign(settings.secret_key, "csrf",
                                                             "a:" + anon)},
                  {"pl_csrf": anon})


def _owner_objects(settings: Any, owner: Any) -> dict[str, str]:
    """A camera and a live share of this owner, for ids that exist."""
    from app.core.cameras import parse_camera
    from app.services.cameras import registry
    from app.services.realtime import live

    camera = registry.register(owner, parse_camera({
        "nickname": "Fuzz porch", "lat": 36.1622, "lon": -86.7744, "heading_deg": 90,
        "fov_deg": 90, "range_m": 30, "mount": "wall", "facing": "street",
        "retention_days": 14, "tier": "on_alert", "visibility": "exact", "attested": True}),
        "127.0.0.1")
    share = live.start(settings, owner, [camera.camera_id], 30, "app", "127.0.0.1")
    return {"camera_id": camera.camera_id, "share_id": share.share_id}


def callers(settings: Any) -> list[Caller]:
    """Anonymous, one fresh user per role, a paired bridge and an ingest key."""
    from app.services.cameras import bridges
    from app.services.realtime import field as field_layers
    from tests.support import make_user

    found = [_anonymous(settings)]
    accounts = {role: make_user(role) for role in ROLES}
    owner_ids = _owner_objects(settings, accounts["owner"].user)
    for role, account in accounts.items():
        caller = _signed_in(role, settings, account.user)
        if role == "owner":
            caller.ids = dict(owner_ids)
        elif role in ("detective", "supervisor"):
            caller.ids = {"share_id": owner_ids["share_id"]}
        found.append(caller)
    code = bridges.pairing_code(settings, accounts["owner"].user, "127.0.0.1")
    paired = bridges.pair(settings, code, "fuzz bridge", "127.0.0.1")
    found.append(Caller("bridge", {"Authorization": f"Bearer {paired.credential}"},
                        ids=dict(owner_ids)))
    admin = accounts["agency_admin"].user
    key = field_layers.create_key(admin, "fuzz feed", "127.0.0.1")
    found.append(Caller("ingest", {"Authorization": f"Bearer {key}"}))
    return found


# ---------------------------------------------------------------- running


def _checks() -> list[Any]:
    from schemathesis.checks import (
        content_type_conformance,
        negative_data_rejection,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance, negative_data_rejection]


def _strategies(operation: Any, caller: Caller, allowed: bool) -> Iterator[tuple[str, Any]]:
    from schemathesis.generation import GenerationMode

    known = {p.name: caller.ids[p.name] for p in operation.path_parameters
             if p.name in caller.ids}
    raw = operation.definition.raw
    has_input = "requestBody" in raw or any(p.get("in") == "query"
                                            for p in raw.get("parameters", []))
    # Negative cases of an operation whose only input is its path find nothing to break (the
    # path must still route); a refused caller is refused before any input is read.
    modes = [GenerationMode.POSITIVE]
    if allowed and has_input:
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:
        yield mode.value, operation.as_strategy(mode)
        if known:
            yield f"{mode.value}+ids", operation.as_strategy(mode, path_parameters=known)


CREDENTIAL_OF = {"bridge": "bridgeDevice", "ingest": "ingestKey"}


def permitted(operation: Any, caller: Caller) -> bool:
    """Whether the document says this caller may use the operation (refused callers are
    fuzzed too, with fewer cases: their answer comes before any input is read)."""
    raw = operation.definition.raw
    schemes = {name for entry in raw.get("security", []) for name in entry}
    if caller.name in CREDENTIAL_OF:
        return CREDENTIAL_OF[caller.name] in schemes
    if schemes & set(CREDENTIAL_OF.values()):
        return False
    access = set(raw.get("x-access", []))
    return "public" in access or (caller.name != "anonymous" and bool(
        access & {"any-user", caller.name}))


def _fuzz_one(operation: Any, caller: Caller, strategy: Any, label: str, examples: int,
              report: FuzzReport, seed: int) -> None:
    checks = _checks()

    @hypothesis_settings(max_examples=examples, deadline=None, database=None,
                         derandomize=False, phases=[Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @hypothesis.seed(seed)
    @given(case=strategy)
    def run(case: Any) -> None:
        # Schemathesis's in-process client asks for gzip like `requests` but does not decode
        # it: ask for plain bodies (compression has its own tests, tests/*/test_static_assets).
        headers = {**caller.headers, "Accept-Encoding": "identity"}
        response = case.call(headers=headers, cookies=dict(caller.cookies))
        report.cases += 1
        report.statuses[response.status_code] += 1
        where = f"{caller.name} {operation.method.upper()} {operation.path} [{label}]"
        if response.status_code >= 500:
            report.server_errors += 1
        content_type = (response.headers.get("content-type") or [""])[0]
        if response.status_code >= 400 and not content_type.startswith(
                "application/problem+json"):
            report.failures.append(f"{where}: {response.status_code} as {content_type}")
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - each finding is reported
            report.failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:600]}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing to vary (a negative case of an operation with no input at all)


def run_fuzz(max_examples: int = 4, app: Any = None, settings: Any = None,
             seed: int = 8) -> FuzzReport:
    """Fuzz every operation as every caller; the app defaults to a new one on the devstack
    whose environment is already set (tests' fixture, or `main` below)."""
    import numpy  # noqa: F401 - finish any import a worker thread began: hypothesis peeks at it
    import schemathesis

    if app is None:
        from app import create_app

        app = create_app()
    settings = settings or app.config["SETTINGS"]
    from schemathesis.config import (
        GenerationConfig,
        ProjectConfig,
        ProjectsConfig,
        SchemathesisConfig,
    )

    # Credentials are each caller's own (a real session, device or feed key), never generated:
    # breaking them is the role matrix's test, not noise for every negative case.
    config = SchemathesisConfig(projects=ProjectsConfig(default=ProjectConfig(
        generation=GenerationConfig(with_security_parameters=False))))
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    report = FuzzReport()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    report.operations = len(operations)
    report.covered = {(op.method.upper(), op.path) for op in operations}
    for caller in callers(settings):
        for operation in operations:
            if caller.name != "anonymous" and (operation.method.upper(),
                                               operation.path) in SELF_ENDING:
                continue
            allowed = permitted(operation, caller)
            examples = max_examples if allowed else 1
            for label, strategy in _strategies(operation, caller, allowed):
                _fuzz_one(operation, caller, strategy, label, examples, report, seed)
    report.seconds = time.monotonic() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100,
                        help="cases per operation, caller and mode (default 100)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    from devstack import seed as demo
    from devstack import stack

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log drowns it

    local = stack.start(visibility_seconds=1,
                        extra_env={"PORCHLIGHT_PUBLIC_URL": "http://127.0.0.1:8000",
                                   "PORCHLIGHT_LOGIN_IP_LIMIT": "1000000"})
    try:
        from app import create_app

        app = create_app()  # configures the models' table names before seeding
        demo.seed()
        report = run_fuzz(args.examples, app=app, seed=args.seed)
    finally:
        local.stop()
    for line in report.failures:
        print("FAIL", line)
    figures = report.figures()
    print(f"{figures['fuzz_cases']} cases over {figures['fuzz_operations']} operations in "
          f"{figures['fuzz_seconds']} s: {figures['fuzz_5xx']} server errors, "
          f"{figures['fuzz_failures']} contract failures; statuses {figures['fuzz_statuses']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
