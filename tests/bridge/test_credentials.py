"""Camera passwords: given as their own fields (or, as before, inside the address), encoded by
the bridge for the camera, checked by servers that want them, and never written anywhere: not
in the log, the status page, an error, a probe report, or an exception."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from bridge import config
from bridge.__main__ import main as bridge_main
from bridge.config import CameraConfig, ConfigError
from bridge.runner import Backoff, Runner
from bridge.source_types import ClosedSegment, ReaderOptions, SourceError
from bridge.sources import probe, read_camera
from tests.bridge.camera_servers import AuthMjpegCamera, RtspAuthServer
from tests.bridge.conftest import KEY, make_config
from tests.bridge.rtsp import SYSTEM_PYTHON, require_gstreamer

AUTH_SERVER = Path(__file__).with_name("rtsp_server.py")  # with --auth

# Every character that breaks a password written inside an address.
PASSWORD = "Sh#p@x:/%41 2024"
USER = "admin"


def forms(secret: str) -> list[str]:
    """The ways a password could show: as it is, percent-encoded, and its distinctive parts."""
    return [secret, quote(secret, safe=""), quote_plus(secret), quote(secret), "Sh#p", "%41 2024",
            "Sh%23p"]


def assert_hidden(text: str, secret: str = PASSWORD) -> None:
    for form in forms(secret):
        assert form not in text, f"{form!r} shows in: {text[:400]}"


def _camera_table(source: str, **extra: Any) -> dict[str, Any]:
    return {"id": "door", "source": source, **extra}


# ---------------------------------------------------------------- the config


def test_user_and_password_are_fields_of_their_own(tmp_path: Path) -> None:
    loaded = make_config(tmp_path, [_camera_table("rtsp://192.168.1.50:554/stream1", user=USER,
                                                  password=PASSWORD)])
    camera = loaded.cameras[0]
    assert (camera.user, camera.password) == (USER, PASSWORD)
    assert camera.safe_source == "rtsp://admin:***@192.168.1.50:554/stream1"
    # encoded by the bridge: each reserved character percent-encoded, FFmpeg decodes them
    assert camera.connect_url == ("rtsp://admin:Sh%23p%40x%3A%2F%2541%202024@192.168.1.50:554/"
                                  "stream1")
    assert_hidden(repr(loaded) + str(loaded) + repr(camera) + camera.safe_source)


@pytest.mark.parametrize(("source", "user", "password", "bare"), [
    # as an owner would type it: a # and a second @, written straight into the address
    ("rtsp://admin:Shop#2024@x@192.168.1.5:554/live", "admin", "Shop#2024@x",
     "rtsp://192.168.1.5:554/live"),
    ("rtsp://admin:a/b:c@192.168.1.5/live?x=1", "admin", "a/b:c", "rtsp://192.168.1.5/live?x=1"),
    # a correctly percent-encoded address keeps working
    ("rtsp://admin:p%40ss%23@10.0.0.2:554/s", "admin", "p@ss#", "rtsp://10.0.0.2:554/s"),
    ("http://viewer:secret@[fd00::5]:8080/video.mjpg", "viewer", "secret",
     "http://[fd00::5]:8080/video.mjpg"),
    ("http://10.0.0.9/video.mjpg", None, None, "http://10.0.0.9/video.mjpg"),
])
def test_credentials_inside_the_address_are_still_read(
        tmp_path: Path, source: str, user: str | None, password: str | None, bare: str) -> None:
    camera = make_config(tmp_path, [_camera_table(source)]).cameras[0]
    assert (camera.user, camera.password, camera.source) == (user, password, bare)
    if password:
        assert password not in camera.safe_source and "***" in camera.safe_source
        assert password not in config.redact(source)
        assert config.redact(source) == camera.safe_source


def test_a_password_with_a_hash_in_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(f'[bridge]\nname = "x"\nstate_dir = "state"\ntrigger_key = "{KEY}"\n'
                    '[[camera]]\nid = "a"\nsource = "rtsp://admin:Shop#2024@x@10.0.0.2/s"\n'
                    '[[camera]]\nid = "b"\nsource = "rtsp://10.0.0.3/s"\nuser = "admin"\n'
                    "password = 'Sh#p@x:/%41 2024'\n")
    first, second = config.load(path).cameras
    assert first.password == "Shop#2024@x" and first.safe_source == "rtsp://admin:***@10.0.0.2/s"
    assert second.password == PASSWORD


@pytest.mark.parametrize(("table", "words"), [
    (_camera_table(f"rtsp://admin:{PASSWORD}@10.0.0.2/s", user="admin", password=PASSWORD),
     "either in source or as user and password"),
    (_camera_table("rtsp://10.0.0.2/s", password=PASSWORD), "password needs a user"),
    (_camera_table("rtsp://10.0.0.2/s", user="admin", password=42), "password must be text"),
    (_camera_table(f"ftp://admin:{PASSWORD}@10.0.0.2/s"), "source must start with"),
    (_camera_table(f"rtsp://admin:{PASSWORD}@/s"), "has no camera address"),
])
def test_mistakes_are_named_without_the_password(tmp_path: Path, table: dict[str, Any],
                                                 words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, [table])
    text = str(caught.value)
    assert words in text, text
    assert_hidden(text)


# ---------------------------------------------------------------- MJPEG over HTTP


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_mjpeg_camera_behind_basic_or_digest_gets_the_password(
        scheme: str, jpeg_frames: list[bytes], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = AuthMjpegCamera(jpeg_frames, USER, PASSWORD, scheme=scheme).start()
    try:
        closed: list[ClosedSegment] = []
        stop = threading.Event()

        def take(segment: ClosedSegment) -> None:
            closed.append(segment)
            stop.set()

        camera = CameraConfig(id="yard", source=server.url, user=USER, password=PASSWORD)
        read_camera(camera, ReaderOptions(segment_seconds=1.0), tmp_path, take, stop)
        assert closed and server.accepted == 1

        wrong = CameraConfig(id="yard", source=server.url, user=USER, password=PASSWORD + "!")
        with pytest.raises(SourceError) as caught:
            read_camera(wrong, ReaderOptions(), tmp_path, lambda _s: None, threading.Event())
        reason = caught.value.reason
        assert "refused the user name or password" in reason
        assert_hidden(reason + str(caught.value.__cause__) + str(caught.value.__context__),
                      PASSWORD + "!")
    finally:
        server.stop()
    assert_hidden(caplog.text)


# ---------------------------------------------------------------- RTSP


@pytest.mark.parametrize("written", ["fields", "address"])
def test_rtsp_camera_gets_the_password_through_ffmpeg(written: str, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """FFmpeg's RTSP client answers the camera's Digest challenge with the password the bridge
    encoded into the address: the server finds it right (and then has no such stream)."""
    caplog.set_level(logging.DEBUG)
    server = RtspAuthServer(USER, PASSWORD).start()
    options = ReaderOptions(open_timeout_s=5, read_timeout_s=5)
    try:
        if written == "fields":
            camera = CameraConfig(id="door", source=server.url(), user=USER, password=PASSWORD)
        else:  # written raw into the address, as owners do
            camera = CameraConfig(id="door", source=server.url().replace(
                "rtsp://", f"rtsp://{USER}:{PASSWORD}@"))
        assert camera.password == PASSWORD
        with pytest.raises(SourceError) as caught:
            read_camera(camera, options, tmp_path, lambda _s: None, threading.Event())
        assert server.accepted == 1, server.requests
        assert "has no stream at that path" in caught.value.reason
        assert_hidden(caught.value.reason + repr(caught.value.__cause__)
                      + repr(caught.value.__context__))
        assert_hidden("\n".join(server.requests))  # never in the request line either

        wrong = CameraConfig(id="door", source=server.url(), user=USER, password="nope#1")
        with pytest.raises(SourceError) as refused:
            read_camera(wrong, options, tmp_path, lambda _s: None, threading.Event())
        assert "refused the user name or password" in refused.value.reason
        assert "nope" not in refused.value.reason + repr(refused.value.__cause__)
        report = probe(camera, timeout_s=5)
        assert not report.ok and "***" in report.source
        assert_hidden(report.describe() + report.source)
    finally:
        server.stop()
    assert_hidden(caplog.text)


@pytest.fixture
def gstreamer_camera(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """start(method) -> the address of GStreamer's RTSP server (a real camera's software)
    asking for USER and PASSWORD by Basic or Digest authentication."""
    require_gstreamer()
    secret = tmp_path / "password"
    secret.write_text(PASSWORD, encoding="utf-8")
    started: list[subprocess.Popen[str]] = []

    def start(method: str) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [SYSTEM_PYTHON, str(AUTH_SERVER), "--port", str(port), "--auth", method,
             "--user", USER, "--password-file", str(secret)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("READY"), line + process.stdout.read()
        return line.split()[1]

    yield start
    for process in started:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.parametrize("method", ["basic", "digest"])
def test_a_real_rtsp_server_takes_the_password(method: str, tmp_path: Path,
                                               gstreamer_camera: Callable[[str], str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    """GStreamer's RTSP server checks the password: the bridge records its video with the
    right one, is refused with a wrong one, and says neither."""
    caplog.set_level(logging.DEBUG)
    url = gstreamer_camera(method)
    closed: list[ClosedSegment] = []
    stop = threading.Event()

    def take(segment: ClosedSegment) -> None:
        closed.append(segment)
        stop.set()

    options = ReaderOptions(segment_seconds=1.0, open_timeout_s=5, read_timeout_s=5)
    camera = CameraConfig(id="door", source=url, user=USER, password=PASSWORD)
    read_camera(camera, options, tmp_path, take, stop)
    assert closed and closed[0].frames > 0
    wrong = CameraConfig(id="door", source=url, user=USER, password=PASSWORD[:-1])
    with pytest.raises(SourceError) as refused:
        read_camera(wrong, options, tmp_path, lambda _s: None, threading.Event())
    assert "refused the user name or password" in refused.value.reason
    assert_hidden(refused.value.reason + caplog.text)
    assert_hidden(refused.value.reason + caplog.text, PASSWORD[:-1])


def test_no_ffmpeg_error_text_carries_the_address(tmp_path: Path) -> None:
    """FFmpeg's own messages name the address it opened, password included: never passed on."""
    camera = CameraConfig(id="door", source="rtsp://127.0.0.1:9/s", user=USER,
                          password=PASSWORD)
    with pytest.raises(SourceError) as caught:
        read_camera(camera, ReaderOptions(open_timeout_s=2, read_timeout_s=2), tmp_path,
                    lambda _s: None, threading.Event())
    assert "connection refused" in caught.value.reason
    assert caught.value.__cause__ is None  # FFmpeg's exception (with the address) is dropped
    assert_hidden(str(caught.value) + repr(caught.value.__context__))


# ---------------------------------------------------------------- status, check, log


def test_status_log_and_check_never_show_the_password(
        tmp_path: Path, jpeg_frames: list[bytes], caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    good = AuthMjpegCamera(jpeg_frames, USER, PASSWORD, scheme="digest").start()
    try:
        cameras = [
            {"id": "good", "source": good.url, "user": USER, "password": PASSWORD},
            # the same password, wrong for this camera, written inside the address
            {"id": "bad", "source": good.url.replace("http://", f"http://{USER}:{PASSWORD}x@")},
        ]
        loaded = make_config(tmp_path, cameras, segment_seconds=1)
        runner = Runner(loaded, backoff=Backoff(first_s=0.3, max_s=1)).start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                status = runner.status()
                states = {c["camera"]: c["state"] for c in status["cameras"]}
                if states == {"good": "live", "bad": "reconnecting"}:
                    break
                time.sleep(0.1)
            assert states == {"good": "live", "bad": "reconnecting"}, status
            text = json.dumps(status)
            assert "refused the user name or password" in text
            assert_hidden(text)
            assert_hidden(text, PASSWORD + "x")
        finally:
            runner.stop()

        path = tmp_path / "bridge.toml"
        path.write_text("\n".join([
            "[bridge]", 'name = "Shop"', f'state_dir = "{tmp_path / "state"}"',
            f'trigger_key = "{KEY}"', "segment_seconds = 1",
            "[[camera]]", 'id = "good"', f'source = "{good.url}"', f'user = "{USER}"',
            f"password = '{PASSWORD}'",
            "[[camera]]", 'id = "bad"',
            f"source = '{good.url.replace('http://', f'http://{USER}:{PASSWORD}x@')}'"]) + "\n")
        assert bridge_main(["check", "-c", str(path), "--timeout", "8"]) == 1
        out = capsys.readouterr()
        assert "good: MJPEG 320x240" in out.out and "bad: PROBLEM" in out.out
        assert_hidden(out.out + out.err)
        assert_hidden(out.out + out.err, PASSWORD + "x")
    finally:
        good.stop()
    assert_hidden(caplog.text)
    assert_hidden(caplog.text, PASSWORD + "x")


def test_an_unexpected_error_is_logged_without_the_password(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug whose message holds the address (as FFmpeg's do) is logged with it hidden."""
    import bridge.runner as runner_module

    def broken(camera: CameraConfig, *_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(f"surprise while opening {camera.connect_url}")

    monkeypatch.setattr(runner_module, "read_camera", broken)
    caplog.set_level(logging.DEBUG)
    loaded = make_config(tmp_path, [_camera_table("rtsp://10.0.0.2/s", user=USER,
                                                  password=PASSWORD)])
    runner = Runner(loaded, backoff=Backoff(first_s=5, max_s=5)).start()
    try:
        deadline = time.monotonic() + 5
        while runner.status()["cameras"][0]["state"] != "reconnecting":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        status = json.dumps(runner.status())
    finally:
        runner.stop()
    assert "surprise while opening rtsp://admin:***@10.0.0.2/s" in status
    assert "surprise while opening" in caplog.text
    assert_hidden(status + caplog.text)
