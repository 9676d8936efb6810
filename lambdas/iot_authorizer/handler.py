"""AWS IoT Core's custom authorizer for the device channel (docs/device-channel.md): who may
connect to the stage's MQTT endpoint, and what a connection may do there.

A bridge connects with client id = MQTT user name = its device id, and password = its
credential (`pbd_<device_id>_<secret>`, what it sends the HTTPS API as a bearer token). IoT
Core calls this function at the connect, and again every REFRESH_AFTER_S while the connection
lasts, with `protocolData.mqtt` {clientId, username, password (base64)}. It accepts only when
the three name one paired device whose credential is valid and not revoked (checked by
`bridges.authenticate`, as the API checks it), and then allows that device its own two topics
and nothing else: connect as itself, subscribe to and receive its `cmd` topic, publish to its
`status` topic (its last will included). Anything else, junk included, is refused with no
policy. A revoked bridge is cut off at its next refresh, within the hour.

Never logged: the password, the credential, the event (log_event is off whatever the
environment says). The role may read items of the bridges table and nothing else, so the
function loads no app setting and never the app secret (lambdas.common.tables_only).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from app.core.errors import UnauthorizedError
from app.services.cameras import bridges
from lambdas.common import make_logger, tables_only

logger = make_logger("iot-authorizer")

DISCONNECT_AFTER_S = 86400  # a connection lasts at most a day (IoT Core's maximum), then reconnects
REFRESH_AFTER_S = 3600  # the credential is checked again every hour: revocation takes hold
MAX_PASSWORD_CHARS = 256  # base64 of a credential, which is at most 120 characters
# A device id (uuid4 hex). IoT Core's principalId must be alphanumeric, and an id in a topic or
# a policy resource must hold no MQTT wildcard (+, #) or level separator.
DEVICE_ID = re.compile(r"[A-Za-z0-9]{1,64}")
FUNCTION_ARN = re.compile(r"arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:.+")


def refused() -> dict[str, Any]:
    """No connection, no policy (the durations are IoT Core's minimum, and mean nothing here)."""
    return {"isAuthenticated": False, "principalId": "refused",
            "disconnectAfterInSeconds": 300, "refreshAfterInSeconds": 300,
            "policyDocuments": []}


def iot_arn(context: Any) -> str | None:
    """`arn:<partition>:iot:<region>:<account>`, from the function's own ARN."""
    found = FUNCTION_ARN.fullmatch(str(getattr(context, "invoked_function_arn", "") or ""))
    return f"arn:{found[1]}:iot:{found[2]}:{found[3]}" if found else None


def _part(event: Any, *path: str) -> Any:
    """event[path[0]][path[1]]…, or None where something on the way is not an object."""
    for key in path:
        event = event.get(key) if isinstance(event, dict) else None
    return event


def connect_request(event: Any) -> tuple[str, str] | None:
    """(device id, credential) from an MQTT connect whose client id and user name are the same
    device id; None for anything else (HTTP, a missing or mismatched field, a password that is
    not base64 of text)."""
    client_id, username, password = (_part(event, "protocolData", "mqtt", key)
                                      for key in ("clientId", "username", "password"))
    if not isinstance(client_id, str) or not DEVICE_ID.fullmatch(client_id) \
            or username != client_id:
        return None
    if not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD_CHARS:
        return None
    try:
        credential = base64.b64decode(password, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, credential


def policy_documents(arn: str, stage: str, device_id: str) -> list[str]:
    """What one bridge may do: connect as itself, hear its own commands, say its own status.
    The topics are app.services.realtime.channel.topic's: porchlight/<stage>/bridge/<id>/…"""
    topic = f"porchlight/{stage}/bridge/{device_id}"
    allow = [("iot:Connect", f"{arn}:client/{device_id}"),
             ("iot:Subscribe", f"{arn}:topicfilter/{topic}/cmd"),
             ("iot:Receive", f"{arn}:topic/{topic}/cmd"),
             ("iot:Publish", f"{arn}:topic/{topic}/status")]
    return [json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}
        for action, resource in allow]})]


def decide(event: Any, arn: str | None, stage: str) -> tuple[dict[str, Any], str]:
    """The answer for IoT Core, and why (for the log line)."""
    asked = connect_request(event)
    if asked is None:
        return refused(), "not an MQTT connect with client id = user name = a device id"
    if arn is None:
        return refused(), "the function's own ARN is unreadable"
    device_id, credential = asked
    try:
        device = bridges.authenticate(f"Bearer {credential}")
    except UnauthorizedError:
        return refused(), "unknown, revoked or wrong credential"
    if device.device_id != device_id:
        return refused(), "the credential is another device's"
    return {"isAuthenticated": True, "principalId": device_id,
            "disconnectAfterInSeconds": DISCONNECT_AFTER_S,
            "refreshAfterInSeconds": REFRESH_AFTER_S,
            "policyDocuments": policy_documents(arn, stage, device_id)}, "paired device"


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = tables_only()
    answer, why = decide(event, iot_arn(context), stage)
    client_id = _part(event, "protocolData", "mqtt", "clientId")
    logger.info("bridge connect", extra={
        "device": client_id if isinstance(client_id, str) and DEVICE_ID.fullmatch(client_id)
        else "-", "connection": str(_part(event, "connectionMetadata", "id"))[:64],
        "allowed": answer["isAuthenticated"], "why": why})
    return answer
