"""Finding and reading cameras without RTSP: ONVIF WS-Discovery and GetStreamUri against a
simulated recorder over the real protocols (tests/bridge/onvif_device.py), the brand presets,
and the sealed password (made as the owner's browser makes it, opened only by this box)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bridge import discovery, onvif_setup
from bridge.onvif_setup import SetupError
from bridge.sealing import Sealer, SealError, seal_with
from tests.bridge.onvif_device import Channel, OnvifRecorder

PASSWORD = "p@ss: w#rd/%"


def test_a_recorder_on_the_network_is_found_and_read(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channels = [Channel("Front door", "rtsp://127.0.0.1:8554/Streaming/Channels/101",
                        "rtsp://127.0.0.1:8554/Streaming/Channels/102"),
                Channel("Yard", "rtsp://user:leaked@127.0.0.1:8554/ch2", "rtsp://127.0.0.1:8554/ch2")]
    with OnvifRecorder(channels, "admin", PASSWORD) as recorder:
        found = discovery.discover(2.0)
        mine = [d for d in found if d.xaddr == recorder.xaddr]
        assert mine, f"the simulated recorder did not answer the probe: {found}"
        assert (mine[0].name, mine[0].hardware, mine[0].host) == \
            ("Hikvision", "DS-7604NI-K1", "127.0.0.1")

        read = onvif_setup.read_channels(recorder.xaddr, "admin", PASSWORD)
        assert (read.manufacturer, read.model) == ("Hikvision", "DS-7604NI-K1")
        front, yard = read.channels
        assert (front.name, front.main_size, front.sub_size) == \
            ("Front door", "1920x1080", "640x360")
        assert front.main_uri.endswith("/Streaming/Channels/101")
        assert front.sub_uri.endswith("/Streaming/Channels/102")
        # a device's address with a password in it is cleaned; one stream only: no substream
        assert yard.main_uri == "rtsp://127.0.0.1:8554/ch2" and yard.sub_uri == ""
        assert "GetStreamUri" in recorder.requests

        with pytest.raises(SetupError, match="did not accept that user name and password"):
            onvif_setup.read_channels(recorder.xaddr, "admin", "wrong")
    with pytest.raises(SetupError, match="did not answer"):
        onvif_setup.read_channels(recorder.xaddr, "admin", PASSWORD, timeout=3)
    assert PASSWORD not in caplog.text and "leaked" not in str(read)


def test_a_device_outside_the_home_network_is_left_out() -> None:
    assert discovery.device_of("urn:x", ["http://8.8.8.8/onvif/device_service"], []) is None
    assert discovery.device_of("urn:x", ["http://[fe80::1]/onvif"], []) is not None
    kept = discovery.device_of("", ["http://192.168.1.64/onvif/device_service"],
                               ["onvif://www.onvif.org/name/Dahua_NVR"])
    assert kept is not None and kept.name == "Dahua NVR" and kept.key == kept.xaddr


def test_presets_try_channel_after_channel() -> None:
    assert onvif_setup.preset_uris("hikvision", "192.168.1.64", 3) == \
        ("rtsp://192.168.1.64/Streaming/Channels/301", "rtsp://192.168.1.64/Streaming/Channels/302")
    assert onvif_setup.preset_uris("dahua", "10.0.0.9", 1, 5554)[1] == \
        "rtsp://10.0.0.9:5554/cam/realmonitor?channel=1&subtype=1"
    there = {"rtsp://10.0.0.9/h264Preview_01_main", "rtsp://10.0.0.9/h264Preview_02_main",
             "rtsp://10.0.0.9/h264Preview_01_sub"}
    channels = onvif_setup.preset_channels("reolink", "10.0.0.9", there.__contains__)
    assert [(c.token, bool(c.sub_uri)) for c in channels] == [("ch1", True), ("ch2", False)]
    with pytest.raises(SetupError, match="No camera opened"):
        onvif_setup.preset_channels("axis", "10.0.0.9", lambda uri: False)


def test_a_sealed_password_opens_only_on_its_own_box(tmp_path: Path) -> None:
    box = Sealer(tmp_path / "a")
    sealed = seal_with(box.public_spki(), PASSWORD)  # what the browser does
    assert PASSWORD not in sealed and box.open(sealed) == PASSWORD
    assert stat.S_IMODE(box.path.stat().st_mode) == 0o600
    assert Sealer(tmp_path / "a").open(sealed) == PASSWORD  # the key is kept
    with pytest.raises(SealError, match="another box"):
        Sealer(tmp_path / "b").open(sealed)
    with pytest.raises(SealError):
        box.open("not base64!")


def test_the_config_files_cameras_win_over_the_apps(tmp_path: Path) -> None:
    from bridge.__main__ import with_app_cameras
    from bridge.config import BridgeConfig, CameraConfig

    mine = CameraConfig(id="door", source="rtsp://192.168.1.5/a", camera_id="cam_1")
    config = BridgeConfig(name="Shop", state_dir=tmp_path, cameras=(mine,), trigger_key="k" * 20)
    app = [CameraConfig(id="door", source="rtsp://192.168.1.6/b", camera_id="cam_2"),
           CameraConfig(id="yard", source="rtsp://192.168.1.6/c", camera_id="cam_1"),
           CameraConfig(id="till", source="rtsp://192.168.1.6/d", camera_id="cam_3")]
    assert [c.id for c in with_app_cameras(config, app).cameras] == ["door", "till"]
