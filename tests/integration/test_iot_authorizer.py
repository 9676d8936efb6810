"""AWS IoT Core's custom authorizer (lambdas/iot_authorizer) at its boundary: the connect events
IoT Core sends it, for bridges paired through the running app, against devstack's tables.

A paired bridge's real credential, as client id = user name = its device id, is let in with
its own two topics and nothing else; a wrong credential, a revoked bridge, another bridge's
credential, a client id that is not the user name, and junk are refused with no policy; the
password and the credential never reach the log.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

import pytest

from app.services.cameras import bridges
from app.services.realtime import channel
from devstack.worker_loop import LambdaContext
from lambdas.iot_authorizer import handler as authorizer
from lambdas.iot_authorizer.handler import handler
from tests.builders.bridges import paired_bridge
from tests.support import Client

ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}"


def context(arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:porchlight-iot-authorizer"
            ) -> LambdaContext:
    return LambdaContext(function_name="porchlight-iot-authorizer", invoked_function_arn=arn,
                         aws_request_id=uuid.uuid4().hex, timeout_seconds=5)


def connect(client_id: Any, username: Any, password: Any) -> dict[str, Any]:
    """An MQTT CONNECT as IoT Core hands it to the authorizer (the password base64, as IoT
    Core encodes it; a str password is sent as given)."""
    mqtt: dict[str, Any] = {"clientId": client_id, "username": username}
    if password is not None:
        mqtt["password"] = (base64.b64encode(password).decode()
                            if isinstance(password, bytes) else password)
    return {"token": None, "signatureVerified": False, "protocols": ["tls", "mqtt"],
            "protocolData": {"tls": {"serverName": "abc-ats.iot.us-east-1.amazonaws.com"},
                             "mqtt": mqtt},
            "connectionMetadata": {"id": str(uuid.uuid4())}}


def refused(answer: dict[str, Any]) -> bool:
    return answer["isAuthenticated"] is False and answer["policyDocuments"] == []


class Bridge:
    def __init__(self, owner: Client, base_url: str) -> None:
        _client, headers, self.device_id = paired_bridge(owner, base_url)
        self.credential = headers["Authorization"].removeprefix("Bearer ")

    def connect(self, credential: str | None = None, client_id: str | None = None,
                username: str | None = None) -> dict[str, Any]:
        return connect(client_id or self.device_id, username or self.device_id,
                       (credential or self.credential).encode())


@pytest.fixture
def owner(signed_in: Any) -> tuple[Client, Any]:
    client, account = signed_in("owner")
    return client, account


def test_a_paired_bridge_is_let_in_with_its_own_two_topics_only(
        owner: tuple[Client, Any], base_url: str, settings: Any) -> None:
    bridge = Bridge(owner[0], base_url)
    answer = handler(bridge.connect(), context())
    assert answer["isAuthenticated"] is True and answer["principalId"] == bridge.device_id
    assert (answer["disconnectAfterInSeconds"], answer["refreshAfterInSeconds"]) == (86400, 3600)
    (document,) = answer["policyDocuments"]
    policy = json.loads(document)
    assert policy["Version"] == "2012-10-17"
    device = bridge.device_id
    cmd, status = (channel.topic(settings, device, kind) for kind in ("cmd", "status"))
    assert [(st["Effect"], st["Action"], st["Resource"]) for st in policy["Statement"]] == [
        ("Allow", "iot:Connect", f"{ARN}:client/{device}"),
        ("Allow", "iot:Subscribe", f"{ARN}:topicfilter/{cmd}"),
        ("Allow", "iot:Receive", f"{ARN}:topic/{cmd}"),
        ("Allow", "iot:Publish", f"{ARN}:topic/{status}")], \
        "connect as itself, hear its own commands, say its own status: nothing else"
    assert cmd == f"porchlight/{settings.env}/bridge/{device}/cmd"
    # The partition, region and account come from the function's own ARN.
    gov = handler(bridge.connect(), context(
        f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT}:function:porchlight-iot-authorizer"))
    assert f"arn:aws-us-gov:iot:us-gov-west-1:{ACCOUNT}:client/{device}" in \
        gov["policyDocuments"][0]


def test_a_wrong_credential_or_another_bridges_is_refused(
        owner: tuple[Client, Any], base_url: str) -> None:
    bridge, other = Bridge(owner[0], base_url), Bridge(owner[0], base_url)
    prefix, _, secret = bridge.credential.rpartition("_")
    wrong = f"{prefix}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    assert refused(handler(bridge.connect(credential=wrong), context()))
    assert refused(handler(bridge.connect(credential="pbd_" + bridge.device_id), context()))
    # Another bridge's valid credential, under this bridge's id (and the other way round).
    assert refused(handler(bridge.connect(credential=other.credential), context()))
    assert refused(handler(other.connect(credential=bridge.credential), context()))
    # A client id that is not the user name, though user name and credential match.
    assert refused(handler(bridge.connect(client_id=other.device_id), context()))
    assert refused(handler(bridge.connect(username=other.device_id), context()))
    # Both still get in with their own.
    assert handler(bridge.connect(), context())["isAuthenticated"] is True
    assert handler(other.connect(), context())["isAuthenticated"] is True


def test_a_revoked_bridge_is_refused_at_its_next_connect_or_refresh(
        owner: tuple[Client, Any], base_url: str) -> None:
    bridge = Bridge(owner[0], base_url)
    assert handler(bridge.connect(), context())["isAuthenticated"] is True
    bridges.revoke(owner[1].user, bridge.device_id, "127.0.0.1")
    assert refused(handler(bridge.connect(), context())), \
        "IoT Core asks again every refreshAfterInSeconds: a revoked bridge is cut off"


JUNK: list[Any] = [
    None, [], "connect", 7, {}, {"protocolData": "mqtt"}, {"protocolData": {"mqtt": None}},
    {"protocolData": {"mqtt": []}},
    # HTTP, not MQTT (the endpoint's HTTPS side never carries a bridge).
    {"protocols": ["tls", "http"], "protocolData": {"http": {
        "headers": {"Authorization": "Bearer pbd_x_y"}, "queryString": ""}}},
]


@pytest.mark.parametrize("event", JUNK, ids=lambda e: type(e).__name__ + str(len(str(e))))
def test_junk_is_refused_without_a_fault(event: Any) -> None:
    assert refused(handler(event, context()))


def test_malformed_connects_are_refused_without_a_fault(
        owner: tuple[Client, Any], base_url: str) -> None:
    bridge = Bridge(owner[0], base_url)
    device, good = bridge.device_id, bridge.credential.encode()
    for event in (
            connect(device, device, None),  # no password
            connect(device, None, good), connect(None, device, good),
            connect(device, device, "!!not base64!!"),
            connect(device, device, b"\xff\xfe" + good),  # not text
            connect(device, device, base64.b64encode(good).decode() + "=" * 300),  # too long
            connect(device, device, ""),
            connect(f"{device}/+", f"{device}/+", good),  # wildcards and levels in an id
            connect("#", "#", good), connect("", "", good),
            connect(device, device, {"nested": "password"}),
            connect(device, device, f"Bearer {bridge.credential}".encode())):
        assert refused(handler(event, context())), event["protocolData"]["mqtt"]
    # The function's ARN names the account and region of every policy: unreadable, no entry.
    assert refused(handler(bridge.connect(), context(arn="")))
    assert refused(handler(bridge.connect(), context(arn="arn:aws:lambda:x")))


class Keep(logging.Handler):
    """Every record of the authorizer's logger, its extras and the JSON line it prints."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        line = authorizer.logger.registered_formatter.format(record)
        self.texts.append(line + json.dumps(record.__dict__, default=str))


def test_neither_the_password_nor_the_credential_is_logged(
        owner: tuple[Client, Any], base_url: str) -> None:
    bridge = Bridge(owner[0], base_url)
    keep = Keep()
    target = logging.getLogger(authorizer.logger.name)
    before = target.level
    target.addHandler(keep)
    target.setLevel(logging.DEBUG)  # the most it could ever say
    try:
        handler(bridge.connect(), context())
        handler(bridge.connect(credential=bridge.credential + "x"), context())
        handler(connect("+", "+", bridge.credential.encode()), context())
    finally:
        target.removeHandler(keep)
        target.setLevel(before)
    decisions = [r.__dict__ for r in keep.records if r.getMessage() == "bridge connect"]
    assert [(d["allowed"], d["device"]) for d in decisions] == [
        (True, bridge.device_id), (False, bridge.device_id), (False, "-")]
    logged = "\n".join(keep.texts)
    secret = bridge.credential.rpartition("_")[2]
    for value in (bridge.credential, secret, base64.b64encode(bridge.credential.encode()).decode()):
        assert value not in logged, "a bridge's secret reached the log"
