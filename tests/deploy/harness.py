"""Run a built artifact as Lambda does, and talk to it as API Gateway and SQS do.

`LambdaProcess` starts tests/deploy/lambda_runtime.py under the runtime's Python with only the
artifact's folder and the runtime's SDK on sys.path, and keeps every line it prints (its
CloudWatch log). `Gateway` turns HTTP-like calls into API Gateway REST proxy (payload 1.0) or
HTTP API (payload 2.0) events and the function's answers back into responses, with a cookie jar.
`sqs_event` makes the event Lambda's SQS event source mapping delivers, `iot_connect_event`
what AWS IoT Core hands its custom authorizer at an MQTT connect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

RUNTIME_SCRIPT = Path(__file__).with_name("lambda_runtime.py")
ACCOUNT = "123456789012"
REGION = "us-east-1"


def lambda_environment(function_name: str, memory_mb: int, endpoints: dict[str, str],
                       function_env: dict[str, str]) -> dict[str, str]:
    """What Lambda puts in a function's environment, plus the function's own variables; the
    one addition is `endpoints`, the standard variables that point the SDK at the local AWS
    (AWS_ENDPOINT_URL for moto, AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_ACCESS_KEY_ID": "ASIAARTIFACTTEST",
        "AWS_SECRET_ACCESS_KEY": "artifact-test-secret",
        "AWS_SESSION_TOKEN": "artifact-test-session",
        **endpoints,
    }
    env.update(function_env)
    return env


class LambdaError(RuntimeError):
    """The function failed (init error, or an invocation raised)."""


class LambdaProcess:
    """One warm container of one function."""

    def __init__(self, python: str, task_root: Path, sdk: Path | None, handler: str,
                 env: dict[str, str], flags: tuple[str, ...] = ()) -> None:
        self.name = env.get("AWS_LAMBDA_FUNCTION_NAME", handler)
        paths = [str(task_root)] + ([str(sdk)] if sdk else [])
        read, write = os.pipe()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [python, "-I", "-S", "-B", *flags, str(RUNTIME_SCRIPT), handler, str(write)],
            env={**env, "LAMBDA_TEST_SYS_PATH": json.dumps(paths)}, cwd=task_root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(write,), text=True)
        os.close(write)
        self.answers = os.fdopen(read, "r")
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._keep, args=(stream,), daemon=True)
                         for stream in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()
        ready = self._answer()
        self.spawn_to_ready_s = time.perf_counter() - started
        if "init_error" in ready:
            raise LambdaError(f"{self.name} failed to start: {ready['init_error']}\n{self.log}")
        self.init_s = float(ready["init_s"])

    def _keep(self, stream: Any) -> None:
        for line in stream:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def _answer(self) -> dict[str, Any]:
        line = self.answers.readline()
        if not line:
            self.process.wait(timeout=10)
            raise LambdaError(f"{self.name} exited ({self.process.returncode}):\n{self.log}")
        return dict(json.loads(line))

    def settle(self, quiet_s: float = 0.2, limit_s: float = 5) -> None:
        """Wait until the reader threads have taken every line printed so far."""
        deadline = time.monotonic() + limit_s
        seen = -1
        while time.monotonic() < deadline:
            with self._lock:
                count = len(self.lines)
            if count == seen:
                return
            seen = count
            time.sleep(quiet_s)

    @property
    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def invoke(self, event: dict[str, Any], timeout_ms: int = 30000) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"event": event, "request_id": str(uuid.uuid4()),
                                             "timeout_ms": timeout_ms}) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        self.last_duration_s = float(answer["duration_s"])
        if "error" in answer:
            raise LambdaError(f"{self.name}: {answer['error']}: {answer['message']}\n"
                              f"{self.log[-3000:]}")
        return answer["result"]

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for reader in self._readers:  # they end at the streams' end, with the last lines
            reader.join(timeout=10)
        for stream in (self.answers, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; Set-Cookie joined
    cookies: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


@dataclass
class Gateway:
    """API Gateway in front of the web function: `shape` is "rest" (the REST API Zappa makes,
    payload 1.0) or "http" (an HTTP API, payload 2.0)."""

    function: LambdaProcess
    shape: str
    host: str = "cams.example.gov"
    stage: str = "prod"
    jar: dict[str, str] = field(default_factory=dict)
    seen_cookies: list[str] = field(default_factory=list)  # every cookie value ever set

    def request(self, method: str, url: str, *, form: dict[str, str] | None = None,
                json_body: Any = None, headers: dict[str, str] | None = None) -> Response:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        sent = {"host": self.host, "user-agent": "artifact-test", "x-forwarded-proto": "https",
                "x-forwarded-for": "203.0.113.9", **{k.lower(): v for k, v in
                                                       (headers or {}).items()}}
        body = ""
        if form is not None:
            body = urlencode(form)
            sent["content-type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            sent["content-type"] = "application/json"
            sent.setdefault("accept", "application/json")
        cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        event = (self._rest_event if self.shape == "rest" else self._http_event)(
            method, parts.path, query, sent, cookie, body)
        answer = self.function.invoke(event)
        response = self._response(answer)
        for line in response.cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.jar[name] = value
                self.seen_cookies.append(value)
            else:
                self.jar.pop(name, None)
        return response

    def get(self, url: str, **kw: Any) -> Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Response:
        return self.request("POST", url, **kw)

    def _context(self) -> dict[str, Any]:
        return {"accountId": ACCOUNT, "apiId": "a1b2c3d4e5", "stage": self.stage,
                "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
                "domainName": self.host}

    def _rest_event(self, method: str, path: str, query: dict[str, str],
                    headers: dict[str, str], cookie: str, body: str) -> dict[str, Any]:
        if cookie:
            headers = {**headers, "cookie": cookie}
        proper = {"-".join(w.capitalize() for w in k.split("-")): v for k, v in headers.items()}
        context = {**self._context(), "resourcePath": "/{proxy+}", "httpMethod": method,
                   "path": f"/{self.stage}{path}",
                   "identity": {"sourceIp": "203.0.113.9", "userAgent": "artifact-test"}}
        return {"resource": "/{proxy+}", "path": path, "httpMethod": method,
                "headers": proper, "multiValueHeaders": {k: [v] for k, v in proper.items()},
                "queryStringParameters": query or None,
                "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
                "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
                "requestContext": context, "body": body or None, "isBase64Encoded": False}

    def _http_event(self, method: str, path: str, query: dict[str, str],
                    headers: dict[str, str], cookie: str, body: str) -> dict[str, Any]:
        # A custom domain's API mapping: rawPath without the stage (Zappa then uses no prefix).
        context = {**self._context(), "routeKey": "$default", "stage": "$default",
                   "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                            "sourceIp": "203.0.113.9", "userAgent": "artifact-test"},
                   "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())}
        event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": path,
                                 "rawQueryString": urlencode(query), "headers": headers,
                                 "requestContext": context, "isBase64Encoded": False}
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";")]
        if query:
            event["queryStringParameters"] = query
        if body:
            event["body"] = body
        return event

    def _response(self, answer: dict[str, Any]) -> Response:
        headers = {k.lower(): str(v) for k, v in (answer.get("headers") or {}).items()}
        cookies: list[str] = list(answer.get("cookies") or [])
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            if name.lower() == "set-cookie":
                cookies += [str(v) for v in values]
            else:
                headers[name.lower()] = ",".join(str(v) for v in values)
        if "set-cookie" in headers and not cookies:
            cookies = [headers["set-cookie"]]
        raw = answer.get("body") or ""
        body = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
        return Response(int(answer["statusCode"]), headers, cookies, body)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping hands the function for these messages
    (as ReceiveMessage returned them, with all attributes and message attributes)."""
    records = []
    for message in messages:
        attributes = {
            name: {"stringValue": value.get("StringValue"), "binaryValue": None,
                   "stringListValues": [], "binaryListValues": [],
                   "dataType": value["DataType"]}
            for name, value in (message.get("MessageAttributes") or {}).items()}
        records.append({
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": REGION})
    return {"Records": records}


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    """What EventBridge sends a function on a schedule."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": REGION,
            "resources": [rule_arn], "detail": {}}


def iot_connect_event(client_id: str, username: str, password: str) -> dict[str, Any]:
    """What IoT Core sends a custom authorizer for an MQTT connect over TLS (the password
    base64-encoded, as IoT Core passes it)."""
    return {"token": None, "signatureVerified": False, "protocols": ["tls", "mqtt"],
            "protocolData": {
                "tls": {"serverName": f"a1b2c3-ats.iot.{REGION}.amazonaws.com"},
                "mqtt": {"clientId": client_id, "username": username,
                         "password": base64.b64encode(password.encode()).decode()}},
            "connectionMetadata": {"id": str(uuid.uuid4())}}
