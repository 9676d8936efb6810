"""After every fault scenario: the audit log verifies end to end, with the command an auditor
runs (`flask --app app.wsgi audit verify`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.faults.conftest import ROOT


def test_audit_verify_after_every_scenario(devstack: Any, outcome: Any) -> None:
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run([flask, "--app", "app.wsgi", "audit", "verify"], cwd=ROOT,
                          env=dict(os.environ, **devstack.env), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("OK:"), done.stdout
    outcome(done.stdout.splitlines()[0])
