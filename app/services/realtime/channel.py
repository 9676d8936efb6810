"""The device channel: how the app wakes a paired bridge within about a second
(docs/device-channel.md).

Each bridge listens on its own MQTT topic, `porchlight/<stage>/bridge/<device_id>/cmd`, and
tells how it is on `.../status` (its connection, and its last will when it drops). On AWS the
broker is AWS IoT Core and the app publishes through the IoT data plane (`iot-data` Publish,
HTTPS); in devstack it is mosquitto, and the app logs in as the broker user `porchlight-app`,
the only one allowed to publish commands. Which one is PORCHLIGHT_DEVICE_CHANNEL.

A command never carries an order the bridge obeys: it only says "ask the server now". The bridge
then calls GET /api/bridge/state over HTTPS with its own credential, and the server answers
under the owner's rules, as it does for every poll. So a command that is lost costs at most the
wait until the bridge's slow poll (CHANNEL_POLL_SECONDS), and a forged or replayed one at most
one extra state call. Its `expires` only keeps a bridge that was away from acting on a backlog.

A channel that fails (the broker is down, IoT Core refuses) is logged in plain words, never with
the app's password, and does not fail the caller: the bridges' slow poll still catches up.
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from app.aws import client
from app.config import Settings
from app.models.bridge import BridgeDevice
from app.services import clock

log = logging.getLogger(__name__)

APP_USER = "porchlight-app"  # the broker user the app publishes as ("mqtt" channel)
CHANNEL_POLL_SECONDS = 60  # how often a bridge whose channel is connected asks anyway
COMMAND_TTL_SECONDS = 60  # a command older than this is ignored by the bridge
MQTT_TIMEOUT_S = 3.0  # connecting and publishing to the broker, at most
KINDS = ("cmd", "status")


def topic(settings: Settings, device_id: str, kind: str) -> str:
    """`porchlight/<stage>/bridge/<device_id>/<kind>`, kind "cmd" (app to bridge) or "status"
    (bridge to app)."""
    if kind not in KINDS:
        raise ValueError(f"a bridge's topic is 'cmd' or 'status', not {kind!r}")
    return f"porchlight/{settings.env}/bridge/{device_id}/{kind}"


def for_bridge(settings: Settings, device: BridgeDevice) -> dict[str, Any] | None:
    """What the state answer tells a bridge about the channel, or None without one."""
    if not settings.device_channel:
        return None
    return {"url": settings.mqtt_url, "client_id": device.device_id,
            "cmd_topic": topic(settings, device.device_id, "cmd"),
            "status_topic": topic(settings, device.device_id, "status"),
            "poll_seconds": CHANNEL_POLL_SECONDS}


def command(kind: str, **fields: Any) -> dict[str, Any]:
    """One command: a fresh id, what it is about, and when it stops meaning anything."""
    expires = clock.now() + timedelta(seconds=COMMAND_TTL_SECONDS)
    return {"id": secrets.token_hex(8), "kind": kind, "expires": clock.iso(expires), **fields}


def wake(settings: Settings, device_ids: Iterable[str], kind: str, **fields: Any) -> int:
    """Send each bridge a command on its own topic (QoS 1); how many were published. Without a
    channel nothing is sent (the bridges poll). A failure is logged and left to the bridges'
    slow poll: it is never raised."""
    ids = [device_id for device_id in dict.fromkeys(device_ids) if device_id]
    if not settings.device_channel or not ids:
        return 0
    messages = [(topic(settings, device_id, "cmd"), json.dumps(command(kind, **fields)))
                for device_id in ids]
    if settings.device_channel == "iot":
        return _publish_iot(settings, messages)
    return _publish_mqtt(settings, messages)


def wake_owner(settings: Settings, owner_id: str, kind: str, **fields: Any) -> int:
    """Tell every paired (not revoked) bridge of the owner to ask the server now (a live share
    started, a police view opened); how many were told. Without a channel, or when it fails,
    none: the bridges hear at their next poll."""
    if not settings.device_channel:
        return 0
    ids = [d.device_id for d in BridgeDevice.owner_index.query(owner_id) if not d.revoked_at]
    return wake(settings, ids, kind, **fields)


def _where(settings: Settings) -> str:
    """The broker's host and port, for log lines (never a login)."""
    parts = urlsplit(settings.mqtt_url)
    return f"{parts.hostname}:{parts.port}"


def _not_sent(settings: Settings, count: int, why: str) -> None:
    log.warning("The device channel (%s at %s) could not take %d command(s): %s. Those bridges "
                "will hear at their next poll, within %d s.", settings.device_channel,
                _where(settings), count, why, CHANNEL_POLL_SECONDS)


def _publish_iot(settings: Settings, messages: list[tuple[str, str]]) -> int:
    """Through AWS IoT Core's data plane. Its endpoint is the account's, which bridges reach
    too: AWS_ENDPOINT_URL_IOT_DATA_PLANE when set (a local AWS), else the host of the bridges'
    mqtts:// URL."""
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = settings.endpoint_for("iot-data") or \
        f"https://{urlsplit(settings.mqtt_url).hostname}"
    iot = client("iot-data", settings.region, endpoint)
    sent, why = 0, ""
    for name, payload in messages:
        try:
            iot.publish(topic=name, qos=1, payload=payload.encode())
            sent += 1
        except ClientError as exc:
            why = exc.response.get("Error", {}).get("Code", "refused")
        except BotoCoreError as exc:
            why = exc.__class__.__name__
    if sent < len(messages):
        _not_sent(settings, len(messages) - sent, why)
    return sent


def _publish_mqtt(settings: Settings, messages: list[tuple[str, str]]) -> int:
    """To a plain MQTT broker as porchlight-app: one short connection, driven in the calling
    thread, every command at QoS 1, counted once the broker acknowledged it, all within
    MQTT_TIMEOUT_S."""
    from paho.mqtt import client as mqtt  # not in the web Lambda's zip: only this channel

    parts = urlsplit(settings.mqtt_url)
    answer: list[Any] = []

    def on_connect(_client: Any, _userdata: Any, _flags: Any, reason: Any,
                   _properties: Any) -> None:
        answer.append(reason)

    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    publisher.on_connect = on_connect
    publisher.connect_timeout = MQTT_TIMEOUT_S
    publisher.username_pw_set(APP_USER, settings.mqtt_app_password)
    if parts.scheme == "mqtts":
        publisher.tls_set_context(ssl.create_default_context())
    deadline = time.monotonic() + MQTT_TIMEOUT_S

    def pump(done: Callable[[], bool]) -> bool:
        """Run the client's network loop here until `done`, the deadline, or a drop."""
        while not done():
            if time.monotonic() > deadline or publisher.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS:
                return done()
        return True

    try:
        publisher.connect(parts.hostname or "", parts.port or 1883, keepalive=30)
    except (OSError, ValueError) as exc:
        _not_sent(settings, len(messages), f"no connection ({exc.__class__.__name__})")
        return 0
    try:
        if not pump(lambda: bool(answer)) or answer[0].is_failure:
            why = f"the broker refused the login ({answer[0]})" if answer else "no answer"
            _not_sent(settings, len(messages), why)
            return 0
        sending = [publisher.publish(name, payload, qos=1) for name, payload in messages]
        pump(lambda: all(info.is_published() for info in sending))
        sent = sum(1 for info in sending if info.is_published())
        if sent < len(messages):
            _not_sent(settings, len(messages) - sent, "no acknowledgement in time")
        return sent
    finally:
        publisher.disconnect()
