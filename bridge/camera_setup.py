"""Setting up cameras from the owner's app: find, read, add (no config file, no RTSP).

The server's state (GET /api/bridge/state) carries a `setup` object (app/services/cameras/
bridge_setup.py) the bridge follows here, on a thread of its own so that slow networks never
delay a share:

1. **Find**: at start, and whenever the owner taps *Look for cameras* (`scan` changes), the
   bridge runs ONVIF WS-Discovery (bridge/discovery.py) and reports what answered, with the
   public half of its sealing key (bridge/sealing.py).
2. **Read**: for each order the owner placed (a found device, a user name, the password sealed
   in their browser for this box, and optionally a brand), the bridge opens the password,
   reads the device's channels over ONVIF or, given a brand, by its RTSP paths
   (bridge/onvif_setup.py), and reports each channel's name and sizes (never an address with a
   password, never the password).
3. **Add**: once the owner says which of their Porchlight cameras each channel is, the bridge
   writes them into `cameras.json` in its state folder (the password still sealed) and starts
   recording them at once (`on_added`), main stream and substream.

`cameras.json` holds only what the app set up; the TOML config's cameras are untouched. A
camera id in both is taken from the config file (the owner's own words win).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from bridge import discovery, onvif_setup
from bridge.config import CameraConfig
from bridge.discovery import FoundDevice
from bridge.onvif_setup import FoundChannel, Recorder, SetupError
from bridge.sealing import Sealer, SealError
from bridge.uplink import ServerRefused

logger = logging.getLogger(__name__)

CAMERAS_FILE = "cameras.json"
MAX_ORDERS = 8


class SetupUplink(Protocol):
    def report_found(self, body: dict[str, Any]) -> None: ...

    def report_setup(self, order_id: str, body: dict[str, Any]) -> None: ...


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_").lower()[:40] or "camera"
    if not base[0].isalnum():
        base = f"c{base}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def pyav_opens(user: str, password: str) -> Callable[[str], bool]:
    """Whether a stream address opens with these credentials and has video (presets try
    channel after channel with it). A few seconds at most per address."""
    def opens(uri: str) -> bool:
        import av

        camera = CameraConfig(id="probe", source=uri, user=user or None,
                              password=password or None)
        options = {"rtsp_transport": "tcp", "timeout": "4000000"} if camera.kind == "rtsp" \
            else {}
        try:
            with av.open(camera.connect_url, "r", options=options, timeout=(5.0, 5.0)) as box:
                return bool(box.streams.video)
        except (av.FFmpegError, OSError):
            return False
    return opens


def _entries(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        logger.error("%s cannot be read (%s); the cameras set up in the app are not started.",
                     path, error)
        return []
    return [entry for entry in data.get("cameras", []) if isinstance(entry, dict)]


def _camera(entry: Mapping[str, Any], password: str | None) -> CameraConfig:
    return CameraConfig(id=str(entry["id"]), source=str(entry["source"]),
                        substream=str(entry.get("substream") or "") or None,
                        camera_id=str(entry["camera_id"]), user=entry.get("user") or None,
                        password=password)


def saved_cameras(state_dir: Path) -> list[CameraConfig]:
    """The cameras set up from the app (`cameras.json`), passwords opened in memory only. One
    that cannot be used (its password sealed for another box, a bad entry) is left out and
    said in the log."""
    sealer = Sealer(state_dir)
    out = []
    for entry in _entries(state_dir / CAMERAS_FILE):
        try:
            password = sealer.open(entry["sealed_password"]) \
                if entry.get("sealed_password") else None
            out.append(_camera(entry, password))
        except (SealError, KeyError, TypeError, ValueError) as error:
            logger.error("Camera %s set up in the app cannot be started: %s",
                         entry.get("id", "?"), error)
    return out


class CameraSetup:
    """Follows the server's `setup` state; see the module docstring."""

    def __init__(self, state_dir: Path, uplink: SetupUplink,
                 on_added: Callable[[list[CameraConfig]], None], *,
                 taken_ids: Sequence[str] = (),
                 find: Callable[[], list[FoundDevice]] = discovery.discover,
                 read: Callable[[str, str, str], Recorder] = onvif_setup.read_channels,
                 opens: Callable[[str, str], Callable[[str], bool]] = pyav_opens) -> None:
        self.state_dir = state_dir
        self.uplink = uplink
        self.on_added = on_added
        self.sealer = Sealer(state_dir)
        self.find, self.read, self.opens = find, read, opens
        self.taken = set(taken_ids)
        self._scanned: str | None = None  # the scan asked for that was answered
        self._done: set[tuple[str, str]] = set()  # (order id, step) handled
        self._read: dict[str, Recorder] = {}  # order id -> its channels, until added
        self._work: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="camera-setup", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the local cameras

    @property
    def path(self) -> Path:
        return self.state_dir / CAMERAS_FILE

    def _entries(self) -> list[dict[str, Any]]:
        return _entries(self.path)

    def _save(self, entries: list[dict[str, Any]]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({"cameras": entries}, out, indent=1)
        os.replace(temporary, self.path)

    # ------------------------------------------------------------ following the server

    def follow(self, setup: Mapping[str, Any] | None) -> None:
        """Called with each state's `setup` (None: the server has none to say). Quick: the
        work is queued for the setup thread."""
        scan = str((setup or {}).get("scan") or "")
        if self._scanned is None or scan != self._scanned:
            self._scanned = scan
            self._work.put(self._scan)  # (a scan that fails sets _scanned back to None)
        for order in list((setup or {}).get("orders") or [])[:MAX_ORDERS]:
            if not isinstance(order, dict) or not isinstance(order.get("order_id"), str):
                continue
            step = str(order.get("state", ""))
            key = (order["order_id"], step)
            if step not in ("waiting", "chosen") or key in self._done:
                continue
            self._done.add(key)
            work = self._read_order if step == "waiting" else self._add_order

            self._work.put(functools.partial(self._job, work, dict(order), key))

    def _job(self, work: Callable[[dict[str, Any]], None], order: dict[str, Any],
             key: tuple[str, str]) -> None:
        try:
            work(order)
        except Exception:
            self._done.discard(key)  # the next state asks again
            raise

    def close(self) -> None:
        self._work.put(None)
        self._thread.join(5)

    def idle(self) -> bool:
        """Nothing queued or under way (tests wait for it)."""
        return self._work.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            job = self._work.get()
            try:
                if job is None:
                    return
                job()
            except (ConnectionError, OSError, ServerRefused) as error:
                logger.warning("Camera setup: the server could not be told (%s); it is tried "
                               "again.", error)
            except Exception:  # one failed job must not stop setup for good
                logger.exception("Camera setup failed.")
            finally:
                self._work.task_done()

    def _scan(self) -> None:
        asked = self._scanned
        try:
            devices = self.find()
            self.uplink.report_found({"public_key": self.sealer.public_spki(),
                                      "scan": asked or "",
                                      "devices": [d.as_json() for d in devices]})
        except Exception:
            if self._scanned == asked:
                self._scanned = None  # look again at the next state
            raise

    def _recorder(self, order: Mapping[str, Any]) -> Recorder:
        password = self.sealer.open(str(order.get("sealed_password", "")))
        user = str(order.get("user") or "")
        brand = str(order.get("brand") or "")
        if brand:
            host = str(order.get("host") or "")
            if not discovery.home_address(host):
                raise SetupError("The bridge sets up devices on your own network only.")
            channels = onvif_setup.preset_channels(brand, host, self.opens(user, password))
            return Recorder(manufacturer=onvif_setup.PRESETS[brand][0], model="",
                            channels=channels)
        xaddr = str(order.get("xaddr") or "")
        host = xaddr.split("//")[-1].split("/")[0].rsplit(":", 1)[0]
        if not discovery.home_address(host.strip("[]")):
            raise SetupError("The bridge sets up devices on your own network only.")
        return self.read(xaddr, user, password)

    def _read_order(self, order: Mapping[str, Any]) -> None:
        order_id = str(order["order_id"])
        try:
            recorder = self._recorder(order)
        except (SetupError, SealError) as error:
            logger.info("Setting up a device failed: %s", error)
            self.uplink.report_setup(order_id, {"ok": False, "problem": str(error)[:200]})
            return
        self._read[order_id] = recorder
        logger.info("Read %d camera(s) from %s %s.", len(recorder.channels),
                    recorder.manufacturer, recorder.model)
        self.uplink.report_setup(order_id, {
            "ok": True, "manufacturer": recorder.manufacturer, "model": recorder.model,
            "channels": [channel.as_json() for channel in recorder.channels]})

    def _add_order(self, order: Mapping[str, Any]) -> None:
        order_id = str(order["order_id"])
        chosen = {str(c.get("token")): str(c.get("camera_id")) for c in order.get("chosen", [])
                  if isinstance(c, dict) and c.get("camera_id")}
        try:
            recorder = self._read.get(order_id) or self._recorder(order)
        except (SetupError, SealError) as error:
            self.uplink.report_setup(order_id, {"ok": False, "problem": str(error)[:200]})
            return
        entries = [e for e in self._entries() if e.get("camera_id") not in chosen.values()]
        taken = self.taken | {str(e.get("id")) for e in entries}
        added: list[dict[str, Any]] = []
        by_token: dict[str, FoundChannel] = {c.token: c for c in recorder.channels}
        for token, camera_id in chosen.items():
            channel = by_token.get(token)
            if channel is None:
                continue
            entry = {"id": _slug(channel.name, taken), "source": channel.main_uri,
                     "substream": channel.sub_uri, "user": str(order.get("user") or ""),
                     "sealed_password": str(order.get("sealed_password") or ""),
                     "camera_id": camera_id, "order_id": order_id, "token": token}
            taken.add(entry["id"])
            added.append(entry)
        self._save(entries + added)
        self._read.pop(order_id, None)
        password = self.sealer.open(str(order.get("sealed_password", ""))) if added else None
        cameras = [_camera(entry, password) for entry in added]
        if cameras:
            self.on_added(cameras)
        logger.info("Added %d camera(s) set up in the app: %s.", len(cameras),
                    ", ".join(c.id for c in cameras) or "none")
        self.uplink.report_setup(order_id, {"ok": True,
                                            "added": [c.camera_id for c in cameras]})
