"""Synthesize the CDK app once per test session, offline: no CDK CLI, no Docker, no AWS.

The zip workers point at placeholder folders made here (infra/cdk/prepare_assets.py builds the
real ones for a deploy); the clip worker's container image is only staged (its build context,
app/ and lambdas/), never built. cdk-nag's AwsSolutions checks run inside the synth.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii starts Node on the first import of aws_cdk; its Node 20 end-of-life banner is noise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    stage: Any  # infra.cdk.stages.Stage
    outdir: Path
    template: dict[str, Any]
    template_path: Path
    nag_report: dict[str, Any]  # cdk-nag's policy-validation report ({} when it passed)
    nag_error: str  # the synth's validation error, "" when it passed
    annotations: list[tuple[str, str, str]]  # (level, construct path, message) CDK reported

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.template["Resources"].items() if r["Type"] == kind}


def _placeholder_assets(root: Path) -> Path:
    from infra.cdk.porchlight.layout import zip_workers

    for worker in zip_workers():
        folder = root / worker
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "PLACEHOLDER").write_text(f"test stand-in for infra/cdk/build/{worker}\n")
    return root


def _synthesize(stage_name: str, tmp: Path) -> Synthesized:
    from infra.cdk.porchlight.build import build_app

    outdir = tmp / "cdk.out"
    app, stack = build_app({"stage": stage_name,
                            "asset_root": str(_placeholder_assets(tmp / "assets"))},
                           outdir=str(outdir))
    error = ""
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings fail validation; test_lint reports them
        if not str(exc).startswith("ValidationFailed"):
            raise
        error = str(exc)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    template_path = outdir / f"{stack.stack_name}.template.json"
    metadata = json.loads((outdir / f"{stack.stack_name}.metadata.json").read_text())
    annotations = [(entry["type"].removeprefix("aws:cdk:"), path, str(entry.get("data")))
                   for path, entries in metadata.items() for entry in entries
                   if entry["type"] in ("aws:cdk:warning", "aws:cdk:error")]
    return Synthesized(stage=stack.stage, outdir=outdir,
                       template=json.loads(template_path.read_text()),
                       template_path=template_path, nag_report=report, nag_error=error,
                       annotations=annotations)


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield _synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield _synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session", params=["prod", "dev"])
def synth(request: pytest.FixtureRequest) -> Synthesized:
    """Both stages, for the properties every stage must have."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
