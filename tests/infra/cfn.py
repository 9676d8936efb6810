"""Reading a synthesized CloudFormation template in plain Python (no jsii round trips)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


def text(value: Any) -> str:
    """A resource reference as readable text: <Logical.Arn>, <Logical>, ${AWS::Region}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            return f"${{{arg}}}" if str(arg).startswith("AWS::") else f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Join":
            return str(arg[0]).join(text(part) for part in arg[1])
        if fn == "Fn::Sub":
            return str(arg if isinstance(arg, str) else arg[0])
    return repr(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def logical_id(value: Any) -> str | None:
    """The resource a Ref or GetAtt points at."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


@dataclass(frozen=True)
class Statement:
    owner: str  # the policy (or role) that holds it
    sid: str
    effect: str
    actions: list[str]
    resources: list[str]  # as text()
    condition: dict[str, Any]
    raw: dict[str, Any]


def _statements(owner: str, document: dict[str, Any]) -> Iterator[Statement]:
    for s in as_list(document.get("Statement", [])):
        yield Statement(owner=owner, sid=str(s.get("Sid", "")), effect=s["Effect"],
                        actions=[str(a) for a in as_list(s.get("Action", []))],
                        resources=[text(r) for r in as_list(s.get("Resource", []))],
                        condition=dict(s.get("Condition", {})), raw=s)


def identity_statements(resources: dict[str, dict[str, Any]]) -> Iterator[tuple[str, Statement]]:
    """Every statement of every IAM identity policy, with the role(s) it is attached to."""
    for name, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in as_list(props.get("Roles", [])):
                for st in _statements(name, props["PolicyDocument"]):
                    yield str(logical_id(role)), st
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for st in _statements(name, policy["PolicyDocument"]):
                    yield name, st


def role_statements(resources: dict[str, dict[str, Any]], role: str) -> list[Statement]:
    return [st for owner, st in identity_statements(resources) if owner == role]


def find_one(resources: dict[str, dict[str, Any]], kind: str, **props: Any) -> str:
    """The logical id of the single resource of this type whose properties (as text) match."""
    found = [name for name, res in resources.items() if res["Type"] == kind and all(
        text(res.get("Properties", {}).get(k)) == v for k, v in props.items())]
    assert len(found) == 1, f"expected one {kind} with {props}, found {found}"
    return found[0]


# The stack's outputs: what the app and a deploy read (DEPLOY.md and infra/cdk/README.md list
# them all).
OUTPUTS = {"TablePrefix", "UploadsBucket", "ClipsBucket", "MailQueueUrl", "AuditFanoutQueueUrl",
           "PushQueueUrl", "ClipsQueueUrl", "ErasureQueueUrl", "SecretsArn", "WebRoleArn",
           "WebFunctionName", "KmsKeyArn", "CheckpointKeyArn", "PlaceIndexName", "AlarmTopicArn",
           "ApiAccessLogGroupArn", "ApiGatewayCloudWatchRoleArn", "WebAclArn",
           "DeviceEndpointName"}
