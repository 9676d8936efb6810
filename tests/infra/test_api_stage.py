"""infra/api_stage.py against moto's server: it finds Zappa's REST API by name, sets the
access log, turns execution logging and data trace off, associates the web ACL, checks the
account's CloudWatch role, and a second run changes nothing.

moto 5.2 supports what the script calls (get_rest_apis, get_stage, update_stage with
accessLogSettings and method-setting patches, get_account/update_account, wafv2
get_web_acl_for_resource/associate_web_acl/disassociate_web_acl). It does not check what AWS
checks on top: that the destination log group exists and API Gateway's role may write it, that
the format is one API Gateway accepts (it must hold $context.requestId), that the web ACL is
REGIONAL and in the API's region; and it writes no log. Those are covered by the template tests
(tests/infra/test_edge.py) and by reading the stage after the first real deploy (DEPLOY.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.api_stage import ACCESS_LOG_FIELDS, ACCESS_LOG_FORMAT, main

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/porchlight-prod-infra-GatewayCloudWatchRole"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/apigateway/porchlight-prod-access"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's server on loopback. Not mock_aws(): it resets every moto backend of this process
    when it starts and stops, the session devstack's tables and queues included."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> Iterator[dict[str, Any]]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION), ("AWS_ENDPOINT_URL", moto_endpoint)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    apigateway = boto3.client("apigateway", region_name=REGION)
    wafv2 = boto3.client("wafv2", region_name=REGION)
    # What `zappa deploy prod` leaves: a REST API named like the function, a proxy method,
    # a deployment to the stage "prod", and stage settings from zappa_settings.json; here
    # someone also turned INFO execution logs and the data trace on.
    api = apigateway.create_rest_api(name="porchlight-prod")
    root = apigateway.get_resources(restApiId=api["id"])["items"][0]["id"]
    apigateway.put_method(restApiId=api["id"], resourceId=root, httpMethod="ANY",
                          authorizationType="NONE")
    apigateway.put_integration(restApiId=api["id"], resourceId=root, httpMethod="ANY",
                               type="MOCK")
    apigateway.create_deployment(restApiId=api["id"], stageName="prod")
    apigateway.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"}])
    apigateway.create_rest_api(name="someone-else")  # not ours: left alone
    apigateway.update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": ROLE}])

    def acl(name: str) -> str:
        return str(wafv2.create_web_acl(
            Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": True,
                              "CloudWatchMetricsEnabled": True,
                              "MetricName": name.replace("-", "")})["Summary"]["ARN"])

    made = {"apigateway": apigateway, "wafv2": wafv2, "api_id": api["id"],
            "acl": acl("porchlight-prod-web"), "other_acl": acl("old-acl")}
    yield made
    # The server lives for the module: leave it as empty as each test found it.
    for item in apigateway.get_rest_apis()["items"]:
        apigateway.delete_rest_api(restApiId=item["id"])
    for summary in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]:
        wafv2.delete_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"],
                             LockToken=summary["LockToken"])


def _outputs(tmp_path: Path, aws: dict[str, Any], **change: str) -> Path:
    outputs = {"WebFunctionName": "porchlight-prod", "ApiAccessLogGroupArn": LOG_GROUP,
               "WebAclArn": aws["acl"], "ApiGatewayCloudWatchRoleArn": ROLE,
               "TablePrefix": "porchlight-prod-", **change}
    path = tmp_path / "cdk-outputs.json"
    path.write_text(json.dumps({"porchlight-prod-infra": outputs}))
    return path


def _stage(aws: dict[str, Any]) -> dict[str, Any]:
    stage = dict(aws["apigateway"].get_stage(restApiId=aws["api_id"], stageName="prod"))
    stage.pop("ResponseMetadata", None)
    return stage


def _stage_arn(aws: dict[str, Any]) -> str:
    return f"arn:aws:apigateway:{REGION}::/restapis/{aws['api_id']}/stages/prod"


def test_the_stage_gets_the_access_log_no_data_trace_and_the_web_acl(
        aws: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws))]) == 0
    stage = _stage(aws)
    assert stage["accessLogSettings"] == {"destinationArn": LOG_GROUP,
                                          "format": ACCESS_LOG_FORMAT}
    assert stage["methodSettings"]["*/*"]["dataTraceEnabled"] is False
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "OFF"
    attached = aws["wafv2"].get_web_acl_for_resource(ResourceArn=_stage_arn(aws))
    assert attached["WebACL"]["ARN"] == aws["acl"]
    assert stage.get("webAclArn") == aws["acl"]
    out = capsys.readouterr().out
    assert "/accessLogSettings/destinationArn" in out and "associated the web ACL" in out

    # Idempotent: the second run finds everything in place and changes nothing.
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws))]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert _stage(aws) == stage


def test_a_dry_run_changes_nothing(aws: dict[str, Any], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = _stage(aws)
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would replace /*/*/logging/dataTrace = false" in out
    assert "would associate the web ACL" in out
    assert _stage(aws) == before
    assert not aws["wafv2"].get_web_acl_for_resource(ResourceArn=_stage_arn(aws)).get("WebACL")


def test_another_web_acl_on_the_stage_is_replaced(aws: dict[str, Any], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    aws["wafv2"].associate_web_acl(WebACLArn=aws["other_acl"], ResourceArn=_stage_arn(aws))
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws))]) == 0
    assert f"instead of {aws['other_acl']}" in capsys.readouterr().out
    attached = aws["wafv2"].get_web_acl_for_resource(ResourceArn=_stage_arn(aws))
    assert attached["WebACL"]["ARN"] == aws["acl"]


def test_a_foreign_cloudwatch_role_is_reported(aws: dict[str, Any], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """One role per account and region: another stage's stack may have replaced ours."""
    aws["apigateway"].update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn",
         "value": f"arn:aws:iam::{ACCOUNT}:role/porchlight-dev-infra-GatewayCloudWatchRole"}])
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws))]) == 1
    assert "no access log is written" in capsys.readouterr().err
    assert _stage(aws)["accessLogSettings"]["destinationArn"] == LOG_GROUP, \
        "the stage is still set; only the account's role is wrong"


@pytest.mark.parametrize("change,message", [
    ({"WebFunctionName": "porchlight-nope"}, "no REST API named"),
    ({"WebAclArn": ""}, "lack WebAclArn"),
])
def test_what_cannot_be_done_is_said(aws: dict[str, Any], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], change: dict[str, str],
                                     message: str) -> None:
    assert main(["prod", "--outputs", str(_outputs(tmp_path, aws, **change))]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_stage_is_said(aws: dict[str, Any], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cdk-outputs.json"
    path.write_text(_outputs(tmp_path, aws).read_text().replace("porchlight-prod-infra",
                                                                 "porchlight-dev-infra"))
    assert main(["dev", "--outputs", str(path)]) == 2
    assert "has no stage 'dev'" in capsys.readouterr().err


# ------------------------------------------------------------------ the format itself

# $context variables that never hold the query string, the path the client sent, headers,
# bodies or anything a client chose beyond its user agent.
SAFE_VARIABLES = {
    "$context.requestId", "$context.extendedRequestId", "$context.requestTime",
    "$context.identity.sourceIp", "$context.identity.userAgent", "$context.httpMethod",
    "$context.resourcePath", "$context.protocol", "$context.domainName", "$context.status",
    "$context.responseLength", "$context.responseLatency", "$context.integrationLatency",
    "$context.integration.status", "$context.integration.error", "$context.error.responseType",
    "$context.wafResponseCode",
}


def test_the_access_log_format_never_holds_the_query_or_the_path() -> None:
    fields = json.loads(ACCESS_LOG_FORMAT)
    assert fields == ACCESS_LOG_FIELDS, "the format is the JSON of ACCESS_LOG_FIELDS"
    used = set(re.findall(r"\$[\w.]+", ACCESS_LOG_FORMAT))
    assert used <= SAFE_VARIABLES, f"variables not reviewed for privacy: {used - SAFE_VARIABLES}"
    assert "$context.requestId" in used, "API Gateway requires the request id in the format"
    lowered = ACCESS_LOG_FORMAT.lower()
    for forbidden in ("querystring", "$context.path", "requestoverride", "$input", "$method",
                      "$request", "$util", "authorizer", "header"):
        assert forbidden not in lowered, f"the access log format holds {forbidden}"
    assert all(isinstance(v, str) and v.count("$") == 1 for v in fields.values()), \
        "one variable per field, quoted, so every line stays valid JSON"
