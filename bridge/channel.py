"""The bridge's end of the device channel: an outgoing MQTT connection on which the server says
"ask now" (docs/device-channel.md).

When the server's state answer names a channel (bridge.uplink.ChannelInfo), ShareManager starts
a DeviceChannel. It connects out to the broker (AWS IoT Core on AWS, mosquitto in devstack)
with the device id as client id and a session the broker keeps across drops, listens on the
bridge's own command topic (QoS 1), and reconnects by itself after a drop (1 s doubling to a
minute). A command whose `expires` is still ahead makes it call `on_wake`, and the manager then
asks the server at once; a command never says what to do, so nothing in it is trusted, and an
expired or unreadable one is ignored. It also calls `on_wake` each time it (re)connects, for
what it may have missed.

It says how the bridge is on its status topic: "online" (with its camera ids) at every connect
and every hour, "offline" when it closes, and the broker says "offline" for it (its last will)
when the connection drops without a goodbye. Each connection carries `since`, when it began, so
the server can tell a late last will of an earlier connection from the current one.

- `mqtts://` (AWS): TLS checked against the system's CA store (ALPN "mqtt" on port 443), user
  name = device id and password = the bridge's credential, which the broker's custom
  authorizer checks as the server does. The credential is never logged.
- `mqtt://` (devstack, on loopback): no TLS and no login (the broker's ACL keys on the client
  id); the credential is never sent over it.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from paho.mqtt import client as mqtt

from bridge.buffer import now_utc
from bridge.segment import iso, parse_iso
from bridge.uplink import ChannelInfo, DeviceCredential

logger = logging.getLogger(__name__)

STATUS_EVERY_S = 3600.0  # an "online" status once an hour besides the one at each connect
KEEPALIVE_S = 60  # MQTT pings (free on AWS IoT Core); a dead connection is noticed in ~90 s
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Clock = Callable[[], datetime]


class DeviceChannel:
    """One bridge's connection to the device channel (see the module docstring)."""

    def __init__(self, info: ChannelInfo, credential: DeviceCredential | None,
                 camera_ids: Sequence[str], on_wake: Callable[[], None], *,
                 status_every_s: float = STATUS_EVERY_S, clock: Clock = now_utc) -> None:
        self.info = info
        self.camera_ids = list(camera_ids)
        self.on_wake = on_wake
        self.status_every_s = status_every_s
        self.clock = clock
        self.commands = 0  # commands that woke the bridge
        self._connected = threading.Event()
        self._closed = threading.Event()
        self._since = clock()
        self._ever = False
        self._complained = False  # said why it cannot connect (again after it connected)
        parts = urlsplit(info.url)
        self._host, self._port = parts.hostname or "", parts.port or (
            8883 if parts.scheme == "mqtts" else 1883)
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=info.client_id, clean_session=False,
                                   protocol=mqtt.MQTTv311)
        self._client.reconnect_delay_set(1, 60)
        if parts.scheme == "mqtts":
            context = ssl.create_default_context()
            if self._port == 443:
                context.set_alpn_protocols(["mqtt"])  # MQTT on 443: AWS IoT Core asks ALPN
            self._client.tls_set_context(context)
            if credential is not None:
                self._client.username_pw_set(info.client_id, credential.secret)
        elif parts.scheme != "mqtt":
            raise ValueError(f"the server's device channel {info.url!r} is not an mqtt:// or "
                             "mqtts:// address")
        elif self._host not in LOOPBACK:
            logger.warning("The device channel at %s:%d is plain MQTT, without TLS: the bridge "
                           "listens there without logging in.", self._host, self._port)
        self._will()
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._heart = threading.Thread(target=self._heartbeat, name="channel-status",
                                       daemon=True)

    def __repr__(self) -> str:
        return f"DeviceChannel({self._host}:{self._port}, client={self.info.client_id!r})"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def poll_seconds(self) -> float:
        return self.info.poll_seconds

    def start(self) -> DeviceChannel:
        """Connect in the background (and keep reconnecting); returns at once."""
        self._client.connect_async(self._host, self._port, keepalive=KEEPALIVE_S)
        self._client.loop_start()
        self._heart.start()
        return self

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def close(self, timeout: float = 3.0) -> None:
        """Say "offline", disconnect, stop the background threads."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self.connected:
            info = self._client.publish(self.info.status_topic, self._status("offline"), qos=1)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()
        if self._heart.is_alive():
            self._heart.join(timeout)

    # ------------------------------------------------------------ status

    def _status(self, state: str) -> str:
        return json.dumps({"state": state, "cameras": self.camera_ids, "at": iso(self.clock()),
                           "since": iso(self._since)})

    def _will(self) -> None:
        """What the broker says for this connection if it drops without a goodbye."""
        self._client.will_set(self.info.status_topic, self._status("offline"), qos=1)

    def _heartbeat(self) -> None:
        while not self._closed.wait(self.status_every_s):
            if self.connected:
                self._client.publish(self.info.status_topic, self._status("online"), qos=1)

    # ------------------------------------------------------------ paho's callbacks

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                    _properties: Any) -> None:
        if reason.is_failure:
            self._complain(f"refused this bridge ({reason})")
            return
        self._complained = False
        client.subscribe(self.info.cmd_topic, qos=1)
        client.publish(self.info.status_topic, self._status("online"), qos=1)
        self._connected.set()
        log = logger.info if not self._ever else logger.debug
        log("Listening on the device channel at %s:%d: the server can wake this bridge.",
            self._host, self._port)
        self._ever = True
        self.on_wake()  # ask once now: a command may have come while away

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._complain("cannot be reached")

    def _complain(self, what: str) -> None:
        """Say once (until it connects) why the channel is not there; it keeps trying."""
        if not self._complained:
            self._complained = True
            logger.warning("The device channel at %s:%d %s; it is tried again now and then. "
                           "Until then the bridge asks the server every few seconds.",
                           self._host, self._port, what)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                       _properties: Any) -> None:
        was = self.connected
        self._connected.clear()
        self._since = self.clock()  # the next connection's, in its last will too
        self._will()
        if was and not self._closed.is_set():
            logger.warning("The device channel at %s:%d dropped (%s); reconnecting. Until then "
                           "the bridge asks the server every few seconds.", self._host,
                           self._port, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        try:
            command = json.loads(message.payload)
            expires = parse_iso(str(command["expires"]))
        except (ValueError, TypeError, KeyError):
            logger.debug("An unreadable command on the device channel was ignored.")
            return
        if expires <= self.clock():
            logger.debug("An expired command (%s) was ignored.", str(command.get("kind"))[:20])
            return
        self.commands += 1
        logger.debug("The server asks this bridge to check in (%s).",
                     str(command.get("kind"))[:20])
        self.on_wake()
