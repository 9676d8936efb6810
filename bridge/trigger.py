"""The LAN trigger: a tiny HTTP endpoint for a panic button or a home-automation system.

It listens on ONE address (config trigger_listen: loopback, or this box's address on the home
network; config.py refuses public and "every interface" addresses), never on the internet.
Two routes, both needing the shared secret in the X-Bridge-Trigger-Key header (compared in
constant time; without it or with a wrong one: 403):

    POST /trigger   body (optional) {"cameras": ["front-door"], "minutes": 15}
                    -> 202 {"accepted": true, "cameras": [...], "minutes": n}
                    calls on_trigger(cameras or None, minutes or None) and returns at once
    GET  /status    -> 200 the runner's status JSON

Anything else: 404 (405 for another method on a known route). Bodies over 4 KiB: 413.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
from collections.abc import Callable, Collection, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

KEY_HEADER = "X-Bridge-Trigger-Key"
MAX_BODY = 4096
DRAIN_MAX = 64 * 1024
MAX_MINUTES = 120
REQUEST_TIMEOUT_S = 10

TriggerCallback = Callable[[Sequence[str] | None, int | None], None]
StatusCallback = Callable[[], dict[str, Any]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], trigger: TriggerServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.trigger = trigger
        super().__init__(address, _Handler)


class _BadRequest(Exception):
    pass


class _BodyTooLong(_BadRequest):
    pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "porchlight-bridge"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_S
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("trigger endpoint: %s - %s", self.client_address[0], format % args)

    def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _key_ok(self) -> bool:
        given = self.headers.get(KEY_HEADER, "")
        expected = self.server.trigger.key
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))

    def _refuse(self) -> None:
        self._drain()
        logger.warning("Refused a %s %s from %s: the %s header was missing or wrong.",
                       self.command, self.path, self.client_address[0], KEY_HEADER)
        self._send(HTTPStatus.FORBIDDEN, {"error": f"the {KEY_HEADER} header is missing or "
                                                   "wrong"})

    def _drain(self) -> None:
        """Read and drop a small body (so the client reads our answer), then close."""
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError:
            length = 0
        if 0 < length <= DRAIN_MAX:
            self.rfile.read(length)
        self.close_connection = True

    def _read_body(self) -> bytes:
        length_text = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_text)
        except ValueError:
            raise _BadRequest("Content-Length is not a number") from None
        if length < 0:
            raise _BadRequest("Content-Length is not a number")
        if length > MAX_BODY:
            if length <= DRAIN_MAX:
                self.rfile.read(length)  # read it anyway, so the client gets the answer
            self.close_connection = True
            raise _BodyTooLong(f"the body is longer than {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        if self.path != "/status":
            self._not_found()
            return
        if not self._key_ok():
            self._refuse()
            return
        self._send(HTTPStatus.OK, self.server.trigger.status())

    def do_POST(self) -> None:
        if self.path != "/trigger":
            self._not_found()
            return
        if not self._key_ok():
            self._refuse()
            return
        try:
            cameras, minutes = self.server.trigger.parse(self._read_body())
        except _BodyTooLong as error:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": str(error)})
            return
        except _BadRequest as error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        logger.warning("Trigger from %s: share %s for %s.", self.client_address[0],
                       ", ".join(cameras) if cameras else "every camera",
                       f"{minutes} min" if minutes else "the usual time")
        self.server.trigger.on_trigger(cameras, minutes)
        self._send(HTTPStatus.ACCEPTED, {"accepted": True, "cameras": cameras,
                                         "minutes": minutes})

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, {"error": "the bridge answers only POST /trigger and "
                                                   "GET /status"})

    def _wrong_method(self) -> None:
        if self.path in ("/trigger", "/status"):
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "wrong method for this route"})
        else:
            self._not_found()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _wrong_method


class TriggerServer:
    """The trigger endpoint, served on its own threads until close()."""

    def __init__(self, host: str, port: int, key: str, cameras: Collection[str],
                 on_trigger: TriggerCallback, status: StatusCallback) -> None:
        if not key:
            raise ValueError("the trigger needs a key")
        self.host = host
        self.port = port
        self.key = key
        self.cameras = frozenset(cameras)
        self.on_trigger = on_trigger
        self.status = status
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> TriggerServer:
        """Bind and serve. OSError (plain message) when the address cannot be used."""
        try:
            self._server = _Server((self.host, self.port), self)
        except OSError as error:
            raise OSError(error.errno, _bind_problem(self.host, self.port, error)) from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="trigger-endpoint", daemon=True)
        self._thread.start()
        logger.info("Trigger endpoint listening on %s (LAN only).", self.url)
        return self

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def parse(self, body: bytes) -> tuple[list[str] | None, int | None]:
        """The cameras (local names) and minutes of a trigger body; _BadRequest if wrong."""
        if not body.strip():
            return None, None
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest("the body must be JSON, like {\"cameras\": [\"front-door\"], "
                              "\"minutes\": 15}, or empty") from None
        if not isinstance(data, dict):
            raise _BadRequest("the body must be a JSON object")
        unknown = sorted(set(data) - {"cameras", "minutes"})
        if unknown:
            raise _BadRequest(f"unknown field(s): {', '.join(unknown)}; only cameras and "
                              "minutes are understood")
        return self._cameras(data.get("cameras")), self._minutes(data.get("minutes"))

    def _cameras(self, value: object) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _BadRequest("cameras must be a list of camera names")
        unknown = [name for name in value if name not in self.cameras]
        if unknown:
            raise _BadRequest(f"no camera named {', '.join(unknown)} on this bridge; it has "
                              f"{', '.join(sorted(self.cameras))}")
        return list(dict.fromkeys(value)) or None

    @staticmethod
    def _minutes(value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not (
                1 <= value <= MAX_MINUTES):
            raise _BadRequest(f"minutes must be a whole number from 1 to {MAX_MINUTES}")
        return value


def _bind_problem(host: str, port: int, error: OSError) -> str:
    import errno

    if error.errno == errno.EADDRINUSE:
        return (f"the trigger address {host}:{port} is already in use: is the bridge already "
                "running? Stop it, or choose another port in trigger_listen")
    if error.errno == errno.EADDRNOTAVAIL:
        return (f"this box has no address {host}: set trigger_listen to one of its own "
                "addresses (see `ip addr`), or 127.0.0.1")
    if error.errno == errno.EACCES:
        return f"no permission to listen on port {port}: use a port above 1024"
    return f"the trigger endpoint cannot listen on {host}:{port}: {error.strerror}"
