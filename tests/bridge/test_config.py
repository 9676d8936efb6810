"""The bridge's TOML config: the example loads, and every mistake is named by its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge import config
from bridge.config import ConfigError
from tests.bridge.conftest import KEY

EXAMPLE = Path(__file__).resolve().parents[2] / "bridge" / "porchlight-bridge.example.toml"


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.parse(data)
    return caught.value.problems


def _valid(tmp_path: Path, **bridge: Any) -> dict[str, Any]:
    return {"bridge": {"name": "Shop", "state_dir": str(tmp_path), "trigger_key": KEY,
                       **bridge},
            "camera": [{"id": "door", "source": "rtsp://192.168.1.50/stream1"}]}


def test_example_config_loads_with_defaults() -> None:
    loaded = config.load(EXAMPLE)
    assert loaded.name == "Corner shop"
    assert loaded.buffer_minutes == 10 and loaded.segment_seconds == 2
    assert (loaded.trigger_host, loaded.trigger_port) == ("127.0.0.1", 8787)
    assert [camera.id for camera in loaded.cameras] == ["front-door", "yard"]
    assert [camera.kind for camera in loaded.cameras] == ["rtsp", "mjpeg"]
    assert loaded.cameras[0].camera_id is None
    assert loaded.server_url == "https://porchlight.example.org"
    # the password never reaches a log line or the status page
    assert loaded.cameras[0].safe_source == "rtsp://viewer:***@192.168.1.50:554/stream1"
    assert "change-me" not in repr(loaded)


def test_defaults_and_file_source(tmp_path: Path) -> None:
    sample = tmp_path / "clip.mp4"
    sample.write_bytes(b"x")
    data = _valid(tmp_path)
    data["bridge"].pop("trigger_key")
    data["bridge"]["trigger_key"] = KEY
    data["camera"] = [{"id": "demo", "source": f"file://{sample}", "loop": True,
                       "camera_id": "cam_1"}]
    loaded = config.parse(data)
    assert loaded.buffer_minutes == 10 and loaded.segment_seconds == 2
    assert loaded.share_minutes == 15
    assert loaded.cameras[0].file_path == sample and loaded.cameras[0].loop
    assert loaded.trigger_listen == "127.0.0.1:8787"


@pytest.mark.parametrize(("change", "key"), [
    ({"buffer_minutes": 0}, "[bridge] buffer_minutes"),
    ({"buffer_minutes": 61}, "[bridge] buffer_minutes"),
    ({"buffer_minutes": "ten"}, "[bridge] buffer_minutes"),
    ({"segment_seconds": 11}, "[bridge] segment_seconds"),
    ({"segment_seconds": 0.5}, "[bridge] segment_seconds"),
    ({"share_minutes": 2.5}, "[bridge] share_minutes"),
    ({"trigger_listen": "0.0.0.0:8787"}, "[bridge] trigger_listen"),
    ({"trigger_listen": "8.8.8.8:8787"}, "[bridge] trigger_listen"),
    ({"trigger_listen": "192.168.1.20"}, "[bridge] trigger_listen"),
    ({"trigger_listen": "bridge.local:8787"}, "[bridge] trigger_listen"),
    ({"trigger_listen": "192.168.1.20:70000"}, "[bridge] trigger_listen"),
    ({"trigger_key": "short"}, "[bridge] trigger_key"),
    ({"name": "x" * 61}, "[bridge] name must be at most 60"),
    ({"bufer_minutes": 5}, "'bufer_minutes'"),
    ({"max_upload_kbps": 30}, "[bridge] max_upload_kbps must be 0 (no cap) or at least 64"),
    ({"max_upload_kbps": 1.5}, "[bridge] max_upload_kbps"),
    ({"max_upload_kbps": -1}, "[bridge] max_upload_kbps"),
])
def test_bridge_errors_name_the_key(tmp_path: Path, change: dict[str, Any], key: str) -> None:
    problems = _problems(_valid(tmp_path, **change))
    assert len(problems) == 1, problems
    assert key in problems[0]


def test_missing_required_keys_are_all_reported() -> None:
    problems = _problems({"bridge": {}, "camera": []})
    text = "\n".join(problems)
    for key in ("[bridge] name", "[bridge] state_dir", "[bridge] trigger_key", "[[camera]]"):
        assert key in text
    # A bridge whose cameras will be added from the app needs none in its file.
    assert not any("[[camera]]" in p for p in _problems(
        {"bridge": {}, "server": {"url": "https://porchlight.example.org"}}))


@pytest.mark.parametrize(("camera", "words"), [
    ({"id": "door", "source": "ftp://192.168.1.5/x"}, "source must start with"),
    ({"id": "door", "source": "rtsp://"}, "no camera address"),
    ({"id": "door", "source": "file:///no/such/file.mp4"}, "names no file"),
    ({"id": "door", "source": "file://relative.mp4"}, "needs a full path"),
    ({"id": "front door", "source": "rtsp://192.168.1.5/x"}, "id may hold only"),
    ({"id": "door", "source": "rtsp://192.168.1.5/x", "loop": True}, "loop = true only"),
    ({"id": "door", "source": "rtsp://192.168.1.5/x", "loop": "yes"}, "loop must be"),
    ({"id": "door", "source": "rtsp://192.168.1.5/x", "sorce": 1}, "'sorce'"),
    ({"source": "rtsp://192.168.1.5/x"}, "id is missing"),
])
def test_camera_errors_name_the_camera_and_key(tmp_path: Path, camera: dict[str, Any],
                                               words: str) -> None:
    data = _valid(tmp_path)
    data["camera"] = [camera]
    problems = _problems(data)
    assert any("[[camera]] number 1" in p and words in p for p in problems), problems


def test_duplicate_camera_ids_and_passwords_hidden(tmp_path: Path) -> None:
    data = _valid(tmp_path)
    data["camera"] = [{"id": "door", "source": "rtsp://192.168.1.5/a", "camera_id": "c1"},
                      {"id": "door", "source": "gopher://u:hunter2@192.168.1.6/b",
                       "camera_id": "c1"}]
    problems = _problems(data)
    text = "\n".join(problems)
    assert "[[camera]] number 2 (id 'door'): id is used by another camera" in text
    assert "camera_id 'c1' is given to two cameras" in text
    assert "hunter2" not in text


@pytest.mark.parametrize("url", ["http://porchlight.example.org", "http://192.168.1.20:8000",
                                 "http://127.0.0.1.example.org", "http://[::2]:8000"])
def test_server_url_must_be_https(tmp_path: Path, url: str) -> None:
    data = _valid(tmp_path)
    data["server"] = {"url": url}
    problems = _problems(data)
    assert "[server] url must start with https://" in problems[0]
    assert "accepted only for a server on this box" in problems[0]


@pytest.mark.parametrize("url", ["ftp://porchlight.example.org", "porchlight.example.org",
                                 "https://"])
def test_server_url_must_be_a_web_address(tmp_path: Path, url: str) -> None:
    data = _valid(tmp_path)
    data["server"] = {"url": url}
    assert "[server] url must be a web address starting with https://" in _problems(data)[0]


@pytest.mark.parametrize(("url", "kept"), [
    ("https://porchlight.example.org/", "https://porchlight.example.org"),
    ("https://example.org/porchlight/", "https://example.org/porchlight"),
    # a server on this box (trying it out, tests) may be plain http
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://127.8.9.10:8000", "http://127.8.9.10:8000"),
    ("http://[::1]:8000", "http://[::1]:8000"),
])
def test_server_url_accepted(tmp_path: Path, url: str, kept: str) -> None:
    data = _valid(tmp_path)
    data["server"] = {"url": url}
    assert config.parse(data).server_url == kept


def test_file_errors_are_plain(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="there is no file at"):
        config.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[bridge\nname = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(broken)


def test_relative_state_dir_is_beside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(f'[bridge]\nname = "x"\nstate_dir = "state"\ntrigger_key = "{KEY}"\n'
                    '[[camera]]\nid = "a"\nsource = "rtsp://10.0.0.2/s"\n')
    assert config.load(path).state_dir == tmp_path / "state"


def test_redact() -> None:
    assert config.redact("rtsp://admin:p%40ss@10.0.0.2:554/s") == "rtsp://admin:***@10.0.0.2:554/s"
    assert config.redact("http://10.0.0.2/video.mjpg") == "http://10.0.0.2/video.mjpg"


def test_substream_is_checked_like_source_and_shares_its_credentials(tmp_path: Path) -> None:
    data = _valid(tmp_path)
    data["camera"] = [{"id": "door", "source": "rtsp://viewer:p%40ss@192.168.1.50/stream1",
                       "substream": "rtsp://viewer:p%40ss@192.168.1.50/stream2",
                       "transport": "udp", "camera_id": "cam_1"}]
    door = config.parse(data).cameras[0]
    assert door.substream == "rtsp://192.168.1.50/stream2"  # the password taken out
    sub = door.substream_camera
    assert sub is not None and sub.id == "door.sub" and sub.camera_id is None
    assert (sub.source, sub.user, sub.password, sub.transport) == (
        "rtsp://192.168.1.50/stream2", "viewer", "p@ss", "udp")
    assert not config.LOCAL_NAME.match(sub.id)  # no owner's id can be the same
    main, small = tmp_path / "main.mp4", tmp_path / "sub.mp4"
    main.write_bytes(b"x")
    small.write_bytes(b"x")
    data["camera"] = [{"id": "demo", "source": f"file://{main}", "loop": True,
                       "substream": f"file://{small}"}]
    demo = config.parse(data).cameras[0].substream_camera
    assert demo is not None and demo.loop and demo.kind == "file"
    assert config.parse(_valid(tmp_path)).cameras[0].substream_camera is None


@pytest.mark.parametrize(("extra", "words"), [
    ({"substream": "ftp://192.168.1.5/x"}, "substream must start with"),
    ({"substream": "rtsp://"}, "substream 'rtsp://' has no camera address"),
    ({"substream": "file:///no/such/file.mp4"}, "substream 'file:///no/such/file.mp4' names no"),
    ({"substream": 2}, "substream must be text"),
    ({"substream": "rtsp://192.168.1.50/stream1"}, "substream is the same address as source"),
    ({"substream": "rtsp://u:hunter2@192.168.1.50/2", "user": "u"}, "either in substream"),
])
def test_substream_errors_name_the_key(tmp_path: Path, extra: dict[str, Any],
                                       words: str) -> None:
    data = _valid(tmp_path)
    data["camera"][0].update(extra)
    problems = _problems(data)
    assert len(problems) == 1 and words in problems[0], problems
    assert "hunter2" not in problems[0]
