"""cfn-lint and cdk-nag on the synthesized templates."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.cfn import logical_id
from tests.infra.conftest import Synthesized

# cfn-lint checks we do not act on, each with its reason:
IGNORED_CFN_LINT = [
    # W3005 "dependency already enforced by a GetAtt": CDK adds an explicit DependsOn from each
    # Lambda function to its role (and the role's policy) so the policy exists before the
    # function is created; the duplicate with the GetAtt is harmless and not ours to remove.
    "W3005",
]

# The only cdk-nag rules the stack may acknowledge, and why a reviewer accepts each kind.
# A new acknowledgement must be added here on purpose, in review, not slip in with a resource.
ACCEPTED = {
    # Object-level S3 actions under one key prefix: object keys are made at run time (or, for
    # the program's map, named by the operator under map/).
    r"AwsSolutions-IAM5\[Resource::<Buckets(Uploads|Clips)[0-9A-F]{8}\.Arn>/"
    r"(originals|camera-photos|evidence|live|map)/\*\]",
    # iot:Publish on the web role: the command topics of this stage's bridges (the device id is
    # made at pairing), nothing else of IoT (see web.py; tests/infra/test_devices.py).
    r"AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:"
    r"topic/porchlight/(dev|prod)/bridge/\*/cmd\]",
    # Python 3.12 Lambdas: the wheels and the clip image are cp312 (see workers.py).
    r"AwsSolutions-L1",
    # The access-log bucket does not log into itself.
    r"AwsSolutions-S1",
    # The app secret is rotated by the operator, not automatically (see keys.py).
    r"AwsSolutions-SMG4",
}


def _lint(synth: Synthesized) -> list[Any]:
    from cfnlint.api import ManualArgs, lint_file

    return list(lint_file(synth.template_path, ManualArgs(
        regions=["us-east-1", "eu-west-1", "us-gov-west-1"], ignore_checks=IGNORED_CFN_LINT)))


def test_cfn_lint_finds_no_errors_or_warnings(synth: Synthesized) -> None:
    matches = _lint(synth)
    assert not matches, "cfn-lint on the synthesized template:\n" + "\n".join(
        f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches)


def test_cdk_nag_has_no_unacknowledged_findings(synth: Synthesized) -> None:
    findings = [
        f"{v['ruleName']} ({v['severity']}) at {c['constructPath']}: {v['description']}"
        for plugin in synth.nag_report.get("pluginReports", [])
        for v in plugin.get("violations", [])
        for c in v.get("violatingConstructs", [])
    ]
    assert not findings and not synth.nag_error, \
        "cdk-nag AwsSolutions findings with no acknowledgement:\n" + "\n".join(findings)


def test_cdk_reports_no_warnings_or_errors(synth: Synthesized) -> None:
    """E.g. a worker added to lambdas/registry.py without its needs in workers.py NEEDS."""
    assert not synth.annotations, "CDK annotations:\n" + "\n".join(
        f"{level} at {path}: {message}" for level, path, message in synth.annotations)


def _acknowledgements(synth: Synthesized) -> list[tuple[str, str, str]]:
    return [(name, ack["id"], ack.get("reason", ""))
            for name, res in synth.resources.items()
            for ack in res.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])]


def test_every_acknowledgement_is_an_accepted_kind_with_a_reason(synth: Synthesized) -> None:
    acks = _acknowledgements(synth)
    assert acks, "the template carries no cdk-nag acknowledgements: is the audit trail on?"
    unexpected = sorted({rule for _, rule, _ in acks
                         if not any(re.fullmatch(p, rule) for p in ACCEPTED)})
    assert not unexpected, f"acknowledged cdk-nag rules nobody reviewed: {unexpected}"
    thin = sorted({(name, rule) for name, rule, reason in acks if len(reason.strip()) < 60})
    assert not thin, f"acknowledgements without a real reason: {thin}"


def test_only_the_access_log_bucket_goes_without_access_logs(synth: Synthesized) -> None:
    for name, rule, _ in _acknowledgements(synth):
        if rule == "AwsSolutions-S1":
            assert name.startswith("BucketsAccessLogs"), \
                f"{name} skips S3 access logging; only the access-log bucket may"


def test_runtime_acknowledgement_only_on_python_functions(synth: Synthesized) -> None:
    """It sits on the zip workers' functions (and their event source mappings and invoke
    permissions, which inherit it), never on anything that runs another runtime."""
    resources = synth.resources
    for name, rule, _ in _acknowledgements(synth):
        if rule != "AwsSolutions-L1":
            continue
        props = resources[name]["Properties"]
        if resources[name]["Type"] in ("AWS::Lambda::EventSourceMapping",
                                        "AWS::Lambda::Permission"):
            name = str(logical_id(props["FunctionName"]))
            props = resources[name]["Properties"]
        assert resources[name]["Type"] == "AWS::Lambda::Function", \
            f"the runtime acknowledgement sits on {name}, not on a function"
        assert props.get("Runtime") == "python3.12", \
            f"{name} is acknowledged for an old runtime but runs something else"
