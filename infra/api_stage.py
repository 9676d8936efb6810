"""Attach the stack's access log and WAF web ACL to the REST API stage Zappa made.

Zappa owns the web app's REST API and stage (its own CloudFormation stack); the CDK stack makes
the access log group, API Gateway's CloudWatch role and the WAF web ACL. After `zappa deploy`
(and, harmlessly, after every `zappa update`), this points the stage at them:

    .venv/bin/python -m infra.api_stage prod --outputs cdk-outputs.json

It finds the REST API by name (Zappa names it like the function, the stack's WebFunctionName
output) and the stage by the Zappa stage's name, then

- sets the stage's access log: the stack's log group, in ACCESS_LOG_FORMAT below (JSON, and
  never the query string or the request path: both can carry one-time tokens);
- turns execution logging and its data trace off on every method (the data trace logs whole
  request and response bodies, passwords included; INFO execution logs hold query strings and
  headers): the access log replaces them;
- associates the WAF web ACL with the stage;
- checks that API Gateway's account-level CloudWatch role is the stack's (without it no access
  log is written; another stack in the same account and region may have replaced it).

Idempotent: what is already as wanted is left alone, and a second run changes nothing.
`--dry-run` says what would change without changing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.zappa_settings import SettingsError, stack_outputs

# One JSON object per request. Only $context variables that hold neither the query string nor
# the path: resourcePath is the API's resource ("/" or "/{proxy+}" for Zappa's proxy API),
# never the path the client sent, because the app has one-time tokens in paths
# (/password/reset/<token>, /invite/<token>, /org/join/<token>) as well as in query strings.
# The web function's own log has the route when one is needed. The client's IP address is
# personal data: the log group's retention is the stage's access_log_days.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "protocol": "$context.protocol",
    "domain": "$context.domainName",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "integrationError": "$context.integration.error",
    "errorType": "$context.error.responseType",
    "waf": "$context.wafResponseCode",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))
# Stack outputs this needs (DEPLOY.md lists them all).
NEEDED = ("WebFunctionName", "ApiAccessLogGroupArn", "WebAclArn", "ApiGatewayCloudWatchRoleArn")
ALL_METHODS = "*/*"


class StageError(RuntimeError):
    """The REST API or its stage is not where the outputs say; the message says why."""


@dataclass
class Plan:
    """What differs between the stage and what the stack wants."""

    patches: list[dict[str, str]] = field(default_factory=list)
    associate: bool = False
    replaces_acl: str = ""  # another web ACL found on the stage
    notes: list[str] = field(default_factory=list)


def _escape(method_key: str) -> str:
    """A methodSettings key ("*/*", "/pets/GET" or "~1pets/GET") as a patch path part."""
    if method_key == ALL_METHODS:
        return method_key
    resource, _, method = method_key.rpartition("/")
    return f"{resource.replace('~', '~0').replace('/', '~1')}/{method}"


def find_rest_api(apigateway: Any, name: str) -> str:
    """The id of the one REST API with this name (Zappa's "<project_name>-<stage>")."""
    found = [api["id"] for page in apigateway.get_paginator("get_rest_apis").paginate()
             for api in page.get("items", []) if api.get("name") == name]
    if not found:
        raise StageError(f"no REST API named {name!r} in this region: run `zappa deploy` first")
    if len(found) > 1:
        raise StageError(f"{len(found)} REST APIs are named {name!r} ({', '.join(found)}): "
                         "delete the stray ones or pass --api-id")
    return str(found[0])


def plan_stage(stage: dict[str, Any], destination_arn: str, log_format: str) -> Plan:
    plan = Plan()
    current = stage.get("accessLogSettings") or {}
    if current.get("destinationArn") != destination_arn:
        plan.patches.append({"op": "replace", "path": "/accessLogSettings/destinationArn",
                             "value": destination_arn})
    if current.get("format") != log_format:
        plan.patches.append({"op": "replace", "path": "/accessLogSettings/format",
                             "value": log_format})
    settings = dict(stage.get("methodSettings") or {})
    settings.setdefault(ALL_METHODS, {})
    for key, values in sorted(settings.items()):
        if values.get("dataTraceEnabled") is not False:
            plan.patches.append({"op": "replace", "path": f"/{_escape(key)}/logging/dataTrace",
                                 "value": "false"})
        if values.get("loggingLevel") != "OFF" and \
                ("loggingLevel" in values or key == ALL_METHODS):
            plan.patches.append({"op": "replace", "path": f"/{_escape(key)}/logging/loglevel",
                                 "value": "OFF"})
    return plan


def stage_arn(acl_arn: str, api_id: str, stage_name: str) -> str:
    """The stage as WAF names it, in the web ACL's partition and region."""
    parts = acl_arn.split(":")
    partition, region = parts[1], parts[3]
    return f"arn:{partition}:apigateway:{region}::/restapis/{api_id}/stages/{stage_name}"


def apply(session: Any, outputs: dict[str, str], stage_name: str, api_id: str = "",
          dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Bring the stage in line; returns (what changed or would change, warnings)."""
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise SettingsError(f"the stack outputs lack {', '.join(missing)}: deploy the stack "
                            "of this version first")
    acl_arn = outputs["WebAclArn"]
    region = acl_arn.split(":")[3]  # a REGIONAL web ACL lives in the API's region
    apigateway = session.client("apigateway", region_name=region)
    wafv2 = session.client("wafv2", region_name=region)
    api_name = outputs["WebFunctionName"]
    api_id = api_id or find_rest_api(apigateway, api_name)
    try:
        stage = apigateway.get_stage(restApiId=api_id, stageName=stage_name)
    except apigateway.exceptions.NotFoundException as exc:
        raise StageError(f"the REST API {api_name} ({api_id}) has no stage {stage_name!r}: run "
                         "`zappa deploy` first") from exc
    plan = plan_stage(stage, outputs["ApiAccessLogGroupArn"], ACCESS_LOG_FORMAT)
    resource = stage_arn(acl_arn, api_id, stage_name)
    attached = (wafv2.get_web_acl_for_resource(ResourceArn=resource).get("WebACL") or {})
    if attached.get("ARN") != acl_arn:
        plan.associate = True
        plan.replaces_acl = str(attached.get("ARN") or "")
    done = [f"{'would ' if dry_run else ''}{p['op']} {p['path']} = {p['value']}"
            for p in plan.patches]
    if plan.associate:
        done.append(f"{'would associate' if dry_run else 'associated'} the web ACL {acl_arn}"
                    + (f" (instead of {plan.replaces_acl})" if plan.replaces_acl else ""))
    if not dry_run:
        if plan.patches:
            apigateway.update_stage(restApiId=api_id, stageName=stage_name,
                                    patchOperations=plan.patches)
        if plan.associate:
            if plan.replaces_acl:
                wafv2.disassociate_web_acl(ResourceArn=resource)
            wafv2.associate_web_acl(WebACLArn=acl_arn, ResourceArn=resource)
    warnings = []
    role = apigateway.get_account().get("cloudwatchRoleArn", "")
    wanted = outputs["ApiGatewayCloudWatchRoleArn"]
    if role != wanted:
        warnings.append(
            f"API Gateway's CloudWatch role in {region} is {role or 'not set'}, not this "
            f"stack's {wanted}: no access log is written. Another stack in this account and "
            "region set it after this one (one role per account and region): deploy this "
            "stack again, or give each stage its own account (DEPLOY.md).")
    return done, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", help="the Zappa stage, e.g. prod (also the API stage's name)")
    parser.add_argument("--outputs", type=Path, required=True,
                        help="the file `cdk deploy --outputs-file` wrote")
    parser.add_argument("--api-id", default="",
                        help="the REST API's id, when its name is not unique in the region")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, only")
    args = parser.parse_args(argv)
    import boto3

    try:
        outputs = stack_outputs(args.outputs, args.stage)
        done, warnings = apply(boto3.session.Session(), outputs, args.stage, args.api_id,
                               args.dry_run)
    except (SettingsError, StageError) as exc:
        sys.stderr.write(f"API stage not changed: {exc}\n")
        return 2
    name = outputs["WebFunctionName"]
    for line in done:
        sys.stdout.write(f"{name}/{args.stage}: {line}\n")
    if not done:
        sys.stdout.write(f"{name}/{args.stage}: access log, execution logging and web ACL "
                         "already as the stack wants; nothing changed\n")
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return 1 if warnings else 0


if __name__ == "__main__":
    raise SystemExit(main())
