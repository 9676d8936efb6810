"""Setting up a bridge's cameras from the owner's app, and its upload cap.

The owner never writes an RTSP address (issue 20): on their Bridges page they see the cameras
and recorders the bridge found on their network (ONVIF WS-Discovery, bridge/discovery.py), pick
one, type its password (and, when it does not speak ONVIF, its brand), see the cameras it has,
and say which of their Porchlight cameras each is. The bridge does the rest
(bridge/camera_setup.py).

**The password never reaches the server in the clear**: the owner's browser seals it with the
bridge's public key (RSA-OAEP, WebCrypto) and only that sealed text is posted, stored here
until the bridge has used it, and relayed to the bridge in its state; the bridge keeps it
sealed on its own disk. An order's sealed text is dropped from here once it is done or failed.

Stored on the BridgeDevice item as JSON (`setup`):

    {"scan": "<when the owner last asked to look>", "found_at": "...", "found": [device...],
     "orders": [{"order_id", "key", "xaddr", "host", "label", "brand", "user",
                 "sealed_password", "state", "problem", "manufacturer", "model",
                 "channels": [{"token", "name", "main_size", "sub_size"}],
                 "chosen": [{"token", "camera_id"}], "added": [camera ids], "at"}]}

An order goes waiting → read (channels known) → chosen → done, or → failed with the bridge's
words. Everything is bounded: 32 found devices, 8 orders, 32 channels each.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pynamodb.exceptions import UpdateError

from app.config import Settings
from app.core.errors import ConflictError, NotFoundError, ValidationError
from app.core.roles import N_
from app.core.texts import gettext
from app.models.bridge import BridgeDevice
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import bridges, registry
from app.services.realtime import channel

MAX_FOUND = 32
MAX_ORDERS = 8
MAX_CHANNELS = 32
MAX_SEALED = 1024
MAX_KEY = 800  # base64 SPKI of an RSA-2048 key is 392 characters
# The brands bridge/onvif_setup.py has RTSP presets for ("" = find the streams over ONVIF).
# Labels marked with N_ where they hold words, translated where shown (bridges/_setup.html).
BRANDS = {"": N_("Find the cameras automatically (ONVIF)"),
          "hikvision": N_("Hikvision (also Annke, Swann NVRs, LTS)"),
          "dahua": N_("Dahua (also Amcrest, Lorex)"), "reolink": "Reolink",
          "uniview": "Uniview (UNV)", "axis": "Axis", "hanwha": "Hanwha (Wisenet, Samsung)"}
OPEN_STATES = ("waiting", "chosen")  # what the bridge still has to do
CAP_KBPS = (64, 1_000_000)
_T = TypeVar("_T")


@dataclass
class SetupView:
    """What the owner's Bridges page shows of one bridge's setup."""

    sealing_key: str  # "" until the bridge has said it
    scan: str
    found_at: str
    found: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    max_upload_kbps: int = 0

    @property
    def ready(self) -> bool:
        """The bridge has said its key: passwords can be sealed for it."""
        return bool(self.sealing_key)


def _load(device: BridgeDevice) -> dict[str, Any]:
    try:
        data = json.loads(device.setup or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _save(device: BridgeDevice, data: dict[str, Any], *extra: Any) -> None:
    """Write `data` unless the setup changed since `device` was read (the bridge's report and
    the owner's tap may cross): then UpdateError's ConditionalCheckFailed, and `_change`
    reads again."""
    before = device.setup
    condition = BridgeDevice.setup.does_not_exist() if before is None \
        else BridgeDevice.setup == before
    device.update(actions=[BridgeDevice.setup.set(json.dumps(data, separators=(",", ":"))),
                           *extra], condition=condition)


def _change(device: BridgeDevice, change: Callable[[dict[str, Any]], _T], *extra: Any) -> _T:
    """Apply `change` to the setup and save it, reading again when it changed under us."""
    for attempt in range(4):
        if attempt:
            device.refresh(consistent_read=True)
        data = _load(device)
        result = change(data)
        try:
            _save(device, data, *extra)
            return result
        except UpdateError as error:
            if attempt == 3 or "ConditionalCheckFailed" not in str(error.cause_response_code):
                raise
    raise AssertionError("unreachable")


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _home_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_loopback


# ---------------------------------------------------------------- what the bridge says


def record_found(device: BridgeDevice, body: dict[str, Any]) -> int:
    """The bridge's discovery: its sealing key and the devices that answered (checked one by
    one; a device outside the home network or malformed is left out). How many were kept."""
    key = _text(body.get("public_key"), MAX_KEY + 1)
    try:
        if not key or len(key) > MAX_KEY or len(base64.b64decode(key, validate=True)) < 200:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ValidationError(gettext("public_key must be the bridge's RSA key (base64 SPKI)."),
                              {"public_key": gettext("base64 SPKI")}) from None
    found: list[dict[str, str]] = []
    for item in body.get("devices") or []:
        if not isinstance(item, dict) or len(found) >= MAX_FOUND:
            continue
        xaddr = _text(item.get("xaddr"), 200)
        parts = urlsplit(xaddr)
        if parts.scheme not in ("http", "https") or not parts.hostname \
                or not _home_host(parts.hostname):
            continue
        found.append({"key": _text(item.get("key"), 120) or xaddr, "xaddr": xaddr,
                      "host": parts.hostname, "name": _text(item.get("name"), 60),
                      "hardware": _text(item.get("hardware"), 60),
                      "location": _text(item.get("location"), 60)})
    _change(device, lambda data: data.update(found=found, found_at=clock.now().isoformat()),
            BridgeDevice.sealing_key.set(key))
    return len(found)


def _channels(items: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and _text(item.get("token"), 64) and len(out) < MAX_CHANNELS:
            out.append({"token": _text(item.get("token"), 64),
                        "name": _text(item.get("name"), 60) or f"Camera {len(out) + 1}",
                        "main_size": _text(item.get("main_size"), 20),
                        "sub_size": _text(item.get("sub_size"), 20)})
    return out


def record_result(device: BridgeDevice, order_id: str, body: dict[str, Any]) -> str:
    """The bridge's answer to an order: the channels it read, or what it added, or why it
    could not. The order's new state."""
    return _change(device, lambda data: _result(data, order_id, body))


def _result(data: dict[str, Any], order_id: str, body: dict[str, Any]) -> str:
    order = next((o for o in data.get("orders", []) if o.get("order_id") == order_id), None)
    if order is None:
        raise NotFoundError("No such setup.")
    if order.get("state") not in OPEN_STATES:
        raise ConflictError("This setup is finished.")
    if not body.get("ok"):
        order.update(state="failed", problem=_text(body.get("problem"), 200)
                     or "The bridge could not set this device up.")
        order.pop("sealed_password", None)
    elif order["state"] == "waiting":
        channels = _channels(body.get("channels"))
        if not channels:
            order.update(state="failed", problem="The device offers no video.")
            order.pop("sealed_password", None)
        else:
            order.update(state="read", channels=channels, problem="",
                         manufacturer=_text(body.get("manufacturer"), 60),
                         model=_text(body.get("model"), 60))
    else:
        added = body.get("added")
        order.update(state="done", added=[_text(a, 64) for a in added][:MAX_CHANNELS]
                     if isinstance(added, list) else [])
        order.pop("sealed_password", None)
    order["at"] = clock.now().isoformat()
    return str(order["state"])


def for_bridge(device: BridgeDevice) -> dict[str, Any]:
    """The `setup` part of the bridge's state: whether to look again, and the orders it has
    to work on (with their sealed passwords, which only it can open)."""
    data = _load(device)
    keep = ("order_id", "xaddr", "host", "brand", "user", "sealed_password", "state", "chosen")
    return {"scan": data.get("scan", ""),
            "orders": [{k: o[k] for k in keep if k in o} for o in data.get("orders", [])
                       if o.get("state") in OPEN_STATES]}


# ---------------------------------------------------------------- what the owner does


def _wake(settings: Settings, device: BridgeDevice) -> None:
    channel.wake(settings, [device.device_id], "setup")


def _live_device(holder: User, device_id: str) -> BridgeDevice:
    device = bridges.owned_device(holder, device_id)
    if device.revoked_at is not None:
        raise ConflictError("This bridge is removed.")
    return device


def ask_scan(settings: Settings, holder: User, device_id: str) -> None:
    """The owner taps *Look for cameras*: the bridge looks again at once (woken) or at its
    next poll."""
    device = _live_device(holder, device_id)
    _change(device, lambda data: data.update(scan=clock.now().isoformat()))
    _wake(settings, device)


def place_order(settings: Settings, holder: User, device_id: str, form: dict[str, str],
                ip: str) -> str:
    """A found device (or an address, with a brand), the user name and the sealed password:
    the bridge reads its cameras. The new order's id."""
    device = _live_device(holder, device_id)
    if not device.sealing_key:
        raise ConflictError("This bridge has not said how to seal a password yet: wait until "
                            "it is online and has looked for cameras.")
    sealed = form.get("sealed_password", "").strip()
    try:
        if not sealed or len(sealed) > MAX_SEALED or len(base64.b64decode(sealed,
                                                                          validate=True)) < 64:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ValidationError(gettext("Type the device's password (this page seals it for "
                                      "your bridge before sending; it needs JavaScript)."),
                              {"password": gettext("required")}) from None
    brand = form.get("brand", "").strip()
    if brand not in BRANDS:
        raise ValidationError(gettext("Choose a brand from the list."),
                              {"brand": gettext("unknown")})
    user = form.get("user", "").strip() or "admin"
    if len(user) > 64 or any(ord(ch) < 32 for ch in user):
        raise ValidationError(gettext("The user name is up to 64 characters."),
                              {"user": gettext("too long")})
    key = form.get("device", "").strip()
    order_id = _change(device, lambda data: _place(data, key, form, brand, user, sealed))
    audit.record(holder.agency_id, Actor(holder.user_id, holder.role, ip), "bridge.setup",
                 holder.user_id, {"device": device.device_id, "brand": brand})
    _wake(settings, device)
    return order_id


def _place(data: dict[str, Any], key: str, form: dict[str, str], brand: str, user: str,
           sealed: str) -> str:
    device_found = next((d for d in data.get("found", []) if d.get("key") == key), None)
    if device_found is not None:
        xaddr, host = device_found["xaddr"], device_found["host"]
        label = " ".join(x for x in (device_found.get("name"), device_found.get("hardware"))
                         if x) or host
    else:
        host = form.get("host", "").strip()
        if not _home_host(host):
            raise ValidationError(gettext("Choose a device the bridge found, or give the "
                                          "address of one on your own network (like "
                                          "192.168.1.64)."),
                                  {"host": gettext("a private IP address")})
        if not brand:
            raise ValidationError(gettext("For a device the bridge did not find, choose its "
                                          "brand."), {"brand": gettext("required")})
        xaddr, label = "", host
    orders = [o for o in data.get("orders", [])
              if not (o.get("host") == host and o.get("state") in ("failed", "read"))]
    if sum(1 for o in orders if o.get("state") in OPEN_STATES) >= MAX_ORDERS:
        raise ConflictError("The bridge is still working on earlier setups; try again soon.")
    order_id = secrets.token_hex(6)
    orders.append({"order_id": order_id, "key": key, "xaddr": xaddr, "host": host,
                   "label": label[:80], "brand": brand, "user": user,
                   "sealed_password": sealed, "state": "waiting",
                   "at": clock.now().isoformat()})
    data["orders"] = orders[-MAX_ORDERS:]
    return order_id


def choose(settings: Settings, holder: User, device_id: str, order_id: str,
           form: dict[str, str], ip: str) -> int:
    """Which Porchlight camera each channel is (`camera_<token>` = camera id, "" to leave it
    out): the bridge starts recording them. How many were chosen."""
    device = _live_device(holder, device_id)
    mine = {c.camera_id for c in registry.cameras_of(holder.user_id)}
    used = _change(device, lambda data: _choose(data, order_id, form, mine))
    audit.record(holder.agency_id, Actor(holder.user_id, holder.role, ip), "bridge.cameras_set",
                 holder.user_id, {"device": device.device_id, "cameras": sorted(used)})
    _wake(settings, device)
    return len(used)


def _choose(data: dict[str, Any], order_id: str, form: dict[str, str],
            mine: set[str]) -> set[str]:
    order = next((o for o in data.get("orders", []) if o.get("order_id") == order_id), None)
    if order is None:
        raise NotFoundError("No such setup.")
    if order.get("state") != "read":
        raise ConflictError("This setup is not waiting for your choice.")
    chosen, used = [], set()
    for item in order.get("channels", []):
        camera_id = form.get(f"camera_{item['token']}", "").strip()
        if not camera_id:
            continue
        if camera_id not in mine:
            raise ValidationError(gettext("Choose one of your own cameras."),
                                  {"camera": gettext("unknown")})
        if camera_id in used:
            raise ValidationError(gettext("Each of your cameras can be one channel only."),
                                  {"camera": gettext("twice")})
        used.add(camera_id)
        chosen.append({"token": item["token"], "camera_id": camera_id})
    if not chosen:
        raise ValidationError(gettext("Choose at least one camera to add (or leave the page)."),
                              {"camera": gettext("none chosen")})
    order.update(state="chosen", chosen=chosen, at=clock.now().isoformat())
    return used


def set_cap(settings: Settings, holder: User, device_id: str, text: str) -> int:
    """The owner's upload cap in kb/s (0: none)."""
    device = _live_device(holder, device_id)
    try:
        kbps = int(text.strip() or "0")
    except ValueError:
        raise ValidationError(gettext("The upload cap is a whole number of kilobits a second "
                                      "(or 0 for none)."),
                              {"max_upload_kbps": gettext("a number")}) from None
    if kbps != 0 and not CAP_KBPS[0] <= kbps <= CAP_KBPS[1]:
        raise ValidationError(gettext("The upload cap is 0 (none) or %(low)s to %(high)s kb/s: "
                                      "below 64 kb/s live video cannot go at all.",
                                      low=CAP_KBPS[0], high=format(CAP_KBPS[1], ",")),
                              {"max_upload_kbps": gettext("0 or %(low)s-%(high)s",
                                                          low=CAP_KBPS[0], high=CAP_KBPS[1])})
    device.update(actions=[BridgeDevice.max_upload_kbps.set(kbps)])
    _wake(settings, device)
    return kbps


def views_of(holder: User) -> dict[str, SetupView]:
    """device id → what its setup section shows (never a sealed password)."""
    out = {}
    for device in bridges.devices_of(holder):
        data = _load(device)
        orders = [{k: v for k, v in o.items() if k != "sealed_password"}
                  for o in data.get("orders", [])]
        out[device.device_id] = SetupView(
            sealing_key=device.sealing_key or "",
            scan=data.get("scan", ""), found_at=data.get("found_at", ""),
            found=list(data.get("found", [])), orders=list(reversed(orders)),
            max_upload_kbps=int(device.max_upload_kbps or 0))
    return out
