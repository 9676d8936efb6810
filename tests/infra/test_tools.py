"""`make cdk-synth` passes the stage's values as `cdk deploy -c` would, and the deploy summary
(python -m infra.cdk.summary) tells what the synthesized stack would create."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[2]


def _synth_command(*variables: str) -> list[str]:
    """The arguments `make cdk-synth ...` would give infra/cdk/app.py (make -n runs nothing)."""
    done = subprocess.run(["make", "-n", "-s", "cdk-synth", *variables], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    commands = [shlex.split(line) for line in done.stdout.replace("\\\n", " ").splitlines()
                if "infra/cdk/app.py" in line]
    assert len(commands) == 1, done.stdout
    words = commands[0]
    return words[words.index("infra/cdk/app.py") + 1:]


def test_make_cdk_synth_takes_the_stage_values() -> None:
    from infra.cdk.app import context_of
    from infra.cdk.stages import stage_from_context

    args = _synth_command("STAGE=prod", "PUBLIC_URL=https://cams.example.gov",
                          "MAIL_FROM=Porchlight <no-reply@example.gov>",
                          "ALARM_EMAIL=o'brien@example.gov", "VAPID_PUBLIC_KEY=BPk-x_1")
    context = context_of(args)
    assert context == {"stage": "prod", "public_url": "https://cams.example.gov",
                       "mail_from": "Porchlight <no-reply@example.gov>",
                       "alarm_email": "o'brien@example.gov", "vapid_public_key": "BPk-x_1"}
    stage = stage_from_context(context)
    assert (stage.public_url, stage.sender_address) == ("https://cams.example.gov",
                                                        "no-reply@example.gov")
    assert context_of(_synth_command()) == {"stage": "dev"}, "nothing given: dev, as before"


@pytest.fixture
def summary(prod: Synthesized, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, Any]]:
    from infra.cdk.summary import main

    assert main(["--stage", "prod", "--cdk-out", str(prod.outdir)]) == 0
    out = capsys.readouterr().out
    *text, last = out.rstrip("\n").splitlines()
    return "\n".join(text), json.loads(last)


def test_the_summary_lists_every_function_alarm_and_waf_rule(
        prod: Synthesized, summary: tuple[str, dict[str, Any]]) -> None:
    text, facts = summary
    functions = {f["name"]: f for f in facts["functions"]}
    in_template = {r["Properties"]["FunctionName"]
                   for r in prod.of_type("AWS::Lambda::Function").values()}
    assert set(functions) == in_template | {prod.stage.web_function_name}
    clip = functions[f"{prod.stage.prefix}clip-cutter"]
    assert clip["runtime"] == "container image" and clip["memory_mb"] == 3008
    assert clip["handler"] == "lambdas.clip_cutter.handler.handler"
    assert clip["ephemeral_mb"] == 10240 and clip["reserved_concurrency"] == 2
    mailer = functions[f"{prod.stage.prefix}mailer"]
    assert (mailer["runtime"], mailer["handler"], mailer["trigger"]) == \
        ("python3.12", "lambdas.mailer.handler.handler", "SQS mail")
    web = functions[prod.stage.web_function_name]
    assert web["runtime"] == "python3.12" and web["trigger"].startswith("API Gateway")
    assert facts["reserved_concurrency_total"] == sum(
        f["reserved_concurrency"] or 0 for f in facts["functions"])
    assert facts["account_concurrency_needed"] == facts["reserved_concurrency_total"] + 10
    alarm_names = {r["Properties"]["AlarmName"]
                   for r in prod.of_type("AWS::CloudWatch::Alarm").values()}
    assert {a["name"] for a in facts["alarms"]} == alarm_names
    watches = {a["name"]: a["watches"] for a in facts["alarms"]}
    assert "AWS/Lambda Duration(porchlight-prod) p95 > 5000 in 3 of 5" in \
        watches["porchlight-prod-web-p95-duration"]
    assert "Errors(porchlight-prod-mailer)" in watches["porchlight-prod-mailer-errors"]
    assert [w["name"] for w in facts["waf_rules"]] == ["auth-rate-limit",
                                                      "AWSManagedRulesCommonRuleSet"]
    assert "SizeRestrictions_BODY→Count" in facts["waf_rules"][1]["rule"]
    for name in (*functions, *alarm_names, "auth-rate-limit"):
        assert name in text, f"{name} is missing from the printed summary"
    assert len(text.splitlines()) < 60, "keep the summary to a page"
