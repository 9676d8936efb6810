"""Every deployed artifact installs exactly its lock: one file per package, with its hash, for
the one runtime all of them declare, and the locks say what the requirement files pin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.artifacts import RUNTIME, Artifact, artifacts, runtime_sdk
from tools.lock import canonical, locked, stale

ROOT = Path(__file__).resolve().parents[2]
ALL = [*artifacts(), runtime_sdk()]


@pytest.mark.parametrize("artifact", ALL, ids=lambda a: a.name)
def test_each_lock_holds_its_inputs_with_one_hash_per_package(artifact: Artifact) -> None:
    assert not stale(artifact), "run `make lock` and commit the locks"
    text = artifact.lock.read_text()
    entries = re.findall(r"^(\S+)==(\S+) \\\n    --hash=sha256:([0-9a-f]{64})$", text, re.M)
    assert len(entries) == len(locked(artifact)) > 0, "every line pins one file by its hash"


def test_zip_workers_get_the_app_requirements_and_their_own() -> None:
    by_name = {a.name: a for a in artifacts()}
    assert by_name["clip_cutter"].kind == "image" and by_name["web"].kind == "zappa"
    for artifact in artifacts():
        if artifact.kind == "zip":
            assert artifact.inputs[0] == ROOT / "requirements.txt"
            assert "aws-lambda-powertools" in locked(artifact), artifact.name
    assert by_name["push_sender"].inputs[-1].parent.name == "push_sender"
    assert "pywebpush" in locked(by_name["push_sender"])
    # What app/ imports at run time (checkpoint signatures, VAPID keys) is in every zip.
    for artifact in artifacts():
        if artifact.kind != "image":
            assert "cryptography" in locked(artifact), artifact.name
    assert canonical("zappa") in locked(by_name["web"])


def test_every_artifact_declares_the_same_runtime() -> None:
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    assert settings["base"]["runtime"] == RUNTIME
    workers = (ROOT / "infra" / "cdk" / "porchlight" / "workers.py").read_text()
    assert f"Runtime.PYTHON_{RUNTIME.removeprefix('python').replace('.', '_')}" in workers
    dockerfile = (ROOT / "lambdas" / "clip_cutter" / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)$", dockerfile, re.M)
    assert base, "the Dockerfile has one FROM line"
    version = RUNTIME.removeprefix("python")
    assert re.fullmatch(rf"public\.ecr\.aws/lambda/python:{re.escape(version)}"
                        r"@sha256:[0-9a-f]{64}", base.group(1)), "base pinned by digest"
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
