"""The bridge against the real Porchlight app, end to end over HTTP on loopback: pairing with
the CLI, a share's pre-roll and live segments reaching DynamoDB and S3 (also through a network
drop), the owner ending the share, revoking the bridge, and approved footage requests answered
from the buffer.

Every part is real: the app and its devstack (embedded AWS, the worker loop), a Runner reading a
looping H.264 file as a camera, ShareManager and HttpUplink. The only thing added is a small TCP
proxy between HttpUplink and the app, which the tests cut to drop the network.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from app.aws import aws_client
from app.models.live import LiveSegment, LiveShare
from bridge import config as bridge_config
from bridge.__main__ import main
from bridge.buffer import SegmentBuffer, now_utc
from bridge.http_uplink import HttpUplink, load_credential
from bridge.runner import Backoff, Runner
from bridge.share import Outcome, RequestAnswer, ShareManager
from bridge.trigger import KEY_HEADER
from bridge.uplink import ClipRequest, DeviceCredential, UplinkRevoked
from tests.bridge.conftest import KEY
from tests.bridge.helpers import ROOT, free_port, wait_for
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.builders.footage import ask
from tests.support import Client, form_token

FAST = Backoff(first_s=0.2, max_s=1.0)
REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r\n")


class CuttableProxy:
    """A TCP proxy on loopback to the app. cut() closes it (new connections are refused, open
    ones are broken off), restore() listens again on the same port. It notes the request line
    of each connection (urllib sends one request per connection), and can break off the next
    request whose path ends a given way (drop_next)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.drop_next: str | None = None  # a path ending: that request is broken off
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0
        self.restore()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, []
        for sock in [listener, *sockets]:
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        first = outbound
        try:
            while data := source.recv(65536):
                if first:
                    found = REQUEST_LINE.match(data)
                    if found:
                        path = found[2].decode()
                        with self._lock:
                            self.requests.append((found[1].decode(), path))
                            drop = self.drop_next is not None and path.endswith(self.drop_next)
                            if drop:
                                self.drop_next = None
                        if drop:
                            return  # (finally: both sides are shut)
                    first = False
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def calls(self, method: str, ending: str) -> list[str]:
        with self._lock:
            return [path for m, path in self.requests if m == method and path.endswith(ending)]


@dataclass
class Bridge:
    owner: Client
    camera_id: str
    config_path: Path
    config: bridge_config.BridgeConfig
    credential: DeviceCredential
    runner: Runner
    buffer: SegmentBuffer


def _register(owner: Client, nickname: str, tier: str = "on_alert") -> str:
    made = owner.send_json("POST", "/api/cameras", camera_body(nickname=nickname, tier=tier))
    assert made.status_code == 201, made.text
    return str(made.json()["camera"]["id"])


def _write_config(tmp_path: Path, server_url: str, source: Path, camera_id: str | None,
                  trigger_port: int = 8787) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text("\n".join([
        "[bridge]", 'name = "Back office"', f'state_dir = "{tmp_path / "state"}"',
        f'trigger_key = "{KEY}"', f'trigger_listen = "127.0.0.1:{trigger_port}"',
        "segment_seconds = 1",
        "buffer_minutes = 1",
        "[[camera]]", 'id = "till"', f'source = "file://{source}"', "loop = true",
        *([f'camera_id = "{camera_id}"'] if camera_id else []),
        "[server]", f'url = "{server_url}/"']) + "\n")
    return path


@pytest.fixture()
def bridge(signed_in: Any, base_url: str, samples: dict[str, Path],
           tmp_path: Path) -> Iterator[Bridge]:
    """An owner with an on-alert camera, a bridge paired with the CLI, recording it."""
    owner, _account = signed_in("owner")
    camera_id = _register(owner, "Till")
    path = _write_config(tmp_path, base_url, samples["h264_short"], camera_id)
    assert main(["pair", shown_code(owner), "-c", str(path)]) == 0
    config = bridge_config.load(path)
    credential = load_credential(config.state_dir)
    assert credential is not None
    runner = Runner(config)
    runner.start()
    try:
        yield Bridge(owner, camera_id, path, config, credential, runner, runner.buffers["till"])
    finally:
        runner.stop()


def _manager(bridge: Bridge, server_url: str) -> ShareManager:
    uplink = HttpUplink(server_url, bridge.credential, timeout_s=5,
                        camera_ids=[bridge.camera_id])
    return ShareManager(uplink, bridge.config, bridge.runner.buffers,
                        work_dir=bridge.config.state_dir / "clips", backoff=FAST, poll_s=0.1)


def _ready(share_id: str, camera_id: str) -> dict[str, LiveSegment]:
    return {piece.name: piece for piece in LiveSegment.query(f"{share_id}/{camera_id}",
                                                             consistent_read=True)
            if piece.ready}


def _stored_sha256(settings: Any, key: str) -> str:
    body = aws_client(settings, "s3").get_object(Bucket=settings.uploads_bucket, Key=key)
    return hashlib.sha256(body["Body"].read()).hexdigest()


def test_pairing_with_the_cli(signed_in: Any, base_url: str, samples: dict[str, Path],
                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    owner, _account = signed_in("owner")
    alert = _register(owner, "Till")
    request_only = _register(owner, "Yard", tier="on_request")
    path = _write_config(tmp_path, base_url, samples["h264_short"], None)

    assert main(["pair", "AAAA-AAAA", "-c", str(path)]) == 1
    err = capsys.readouterr().err
    assert "did not accept the code 'AAAA-AAAA'" in err and "expired or was already used" in err
    assert load_credential(tmp_path / "state") is None

    code = shown_code(owner)
    assert main(["pair", code, "-c", str(path)]) == 0
    out = capsys.readouterr().out
    saved = tmp_path / "state" / "credential.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    credential = load_credential(tmp_path / "state")
    assert credential is not None and credential.secret.startswith("pbd_")
    assert credential.server_url == base_url
    assert f"Paired with {base_url} as device {credential.device_id}" in out
    assert credential.secret not in out
    assert re.search(rf"{alert}\s+Till \(can be shared live\)", out), out
    assert re.search(rf"{request_only}\s+Yard \(answers footage requests only\)", out), out
    assert '[[camera]] id = "till": no camera_id yet' in out and "camera_id = " in out

    assert main(["pair", code, "-c", str(path)]) == 1  # a code works once
    assert "already used" in capsys.readouterr().err
    assert load_credential(tmp_path / "state") == credential  # the pairing is kept

    # the app knows the bridge by its name
    assert "Back office" in owner.get("/bridges").text


def test_a_triggered_share_sends_live_and_preroll_and_catches_up_after_a_drop(
        bridge: Bridge, base_url: str, settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    proxy = CuttableProxy(int(base_url.rsplit(":", 1)[1]))
    manager = _manager(bridge, proxy.url)
    buffer, camera_id = bridge.buffer, bridge.camera_id
    try:
        wait_for(lambda: len(buffer.segments()) >= 3, 15, "three segments before the share")
        share = manager.start_share_now(["till"], 1)  # as the trigger does
        assert share is not None and share.camera_ids == (camera_id,)
        assert share.preroll_seconds > 0
        preroll = [s.name for s in buffer.segments() if s.start < share.started_at]
        assert len(preroll) >= 3
        wait_for(lambda: len(_ready(share.share_id, camera_id)) >= len(preroll) + 1, 15,
                 "the pre-roll and a live segment to arrive")

        proxy.cut()  # the network drops: segments queue on the box
        cut_at = now_utc()
        count = len(_ready(share.share_id, camera_id))
        wait_for(lambda: len(buffer.segments_between(cut_at, share.ends_at)) >= 2, 10,
                 "two segments recorded while the network is down")
        assert len(_ready(share.share_id, camera_id)) <= count + 1  # (one might be on its way)
        proxy.restore()
        restored_at = now_utc()

        def caught_up() -> bool:
            ready = _ready(share.share_id, camera_id)
            return all(s.name in ready for s in buffer.segments_between(
                share.started_at - timedelta(seconds=share.preroll_seconds), restored_at)
                if s.end <= restored_at)

        wait_for(caught_up, 15, "the queued segments to arrive after the drop")

        # a segment sent again (a retry after a lost answer) is stored once, not sent again
        again = next(s for s in buffer.segments() if s.name == preroll[-1])
        manager.uplink_required.upload_segment(share.share_id, camera_id, again)
        assert proxy.calls("POST", f"/{again.name}/done") == [
            f"/api/bridge/shares/{share.share_id}/segments/{camera_id}/{again.name}/done"]

        # the owner ends the share: the session stops at its next upload
        ended = bridge.owner.send_json("DELETE", f"/api/shares/{share.share_id}")
        assert ended.status_code == 200, ended.text
        wait_for(lambda: bool(manager.results), 10, "the session to stop")
    finally:
        manager.close()
        proxy.close()
    assert "could not send" in caplog.text and "cannot be reached" in caplog.text  # the drop
    result = manager.results[0]
    assert result.outcome is Outcome.SHARE_ENDED and result.share_id == share.share_id
    assert not manager.revoked  # only that share stopped

    ready = _ready(share.share_id, camera_id)
    names = sorted(ready)
    on_box = {s.name: s for s in buffer.segments()}
    assert set(preroll) <= set(names)
    # the live edge came first (the newest segment when the share started), then the rest of
    # the pre-roll oldest first, live pieces as they closed in between (announced in that order)
    by_arrival = [piece.name for piece in sorted(ready.values(),
                                                 key=lambda piece: piece.created_at)]
    assert sorted(by_arrival) == names
    assert by_arrival[0] >= preroll[-1]
    rest = [name for name in by_arrival if name in preroll[:-1]]
    assert rest == sorted(preroll[:-1])
    assert names[:len(preroll)] == sorted(preroll)
    # none sent twice: at most one "done" per segment, and S3 holds exactly the box's bytes.
    # A segment whose "done" the drop broke off is confirmed when announced again (its bytes
    # are in storage, and the write-once key cannot take them a second time).
    done = Counter(path.rsplit("/", 2)[-2] for path in proxy.calls("POST", "/done"))
    assert len(set(names) - set(done)) <= 1 and set(done.values()) == {1}
    assert len(set(done) - set(names)) <= 1  # (refused: the owner had just ended the share)
    # stored under the camera's alias in the share: police fetch pieces by key, never by id
    [alias] = LiveShare.get(share.share_id).camera_aliases or []
    for name in (names[0], names[len(preroll)], names[-1]):
        piece = ready[name]
        assert piece.key == f"live/{share.share_id}/{alias}/{name}"
        if name in on_box:
            assert piece.sha256 == on_box[name].sha256
            assert _stored_sha256(settings, piece.key) == on_box[name].sha256
    assert proxy.calls("PUT", "") == []  # video goes to storage, not through the app


def test_revoking_the_bridge_stops_uploads(bridge: Bridge, base_url: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bridge")
    manager = _manager(bridge, base_url)
    stop = threading.Event()
    poller = threading.Thread(target=manager.run, args=(stop,), daemon=True)
    try:
        wait_for(lambda: len(bridge.buffer.segments()) >= 1, 15, "a first segment")
        share = manager.start_share_now(["till"], 1)
        assert share is not None
        poller.start()  # polling finds the running share and does not start it twice
        wait_for(lambda: len(_ready(share.share_id, bridge.camera_id)) >= 2, 10,
                 "segments to arrive")
        page = bridge.owner.get("/bridges")
        revoked = bridge.owner.post_form(f"/bridges/{bridge.credential.device_id}/revoke",
                                         token=form_token(page.text))
        assert revoked.status_code == 302
        wait_for(lambda: manager.revoked, 10, "the bridge to notice")
        poller.join(10)
        assert not poller.is_alive()  # polling stopped too
        count = len(_ready(share.share_id, bridge.camera_id))
        recorded = len(bridge.buffer.segments())
        wait_for(lambda: len(bridge.buffer.segments()) >= recorded + 2, 10,
                 "recording to go on")
        assert len(_ready(share.share_id, bridge.camera_id)) == count  # nothing more sent
        with pytest.raises(UplinkRevoked, match="Pair it again"):
            manager.uplink_required.state()
        assert manager.start_share_now(["till"], 1) is None
    finally:
        stop.set()
        manager.close()
    assert [r.outcome for r in manager.results] == [Outcome.REVOKED]
    assert "no longer accepts this bridge" in caplog.text
    assert bridge.credential.secret not in caplog.text


def _status(owner: Client, target_id: str, wanted: tuple[str, ...],
            timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        data: dict[str, Any] = owner.get(f"/api/targets/{target_id}").json()
        if data["status"] in wanted or time.monotonic() > deadline:
            return data
        time.sleep(0.3)


def test_approved_requests_are_answered_from_the_buffer(
        bridge: Bridge, base_url: str, signed_in: Any) -> None:
    detective, _ = signed_in("detective")
    other_camera = _register(bridge.owner, "Yard")  # served by no bridge here
    wait_for(lambda: len(bridge.buffer.segments()) >= 5, 15, "five seconds of video")
    recorded = bridge.buffer.segments()
    start = recorded[1].start.replace(microsecond=0) + timedelta(seconds=1)
    end = start + timedelta(seconds=2)
    assert end <= recorded[-1].end

    def approved(camera_ids: list[str], start: Any, end: Any) -> str:
        asked = ask(detective, camera_ids, start, end)
        assert asked.status_code == 201, asked.text
        target_id = str(asked.json()["targets"][0]["id"])
        answer = bridge.owner.send_json("POST", f"/api/targets/{target_id}/answer",
                                        {"action": "approve"})
        assert answer.status_code == 200, answer.text
        return target_id

    fresh = approved([bridge.camera_id], start, end)
    old_start = (now_utc() - timedelta(minutes=30)).replace(microsecond=0)
    old = approved([bridge.camera_id], old_start, old_start + timedelta(seconds=20))
    elsewhere = approved([other_camera], start, end)

    proxy = CuttableProxy(int(base_url.rsplit(":", 1)[1]))
    manager = _manager(bridge, proxy.url)
    try:
        proxy.drop_next = "/clip/done"  # the network breaks just before the clip is finished
        state = manager.sync()
        assert state is not None
        assert {r.target_id for r in state.requests} == {fresh, old}  # not `elsewhere`
        assert manager.answer(ClipRequest(elsewhere, other_camera, state.requests[0].window)) \
            is RequestAnswer.NOT_MINE
        assert _status(bridge.owner, fresh, (), timeout=0)["status"] == "uploading"
        state = manager.sync()  # the server lists the unfinished clip again; it is resent
        assert state is not None and [r.target_id for r in state.requests] == [fresh]
        assert len(proxy.calls("POST", f"/targets/{fresh}/clip/done")) == 2
        state = manager.sync()  # answered: nothing more is listed or sent
        assert state is not None and state.requests == ()
        assert len(proxy.calls("POST", f"/targets/{fresh}/clip")) == 2
    finally:
        manager.close()
        proxy.close()
    sent = _status(bridge.owner, fresh, ("ready", "failed"))
    assert sent["status"] == "ready", sent
    gone = _status(bridge.owner, old, ("no_footage",), timeout=1)
    assert gone["status"] == "no_footage"
    assert "keeps only the last 1 minute of video" in gone["reason"]
    assert _status(bridge.owner, elsewhere, (), timeout=0)["status"] == "approved"

    # an answer the request no longer wants is not an error
    HttpUplink(base_url, bridge.credential).clip_unavailable(fresh, "late")
    assert not list((bridge.config.state_dir / "clips").iterdir())



def test_the_run_command_shares_when_the_panic_button_is_pressed(
        signed_in: Any, base_url: str, samples: dict[str, Path], tmp_path: Path) -> None:
    owner, account = signed_in("owner")
    camera_id = _register(owner, "Till")
    port = free_port()
    path = _write_config(tmp_path, base_url, samples["h264_short"], camera_id, port)
    assert main(["pair", shown_code(owner), "-c", str(path)]) == 0
    credential = load_credential(tmp_path / "state")
    assert credential is not None
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c", str(path)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        def shares() -> list[LiveShare]:
            return list(LiveShare.owner_index.query(account.user.user_id))

        def pressed() -> bool:
            try:
                answer = requests.post(f"http://127.0.0.1:{port}/trigger",
                                       json={"cameras": ["till"], "minutes": 1},
                                       headers={KEY_HEADER: KEY}, timeout=2)
            except requests.ConnectionError:
                return False  # not listening yet
            assert answer.status_code == 202
            return True

        wait_for(pressed, 10, "the trigger endpoint")
        wait_for(lambda: bool(shares()), 10, "the share to start")
        share = shares()[0]
        assert share.source == "bridge" and share.camera_ids == [camera_id]
        wait_for(lambda: len(_ready(share.share_id, camera_id)) >= 2, 15,
                 "segments of the share")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert f"Paired with {base_url} as device {credential.device_id}" in output
    assert "Sharing till live until" in output
    assert credential.secret not in output and "pbd_" not in output
