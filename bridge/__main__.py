"""Command line: python -m bridge {run,check,status,pair} -c config.toml

    run     record every camera into the local buffer and serve the LAN trigger, until stopped
    check   check the config, probe each camera once, say what was found
    status  ask the running bridge (through its trigger endpoint) how each camera is doing
    pair    pair with a Porchlight server (arrives with the server API)

Exit codes: 0 fine, 1 a problem (said in plain words), 2 not available yet / wrong usage.
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
from collections.abc import Sequence
from types import FrameType
from typing import Any

from bridge import config as config_module
from bridge.config import BridgeConfig, ConfigError
from bridge.runner import Runner
from bridge.share import ShareManager
from bridge.sources import probe, remove_partials
from bridge.trigger import KEY_HEADER, TriggerServer

logger = logging.getLogger("bridge")

DEFAULT_CONFIG = "/etc/porchlight-bridge/config.toml"


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
    runner = Runner(config)
    for buffer in runner.buffers.values():
        remove_partials(buffer.work_dir)
    manager = ShareManager(None, config, runner.buffers, work_dir=config.state_dir / "clips")
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
    logger.info("Not paired with a Porchlight server yet (pairing arrives with the server "
                "API): video is only buffered on this box, nothing is uploaded.")
    runner.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        trigger.close()
        manager.close()
        runner.stop()
    return 0


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
    return 0


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
        span = (f", from {buffer['from']} to {buffer['to']}" if buffer.get("from") else "")
        _out(f"    last segment at {camera.get('last_segment_at') or 'none yet'}; buffer "
             f"{buffer.get('seconds', 0):.0f} s in {buffer.get('segments', 0)} segments "
             f"({buffer.get('bytes', 0) / 1e6:.1f} MB){span}, {buffer.get('gaps', 0)} gap(s)")


# ---------------------------------------------------------------- pair


def cmd_pair(args: argparse.Namespace) -> int:
    _err("Pairing arrives with the server API: this bridge cannot pair yet. It records into "
         "its local buffer in the meantime.")
    return 2


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
    pair = add("pair", "pair this bridge with a Porchlight server (not available yet)")
    pair.add_argument("code", help="the pairing code shown in the owner's app")
    pair.set_defaults(handler=cmd_pair)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
