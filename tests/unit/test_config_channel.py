"""The device channel's settings fail fast naming what is missing, and keep its password out
of sight; its topics are one tree per stage."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings
from app.services.realtime import channel
from tests.unit.settings_env import BASE

IOT_URL = "mqtts://a1b2c3-ats.iot.us-east-2.amazonaws.com:443"


def test_no_channel_by_default_and_bridges_poll() -> None:
    settings = load_settings(BASE)
    assert (settings.device_channel, settings.mqtt_url) == ("", "")
    assert channel.wake(settings, ["a", "b"], "watch") == 0


def test_the_iot_channel_tells_bridges_where_to_listen() -> None:
    settings = load_settings({**BASE, "PORCHLIGHT_DEVICE_CHANNEL": "iot",
                              "PORCHLIGHT_MQTT_URL": IOT_URL})
    assert settings.device_channel == "iot" and settings.mqtt_app_password == ""
    assert channel.topic(settings, "dev1", "cmd") == "porchlight/prod/bridge/dev1/cmd"
    assert channel.topic(settings, "dev1", "status") == "porchlight/prod/bridge/dev1/status"
    with pytest.raises(ValueError, match="'cmd' or 'status'"):
        channel.topic(settings, "dev1", "other")


@pytest.mark.parametrize(("extra", "named"), [
    ({"PORCHLIGHT_DEVICE_CHANNEL": "websocket"}, "PORCHLIGHT_DEVICE_CHANNEL"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "iot"}, "PORCHLIGHT_MQTT_URL"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "iot", "PORCHLIGHT_MQTT_URL": "mqtt://iot.example:1883"},
     "mqtts://"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "mqtt", "PORCHLIGHT_MQTT_URL": "https://broker:443"},
     "PORCHLIGHT_MQTT_URL"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "mqtt", "PORCHLIGHT_MQTT_URL": "mqtt://broker"},
     "PORCHLIGHT_MQTT_URL"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "mqtt", "PORCHLIGHT_MQTT_URL": "mqtt://app:pw@broker:1883",
      "PORCHLIGHT_MQTT_APP_PASSWORD": "pw"}, "no login in it"),
    ({"PORCHLIGHT_DEVICE_CHANNEL": "mqtt", "PORCHLIGHT_MQTT_URL": "mqtt://127.0.0.1:1883"},
     "PORCHLIGHT_MQTT_APP_PASSWORD"),
], ids=["unknown", "no-url", "iot-plain", "not-mqtt", "no-port", "login-in-url", "no-password"])
def test_a_channel_without_what_it_needs_stops_start_up(extra: dict[str, str],
                                                        named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings({**BASE, **extra})


def test_the_app_password_is_kept_out_of_sight() -> None:
    settings = load_settings({**BASE, "PORCHLIGHT_DEVICE_CHANNEL": "mqtt",
                              "PORCHLIGHT_MQTT_URL": "mqtt://127.0.0.1:1883",
                              "PORCHLIGHT_MQTT_APP_PASSWORD": "hush-hush-0123"})
    assert settings.mqtt_app_password == "hush-hush-0123"
    assert "hush-hush-0123" not in repr(settings)
