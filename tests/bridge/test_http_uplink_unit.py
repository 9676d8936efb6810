"""HttpUplink against a tiny scripted HTTP server on loopback: what goes over the wire (URLs,
headers, bodies, the object-storage PUT), how every kind of answer maps to the Uplink protocol,
and the credential file.

The scripted server stands in for the Porchlight server and for S3 (neither is project code
under test here); the end-to-end tests against the real app are in test_http_uplink.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge import __version__
from bridge.http_uplink import HttpUplink, load_credential, save_credential
from bridge.segment import Segment
from bridge.uplink import (
    DeviceCredential,
    ServerRefused,
    ShareEnded,
    TimeWindow,
    UplinkRevoked,
)

SECRET = "pbd_0123456789abcdef_sEcReTsEcReTsEcReT"
CREDENTIAL = DeviceCredential("dev_1", SECRET, "http://127.0.0.1")
PROBLEM = "application/problem+json"


@dataclass
class Seen:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)  # dict/list: JSON; bytes: as is
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    cut: bool = False  # close the connection without an answer


def problem(status: int, detail: str) -> Reply:
    return Reply(status, {"type": "about:blank", "title": "No", "status": status,
                          "detail": detail}, PROBLEM)


class Scripted:
    """A loopback HTTP server answering by (method, path); records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Reply | Callable[[Seen], Reply]] = {}
        self.seen: list[Seen] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length))
                scripted.seen.append(seen)
                route = scripted.routes.get((self.command, parts.path), Reply(404, b"",
                                                                             "text/plain"))
                reply = route(seen) if callable(route) else route
                time.sleep(reply.delay_s)
                if reply.cut:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = (reply.body if isinstance(reply.body, bytes)
                        else json.dumps(reply.body).encode())
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def on(self, method: str, path: str, reply: Reply | Callable[[Seen], Reply]) -> None:
        self.routes[(method, path)] = reply

    def paths(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.seen]


@pytest.fixture()
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    scripted.thread.start()
    yield scripted
    scripted.server.shutdown()
    scripted.server.server_close()


@pytest.fixture()
def uplink(server: Scripted) -> HttpUplink:
    return HttpUplink(server.url + "/", CREDENTIAL, timeout_s=2, camera_ids=["cam_a", "cam b"])


def segment(tmp_path: Path, name: str = "20260314T120305.123Z.mp4",
            data: bytes = b"\x00\x00\x00\x18ftypiso6 fragment bytes") -> Segment:
    path = tmp_path / name
    path.write_bytes(data)
    start = datetime(2026, 3, 14, 12, 3, 5, 123000, tzinfo=UTC)
    return Segment(camera="front", name=name, path=path, start=start,
                   end=start + timedelta(seconds=1.0), duration_s=1.0, size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), mode="copy", width=320,
                   height=240, frames=30, run="run1", media_start_s=4.0,
                   codecs="avc1.64000d")


def test_pair_sends_the_code_without_a_credential_and_reads_the_cameras(
        server: Scripted) -> None:
    server.on("POST", "/porchlight/api/bridge/pair", Reply(201, {
        "device_id": "dev_9", "credential": SECRET,
        "cameras": [{"camera_id": "cam_a", "nickname": "Till", "tier": "on_alert"}]}))
    # a server under a path, written with a trailing slash: joined as written
    paired = HttpUplink(server.url + "/porchlight/", None).pair("ABCD-EFGH", "Back office")
    assert paired.device_id == "dev_9" and paired.secret == SECRET
    assert paired.server_url == server.url + "/porchlight"
    assert [(c.camera_id, c.nickname, c.tier) for c in paired.cameras] == [
        ("cam_a", "Till", "on_alert")]
    assert SECRET not in repr(paired)
    sent = server.seen[0]
    assert sent.json() == {"code": "ABCD-EFGH", "name": "Back office"}
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"] == f"porchlight-bridge/{__version__}"
    assert "authorization" not in sent.headers


@pytest.mark.parametrize(("reply", "error", "words"), [
    (problem(422, "This code expired or was already used."), ValueError, "already used"),
    (problem(429, "Too many tries; wait a minute."), ConnectionError, "wait a minute"),
    (problem(503, "Down for maintenance"), ConnectionError, "busy or failing"),
    (Reply(404, b"<html>nope</html>", "text/html"), ValueError, "HTTP 404 Not Found"),
])
def test_pair_refusals(server: Scripted, reply: Reply, error: type[Exception],
                       words: str) -> None:
    server.on("POST", "/api/bridge/pair", reply)
    with pytest.raises(error, match=words):
        HttpUplink(server.url, None).pair("AAAA-AAAA", "x")


def test_state_names_the_configured_cameras_and_reads_times_with_offsets(
        server: Scripted, uplink: HttpUplink) -> None:
    server.on("GET", "/api/bridge/state", Reply(200, {
        "device_id": "dev_1", "poll_seconds": 3,
        "cameras": [{"camera_id": "cam_a", "nickname": "Till", "tier": "on_alert"}],
        "shares": [{"share_id": "sh_1", "camera_ids": ["cam_a"],
                    "started_at": "2026-03-14T13:00:00+01:00",
                    "ends_at": "2026-03-14T12:15:00Z", "preroll_seconds": 120,
                    "quality": {"cam_a": "sub", "cam_b": "main"}},
                   {"share_id": "sh_2", "camera_ids": ["cam_a"],  # an older server
                    "started_at": "2026-03-14T12:00:00Z", "ends_at": "2026-03-14T12:15:00Z"}],
        "requests": [{"target_id": "t_1", "camera_id": "cam_a",
                      "window_start": "2026-03-14T07:00:00-05:00",
                      "window_end": "2026-03-14T12:00:20.500000+00:00"}]}))
    state = uplink.state()
    sent = server.seen[0]
    assert sent.query == {"camera": ["cam_a", "cam b"]}
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    share = state.shares[0]
    assert share.started_at == datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert share.started_at.tzinfo is not None and share.preroll_seconds == 120
    assert share.ends_at - share.started_at == timedelta(minutes=15)
    assert share.sub_camera_ids == ("cam_a",) and share.wants_sub("cam_a")
    assert state.shares[1].sub_camera_ids == ()  # no "quality": every camera's main stream
    request = state.requests[0]
    assert request.window == TimeWindow(datetime(2026, 3, 14, 12, 0, tzinfo=UTC),
                                        datetime(2026, 3, 14, 12, 0, 20, 500000, tzinfo=UTC))
    assert state.poll_seconds == 3 and state.device_id == "dev_1"
    assert [c.camera_id for c in state.cameras] == ["cam_a"]


@pytest.mark.parametrize(("reply", "error", "words"), [
    (problem(401, "This bridge is not paired. Pair it again from the app."), UplinkRevoked,
     "Pair it again"),
    (problem(403, "Not allowed"), UplinkRevoked, "Not allowed"),
    (problem(500, "Boom"), ConnectionError, "busy or failing: Boom"),
    (problem(502, "Bad gateway"), ConnectionError, "busy or failing"),
    (problem(429, "Slow down"), ConnectionError, "Slow down"),
    (problem(422, "camera: not one of yours"), ServerRefused, "not one of yours"),
    (Reply(200, b"<html>captive portal</html>", "text/html"), ConnectionError,
     "could not be read as JSON"),
    (Reply(200, {"shares": [{"share_id": "x"}]}), ConnectionError, "not what this bridge"),
    (Reply(302, b"", headers={"Location": "https://elsewhere.example/login"}),
     ConnectionError, "redirect to https://elsewhere.example/login: check \\[server\\] url"),
])
def test_state_answers_map_to_the_protocol(server: Scripted, uplink: HttpUplink,
                                           reply: Reply, error: type[Exception],
                                           words: str) -> None:
    server.on("GET", "/api/bridge/state", reply)
    with pytest.raises(error, match=words):
        uplink.state()
    assert len(server.seen) == 1  # no retry inside, no redirect followed


def test_a_redirect_is_not_followed_with_the_credential(server: Scripted) -> None:
    other = Scripted()
    other.thread.start()
    try:
        server.on("GET", "/api/bridge/state",
                  Reply(307, b"", headers={"Location": other.url + "/api/bridge/state"}))
        with pytest.raises(ConnectionError, match="redirect"):
            HttpUplink(server.url, CREDENTIAL).state()
        assert other.seen == []
    finally:
        other.server.shutdown()
        other.server.server_close()


def test_no_server_and_a_silent_one_are_connection_errors(server: Scripted) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ConnectionError, match="cannot be reached"):
        HttpUplink(closed, CREDENTIAL, timeout_s=1).state()
    server.on("GET", "/api/bridge/state", Reply(200, {}, delay_s=1.0))
    begun = time.monotonic()
    with pytest.raises(ConnectionError, match="did not answer within 0.3 s"):
        HttpUplink(server.url, CREDENTIAL, timeout_s=0.3).state()
    assert time.monotonic() - begun < 0.9
    server.on("GET", "/api/bridge/state", Reply(cut=True))
    with pytest.raises(ConnectionError):
        HttpUplink(server.url, CREDENTIAL, timeout_s=1).state()


def test_start_share(server: Scripted, uplink: HttpUplink) -> None:
    server.on("POST", "/api/bridge/shares", Reply(201, {
        "share_id": "sh_2", "cameras": ["cam_a"], "started_at": "2026-03-14T12:00:00Z",
        "ends_at": "2026-03-14T12:10:00Z", "preroll_seconds": 120, "active": True}))
    share = uplink.start_share(["cam_a"], 10)
    assert server.seen[0].json() == {"camera_ids": ["cam_a"], "minutes": 10}
    assert (share.share_id, share.camera_ids, share.preroll_seconds) == ("sh_2", ("cam_a",),
                                                                         120)
    assert share.window.seconds == 600
    server.on("POST", "/api/bridge/shares",
              problem(422, "Front door is not set to share on alert."))
    with pytest.raises(ServerRefused, match="not set to share on alert"):
        uplink.start_share(["cam_a"], 10)
    server.on("POST", "/api/bridge/shares", problem(404, "No such camera."))
    with pytest.raises(ServerRefused):  # not a share's endpoint: not ShareEnded
        uplink.start_share(["cam_x"], 10)


def _offer(server: Scripted, kind: str = "segments") -> list[bytes]:
    """Answer announcements with an upload address on the same server (S3's part)."""
    stored: list[bytes] = []

    def put(seen: Seen) -> Reply:
        stored.append(seen.body)
        return Reply(200, b"", "text/plain")

    server.on("PUT", f"/s3/live/{kind}", put)
    return stored


def test_upload_segment_announces_puts_to_storage_and_confirms(
        server: Scripted, uplink: HttpUplink, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    piece = segment(tmp_path)
    base = "/api/bridge/shares/sh%2F1/segments"
    stored = _offer(server)
    server.on("POST", base, Reply(201, {
        "stored": False, "url": server.url + "/s3/live/segments?X-Amz-Signature=abc",
        "headers": {"Content-Type": "video/mp4"}}))
    server.on("POST", f"{base}/cam_a/{piece.name}/done", Reply(200, {"stored": True}))
    uplink.upload_segment("sh/1", "cam_a", piece)
    assert server.paths() == [f"POST {base}", "PUT /s3/live/segments",
                              f"POST {base}/cam_a/{piece.name}/done"]
    announce, put, done = server.seen
    assert announce.json() == {
        "camera_id": "cam_a", "name": piece.name, "start": "2026-03-14T12:03:05.123Z",
        "end": "2026-03-14T12:03:06.123Z", "duration_s": 1.0, "size": piece.size,
        "sha256": piece.sha256, "codecs": "avc1.64000d", "run": "run1",
        "media_start_s": 4.0}
    assert stored == [piece.path.read_bytes()]
    assert put.headers["content-type"] == "video/mp4"
    assert "authorization" not in put.headers  # storage never sees the credential
    assert put.query == {"X-Amz-Signature": ["abc"]}
    assert done.json() == {} and done.headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in caplog.text and "X-Amz-Signature" not in caplog.text

    # the server has it already (a retry after a lost answer): nothing is sent again
    server.seen.clear()
    server.on("POST", base, Reply(200, {"stored": True}))
    uplink.upload_segment("sh/1", "cam_a", piece)
    assert server.paths() == [f"POST {base}"]


@pytest.mark.parametrize(("step", "reply", "error"), [
    ("announce", problem(410, "The share was ended."), ShareEnded),
    ("announce", problem(404, "No such share."), ShareEnded),
    ("announce", problem(401, "Pair it again."), UplinkRevoked),
    ("announce", problem(503, "Busy"), ConnectionError),
    ("announce", problem(422, "size: too large"), ServerRefused),
    ("storage", Reply(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>",
                      "application/xml"), ConnectionError),
    ("storage", Reply(500, b"", "application/xml"), ConnectionError),
    ("done", problem(410, "The share was ended."), ShareEnded),
    ("done", problem(500, "Boom"), ConnectionError),
])
def test_upload_segment_failures(server: Scripted, uplink: HttpUplink, tmp_path: Path,
                                 step: str, reply: Reply, error: type[Exception]) -> None:
    piece = segment(tmp_path)
    base = "/api/bridge/shares/sh_1/segments"
    _offer(server)
    server.on("POST", base, reply if step == "announce" else Reply(201, {
        "stored": False, "url": server.url + "/s3/live/segments", "headers": {}}))
    if step == "storage":
        server.on("PUT", "/s3/live/segments", reply)
    server.on("POST", f"{base}/cam_a/{piece.name}/done",
              reply if step == "done" else Reply(200, {"stored": True}))
    with pytest.raises(error):
        uplink.upload_segment("sh_1", "cam_a", piece)


def test_a_segment_pruned_before_sending_is_file_not_found(server: Scripted,
                                                           uplink: HttpUplink,
                                                           tmp_path: Path) -> None:
    piece = segment(tmp_path)
    piece.path.unlink()
    with pytest.raises(FileNotFoundError):
        uplink.upload_segment("sh_1", "cam_a", piece)
    assert server.seen == []


def test_upload_clip_and_unavailable(server: Scripted, uplink: HttpUplink, tmp_path: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(300_000))
    start = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    window = TimeWindow(start, start + timedelta(seconds=20))
    gap = TimeWindow(start + timedelta(seconds=5), start + timedelta(seconds=7))
    stored = _offer(server, "clip")
    server.on("POST", "/api/bridge/targets/t_1/clip", Reply(201, {
        "stored": False, "url": server.url + "/s3/live/clip",
        "headers": {"Content-Type": "video/mp4"}}))
    server.on("POST", "/api/bridge/targets/t_1/clip/done", Reply(200, {"stored": True}))
    uplink.upload_clip("t_1", clip, window, [gap])
    assert server.seen[0].json() == {
        "size": 300_000, "sha256": hashlib.sha256(clip.read_bytes()).hexdigest(),
        "starts_at": "2026-03-14T12:00:00.000Z", "ends_at": "2026-03-14T12:00:20.000Z",
        "gaps": [{"start": "2026-03-14T12:00:05.000Z", "end": "2026-03-14T12:00:07.000Z"}]}
    assert stored == [clip.read_bytes()]
    assert server.seen[-1].path.endswith("/clip/done") and server.seen[-1].json() == {}

    # declined or expired meanwhile: done, said plainly, nothing more sent
    server.seen.clear()
    server.on("POST", "/api/bridge/targets/t_2/clip",
              problem(409, "The request was declined."))
    uplink.upload_clip("t_2", clip, window)
    assert server.paths() == ["POST /api/bridge/targets/t_2/clip"]
    assert "Request t_2 no longer wants a clip; nothing more is sent: The request was " \
        "declined." in caplog.text

    server.on("POST", "/api/bridge/targets/t_3/unavailable", Reply(200, {}))
    uplink.clip_unavailable("t_3", "the buffer holds only 10 minutes")
    assert server.seen[-1].json() == {"reason": "the buffer holds only 10 minutes"}
    server.on("POST", "/api/bridge/targets/t_4/unavailable", problem(409, "Expired."))
    uplink.clip_unavailable("t_4", "x")  # returns normally
    server.on("POST", "/api/bridge/targets/t_5/unavailable", problem(401, "Pair it again."))
    with pytest.raises(UplinkRevoked):
        uplink.clip_unavailable("t_5", "x")


def test_credential_file_is_private_and_round_trips(tmp_path: Path) -> None:
    state = tmp_path / "state"
    credential = DeviceCredential("dev_1", SECRET, "https://porchlight.example.org")
    assert load_credential(state) is None
    path = save_credential(state, credential)
    assert path == state / "credential.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credential(state) == credential
    newer = DeviceCredential("dev_2", SECRET + "x", "https://porchlight.example.org")
    save_credential(state, newer)  # replaced whole, nothing left over
    assert load_credential(state) == newer
    assert [p.name for p in state.iterdir()] == ["credential.json"]
    assert SECRET not in repr(load_credential(state))
    path.write_text("{not json")
    with pytest.raises(ValueError, match="damaged; pair the bridge again|damaged"):
        load_credential(state)
