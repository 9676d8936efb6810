"""Run the fault scenarios and print one "scenario → outcome" line each.

    .venv/bin/python -m tests.faults.report      (or: make faults)

Runs tests/faults with pytest (its own devstack, as `pytest tests/faults` does); exit status is
pytest's. The outcomes are what each scenario observed (retries seen at the proxy, events in the
chain), recorded by the tests themselves.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.faults.conftest import scenario_of


class Collect:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.failed):
            self.rows.append(scenario_of(report))


def main() -> int:
    collect = Collect()
    os.environ["PORCHLIGHT_FAULTS_REPORT"] = "1"
    status = pytest.main(["tests/faults", "-q", "-p", "no:cacheprovider", "--no-header",
                          "--tb=line", "-o", "console_output_style=classic"], plugins=[collect])
    sys.stdout.write("\nFault scenarios\n")
    for name, result in collect.rows:
        sys.stdout.write(f"{name.removeprefix('test_').replace('_', ' ')} → {result}\n")
    return int(status)


if __name__ == "__main__":
    raise SystemExit(main())
