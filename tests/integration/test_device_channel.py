"""The device channel at its boundary: devstack's real mosquitto with its ACL, real paho clients,
the running app, and a real bridge (ShareManager, HttpUplink, DeviceChannel).

- a bridge hears only its own commands, and only the app can send them;
- the app's wake() makes a bridge that polls once a minute ask within about a second;
- the bridge's status, and the last will the broker sends when a bridge dies without a goodbye,
  say in the bridges table whether it is connected.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt import client as mqtt

from app.models.bridge import BridgeDevice
from app.models.cameras import Camera
from app.services import clock
from app.services.cameras import bridges
from app.services.realtime import channel
from bridge import config as bridge_config
from bridge.buffer import SegmentBuffer
from bridge.channel import DeviceChannel
from bridge.http_uplink import HttpUplink
from bridge.runner import Backoff
from bridge.share import ShareManager
from bridge.uplink import ChannelInfo, DeviceCredential
from tests.bridge.helpers import free_port
from tests.builders.bridges import paired_bridge
from tests.builders.cameras import camera_body
from tests.support import Client

ROOT = Path(__file__).resolve().parents[2]
QUIET_S = 0.4  # how long a message that should not arrive is waited for


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def broker(devstack: Any) -> Any:
    assert devstack.broker is not None, \
        "devstack started without mosquitto: run scripts/ensure-mosquitto.sh (as root)"
    return devstack.broker


class Listener:
    """A paho client on devstack's broker that keeps what it receives."""

    def __init__(self, port: int, client_id: str, *topics: str, user: str = "",
                 password: str = "") -> None:
        self.got: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311)
        if user:
            self.client.username_pw_set(user, password)
        subscribed = threading.Event()
        self.client.on_message = lambda _c, _u, m: self.got.append((m.topic, m.payload))
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        for name in topics:
            subscribed.clear()
            self.client.subscribe(name, qos=1)
            assert subscribed.wait(3), f"no SUBACK for {name}"

    def publish(self, name: str, payload: bytes) -> None:
        self.client.publish(name, payload, qos=1).wait_for_publish(3)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def listening(port: int, client_id: str, *topics: str, **login: str) -> Iterator[Listener]:
    listener = Listener(port, client_id, *topics, **login)
    try:
        yield listener
    finally:
        listener.close()


def test_a_bridge_hears_only_its_own_commands_and_only_the_app_sends_them(
        broker: Any, settings: Any) -> None:
    mine, other = uuid.uuid4().hex, uuid.uuid4().hex
    cmd, other_cmd = channel.topic(settings, mine, "cmd"), channel.topic(settings, other, "cmd")
    assert cmd == f"porchlight/devstack/bridge/{mine}/cmd"
    with listening(broker.port, mine, cmd) as bridge, \
            listening(broker.port, other, other_cmd, "porchlight/#") as nosy, \
            listening(broker.port, "", "porchlight/devstack/bridge/+/status",
                      user=channel.APP_USER, password=broker.app_password) as app:
        # Bridges cannot send commands, not even to themselves, nor speak for another bridge.
        nosy.publish(cmd, b'{"kind": "forged"}')
        bridge.publish(cmd, b'{"kind": "forged by itself"}')
        bridge.publish(channel.topic(settings, other, "status"), b'{"state": "offline"}')
        bridge.publish(channel.topic(settings, mine, "status"), b'{"state": "own"}')
        before = clock.now()
        assert channel.wake(settings, [mine], "watch", camera_id="cam-1") == 1
        wait_for(lambda: len(bridge.got) >= 1, 3, "the app's command")
        time.sleep(QUIET_S)

    assert len(bridge.got) == 1 and bridge.got[0][0] == cmd
    command = json.loads(bridge.got[0][1])
    assert command["kind"] == "watch" and command["camera_id"] == "cam-1"
    assert len(command["id"]) == 16 and int(command["id"], 16) >= 0
    expires = datetime.fromisoformat(command["expires"])
    assert timedelta(seconds=59) <= expires - before <= timedelta(seconds=62)
    assert nosy.got == []  # not A's command, though it subscribed to everything
    assert [topic for topic, _ in app.got] == [channel.topic(settings, mine, "status")]


def test_a_wrong_login_or_a_broker_away_sends_nothing_and_says_so_plainly(
        broker: Any, settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.services.realtime.channel")
    wrong = settings.with_overrides(mqtt_app_password="not-the-password")
    assert channel.wake(wrong, [uuid.uuid4().hex], "watch") == 0
    assert "refused the login" in caplog.text
    closed = free_port()  # nothing listens there
    away = settings.with_overrides(mqtt_url=f"mqtt://127.0.0.1:{closed}")
    assert channel.wake(away, [uuid.uuid4().hex, uuid.uuid4().hex], "watch") == 0
    assert f"127.0.0.1:{closed}" in caplog.text and "could not take 2 command(s)" in caplog.text
    assert broker.app_password not in caplog.text and "not-the-password" not in caplog.text
    assert channel.wake(settings.with_overrides(device_channel=""), ["a"], "watch") == 0


def test_on_aws_the_app_publishes_through_iot_data(settings: Any) -> None:
    """The "iot" channel is boto3's iot-data Publish (moto's here, at AWS_ENDPOINT_URL)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iotdata.models import iotdata_backends

    iot = settings.with_overrides(device_channel="iot",
                                  mqtt_url="mqtts://example-ats.iot.us-east-1.amazonaws.com:443")
    published = iotdata_backends[DEFAULT_ACCOUNT_ID][settings.region].published_payloads
    before = len(published)
    device = uuid.uuid4().hex
    assert channel.wake(iot, [device], "stop", share_id="s-1") == 1
    [(name, payload)] = published[before:]
    assert name == f"porchlight/devstack/bridge/{device}/cmd"
    assert json.loads(payload)["kind"] == "stop" and json.loads(payload)["share_id"] == "s-1"


# ---------------------------------------------------------------- a real bridge


def _register(owner: Client, nickname: str) -> str:
    made = owner.send_json("POST", "/api/cameras", camera_body(nickname=nickname,
                                                               tier="on_alert"))
    assert made.status_code == 201, made.text
    return str(made.json()["camera"]["id"])


def _bridge(owner: Client, base_url: str, tmp_path: Path,
            camera_id: str) -> tuple[ShareManager, DeviceCredential]:
    _client, headers, device_id = paired_bridge(owner, base_url)
    secret = headers["Authorization"].removeprefix("Bearer ")
    credential = DeviceCredential(device_id=device_id, secret=secret, server_url=base_url)
    config = bridge_config.parse({
        "bridge": {"name": "Back office", "state_dir": str(tmp_path / "state"),
                   "trigger_key": "test-trigger-key-0123456789"},
        "camera": [{"id": "till", "source": "rtsp://127.0.0.1:9/none", "camera_id": camera_id}]})
    buffer = SegmentBuffer(tmp_path / "buffer", "till", keep_seconds=60)
    uplink = HttpUplink(base_url, credential, timeout_s=5, camera_ids=[camera_id])

    def make(info: ChannelInfo, wake: Any) -> DeviceChannel:
        return DeviceChannel(info, credential, [camera_id], wake)

    manager = ShareManager(uplink, config, {"till": buffer}, work_dir=tmp_path / "clips",
                           backoff=Backoff(first_s=0.2, max_s=1.0), poll_s=0.1,
                           channel_factory=make)
    return manager, credential


def _device(device_id: str) -> BridgeDevice:
    found = BridgeDevice.find(device_id)
    assert found is not None
    return found


def test_the_app_wakes_a_slow_polling_bridge_within_a_second(
        broker: Any, signed_in: Any, base_url: str, settings: Any, tmp_path: Path) -> None:
    owner, account = signed_in("owner")
    camera_id = _register(owner, "Till")
    manager, credential = _bridge(owner, base_url, tmp_path, camera_id)
    stop = threading.Event()
    poller = threading.Thread(target=manager.run, args=(stop,), daemon=True)
    poller.start()
    try:
        wait_for(lambda: manager.channel is not None and manager.channel.connected, 5,
                 "the bridge to connect to the channel its state answer names")
        info = manager.channel.info if manager.channel else None
        assert info == ChannelInfo(url=broker.url, client_id=credential.device_id,
                                   cmd_topic=channel.topic(settings, credential.device_id, "cmd"),
                                   status_topic=channel.topic(settings, credential.device_id,
                                                              "status"),
                                   poll_seconds=channel.CHANNEL_POLL_SECONDS)
        wait_for(lambda: manager.syncs >= 2, 3, "the sync the connection itself asks for")
        wait_for(lambda: bool(_device(credential.device_id).connected), 3,
                 "the bridge's online status to reach the bridges table")
        time.sleep(QUIET_S)
        idle = manager.syncs  # now it waits a minute between polls

        share = owner.send_json("POST", "/api/shares", {"camera_ids": [camera_id],
                                                        "minutes": 5})
        assert share.status_code in (200, 201), share.text
        share_id = share.json()["share_id"]
        started = time.monotonic()
        # (what the app does when a share starts or a police view opens)
        assert channel.wake_owner(settings, account.user.user_id, "watch",
                                          camera_id=camera_id) == 1
        wait_for(lambda: share_id in manager.active_shares(), 2,
                 "the woken bridge to follow the new share")
        took = time.monotonic() - started
        assert manager.syncs - idle <= 2, "a command is one state call (two if the app woke it)"
        assert took < 1.5, f"the bridge followed the share {took:.2f} s after the wake"
    finally:
        stop.set()
        poller.join(5)
        manager.close()
    assert not poller.is_alive() and manager.channel is None
    # it said goodbye: offline, by its own message rather than its last will
    wait_for(lambda: _device(credential.device_id).connected is False, 3, "offline on close")


BRIDGE_THAT_DIES = """
import sys, time
from bridge.channel import DeviceChannel
from bridge.uplink import ChannelInfo
info = ChannelInfo(*sys.argv[1:5])
channel = DeviceChannel(info, None, ["cam-1"], lambda: None).start()
assert channel.wait_connected(5)
print("connected", flush=True)
time.sleep(60)
"""


def test_presence_comes_from_status_messages_and_the_last_will(
        broker: Any, signed_in: Any, base_url: str, settings: Any, time_travel: Any) -> None:
    owner, _account = signed_in("owner")
    camera_id = _register(owner, "Yard")
    _client, headers, device_id = paired_bridge(owner, base_url)
    secret = headers["Authorization"].removeprefix("Bearer ")
    HttpUplink(base_url, DeviceCredential(device_id, secret),
               camera_ids=[camera_id]).state()  # it declares its camera, and is seen
    camera = Camera.get(camera_id)
    assert not bridges.online(_device(device_id), clock.now() + timedelta(seconds=60))
    info = [broker.url, device_id, channel.topic(settings, device_id, "cmd"),
            channel.topic(settings, device_id, "status")]
    process = subprocess.Popen([sys.executable, "-c", BRIDGE_THAT_DIES, *info],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert process.stdout is not None and process.stdout.readline() == "connected\n"
        wait_for(lambda: _device(device_id).connected is True, 3, "online in the table")
        device = _device(device_id)
        assert device.status_at is not None and device.connected_since is not None
        # connected: reachable for three channel polls, not just three fast ones
        assert bridges.online(device, clock.now() + timedelta(seconds=60))
        assert not bridges.online(device, clock.now() + timedelta(seconds=200))
        time_travel.advance(60)  # no poll for a minute: only the connection keeps it online
        assert bridges.serving_bridges([camera])[camera_id].device_id == device_id
        process.send_signal(signal.SIGKILL)  # the box loses power: no DISCONNECT is sent
        process.wait(5)
        wait_for(lambda: _device(device_id).connected is False, 3,
                 "the broker's last will to mark it offline")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()
    assert bridges.serving_bridges([camera]) == {}


def test_a_late_last_will_revoked_bridges_and_junk_change_nothing(
        signed_in: Any, base_url: str) -> None:
    owner, account = signed_in("owner")
    _client, _headers, device_id = paired_bridge(owner, base_url)
    earlier, later = "2026-01-01T10:00:00.000Z", "2026-01-01T10:05:00.000Z"
    assert bridges.handle_status(device_id, {"state": "online", "since": later, "at": later})
    # the will of the connection before arrives after the new connection said "online"
    assert not bridges.handle_status(device_id, {"state": "offline", "since": earlier})
    assert _device(device_id).connected is True
    for junk in ({}, {"state": "online"}, {"state": "asleep", "since": later},
                 {"state": "offline", "since": "yesterday"}, {"state": "offline", "since": 5}):
        assert not bridges.handle_status(device_id, junk)
    assert not bridges.handle_status(uuid.uuid4().hex, {"state": "online", "since": later})
    assert not bridges.handle_status("", {"state": "online", "since": later})
    assert _device(device_id).connected is True
    bridges.revoke(account.user, device_id, "127.0.0.1")
    assert not bridges.handle_status(device_id, {"state": "offline", "since": later})
    assert _device(device_id).connected is True  # (a revoked bridge is never online anyway)
    assert not bridges.online(_device(device_id), clock.now())

