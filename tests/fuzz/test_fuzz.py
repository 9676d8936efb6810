"""The short fuzzing run of `make test` (the long one: `python -m tests.fuzz.run`)."""

from __future__ import annotations

from typing import Any

from tests.fuzz.run import run_fuzz


def test_no_operation_breaks_its_contract_for_any_caller(devstack: Any) -> None:
    report = run_fuzz(max_examples=5, app=devstack.app, settings=devstack.settings)
    assert not report.failures, f"{len(report.failures)} failures:\n" + "\n".join(
        report.failures[:60])
    assert report.server_errors == 0
    document = devstack.app.test_client().get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, methods in document["paths"].items()
                  for method in methods}
    # schemathesis leaves out the document's own address; everything else is fuzzed
    assert report.covered == documented - {("GET", "/api/openapi.json")}
    assert report.cases > 1500
