"""The command line: run (end to end, in a subprocess), check, status, pair."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.__main__ import main
from bridge.trigger import TriggerServer
from tests.bridge.conftest import KEY
from tests.bridge.helpers import ROOT, free_port, wait_for


def write_config(tmp_path: Path, cameras: str, port: int | None = None, **extra: str) -> Path:
    lines = ["[bridge]", 'name = "Test shop"', f'state_dir = "{tmp_path / "state"}"',
             f'trigger_key = "{KEY}"', f'trigger_listen = "127.0.0.1:{port or free_port()}"',
             "segment_seconds = 1", *(f"{key} = {value}" for key, value in extra.items()),
             cameras]
    path = tmp_path / "bridge.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def camera(local_id: str, source: str, loop: bool = False) -> str:
    return (f'[[camera]]\nid = "{local_id}"\nsource = "{source}"\n'
            + ("loop = true\n" if loop else ""))


def test_pair_needs_a_server_url_and_a_server(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, camera("a", "rtsp://10.0.0.2/s"))
    assert main(["pair", "ABCD-EFGH", "-c", str(config)]) == 1
    assert "has no [server] url: add your police department's Porchlight address" in \
        capsys.readouterr().err
    config = write_config(tmp_path, camera("a", "rtsp://10.0.0.2/s")
                          + f'[server]\nurl = "http://127.0.0.1:{free_port()}"\n')
    assert main(["pair", "ABCD-EFGH", "-c", str(config), "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "Pairing failed: 127.0.0.1:" in err and "cannot be reached" in err
    assert not (tmp_path / "state" / "credential.json").exists()
    # (pairing with the real server: tests/bridge/test_http_uplink.py)


def test_check_probes_each_camera(tmp_path: Path, samples: dict[str, Path],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, camera("demo", f"file://{samples['h264']}"))
    assert main(["check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "is valid: bridge 'Test shop', 1 camera(s)" in out
    assert "demo: H.264 320x240 at 30 fps, kept as the camera sends it (stream copy)" in out
    assert "a keyframe every 1.00 s" in out
    assert "not paired yet" in out and "All good." in out

    config = write_config(tmp_path, camera("demo", f"file://{samples['h264']}")
                          + camera("gone", "rtsp://user:hunter2@127.0.0.1:9/s"))
    assert main(["check", "-c", str(config), "--timeout", "5"]) == 1
    out = capsys.readouterr().out
    assert "gone: PROBLEM: nothing answers at the camera at rtsp://user:***@127.0.0.1:9/s" in out
    assert "hunter2" not in out and "1 problem(s) found." in out


def test_check_without_probing_only_reads_the_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, camera("a", "rtsp://127.0.0.1:9/s"))  # (the unit's pre-check)
    assert main(["check", "--no-probe", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out and "Probing" not in out


def test_check_names_config_mistakes(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, camera("a", "rtsp://10.0.0.2/s"), buffer_minutes="0")
    assert main(["check", "-c", str(config)]) == 1
    assert "[bridge] buffer_minutes must be from 1 to 60" in capsys.readouterr().err


def test_status_asks_the_running_bridge(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status = {"bridge": "Test shop", "started_at": "2026-03-14T12:00:00.000Z",
              "buffer_minutes": 10, "cameras": [{
                  "camera": "front", "state": "reconnecting",
                  "since": "2026-03-14T12:01:00.000Z", "problem": "the camera did not answer",
                  "video": None, "last_segment_at": None,
                  "buffer": {"segments": 3, "bytes": 1_500_000, "seconds": 6.0,
                             "from": "a", "to": "b", "gaps": 1}}]}
    server = TriggerServer("127.0.0.1", 0, KEY, ["front"], lambda _c, _m: None,
                           lambda: status).start()
    try:
        config = write_config(tmp_path, camera("front", "rtsp://10.0.0.2/s"), port=server.port)
        assert main(["status", "-c", str(config)]) == 0
        out = capsys.readouterr().out
        assert "front: reconnecting since 2026-03-14T12:01:00.000Z (the camera did not" in out
        assert "buffer 6 s in 3 segments (1.5 MB)" in out
        assert "Pairing: not paired (python -m bridge pair CODE)" in out
        assert main(["status", "-c", str(config), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == status
    finally:
        server.close()
    assert main(["status", "-c", str(config)]) == 1
    assert "No bridge answers at http://127.0.0.1:" in capsys.readouterr().err


def test_run_records_serves_status_and_stops_on_sigterm(
        tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, camera("demo", f"file://{samples['h264_short']}",
                                           loop=True))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c", str(config)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        def live() -> bool:
            if main(["status", "-c", str(config), "--json"]) != 0:
                capsys.readouterr()
                return False
            cameras = json.loads(capsys.readouterr().out)["cameras"]
            return cameras[0]["buffer"]["segments"] >= 2

        wait_for(live, 15, "the bridge to record two segments")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Trigger endpoint listening on http://127.0.0.1:" in output
    assert "nothing is uploaded" in output
    assert "Camera demo is live: H.264 320x240 at 30 fps, kept as the camera sends it" in output
    assert "Stopping (signal SIGTERM)" in output
    buffer = tmp_path / "state" / "buffer" / "demo"
    assert len(list(buffer.glob("*.mp4"))) >= 2 and (buffer / "index.jsonl").exists()
