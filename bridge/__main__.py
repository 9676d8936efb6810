"""Command line: python -m bridge {run,check,status,pair} -c config.toml

    run     record every camera into the local buffer and serve the LAN trigger, until stopped;
            once paired, also follow shares and answer approved requests
    check   check the config, probe each camera once, say what was found
    status  ask the running bridge (through its trigger endpoint) how each camera is doing
    size    how much room (a RAM disk) the buffer needs, from each camera's measured bitrate
    pair    pair with the Porchlight server in [server] url, with the code the owner's app shows

Exit codes: 0 fine, 1 a problem (said in plain words), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import FrameType
from typing import Any

from bridge import camera_setup, sizing
from bridge import config as config_module
from bridge.camera_setup import CameraSetup
from bridge.config import BridgeConfig, CameraConfig, ConfigError
from bridge.http_uplink import HttpUplink, load_credential, save_credential
from bridge.runner import Runner
from bridge.share import Channel, ChannelFactory, ShareManager
from bridge.sources import probe, remove_partials
from bridge.trigger import KEY_HEADER, TriggerServer
from bridge.uplink import ChannelInfo, DeviceCredential

logger = logging.getLogger("bridge")

DEFAULT_CONFIG = "/etc/porchlight-bridge/config.toml"
TIERS = {"on_alert": "can be shared live", "always": "police may open it live in its schedule",
         "on_request": "answers footage requests only"}


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _load(path: str) -> BridgeConfig | None:
    try:
        return config_module.load(path)
    except ConfigError as error:
        _err(str(error))
        return None


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# ---------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    _logging(args.verbose)
    try:
        config.state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.error("The state folder %s cannot be made: %s", config.state_dir,
                     error.strerror)
        return 1
    uplink = _uplink(config)
    config = _with_saved_cameras(config, uplink)
    runner = Runner(config)
    for buffer in runner.buffers.values():
        remove_partials(buffer.work_dir)
    if uplink is not None:
        uplink.health = runner.health
    manager = ShareManager(uplink, config, runner.buffers, work_dir=config.state_dir / "clips",
                           channel_factory=_channel_factory(uplink, config))
    setup = _camera_setup(config, uplink, runner, manager)
    trigger = TriggerServer(config.trigger_host, config.trigger_port, config.trigger_key,
                            [camera.id for camera in config.cameras], manager.trigger,
                            runner.status)
    try:
        trigger.start()
    except OSError as error:
        logger.error("%s", error.strerror)
        return 1
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        logger.info("Stopping (signal %s).", signal.Signals(number).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.start()
    poller = threading.Thread(target=manager.run, args=(stop,), name="uplink", daemon=True)
    if uplink is not None:
        poller.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        trigger.close()
        if poller.is_alive():
            poller.join(5)  # (a request under way is dropped: the next start asks again)
        manager.close()
        if setup is not None:
            setup.close()
        runner.stop()
    return 0


def _with_saved_cameras(config: BridgeConfig, uplink: HttpUplink | None) -> BridgeConfig:
    """A paired bridge also records the cameras set up in the owner's app, after the config
    file's own; the uplink names them all to the server."""
    if uplink is None:
        return config
    config = with_app_cameras(config, camera_setup.saved_cameras(config.state_dir))
    if config.cameras:
        logger.info("Cameras recorded: %s.", ", ".join(c.id for c in config.cameras))
    uplink.camera_ids = tuple(c.camera_id for c in config.cameras if c.camera_id)
    return config


def _camera_setup(config: BridgeConfig, uplink: HttpUplink | None, runner: Runner,
                  manager: ShareManager) -> CameraSetup | None:
    """Setting up cameras from the owner's app (paired bridges only), following every state."""
    if uplink is None:
        return None
    setup = CameraSetup(config.state_dir, uplink, cameras_added(runner, manager, uplink),
                        taken_ids=[camera.id for camera in config.cameras])
    manager.on_state = lambda state: setup.follow(state.setup)
    return setup


def with_app_cameras(config: BridgeConfig, cameras: Sequence[CameraConfig]) -> BridgeConfig:
    """The config with the cameras set up in the app added; one whose local name or Porchlight
    camera is in the config file already is left out (the owner's own file wins)."""
    names = {c.id for c in config.cameras}
    paired = {c.camera_id for c in config.cameras if c.camera_id}
    kept = [c for c in cameras if c.id not in names and c.camera_id not in paired]
    for camera in cameras:
        if camera not in kept:
            logger.info("Camera %s set up in the app is in the config file too; the config "
                        "file's is used.", camera.id)
    return replace(config, cameras=config.cameras + tuple(kept))


def cameras_added(runner: Runner, manager: ShareManager,
                  uplink: HttpUplink) -> Callable[[list[CameraConfig]], None]:
    """What the bridge does with cameras the owner set up in the app: record them at once
    (main stream and substream), answer for them, and tell the server it serves them."""
    def added(cameras: list[CameraConfig]) -> None:
        for camera in cameras:
            runner.add_camera(camera)
            manager.serve(camera, runner.buffers)
        uplink.camera_ids = tuple(dict.fromkeys(
            [*uplink.camera_ids, *(c.camera_id for c in cameras if c.camera_id)]))
        manager.wake()
    return added


def _uplink(config: BridgeConfig) -> HttpUplink | None:
    """The client of the server this bridge is paired with, or None (said in the log)."""
    try:
        credential = load_credential(config.state_dir)
    except (ValueError, OSError) as error:
        logger.error("The saved pairing cannot be used (%s). Video is only buffered on this "
                     "box; pair again: python -m bridge pair CODE", error)
        return None
    if credential is None or not config.server_url:
        logger.info("Not paired with a Porchlight server yet: video is only buffered on this "
                    "box, nothing is uploaded. To pair, set [server] url in the config and run "
                    "python -m bridge pair CODE with the code the Porchlight app shows.")
        return None
    if credential.server_url and credential.server_url != config.server_url:
        logger.error("This bridge was paired with %s, but the config's [server] url is now %s: "
                     "nothing is uploaded. Pair again with the new server: python -m bridge "
                     "pair CODE", credential.server_url, config.server_url)
        return None
    ids = [camera.camera_id for camera in config.cameras if camera.camera_id]
    logger.info("Paired with %s as device %s; sharing can use %s.", config.server_url,
                credential.device_id,
                ", ".join(c.id for c in config.cameras if c.camera_id) or
                "no camera of the config file (give a [[camera]] its camera_id, or add "
                "cameras from the app: Bridges, Add cameras)")
    return HttpUplink(config.server_url, credential, camera_ids=ids,
                      max_upload_kbps=config.max_upload_kbps)


def _channel_factory(uplink: HttpUplink | None, config: BridgeConfig) -> ChannelFactory:
    """Makes the device channel a state answer names: it logs in with this bridge's credential
    (on TLS only) and says which cameras the bridge serves."""
    credential = uplink.credential if uplink else None
    ids = [camera.camera_id for camera in config.cameras if camera.camera_id]

    def make(info: ChannelInfo, wake: Callable[[], None]) -> Channel:
        try:
            from bridge.channel import DeviceChannel  # paho-mqtt (bridge/requirements.txt)
        except ImportError as error:
            raise ValueError("paho-mqtt is not installed: pip install -r "
                             "bridge/requirements.txt") from error
        return DeviceChannel(info, credential, ids, wake)

    return make


# ---------------------------------------------------------------- check


def _check_state_dir(config: BridgeConfig) -> str | None:
    try:
        config.state_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=config.state_dir, prefix=".check-"):
            pass
    except OSError as error:
        return f"the state folder {config.state_dir} is not writable: {error.strerror}"
    return None


def _check_trigger(config: BridgeConfig) -> str | None:
    server = TriggerServer(config.trigger_host, config.trigger_port, config.trigger_key, [],
                           lambda _cameras, _minutes: None, dict)
    try:
        server.start()
    except OSError as error:
        return str(error.strerror)
    server.close()
    return None


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _out(f"Configuration {args.config} is valid: bridge {config.name!r}, "
         f"{len(config.cameras)} camera(s), {config.buffer_minutes:g} min of "
         f"{config.segment_seconds:g} s segments in {config.buffer_dir}.")
    if args.no_probe:
        return 0
    problems = 0
    for problem in (_check_state_dir(config), _check_trigger(config)):
        if problem:
            _out(f"PROBLEM: {problem}")
            problems += 1
    if not problems:
        _out(f"The state folder is writable; the trigger can listen on {config.trigger_listen}.")
    if not config.cameras:
        _out("No camera in this file: once the bridge is paired and running, add them from "
             "the app (Bridges, Add cameras).")
    for camera in config.cameras:
        _out(f"Probing {camera.id} at {camera.safe_source} ...")
        report = probe(camera, config.segment_seconds, timeout_s=args.timeout)
        _out("  " + report.describe())
        interval = report.keyframe_interval_s
        if interval and interval > 2 * config.segment_seconds:
            _out(f"  NOTE: the camera sends a keyframe only every {interval:.1f} s, so segments "
                 f"will be about that long; set its I-frame (keyframe) interval to "
                 f"{config.segment_seconds:g} s or less in the camera's settings.")
        problems += 0 if report.ok else 1
        if not camera.camera_id:
            _out("  not paired yet (no camera_id): it is buffered but cannot be shared.")
    _out("All good." if not problems else f"{problems} problem(s) found.")
    return 0 if not problems else 1


# ---------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    host = f"[{config.trigger_host}]" if ":" in config.trigger_host else config.trigger_host
    url = f"http://{host}:{config.trigger_port}/status"
    request = urllib.request.Request(url, headers={KEY_HEADER: config.trigger_key})
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as answer:
            status = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        error.close()
        _err(f"The bridge at {url} answered {error.code}"
             + (": the trigger_key in this config differs from the running bridge's"
                if error.code == 403 else ""))
        return 1
    except (urllib.error.URLError, OSError, ValueError) as error:
        _err(f"No bridge answers at {url} ({getattr(error, 'reason', error)}): is it running "
             "with this config?")
        return 1
    if args.json:
        _out(json.dumps(status, indent=2))
    else:
        _print_status(status)
        _out(_pairing(config))
    return 0


def _pairing(config: BridgeConfig) -> str:
    """Whether this box is paired, from the saved pairing (never showing the secret)."""
    try:
        credential = load_credential(config.state_dir)
    except PermissionError:
        return "Pairing: the saved pairing cannot be read by this user (run status as the " \
               "bridge's user)."
    except (ValueError, OSError) as error:
        return f"Pairing: {error}."
    if credential is None:
        return "Pairing: not paired (python -m bridge pair CODE); nothing is uploaded."
    return f"Pairing: paired with {credential.server_url or config.server_url} as device " \
           f"{credential.device_id}."


def _print_status(status: dict[str, Any]) -> None:
    _out(f"Bridge {status.get('bridge')!r}, running since {status.get('started_at')}, "
         f"buffer {status.get('buffer_minutes')} min.")
    for camera in status.get("cameras", []):
        buffer = camera.get("buffer") or {}
        line = f"  {camera['camera']}: {camera['state']} since {camera['since']}"
        if camera.get("problem"):
            line += f" ({camera['problem']})"
        _out(line)
        if camera.get("video"):
            _out(f"    {camera['video']}")
        timing = _timing_words(camera.get("timing") or {})
        if timing:
            _out(f"    {timing}")
        span = (f", from {buffer['from']} to {buffer['to']}" if buffer.get("from") else "")
        _out(f"    last segment at {camera.get('last_segment_at') or 'none yet'}; buffer "
             f"{buffer.get('seconds', 0):.0f} s in {buffer.get('segments', 0)} segments "
             f"({buffer.get('bytes', 0) / 1e6:.1f} MB){span}, {buffer.get('gaps', 0)} gap(s)")


def _timing_words(timing: dict[str, Any]) -> str:
    """How a live camera's pieces are timed and how far behind live it is, in words."""
    if not timing.get("clock"):
        return ""
    words = ("pieces timed by the camera's own clock (RTCP)" if timing["clock"] == "camera"
             else "pieces timed by when their video arrived")
    offset = timing.get("camera_clock_offset_s")
    if timing["clock"] != "camera" and offset is not None:
        side = "ahead" if offset > 0 else "behind"
        words += f" (the camera's clock is {abs(offset):.0f} s {side})"
    if timing.get("behind_s") is not None:
        words += f"; {timing['behind_s']:.1f} s behind live"
    if timing.get("skips"):
        words += (f"; skipped {timing['skipped_s']:.0f} s of video {timing['skips']} time(s) "
                  "to keep up")
    if timing.get("lighter"):
        words += f"; {timing['lighter']}"
    return words


# ---------------------------------------------------------------- size


MEASURED_MIN_S = 30.0  # a running bridge's buffer this long gives a camera's rate


def _ask_status(config: BridgeConfig, timeout: float) -> dict[str, Any] | None:
    """The running bridge's status, or None when none answers with this config's key."""
    host = f"[{config.trigger_host}]" if ":" in config.trigger_host else config.trigger_host
    request = urllib.request.Request(f"http://{host}:{config.trigger_port}/status",
                                     headers={KEY_HEADER: config.trigger_key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def _rates_given(texts: list[str], config: BridgeConfig) -> dict[str, float] | str:
    """--rate ID=MBIT values in bits per second, or what is wrong with them."""
    rates: dict[str, float] = {}
    known = {camera.id for camera in config.cameras}
    for text in texts:
        name, _, value = text.partition("=")
        try:
            mbit = float(value)
        except ValueError:
            return f"--rate {text!r}: give a camera's id and its Mbit/s, like front-door=4"
        if name not in known or not 0 < mbit < 1000:
            return (f"--rate {text!r}: give one of this config's cameras "
                    f"({', '.join(sorted(known))}) and a rate from 0 to 1000 Mbit/s")
        rates[name] = mbit * 1e6
    return rates


def cmd_size(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    given = _rates_given(args.rate or [], config)
    if isinstance(given, str):
        _err(given)
        return 1
    rates: dict[str, float] = {}
    running = None if len(given) == len(config.cameras) else _ask_status(config, 3.0)
    measured = {c.get("camera"): c.get("buffer") or {} for c in (running or {}).get("cameras", [])}
    problems = 0
    _out(f"Bitrates ({'given, ' if given else ''}measured by the running bridge over its buffer "
         "or from one piece of each camera):")
    for camera in config.cameras:
        buffer = measured.get(camera.id, {})
        if camera.id in given:
            rates[camera.id] = given[camera.id]
        elif buffer.get("seconds", 0) >= MEASURED_MIN_S and buffer.get("bytes"):
            rates[camera.id] = buffer["bytes"] * 8 / buffer["seconds"]
        else:
            report = probe(camera, config.segment_seconds, timeout_s=args.timeout)
            if report.ok and report.segment_bytes and report.segment_seconds:
                rates[camera.id] = report.segment_bytes * 8 / report.segment_seconds
            else:
                _out(f"  {camera.id}: PROBLEM: {report.problem}; give its rate with --rate "
                     f"{camera.id}=MBIT")
                problems += 1
    if problems:
        return 1
    room = sizing.needed(rates, config.buffer_minutes, config.segment_seconds)
    for line in sizing.describe(room, rates, config.buffer_minutes, str(config.state_dir)):
        _out(line)
    return 0


# ---------------------------------------------------------------- pair


def cmd_pair(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        return 1
    if not config.server_url:
        _err(f"{args.config} has no [server] url: add your police department's Porchlight "
             "address, like\n\n[server]\nurl = \"https://porchlight.example.org\"\n\nthen "
             "run pair again.")
        return 1
    try:
        earlier = load_credential(config.state_dir)
    except (ValueError, OSError):
        earlier = None
    try:
        credential = HttpUplink(config.server_url, None, timeout_s=args.timeout).pair(
            args.code, config.name)
    except ValueError as error:
        _err(f"{config.server_url} did not accept the code {args.code!r}: {error}")
        return 1
    except (ConnectionError, TimeoutError) as error:
        _err(f"Pairing failed: {error}. Check [server] url and this box's internet "
             "connection, then try again (a code lasts 10 minutes).")
        return 1
    try:
        path = save_credential(config.state_dir, credential)
    except OSError as error:
        _err(f"Paired, but the pairing cannot be saved in {config.state_dir} "
             f"({error.strerror}): run pair as the bridge's user with a new code.")
        return 1
    _out(f"Paired with {config.server_url} as device {credential.device_id} "
         f"(bridge {config.name!r}). The pairing is saved in {path} (only this user can read "
         "it).")
    if earlier is not None and earlier.device_id != credential.device_id:
        _out(f"It replaces the earlier pairing (device {earlier.device_id}); remove that one "
             "in the app under Bridges.")
    _print_cameras(config, args.config, credential)
    return 0


def _print_cameras(config: BridgeConfig, config_path: str,
                   credential: DeviceCredential) -> None:
    if not credential.cameras:
        _out("\nYour account has no cameras in Porchlight yet: register them in the app; the "
             "running bridge's log lists them with their ids (restart it after registering).")
        return
    _out("\nYour cameras in Porchlight:")
    width = max(len(camera.camera_id) for camera in credential.cameras)
    for info in credential.cameras:
        tier = TIERS.get(info.tier, info.tier)
        _out(f"  {info.camera_id:<{width}}  {info.nickname}" + (f" ({tier})" if tier else ""))
    if not config.cameras:
        _out("\nNo camera in the config file: start the bridge (sudo systemctl start "
             "porchlight-bridge) and open Bridges in the app. It lists the cameras and recorders "
             "the bridge finds on your network; type a recorder's password there and say which "
             "of your cameras each channel is.")
        return
    _out(f"\nPut each camera's id into its [[camera]] table in {config_path} as camera_id "
         "(a camera without one is only buffered on this box). Now:")
    for local in config.cameras:
        now = f'camera_id = "{local.camera_id}"' if local.camera_id else "no camera_id yet"
        _out(f"  [[camera]] id = \"{local.id}\": {now}")
    _out(f'\nFor example:\n\n  [[camera]]\n  id = "{config.cameras[0].id}"\n'
         f'  source = "..."\n  camera_id = "{credential.cameras[0].camera_id}"\n\n'
         "then restart the bridge (sudo systemctl restart porchlight-bridge). Only cameras set "
         "to \"on alert\" (you share) or \"always\" (police open it inside your schedule) in "
         "the app send live video.")


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bridge",
        description="Porchlight bridge: buffers your cameras on this box and shares only when "
                    "you say so.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("-c", "--config", default=os.environ.get(
            "PORCHLIGHT_BRIDGE_CONFIG", DEFAULT_CONFIG),
            help=f"the TOML config file (default: {DEFAULT_CONFIG})")
        return sub

    run = add("run", "record every camera into the local buffer and serve the LAN trigger")
    run.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    run.set_defaults(handler=cmd_run)
    check = add("check", "check the config and probe each camera once")
    check.add_argument("--timeout", type=float, default=20.0,
                       help="seconds to wait for each camera (default 20)")
    check.add_argument("--no-probe", action="store_true",
                       help="only check the config file (no cameras, no trigger address)")
    check.set_defaults(handler=cmd_check)
    status = add("status", "ask the running bridge how each camera is doing")
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.add_argument("--timeout", type=float, default=5.0)
    status.set_defaults(handler=cmd_status)
    size = add("size", "how much room (a RAM disk) the buffer needs, from each camera's "
                       "bitrate")
    size.add_argument("--rate", action="append", metavar="ID=MBIT",
                      help="a camera's bitrate in Mbit/s (repeat for each); without it, the "
                           "running bridge's buffer or one piece of the camera measures it")
    size.add_argument("--timeout", type=float, default=20.0,
                      help="seconds to wait for each camera probed (default 20)")
    size.set_defaults(handler=cmd_size)
    pair = add("pair", "pair this bridge with the Porchlight server in [server] url")
    pair.add_argument("code", help="the pairing code shown in the owner's app (ABCD-EFGH)")
    pair.add_argument("--timeout", type=float, default=15.0,
                      help="seconds to wait for the server (default 15)")
    pair.set_defaults(handler=cmd_pair)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
