"""The CDK app: `cdk synth -c stage=prod` / `cdk deploy -c stage=prod` from this folder.

Without the CDK CLI (CI, `make cdk-synth`), `python infra/cdk/app.py --stage prod
[-c public_url=...]` synthesizes into infra/cdk/cdk.out. Build the worker bundles first:
`python infra/cdk/prepare_assets.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The repository root first: the product package `app` must win over this file's name.
sys.path.insert(0, str(HERE.parents[1]))

from infra.cdk.porchlight.build import build_app  # noqa: E402


def context_of(argv: list[str] | None = None) -> dict[str, str]:
    """The context values the command line gives, as `cdk deploy -c key=value` would
    (`make cdk-synth STAGE=prod PUBLIC_URL=...` passes them this way)."""
    parser = argparse.ArgumentParser(description="Synthesize Porchlight's stack")
    parser.add_argument("--stage", help="dev or prod (the CLI passes -c stage=... instead)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="as the CDK CLI's -c, e.g. -c public_url=https://cams.example.gov")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context if "=" in item)
    if args.stage:
        context["stage"] = args.stage
    return context


def main(argv: list[str] | None = None) -> int:
    context = context_of(argv)
    outdir = None if os.environ.get("CDK_OUTDIR") else str(HERE / "cdk.out")
    app, stack = build_app(context, outdir=outdir)
    stage = stack.stage
    if "example.org" in stage.public_url or "example.org" in stage.mail_from:
        sys.stderr.write(
            f"warning: stage {stage.name} still has the example address {stage.public_url} / "
            f"{stage.mail_from}; pass -c public_url=... -c mail_from=... or edit stages.py "
            "before deploying (CORS and emails use them)\n")
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
