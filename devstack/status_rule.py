"""Devstack's stand-in for the IoT rule that hands bridges' status messages to their worker.

On AWS an IoT rule invokes lambdas/bridge_status with each message on
`porchlight/<stage>/bridge/+/status`, the last wills included, as
`SELECT state, since, at, topic(4) AS device_id`. Here a thread logs in to devstack's mosquitto
as the app's user, subscribes to the same topics, and calls the same handler with the same
event, one message after another.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

from paho.mqtt import client as mqtt

from app.services.realtime.channel import APP_USER
from devstack.worker_loop import LambdaContext, load_handler

HANDLER = "lambdas.bridge_status.handler:handler"
log = logging.getLogger("devstack.status_rule")


class StatusRule:
    """Subscribes as porchlight-app to every bridge's status topic of one stage."""

    def __init__(self, url: str, password: str, stage: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.stage = stage
        self.topics = f"porchlight/{stage}/bridge/+/status"
        self.handled = 0
        self._subscribed = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=f"devstack-status-rule-{uuid.uuid4().hex[:8]}",
                                   protocol=mqtt.MQTTv311)
        self._client.username_pw_set(APP_USER, password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def start(self, timeout: float = 5.0) -> StatusRule:
        """Connect and subscribe; returns once the broker confirmed the subscription."""
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.stop()
            raise RuntimeError(f"devstack's status rule could not subscribe at "
                               f"{self.host}:{self.port} within {timeout:g} s")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                    _properties: Any) -> None:
        if reason.is_failure:
            log.error("devstack's status rule was refused by mosquitto: %s", reason)
            return
        client.subscribe(self.topics, qos=1)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int,
                      reasons: list[Any], _properties: Any) -> None:
        if reasons and not reasons[0].is_failure:
            self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        parts = message.topic.split("/")
        try:
            payload = json.loads(message.payload)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or len(parts) != 5:
            return  # the IoT rule's SQL would not match it either
        event = {key: payload.get(key) for key in ("state", "since", "at")}
        event["device_id"] = parts[3]
        context = LambdaContext(function_name="devstack-bridge-status",
                                aws_request_id=uuid.uuid4().hex)
        try:
            load_handler(HANDLER)(event, context)
            self.handled += 1
        except Exception:  # noqa: BLE001 - as an IoT rule, one failure does not stop the rule
            log.exception("the bridge-status handler failed on a message of %s", parts[3])
