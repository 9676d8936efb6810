"""What running in production adds to the stack, asserted on the synthesized template:
alarms on the web function and its REST API, the API's access log and CloudWatch role, the WAF
web ACL, per-worker concurrency caps, Object Lock on the clips bucket with the web role's
legal-hold actions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra.cdk.porchlight.gateway import AUTH_PATHS, AUTH_RATE_LIMIT, COUNT_ONLY
from infra.cdk.porchlight.workers import NEEDS, SQS_MIN_CONCURRENCY
from lambdas.registry import QUEUES, SCHEDULES
from tests.infra.cfn import find_one, identity_statements, logical_id, text
from tests.infra.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ alarms on the web app


def _alarms(s: Synthesized) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"].removeprefix(s.stage.prefix): r["Properties"]
            for r in s.of_type("AWS::CloudWatch::Alarm").values()}


def _topic(s: Synthesized) -> str:
    (topic,) = s.of_type("AWS::SNS::Topic")
    return topic


def test_the_web_function_has_error_throttle_and_p95_alarms(synth: Synthesized) -> None:
    alarms = _alarms(synth)
    name = synth.stage.web_function_name
    for alarm_name, metric, stat in (("web-errors", "Errors", "Sum"),
                                     ("web-throttles", "Throttles", "Sum")):
        alarm = alarms[alarm_name]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric), alarm_name
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": name}], \
            f"{alarm_name} watches another function than Zappa's {name}"
        assert alarm["Statistic"] == stat and alarm["Period"] == 300
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    p95 = alarms["web-p95-duration"]
    assert (p95["Namespace"], p95["MetricName"], p95["ExtendedStatistic"]) == \
        ("AWS/Lambda", "Duration", "p95")
    assert p95["Dimensions"] == [{"Name": "FunctionName", "Value": name}]
    assert p95["Threshold"] == 5000 and p95["ComparisonOperator"] == "GreaterThanThreshold", \
        "p95 above 5 s"
    assert (p95["DatapointsToAlarm"], p95["EvaluationPeriods"], p95["Period"]) == (3, 5, 300), \
        "in 3 of 5 five-minute periods"
    for alarm_name in ("web-errors", "web-throttles", "web-p95-duration", "api-5xx-rate"):
        alarm = alarms[alarm_name]
        assert [logical_id(a) for a in alarm["AlarmActions"]] == [_topic(synth)], \
            f"{alarm_name} tells nobody"
        assert alarm["TreatMissingData"] == "notBreaching", \
            f"{alarm_name} would fire when nobody uses the app"


def test_the_api_5xx_rate_alarm_is_a_rate_with_a_minimum_of_requests(
        synth: Synthesized) -> None:
    alarm = _alarms(synth)["api-5xx-rate"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    (expression,) = [m for m in metrics.values() if "Expression" in m]
    assert expression["ReturnData"] is True
    assert re.fullmatch(r"IF\(requests >= (\d+), 100 \* errors / requests, 0\)",
                        expression["Expression"]), expression["Expression"]
    assert int(re.findall(r"\d+", expression["Expression"])[0]) >= 10, "a minimum of requests"
    # Zappa names its REST API like the function ("<project_name>-<stage>"; the API is the
    # "Api" resource of its CloudFormation stack, named lambda_name).
    api = [{"Name": "ApiName", "Value": synth.stage.web_function_name}]
    for metric_id, metric_name in (("errors", "5XXError"), ("requests", "Count")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"] == {"Namespace": "AWS/ApiGateway", "MetricName": metric_name,
                                  "Dimensions": api}, metric_id
        assert stat["Stat"] == "Sum" and stat["Period"] == 300
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanThreshold", \
        "more than 1 % of requests"


# ------------------------------------------------------------------ access log


def _access_log_group(s: Synthesized) -> str:
    return find_one(s.resources, "AWS::Logs::LogGroup",
                    LogGroupName=f"/aws/apigateway/{s.stage.prefix}access")


def test_the_api_access_log_is_encrypted_kept_and_named_in_the_outputs(
        synth: Synthesized) -> None:
    name = _access_log_group(synth)
    props = synth.resources[name]["Properties"]
    (key,) = [n for n, r in synth.of_type("AWS::KMS::Key").items()
              if r["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"]
    assert logical_id(props["KmsKeyId"]) == key, "the access log is not KMS-encrypted"
    assert props["RetentionInDays"] == synth.stage.access_log_days, \
        "the access log (callers' IP addresses) must expire with the stage's access_log_days"
    assert synth.resources[name]["DeletionPolicy"] == ("Retain" if synth.stage.protect
                                                       else "Delete")
    outputs = synth.template["Outputs"]
    arn = text(outputs["ApiAccessLogGroupArn"]["Value"])
    assert arn == ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                   f"/aws/apigateway/{synth.stage.prefix}access"), arn


def test_api_gateway_may_write_the_access_log_and_nothing_else(synth: Synthesized) -> None:
    (account,) = synth.of_type("AWS::ApiGateway::Account").values()
    role = str(logical_id(account["Properties"]["CloudWatchRoleArn"]))
    props = synth.resources[role]["Properties"]
    trust = props["AssumeRolePolicyDocument"]["Statement"]
    assert [text(st["Principal"]["Service"]) for st in trust] == ["apigateway.amazonaws.com"]
    assert not props.get("ManagedPolicyArns"), "AWS's managed policy may write any log group"
    statements = [st for owner, st in identity_statements(synth.resources) if owner == role]
    assert len(statements) == 1
    (st,) = statements
    assert sorted(st.actions) == ["logs:CreateLogStream", "logs:DescribeLogStreams",
                                  "logs:PutLogEvents"]
    assert st.resources == [f"<{_access_log_group(synth)}.Arn>"]
    assert logical_id(synth.template["Outputs"]["ApiGatewayCloudWatchRoleArn"]["Value"]) == role


# ------------------------------------------------------------------ WAF


def _web_acl(s: Synthesized) -> dict[str, Any]:
    (acl,) = s.of_type("AWS::WAFv2::WebACL").values()
    return dict(acl["Properties"])


def test_the_web_acl_is_regional_visible_and_an_output(synth: Synthesized) -> None:
    acl = _web_acl(synth)
    assert acl["Scope"] == "REGIONAL", "an API Gateway stage takes a REGIONAL web ACL"
    assert acl["DefaultAction"] == {"Allow": {}}
    for config in [acl["VisibilityConfig"], *(r["VisibilityConfig"] for r in acl["Rules"])]:
        assert config["CloudWatchMetricsEnabled"] is True
        assert config["SampledRequestsEnabled"] is True
    (name,) = synth.of_type("AWS::WAFv2::WebACL")
    assert synth.template["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": [name, "Arn"]}


def _statements(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The byte matches of a scope-down statement, flattened (And/Or of byte matches)."""
    for kind in ("AndStatement", "OrStatement"):
        if kind in statement:
            return [m for s in statement[kind]["Statements"] for m in _statements(s)]
    return [statement["ByteMatchStatement"]]


def test_the_rate_limit_covers_only_the_auth_posts(synth: Synthesized) -> None:
    rules = {r["Name"]: r for r in _web_acl(synth)["Rules"]}
    rule = rules["auth-rate-limit"]
    assert rule["Action"] == {"Block": {"CustomResponse": {"ResponseCode": 429}}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] == AUTH_RATE_LIMIT
    scope = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert scope[0]["ByteMatchStatement"]["FieldToMatch"] == {"Method": {}}
    assert scope[0]["ByteMatchStatement"]["SearchString"] == "POST"
    paths = {(m["SearchString"], m["PositionalConstraint"]) for m in _statements(scope[1])}
    assert paths == {(p.path, p.match) for p in AUTH_PATHS}
    for match in _statements(scope[1]):
        assert match["FieldToMatch"] == {"UriPath": {}}, "the path, never the query string"
        assert {"Priority": 0, "Type": "URL_DECODE"} in match["TextTransformations"]


# Every POST route where a password, an authenticator code or a one-time token is tried.
AUTH_ENDPOINTS = {"auth.login", "auth.mfa_verify", "auth.signup", "auth.finish_signup",
                  "auth.forgot", "auth.reset", "auth.accept_invite", "orgs.join", "api.login",
                  "api.mfa", "api.create_account", "api.confirm_account"}


def _post_rules(app: Any) -> dict[str, str]:
    """Endpoint → rule of every POST route of the real app. The session devstack's app: building
    a second one would point the models at other tables for the rest of the session."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or set())}


def _waf_matches(path: str) -> bool:
    for auth in AUTH_PATHS:
        if auth.match == "ENDS_WITH" and path.endswith(auth.path):
            return True
        if auth.match == "CONTAINS" and auth.path in path:
            return True
    return False


def test_the_rate_limited_paths_are_the_apps_auth_routes(devstack: Any) -> None:
    posts = _post_rules(devstack.app)
    assert {p.endpoint for p in AUTH_PATHS} == AUTH_ENDPOINTS
    for endpoint, rule in sorted(posts.items()):
        path = re.sub(r"<[^>]+>", "t0k3n", rule)
        for sent in (path, f"/prod{path}"):  # custom domain, and execute-api with the stage
            assert _waf_matches(sent) == (endpoint in AUTH_ENDPOINTS), \
                f"POST {sent} ({endpoint}) is {'' if _waf_matches(sent) else 'not '}rate limited"
    assert AUTH_ENDPOINTS <= set(posts), f"routes gone: {AUTH_ENDPOINTS - set(posts)}"


def test_the_common_rule_set_counts_only_the_body_size_rule(synth: Synthesized) -> None:
    rules = {r["Name"]: r for r in _web_acl(synth)["Rules"]}
    rule = rules["AWSManagedRulesCommonRuleSet"]
    managed = rule["Statement"]["ManagedRuleGroupStatement"]
    assert (managed["VendorName"], managed["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert rule["OverrideAction"] == {"None": {}}, "the set's own actions apply (block)"
    overrides = {o["Name"]: o["ActionToUse"] for o in managed["RuleActionOverrides"]}
    # The app takes bodies over 8 KB: JSON to 64 KiB, /api/ingest to 256 KiB, CSV/GeoJSON
    # imports to 1 MiB. Only that rule counts; every other rule of the set still blocks.
    assert overrides == {"SizeRestrictions_BODY": {"Count": {}}} and COUNT_ONLY == tuple(overrides)
    assert "ExcludedRules" not in managed
    assert sorted(r["Priority"] for r in rules.values()) == list(range(len(rules)))


# ------------------------------------------------------------------ concurrency


def _functions(s: Synthesized) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["FunctionName"].removeprefix(s.stage.prefix): r["Properties"]
            for r in s.of_type("AWS::Lambda::Function").values()}


def test_every_worker_has_a_concurrency_cap_from_one_place(synth: Synthesized) -> None:
    functions = _functions(synth)
    for worker, needs in NEEDS.items():
        props = functions[worker.replace("_", "-")]
        assert props["ReservedConcurrentExecutions"] == needs.concurrency, worker
    assert functions["clip-cutter"]["ReservedConcurrentExecutions"] <= 3, \
        "3 GB clip cutters must not fan out without bound"
    assert sum(p["ReservedConcurrentExecutions"] for p in functions.values()) <= 20, \
        "keep the reservations small (DEPLOY.md: the account keeps 10 unreserved)"


def test_sqs_polls_no_faster_than_the_worker_may_run(synth: Synthesized) -> None:
    functions = {n: r["Properties"] for n, r in synth.of_type("AWS::Lambda::Function").items()}
    queues = {n: text(r["Properties"]["QueueName"]).removeprefix(synth.stage.prefix)
              for n, r in synth.of_type("AWS::SQS::Queue").items()}
    seen = set()
    for mapping in synth.of_type("AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        reserved = functions[str(logical_id(props["FunctionName"]))]
        cap = props["ScalingConfig"]["MaximumConcurrency"]
        assert cap == reserved["ReservedConcurrentExecutions"] >= SQS_MIN_CONCURRENCY, \
            f"{reserved['FunctionName']}: SQS maximum {cap} vs reserved concurrency"
        seen.add(queues[str(logical_id(props["EventSourceArn"]))])
    assert seen == {q.base_name for q in QUEUES}
    for schedule in SCHEDULES:
        worker = schedule.handler.split(":")[0].split(".")[1]
        assert NEEDS[worker].concurrency == 1, f"{worker}: one scheduled run at a time"


# ------------------------------------------------------------------ Object Lock, legal holds


def _bucket(s: Synthesized, what: str) -> dict[str, Any]:
    name = find_one(s.resources, "AWS::S3::Bucket",
                    BucketName=f"{s.stage.prefix}{what}-${{AWS::AccountId}}-${{AWS::Region}}")
    return dict(s.resources[name]["Properties"])


def test_object_lock_is_on_the_clips_bucket_only(synth: Synthesized) -> None:
    clips = _bucket(synth, "clips")
    assert clips["ObjectLockEnabled"] is True
    assert clips["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "ObjectLockConfiguration" not in clips, \
        "no default retention: only legal holds the app places lock anything"
    for what in ("uploads", "access-logs"):
        assert not _bucket(synth, what).get("ObjectLockEnabled"), f"{what} has Object Lock"
    rules = {r["Id"]: r for r in clips["LifecycleConfiguration"]["Rules"]}
    assert {"deleted-means-gone", "drop-expired-delete-markers",
            "retention-backstop-evidence"} <= set(rules), "the lifecycle backstops are gone"
    assert rules["retention-backstop-evidence"]["Prefix"] == "evidence/"


def test_object_lock_enabled_by_hand_stays_out_of_the_template(prod: Synthesized) -> None:
    """-c clips_object_lock=by-hand (DEPLOY.md, Upgrading): the template leaves the setting to
    the operator, so CloudFormation has no reason to replace the bucket."""
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms

    from infra.cdk.porchlight.build import project_context
    from infra.cdk.porchlight.storage import Buckets
    from infra.cdk.stages import stage_from_context

    for mode, expected in (("by-hand", None), ("template", True)):
        stage = stage_from_context({"stage": "prod", "clips_object_lock": mode})
        stack = cdk.Stack(cdk.App(context=project_context()), "Buckets")
        Buckets(stack, "Buckets", stage=stage, key=kms.Key(stack, "Key"))
        resources = stack.resolve(cdk.assertions.Template.from_stack(stack).to_json())
        clips = [r["Properties"] for r in resources["Resources"].values()
                 if r["Type"] == "AWS::S3::Bucket" and "clips" in str(r["Properties"])]
        assert len(clips) == 1
        assert clips[0].get("ObjectLockEnabled") is expected, mode
        assert clips[0]["VersioningConfiguration"] == {"Status": "Enabled"}


def _web_role(s: Synthesized) -> str:
    return find_one(s.resources, "AWS::IAM::Role", RoleName=f"{s.stage.prefix}web")


def _clips(s: Synthesized) -> str:
    return find_one(s.resources, "AWS::S3::Bucket",
                    BucketName=f"{s.stage.prefix}clips-${{AWS::AccountId}}-${{AWS::Region}}")


def _worker_role(s: Synthesized, worker: str) -> str:
    fn = find_one(s.resources, "AWS::Lambda::Function", FunctionName=f"{s.stage.prefix}{worker}")
    return str(logical_id(s.resources[fn]["Properties"]["Role"]))


def test_the_web_role_has_exactly_the_legal_hold_actions_on_evidence(synth: Synthesized) -> None:
    holds = [st for owner, st in identity_statements(synth.resources)
             if owner == _web_role(synth) and any("LegalHold" in a for a in st.actions)]
    assert len(holds) == 1
    (st,) = holds
    assert sorted(st.actions) == ["s3:GetObjectLegalHold", "s3:PutObjectLegalHold"]
    assert st.resources == [f"<{_clips(synth)}.Arn>/evidence/*"]


@pytest.mark.parametrize("action,roles", [
    # the web app places, lifts and reads holds; a re-cut of held evidence is written held
    ("s3:PutObjectLegalHold", ("web", "clip-cutter")),
    ("s3:GetObjectLegalHold", ("web",)),
    # lifting a hold (web) and deleting due evidence for real (retention) list its versions
    ("s3:ListBucketVersions", ("web", "retention")),
    ("s3:DeleteObjectVersion", ("retention",)),
])
def test_legal_holds_and_versions_only_where_the_code_needs_them(
        synth: Synthesized, action: str, roles: tuple[str, ...]) -> None:
    expected = {_web_role(synth) if r == "web" else _worker_role(synth, r) for r in roles}
    found = {}
    for role, st in identity_statements(synth.resources):
        if any(a == action or a in ("s3:*", "*") for a in st.actions):
            found[role] = st
    assert set(found) == expected, f"{action} is granted to {sorted(found)}"
    for role, st in found.items():
        if action == "s3:ListBucketVersions":
            assert st.actions == [action] and st.resources == [f"<{_clips(synth)}.Arn>"], role
            assert st.condition == {"StringLike": {"s3:prefix": ["evidence/*"]}}, \
                f"{role} may list versions outside evidence/"
        else:
            assert st.resources == [f"<{_clips(synth)}.Arn>/evidence/*"], role
    for _, other in identity_statements(synth.resources):
        assert not any(a in other.actions for a in (
            "s3:PutObjectRetention", "s3:BypassGovernanceRetention",
            "s3:PutBucketObjectLockConfiguration")), "nobody sets retention or bypasses a lock"


def test_deploy_md_covers_object_lock_and_the_api_stage_step() -> None:
    """DEPLOY.md says what enabling Object Lock on a deployed clips bucket does, and when to
    run infra/api_stage.py."""
    deploy = (ROOT / "DEPLOY.md").read_text(encoding="utf-8")
    assert "Object Lock" in deploy and "infra/api_stage.py" in deploy


def test_every_output_is_documented() -> None:
    from tests.infra.cfn import OUTPUTS

    for doc in ("DEPLOY.md", "infra/cdk/README.md"):
        body = (ROOT / doc).read_text(encoding="utf-8")
        missing = sorted(o for o in OUTPUTS if f"`{o}`" not in body)
        assert not missing, f"{doc} does not list the stack outputs {missing}"


def test_every_worker_is_documented() -> None:
    from infra.cdk.porchlight.layout import all_workers

    for doc in ("DEPLOY.md", "infra/cdk/README.md"):
        body = (ROOT / doc).read_text(encoding="utf-8")
        missing = [w for w in all_workers() if f"`{w.replace('_', '-')}`" not in body]
        assert not missing, f"{doc} does not describe the workers {missing}"
