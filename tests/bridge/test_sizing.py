"""How much room the buffer needs: from the bitrates and the minutes, said by `size`, and true
to what a running bridge really keeps on disk."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bridge import sizing
from bridge.__main__ import main as bridge_main
from bridge.runner import Runner
from tests.bridge.conftest import KEY, make_config

# The README's worked example: three 1080p H.264 cameras at 4 Mbit/s kept as they are, and a
# 720p MJPEG camera that the bridge converts to H.264 at about 3.5 Mbit/s; 10 minutes each.
EXAMPLE = {"front": 4e6, "side": 4e6, "yard": 4e6, "old-mjpeg": 3.5e6}


def test_four_cameras_need_more_than_the_old_one_gigabyte() -> None:
    room = sizing.needed(EXAMPLE, buffer_minutes=10, segment_seconds=2)
    # the buffers alone are what was measured with four such cameras (1.16 GB)
    assert 1.16e9 <= room.buffers <= 1.25e9
    assert room.clip == pytest.approx(4e6 / 8 * 600 * sizing.FMP4_OVERHEAD, rel=1e-6)
    assert room.total > 1.6e9 > 1e9  # the old advice (size=1g) would have filled up
    assert room.tmpfs_size == "1600m"
    # the size grows with the minutes and the rates, and nothing needs nothing much
    assert sizing.needed(EXAMPLE, 20, 2).total > 1.9 * room.total - 2 * sizing.FIXED_BYTES
    assert sizing.needed({}, 10, 2).total == sizing.FIXED_BYTES
    with pytest.raises(ValueError):
        sizing.needed({"cam": float("nan")}, 10, 2)


def test_size_command_from_given_and_measured_rates(
        tmp_path: Path, samples: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text("\n".join([
        "[bridge]", 'name = "Shop"', f'state_dir = "{tmp_path / "state"}"',
        f'trigger_key = "{KEY}"', 'trigger_listen = "127.0.0.1:8798"',
        *[line for name in ("front", "side", "yard", "old-mjpeg")
          for line in ("[[camera]]", f'id = "{name}"', 'source = "rtsp://10.0.0.9/s"')]]) + "\n")
    rates = [f"--rate={name}={rate / 1e6:g}" for name, rate in EXAMPLE.items()]
    assert bridge_main(["size", "-c", str(path), *rates]) == 0
    out = capsys.readouterr().out
    assert "front: 4.00 Mbit/s" in out and "old-mjpeg: 3.50 Mbit/s" in out
    assert f"tmpfs {tmp_path / 'state'} tmpfs size=1600m,mode=0700" in out
    assert bridge_main(["size", "-c", str(path), "--rate=back=4"]) == 1
    assert "give one of this config's cameras" in capsys.readouterr().err

    # no rate given and no bridge running: one piece of the camera measures it
    path.write_text("\n".join([
        "[bridge]", 'name = "Shop"', f'state_dir = "{tmp_path / "state"}"',
        f'trigger_key = "{KEY}"', 'trigger_listen = "127.0.0.1:8798"', "segment_seconds = 1",
        "[[camera]]", 'id = "demo"', f'source = "file://{samples["h264"]}"']) + "\n")
    assert bridge_main(["size", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    file_rate = samples["h264"].stat().st_size * 8 / 8.0
    measured = float(out.split("demo: ")[1].split(" Mbit/s")[0]) * 1e6
    assert 0.5 * file_rate <= measured <= 3 * file_rate  # (its first piece holds a keyframe)


def test_the_room_covers_what_a_running_bridge_keeps(tmp_path: Path,
                                                     samples: dict[str, Path]) -> None:
    """A looping file played at real time into a 4 s buffer: the disk never holds more than
    the function says one camera needs."""
    config = make_config(tmp_path, [{"id": "demo", "source": f"file://{samples['h264']}",
                                     "loop": True}], segment_seconds=1)
    keep_s = 4.0
    runner = Runner(config, keep_seconds=keep_s).start()
    most = 0
    try:
        deadline = time.monotonic() + 9
        while time.monotonic() < deadline:
            used = sum(f.stat().st_size for f in config.state_dir.rglob("*") if f.is_file())
            most = max(most, used)
            time.sleep(0.1)
    finally:
        runner.stop()
    rate = samples["h264"].stat().st_size * 8 / 8.0  # the camera's own bitrate (stream copy)
    need = sizing.camera_bytes(rate, keep_s / 60, config.segment_seconds)
    assert most <= need, (most, need)
    assert most >= 0.9 * rate / 8 * keep_s  # (the buffer did fill: its seconds were held)
