"""Build the CDK app for one stage; used by infra/cdk/app.py and by tests/infra (offline)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# jsii starts Node when aws_cdk is first imported; its Node 20 end-of-life banner is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.cdk.porchlight.stack import PorchlightStack, stack_name
from infra.cdk.stages import stage_from_context

CDK_DIR = Path(__file__).resolve().parents[1]
DEFAULT_ASSET_ROOT = CDK_DIR / "build"


def project_context() -> dict[str, Any]:
    """The context in cdk.json (feature flags), so tests synthesize what `cdk` would."""
    data = json.loads((CDK_DIR / "cdk.json").read_text(encoding="utf-8"))
    return dict(data.get("context", {}))


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None,
              nag: bool = True) -> tuple[cdk.App, PorchlightStack]:
    """One app with the stage's stack and, unless nag=False, cdk-nag's AwsSolutions checks
    (a finding without an acknowledgement fails the synth)."""
    merged = {**project_context(), **(context or {})}
    app = cdk.App(context=merged, outdir=outdir)
    ctx = {k: app.node.try_get_context(k) for k in
           ("stage", "public_url", "mail_from", "ses_identity", "vapid_public_key",
            "vapid_subject", "alarm_email", "web_function_name", "clips_object_lock",
            "asset_root")}
    stage = stage_from_context(ctx)
    asset_root = Path(ctx["asset_root"]) if ctx["asset_root"] else DEFAULT_ASSET_ROOT
    stack = PorchlightStack(app, stack_name(stage), stage=stage, asset_root=asset_root,
                            description=f"Porchlight {stage.name}: data, storage, queues, "
                                        "workers, web role, alarms")
    cdk.Tags.of(stack).add("project", "porchlight")
    cdk.Tags.of(stack).add("stage", stage.name)
    if nag:
        cdk.Validations.of(app).add_plugins(
            AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    return app, stack
