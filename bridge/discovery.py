"""Finding the cameras and recorders on the owner's network: ONVIF WS-Discovery.

The bridge sends one WS-Discovery Probe for ONVIF's NetworkVideoTransmitter (SOAP over UDP
multicast to 239.255.255.250:3702, on every interface of the box) and lists what answers in a
few seconds: each device's service address (XAddr) and what its scopes say it is (name,
hardware, location). Nothing is logged in to: finding a device needs no password.

Only devices on the owner's own network are kept (private, link-local or loopback addresses):
a device answering with a public address is left out, so a bridge never offers to send a
password anywhere but the home network. The owner's app shows what was found
(app/services/cameras/bridge_setup.py); bridge/onvif_setup.py reads a chosen device's cameras.

Uses the WSDiscovery package (PyPI `WSDiscovery`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

SEARCH_SECONDS = 3.0
MAX_FOUND = 32  # what the server keeps for one bridge
NVT_NAMESPACE = "http://www.onvif.org/ver10/network/wsdl"
_SEARCH_LOCK = threading.Lock()  # one search at a time (they share port 3702's answers)


@dataclass(frozen=True)
class FoundDevice:
    """A camera or recorder that answered. `key` names it (its endpoint reference, stable
    across restarts); `xaddr` is where its ONVIF device service is."""

    key: str
    xaddr: str
    host: str
    name: str = ""  # from its scopes: usually the brand ("onvif://www.onvif.org/name/…")
    hardware: str = ""  # usually the model
    location: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def home_address(host: str) -> bool:
    """Whether `host` is an address on the owner's own network (never a public one)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_loopback


def _scope(scopes: list[str], kind: str) -> str:
    prefix = f"onvif://www.onvif.org/{kind}/"
    for scope in scopes:
        if scope.lower().startswith(prefix):
            return unquote(scope[len(prefix):]).replace("_", " ").strip()[:60]
    return ""


def device_of(epr: str, xaddrs: list[str], scopes: list[str]) -> FoundDevice | None:
    """A found device from a ProbeMatch, or None when it names no usable address on the home
    network (an IPv6 or public address, a malformed one)."""
    for xaddr in xaddrs:
        parts = urlsplit(xaddr)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if not home_address(parts.hostname):
            logger.info("Left out a device that answered from outside your network (%s).",
                        parts.hostname)
            continue
        return FoundDevice(key=(epr or xaddr)[:120], xaddr=xaddr[:200], host=parts.hostname,
                           name=_scope(scopes, "name"), hardware=_scope(scopes, "hardware"),
                           location=_scope(scopes, "location"))
    return None


def ipv4_only(cls: Any) -> Any:
    """A WSDiscovery class (searcher or publisher) that uses IPv4 only. The package also starts
    an IPv6 thread, which on a box without IPv6 multicast dies with a traceback in the log at
    each send; cameras on a home network answer on IPv4."""
    from wsdiscovery.threaded import AddressMonitorThread, NetworkingThreadIPv4

    class IPv4Only(cls):
        def _startThreads(self) -> None:
            me: Any = self
            if me._networkingThread_v4 is not None:
                return
            me._networkingThread_v4 = NetworkingThreadIPv4(self)
            me._networkingThread_v4.start()
            me._addrsMonitorThread_v4 = AddressMonitorThread(self, socket.AF_INET)
            me._addrsMonitorThread_v4.start()

    return IPv4Only


def discover(seconds: float = SEARCH_SECONDS) -> list[FoundDevice]:
    """The ONVIF devices that answer a probe within `seconds`, each once, by address."""
    from wsdiscovery import QName
    from wsdiscovery.discovery import ThreadedWSDiscovery

    with _SEARCH_LOCK:
        searcher = ipv4_only(ThreadedWSDiscovery)()
        searcher.start()
        try:
            services = searcher.searchServices(
                types=[QName(NVT_NAMESPACE, "NetworkVideoTransmitter", "dn")], timeout=seconds)
        finally:
            searcher.stop()
    found: dict[str, FoundDevice] = {}
    for service in services:
        device = device_of(str(service.getEPR() or ""), list(service.getXAddrs()),
                           [str(scope.getValue() if hasattr(scope, "getValue") else scope)
                            for scope in service.getScopes()])
        if device is not None and device.xaddr not in found:
            found[device.xaddr] = device
    devices = sorted(found.values(), key=lambda d: (d.host, d.xaddr))[:MAX_FOUND]
    logger.info("Looked for cameras on your network: found %d.", len(devices))
    return devices
