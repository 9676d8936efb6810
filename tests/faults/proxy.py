"""A fault-injecting HTTP proxy between our code and devstack's local AWS.

Point a process's AWS endpoints at `proxy.url` (`proxy.endpoint_env()`: AWS_ENDPOINT_URL
and AWS_ENDPOINT_URL_DYNAMODB, hence Settings.endpoint_for) and every DynamoDB, S3 and SQS
call passes through here, to DynamoDB Local or moto's server as the service says. Each request
is forwarded untouched unless a `Fault` matches it; a fault then answers with an AWS error
before the request reaches the service (nothing happened), or after the service has done it (it
happened, but the caller is told it failed: the case that makes retries dangerous), or SIGKILLs
the calling process right after the service has done it (a worker that dies between two steps).

Concurrent DynamoDB writes pass through concurrently: DynamoDB Local, like DynamoDB, keeps a
conditional write or a transaction atomic against any other write to the same item. (moto's
server did not, and this proxy used to pass writes on one at a time to make up for it.)
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Call:
    """One request as the proxy saw it."""

    service: str  # "dynamodb", "sqs" or "s3"
    operation: str  # DynamoDB/SQS target ("TransactWriteItems"), S3: "GET", "PUT", ...
    path: str
    body: bytes
    at: float

    def mentions(self, text: str) -> bool:
        return text.encode() in self.body or text in self.path


@dataclass
class Fault:
    """What to do to the calls that `match` accepts, `times` times (None: every time).

    kind: "before" answers `status`/`code` without forwarding; "after" forwards, then answers
    the error anyway; "kill" forwards, then SIGKILLs the process whose pid `pid()` returns.
    """

    name: str
    match: Callable[[Call], bool]
    kind: str = "before"
    status: int = 400
    code: str = "ThrottlingException"
    times: int | None = 1
    pid: Callable[[], int | None] = lambda: None
    fired: int = 0

    def wants(self, call: Call) -> bool:
        return (self.times is None or self.fired < self.times) and self.match(call)


def op(service: str, operation: str, mentioning: str = "") -> Callable[[Call], bool]:
    """Match one DynamoDB/SQS operation (or S3 method), optionally only calls naming a text."""
    return lambda c: (c.service == service and c.operation == operation
                      and (not mentioning or c.mentions(mentioning)))


def mentioning(service: str, operation: str, *texts: str) -> Callable[[Call], bool]:
    first = op(service, operation)
    return lambda c: first(c) and all(c.mentions(t) for t in texts)


@dataclass
class Seen:
    call: Call
    fault: str = ""  # the fault applied, or "" when passed through


@dataclass
class FaultProxy:
    upstream: str  # moto's server: S3, SQS
    dynamodb: str  # DynamoDB Local
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._targets = {service: (split.hostname or "127.0.0.1", split.port or 80)
                         for service, split in (("", urlsplit(self.upstream)),
                                                ("dynamodb", urlsplit(self.dynamodb)))}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="fault-proxy")

    def endpoint_env(self) -> dict[str, str]:
        """The standard variables that send a process's every AWS call through this proxy."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ENDPOINT_URL_DYNAMODB": self.url}

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the test's side -------------------------------------------------------------------

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def calls(self, service: str, operation: str, mentioning: str = "") -> list[Seen]:
        match = op(service, operation, mentioning)
        with self._lock:
            return [s for s in self.seen if match(s.call)]

    # -- the wire side ---------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = _read_body(request)
        call = _describe(request, body)
        with self._lock:
            fault = next((f for f in self.faults if f.wants(call)), None)
            if fault is not None:
                fault.fired += 1
            self.seen.append(Seen(call, fault.name if fault else ""))
        if fault is not None and fault.kind == "before":
            _send(request, *_error(call, fault.status, fault.code))
            return
        answer = self._forward(request, call, body)
        if fault is None:
            _send(request, *answer)
        elif fault.kind == "after":
            _send(request, *_error(call, fault.status, fault.code))
        elif fault.kind == "kill":
            pid = _wait_for(fault.pid)
            os.kill(pid, signal.SIGKILL)
            request.close_connection = True  # the caller is gone; nobody reads an answer
        else:
            raise ValueError(f"unknown fault kind {fault.kind}")

    def _forward(self, request: BaseHTTPRequestHandler, call: Call, body: bytes
                 ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        headers["Content-Length"] = str(len(body))
        host, port = self._targets.get(call.service) or self._targets[""]
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request(request.command, request.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            # A HEAD answer's Content-Length is the object's size: keep it as it is.
            dropped = ("transfer-encoding", "connection") + (
                () if request.command == "HEAD" else ("content-length",))
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in dropped]
            return response.status, kept, data
        finally:
            conn.close()


def _wait_for(pid: Callable[[], int | None]) -> int:
    deadline = time.monotonic() + 10
    while (found := pid()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("a kill fault fired before its process was known")
        time.sleep(0.01)
    return found


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while request.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(request.rfile.read(size))
            request.rfile.readline()
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length else b""


def _describe(request: BaseHTTPRequestHandler, body: bytes) -> Call:
    target = request.headers.get("X-Amz-Target", "")
    if target.startswith("DynamoDB_"):
        service, operation = "dynamodb", target.split(".", 1)[1]
    elif target.startswith("AmazonSQS."):
        service, operation = "sqs", target.split(".", 1)[1]
    else:
        service, operation = "s3", request.command
    return Call(service, operation, request.path, body, time.monotonic())


def _error(call: Call, status: int, code: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The error as the service itself words it on the wire."""
    request_id = uuid.uuid4().hex
    message = f"injected by the fault proxy: {code}"
    if call.service == "s3":
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
               f"<Message>{message}</Message><RequestId>{request_id}</RequestId></Error>")
        return status, [("Content-Type", "application/xml"),
                        ("x-amz-request-id", request_id)], xml.encode()
    if call.service == "sqs":
        payload = {"__type": f"com.amazonaws.sqs#{code}", "message": message}
        return status, [("Content-Type", "application/x-amz-json-1.0"),
                        ("x-amzn-RequestId", request_id),
                        ("x-amzn-query-error", f"{code};Sender")], json.dumps(payload).encode()
    payload = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    return status, [("Content-Type", "application/x-amz-json-1.0"),
                    ("x-amzn-RequestId", request_id)], json.dumps(payload).encode()


def _send(request: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]],
          body: bytes) -> None:
    request.send_response(status)
    for key, value in headers:
        request.send_header(key, value)
    if not any(k.lower() == "content-length" for k, _ in headers):
        request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)
