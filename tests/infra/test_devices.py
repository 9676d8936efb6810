"""The device channel on AWS IoT Core (infra/cdk/porchlight/devices.py, docs/device-channel.md),
asserted on the synthesized template: who may connect (the custom authorizer, behind the
stage's own endpoint), where status messages go (the rule, its SQL), who may invoke the two
functions, and that the only IoT action anybody holds is the web app publishing commands."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from infra.cdk.porchlight.devices import TLS_POLICY, topics
from lambdas.common import TABLES_ONLY_SETTINGS
from lambdas.iot_authorizer.handler import policy_documents
from tests.infra.cfn import find_one, identity_statements, logical_id, role_statements, text
from tests.infra.conftest import Synthesized


def _function(s: Synthesized, worker: str) -> str:
    return find_one(s.resources, "AWS::Lambda::Function",
                    FunctionName=f"{s.stage.prefix}{worker}")


def _one(s: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = s.of_type(kind).items()
    return found[0], dict(found[1]["Properties"])


def _invokers(s: Synthesized, function: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in s.of_type("AWS::Lambda::Permission").values()
            if logical_id(r["Properties"]["FunctionName"]) == function]


def test_the_authorizer_takes_the_mqtt_password_and_is_the_endpoints_default(
        synth: Synthesized) -> None:
    name, authorizer = _one(synth, "AWS::IoT::Authorizer")
    assert logical_id(authorizer["AuthorizerFunctionArn"]) == _function(synth, "iot-authorizer")
    assert authorizer["SigningDisabled"] is True, "the token is the MQTT password: no signature"
    assert authorizer["EnableCachingForHttp"] is False and authorizer["Status"] == "ACTIVE"
    _, domain = _one(synth, "AWS::IoT::DomainConfiguration")
    assert domain["AuthorizerConfig"] == {"DefaultAuthorizerName": authorizer["AuthorizerName"],
                                          "AllowAuthorizerOverride": False}, \
        "a device on the stage's endpoint must meet this authorizer and no other"
    assert domain["ServiceType"] == "DATA" and domain["DomainConfigurationStatus"] == "ENABLED"
    assert "DomainName" not in domain and "ServerCertificateArns" not in domain, \
        "an AWS-managed domain: AWS's host name and certificate"
    assert domain["TlsConfig"] == {"SecurityPolicy": TLS_POLICY} and "TLS13_1_2" in TLS_POLICY
    assert synth.template["Outputs"]["DeviceEndpointName"]["Value"] == \
        domain["DomainConfigurationName"], "DEPLOY.md reads the host by this name"
    assert name in synth.resources[find_one(
        synth.resources, "AWS::IoT::DomainConfiguration")].get("DependsOn", []), \
        "the endpoint names the authorizer: it must exist first"


def test_status_messages_reach_the_bridge_status_worker_with_the_id_from_the_topic(
        synth: Synthesized) -> None:
    _, rule = _one(synth, "AWS::IoT::TopicRule")
    payload = rule["TopicRulePayload"]
    assert payload["Sql"] == ("SELECT state, since, at, topic(4) AS device_id FROM "
                              f"'porchlight/{synth.stage.name}/bridge/+/status'"), \
        "named fields only, the device id from the topic (a payload cannot name another)"
    assert payload["AwsIotSqlVersion"] == "2016-03-23" and payload["RuleDisabled"] is False
    assert [logical_id(a["Lambda"]["FunctionArn"]) for a in payload["Actions"]] == \
        [_function(synth, "bridge-status")]
    assert topics(synth.stage, "+", "status").split("/")[3] == "+", "topic(4) is the device id"


@pytest.mark.parametrize("worker,trigger", [("iot-authorizer", "AWS::IoT::Authorizer"),
                                            ("bridge-status", "AWS::IoT::TopicRule")])
def test_iot_may_invoke_each_function_only_as_its_authorizer_or_rule(
        synth: Synthesized, worker: str, trigger: str) -> None:
    trigger_id, _ = _one(synth, trigger)
    (permission,) = _invokers(synth, _function(synth, worker))
    assert permission["Principal"] == "iot.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    assert logical_id(permission["SourceArn"]) == trigger_id and \
        text(permission["SourceArn"]) == f"<{trigger_id}.Arn>"
    assert text(permission["SourceAccount"]) == "${AWS::AccountId}"


def _bridges_table(s: Synthesized) -> str:
    return find_one(s.resources, "AWS::DynamoDB::Table",
                    TableName=f"{s.stage.prefix}bridge-devices")


def _role(s: Synthesized, worker: str) -> str:
    return str(logical_id(s.resources[_function(s, worker)]["Properties"]["Role"]))


def test_the_authorizer_may_read_a_bridge_item_and_nothing_else(synth: Synthesized) -> None:
    statements = role_statements(synth.resources, _role(synth, "iot-authorizer"))
    data = [st for st in statements if not any(a.startswith(("logs:", "kms:"))
                                               for a in st.actions)]
    assert [(st.actions, st.resources) for st in data] == \
        [(["dynamodb:GetItem"], [f"<{_bridges_table(synth)}.Arn>"])], \
        "one GetItem on the bridges table: no query, scan, index, write, secret or queue"
    (key,) = [st for st in statements if any(a.startswith("kms:") for a in st.actions)]
    assert key.actions == ["kms:Decrypt"]
    assert [text(v) for v in key.condition["StringEquals"]["kms:ViaService"]] == \
        ["dynamodb.${AWS::Region}.amazonaws.com"], "the key through DynamoDB only"
    props = synth.resources[_function(synth, "iot-authorizer")]["Properties"]
    assert set(props["Environment"]["Variables"]) <= set(TABLES_ONLY_SETTINGS), \
        "no secret's ARN, queue or bucket in its environment: it loads none of them"
    assert props["Timeout"] <= 5, "IoT Core waits 5 s for a custom authorizer"


def test_the_status_worker_may_read_and_update_a_bridge_item_only(synth: Synthesized) -> None:
    table = f"<{_bridges_table(synth)}.Arn>"
    on_tables = [st for st in role_statements(synth.resources, _role(synth, "bridge-status"))
                 if any(a.startswith("dynamodb:") for a in st.actions)]
    assert [(sorted(st.actions), st.resources) for st in on_tables] == \
        [(["dynamodb:GetItem", "dynamodb:UpdateItem"], [table])], \
        "it marks a device connected or not; it never adds, deletes or lists devices"


def test_the_only_iot_action_is_the_web_app_publishing_commands(synth: Synthesized) -> None:
    web = find_one(synth.resources, "AWS::IAM::Role", RoleName=f"{synth.stage.prefix}web")
    granted = [(role, st.actions, st.resources) for role, st in identity_statements(
        synth.resources) if any(a.startswith("iot") for a in st.actions)]
    assert granted == [(web, ["iot:Publish"], [
        "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:"
        f"topic/porchlight/{synth.stage.name}/bridge/*/cmd"])], granted


def test_the_authorizers_policy_names_the_topics_the_app_and_the_stack_use(
        prod: Synthesized) -> None:
    """The handler, the stack and the app's channel agree on each bridge's two topics."""
    from app.services.realtime import channel

    arn = "arn:aws:iot:us-east-1:123456789012"
    (document,) = policy_documents(arn, prod.stage.name, "d1")
    statements = json.loads(document)["Statement"]
    settings: Any = SimpleNamespace(env=prod.stage.name)
    assert [(st["Effect"], st["Action"], st["Resource"]) for st in statements] == [
        ("Allow", "iot:Connect", f"{arn}:client/d1"),
        ("Allow", "iot:Subscribe", f"{arn}:topicfilter/{channel.topic(settings, 'd1', 'cmd')}"),
        ("Allow", "iot:Receive", f"{arn}:topic/{channel.topic(settings, 'd1', 'cmd')}"),
        ("Allow", "iot:Publish", f"{arn}:topic/{channel.topic(settings, 'd1', 'status')}")]
    assert channel.topic(settings, "d1", "cmd") == topics(prod.stage, "d1", "cmd")
