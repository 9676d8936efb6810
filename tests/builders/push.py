"""Web Push as a browser and a push service see it: a small HTTP server on loopback that records
every POST (the push service), and a device's subscription keys that decrypt what it got."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support import Client

WAIT_S = 20.0
T = TypeVar("T")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def wait_until(check: Callable[[], T | None], what: str, timeout: float = WAIT_S) -> T:
    """Poll check() until it returns something truthy, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class PushService:
    """Records each POST; answers 410 under /gone/ (the browser dropped the subscription), 500
    under /fail/ (the push service is down), else 201."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with service._lock:
                    service.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = 201
                if self.path.startswith("/gone/"):
                    status = 410
                elif self.path.startswith("/fail/"):
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: the test reads self.received instead

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="push-service")
        self._thread.start()

    def endpoint(self, name: str, kind: str = "push") -> str:
        """A fresh endpoint URL; kind "gone" answers 410, "fail" 500 (see the class)."""
        return f"{self.origin}/{kind}/{name}-{uuid.uuid4().hex[:8]}"

    def posts_to(self, endpoint: str) -> list[Received]:
        path = endpoint.removeprefix(self.origin)
        with self._lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, endpoint: str, count: int = 1, timeout: float = WAIT_S
                 ) -> list[Received]:
        def enough() -> list[Received] | None:
            got = self.posts_to(endpoint)
            return got if len(got) >= count else None

        return wait_until(enough, f"{count} push(es) to {endpoint}", timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@dataclass
class Device:
    """One browser's push subscription: its ECDH key pair, auth secret and endpoint."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls, endpoint: str) -> Device:
        return cls(endpoint, ec.generate_private_key(ec.SECP256R1()), uuid.uuid4().bytes)

    def to_json(self) -> dict[str, Any]:
        """What push-setup.js posts: PushSubscription.toJSON()'s endpoint and keys."""
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
                "device": "pytest phone"}

    def read(self, message: Received) -> dict[str, Any]:
        plain = http_ece.decrypt(message.body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        data: dict[str, Any] = json.loads(plain)
        return data


def subscribe(owner: Client, device: Device) -> None:
    made = owner.send_json("POST", "/api/push/subscriptions", device.to_json())
    assert made.status_code == 201, made.text
