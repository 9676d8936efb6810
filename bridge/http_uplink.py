"""HttpUplink: the Uplink protocol over HTTPS, against the Porchlight server's /api/bridge API.

Standard library only (urllib), so the box needs nothing beyond PyAV. Every call is one request
from the bridge out to the server (the bridge never listens for the server); the callers in
share.py retry, so nothing here retries.

Each request carries `Authorization: Bearer pbd_…` (the credential pairing gave) and
`User-Agent: porchlight-bridge/<version>`; bodies are JSON. Video does not pass through the
server: a segment or clip is announced to the server, which answers with a short-lived upload
address in object storage (S3); the bridge PUTs the file there (with only the headers the server
named: never the credential) and then tells the server it is done. A piece the server already
holds is not sent again, so every upload is idempotent.

How answers map to the protocol (bridge.uplink): no answer, a timeout, HTTP 5xx or 429 are
ConnectionError; 401/403 are UplinkRevoked; 404/410 on a share's endpoints are ShareEnded, and
409 there (the segment did not arrive whole) is ConnectionError, so it is sent again; 409
(404, 410) on a request's endpoints mean nobody wants that answer any more, which is not an
error; any other refusal (422 and other 4xx) is ServerRefused (a ValueError) with the server's
`detail` (errors come as application/problem+json). Redirects are not followed (a credential
must not follow one to another address): they are ConnectionError, saying to check
[server] url.

The credential is kept in `<state_dir>/credential.json` (mode 0600) by save_credential() and
read back by load_credential(). It is never logged.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit

from bridge import __version__
from bridge.segment import Segment, iso, parse_iso
from bridge.uplink import (
    BridgeState,
    CameraInfo,
    ChannelInfo,
    ClipRequest,
    DeviceCredential,
    ServerRefused,
    ShareEnded,
    ShareInfo,
    TimeWindow,
    UplinkRevoked,
)

logger = logging.getLogger(__name__)

API = "/api/bridge"
USER_AGENT = f"porchlight-bridge/{__version__}"
# The cameras' health goes with every state call, in this header (app/bridges/routes.py reads it).
HEALTH_HEADER = "X-Porchlight-Health"
HEALTH_MAX_CHARS = 6000
CREDENTIAL_FILE = "credential.json"
MAX_ANSWER = 1 << 20  # bytes of an answer read at most (answers are small JSON)
CHUNK = 1 << 20
DEFAULT_CODECS = "avc1.640028"  # as Segment.mime, when a segment's avcC was not found


class _NoLongerWanted(Exception):
    """A request's answer is not wanted any more (withdrawn, declined, expired)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # the 3xx answer comes back as an HTTPError


class _Answer:
    def __init__(self, status: int, body: bytes, content_type: str,
                 location: str | None = None) -> None:
        self.status, self.body, self.content_type = status, body, content_type
        self.location = location

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ConnectionError(f"the server's answer (HTTP {self.status}) could not be "
                                  "read as JSON")
        return data

    def reason(self) -> str:
        """The server's `detail` from a problem+json answer, else the HTTP status."""
        if "json" in self.content_type:
            try:
                problem = json.loads(self.body)
            except ValueError:
                problem = None
            if isinstance(problem, dict):
                detail = problem.get("detail") or problem.get("title")
                if isinstance(detail, str) and detail:
                    return detail
        phrase = http.client.responses.get(self.status, "")
        return f"HTTP {self.status} {phrase}".strip()


class HttpUplink:
    """The bridge's client of the Porchlight server (see the module docstring).

    `camera_ids` are the Porchlight camera ids in this bridge's config: state() names them so
    the server knows which cameras this bridge serves (another bridge of the same owner may
    serve others). `health`, when set (bridge.runner.Runner.health), says how each camera is
    with every state() call, for the owner's Bridges page.
    """

    def __init__(self, server_url: str, credential: DeviceCredential | None,
                 timeout_s: float = 15, *, camera_ids: Sequence[str] = (),
                 max_upload_kbps: int = 0) -> None:
        self.server_url = server_url.rstrip("/")
        self.credential = credential
        self.timeout_s = timeout_s
        self.camera_ids = tuple(camera_ids)
        self.health: Callable[[], list[dict[str, Any]]] | None = None
        # One cap for every upload of this bridge together (its shares' pieces and clips):
        # the config file's, or the owner's from the app (apply_cap) when that is lower.
        self.config_kbps = max_upload_kbps
        self.cap = RateCap(max_upload_kbps * 1000 // 8) if max_upload_kbps else None
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __repr__(self) -> str:
        device = self.credential.device_id if self.credential else None
        return f"HttpUplink({self.server_url!r}, device={device!r})"

    def apply_cap(self, app_kbps: Any) -> int:
        """Follow the owner's upload cap from the app (kb/s, 0 or absent: none): the lower of
        it and the config file's is used from the next upload on. The app's, as read."""
        kbps = app_kbps if isinstance(app_kbps, int) and not isinstance(app_kbps, bool) \
            and app_kbps > 0 else 0
        chosen = min(k for k in (kbps, self.config_kbps, 10**9) if k)
        if chosen >= 10**9:
            self.cap = None
        elif self.cap is None:
            self.cap = RateCap(chosen * 1000 // 8)
        else:
            self.cap.set_rate(chosen * 1000 // 8)
        return kbps

    def report_found(self, body: dict[str, Any]) -> None:
        """What discovery found, with the sealing key (bridge/camera_setup.py)."""
        self._call("POST", f"{API}/found", body)

    def report_setup(self, order_id: str, body: dict[str, Any]) -> None:
        """The answer to one setup order: channels read, cameras added, or why not."""
        self._call("POST", f"{API}/setups/{_part(order_id)}", body)

    # ------------------------------------------------------------ the protocol

    def pair(self, code: str, name: str) -> DeviceCredential:
        answer = self._call("POST", f"{API}/pair", {"code": code, "name": name}, kind="pair")
        data = answer.json()
        try:
            return DeviceCredential(device_id=str(data["device_id"]),
                                    secret=str(data["credential"]),
                                    server_url=self.server_url,
                                    cameras=tuple(_camera(c) for c in data.get("cameras", [])))
        except (KeyError, TypeError, ValueError) as error:
            raise _unexpected("pair", error) from error

    def state(self) -> BridgeState:
        query = urlencode([("camera", camera_id) for camera_id in self.camera_ids])
        extra = {}
        if self.health is not None:  # the cameras' health, for the owner's Bridges page
            said = json.dumps(self.health(), separators=(",", ":"))
            if len(said) <= HEALTH_MAX_CHARS:
                extra[HEALTH_HEADER] = said
        answer = self._call("GET", f"{API}/state" + (f"?{query}" if query else ""),
                            headers=extra)
        data = answer.json()
        try:
            shares = tuple(_share(s, "camera_ids") for s in data.get("shares", []))
            requests = tuple(
                ClipRequest(target_id=str(r["target_id"]), camera_id=str(r["camera_id"]),
                            window=TimeWindow(_time(r["window_start"]), _time(r["window_end"])))
                for r in data.get("requests", []))
            return BridgeState(shares=shares, requests=requests,
                               poll_seconds=float(data.get("poll_seconds") or 10.0),
                               device_id=str(data.get("device_id", "")),
                               cameras=tuple(_camera(c) for c in data.get("cameras", [])),
                               channel=_channel(data.get("channel")),
                               setup=data["setup"] if isinstance(data.get("setup"), dict)
                               else None,
                               max_upload_kbps=self.apply_cap(data.get("max_upload_kbps")))
        except (KeyError, TypeError, ValueError) as error:
            raise _unexpected("state", error) from error

    def start_share(self, camera_ids: Sequence[str], minutes: int) -> ShareInfo:
        answer = self._call("POST", f"{API}/shares",
                            {"camera_ids": list(camera_ids), "minutes": int(minutes)})
        try:
            return _share(answer.json(), "cameras")
        except (KeyError, TypeError, ValueError) as error:
            raise _unexpected("shares", error) from error

    def upload_segment(self, share_id: str, camera_id: str, segment: Segment,
                       masks: str = "") -> None:
        base = f"{API}/shares/{_part(share_id)}/segments"
        body = {"camera_id": camera_id, "name": segment.name, "start": iso(segment.start),
                "end": iso(segment.end), "duration_s": round(segment.duration_s, 6),
                "size": segment.size, "sha256": segment.sha256,
                "codecs": segment.codecs or DEFAULT_CODECS, "run": segment.run,
                "media_start_s": round(segment.media_start_s, 6)}
        if masks:  # the privacy masks blacked out of it (said only when there are some)
            body["masks"] = masks
        with open(segment.path, "rb") as handle:  # FileNotFoundError: pruned meanwhile
            offer = self._call("POST", base, body, kind="share").json()
            if offer.get("stored") is True:
                logger.debug("Segment %s of camera %s: the server has it already.",
                             segment.name, camera_id)
                return
            self._put(offer, handle)
        done = f"{base}/{_part(camera_id)}/{_part(segment.name)}/done"
        self._confirm(self._call("POST", done, {}, kind="share"))

    def upload_clip(self, target_id: str, path: Path, window: TimeWindow,
                    gaps: Sequence[TimeWindow] = (), masks: str = "") -> None:
        base = f"{API}/targets/{_part(target_id)}/clip"
        with open(path, "rb") as handle:
            size, digest = _measure(handle)
            body = {"size": size, "sha256": digest, "starts_at": iso(window.start),
                    "ends_at": iso(window.end),
                    "gaps": [{"start": iso(gap.start), "end": iso(gap.end)} for gap in gaps]}
            if masks:
                body["masks"] = masks
            try:
                offer = self._call("POST", base, body, kind="target").json()
                if offer.get("stored") is True:
                    return
                self._put(offer, handle)
                self._confirm(self._call("POST", f"{base}/done", {}, kind="target"))
            except _NoLongerWanted as why:
                logger.info("Request %s no longer wants a clip; nothing more is sent: %s",
                            target_id, why)

    def clip_unavailable(self, target_id: str, reason: str) -> None:
        try:
            self._call("POST", f"{API}/targets/{_part(target_id)}/unavailable",
                       {"reason": reason}, kind="target")
        except _NoLongerWanted as why:
            logger.info("Request %s no longer wants an answer: %s", target_id, why)

    # ------------------------------------------------------------ HTTP

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
              kind: str = "device", headers: dict[str, str] | None = None) -> _Answer:
        """One request to the server; a refusal becomes the protocol's exception.

        `kind`: "pair" (no credential), "device", "share" (404/410: the share ended) or
        "target" (404/409/410: the request wants no answer any more)."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        if kind != "pair" and self.credential is not None:
            headers["Authorization"] = f"Bearer {self.credential.secret}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.server_url + path, data=data, headers=headers,
                                         method=method)
        answer = self._send(request, self.server_url)
        logger.debug("%s %s: HTTP %d", method, path.split("?")[0], answer.status)
        if 200 <= answer.status < 300:
            return answer
        raise _refusal(answer, kind, self.server_url)

    def _send(self, request: urllib.request.Request, where: str,
              length: int | None = None) -> _Answer:
        host = urlsplit(where).netloc or where
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                return _Answer(response.status, response.read(MAX_ANSWER),
                               response.headers.get_content_type())
        except urllib.error.HTTPError as error:
            with error:
                try:
                    body = error.read(MAX_ANSWER)
                except (OSError, http.client.HTTPException):
                    body = b""
                headers = error.headers
                return _Answer(error.code, body,
                               headers.get_content_type() if headers else "",
                               headers.get("Location") if headers else None)
        except urllib.error.URLError as error:
            reason = error.reason
            text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
            raise ConnectionError(f"{host} cannot be reached ({text or 'no answer'})") from error
        except TimeoutError as error:
            raise ConnectionError(f"{host} did not answer within {self.timeout_s:g} s") \
                from error
        except (OSError, http.client.HTTPException) as error:
            raise ConnectionError(f"the connection to {host} broke off "
                                  f"({error.__class__.__name__}: {error})") from error

    def _put(self, offer: dict[str, Any], handle: IO[bytes]) -> None:
        """PUT the file to the upload address the server gave (object storage, not the app:
        only the headers the server named, never the credential)."""
        url, named = offer.get("url"), offer.get("headers") or {}
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http") \
                or not isinstance(named, dict):
            raise ConnectionError("the server's answer named no upload address")
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        headers = {str(key): str(value) for key, value in named.items()}
        headers["Content-Length"] = str(size)
        headers.setdefault("User-Agent", USER_AGENT)
        body: Any = handle if self.cap is None else Capped(handle, self.cap)
        request = urllib.request.Request(url, data=body, headers=headers, method="PUT")
        answer = self._send(request, url)
        if not 200 <= answer.status < 300:
            raise ConnectionError(f"the upload to {urlsplit(url).netloc} was refused "
                                  f"(HTTP {answer.status}); it is tried again")
        logger.debug("PUT %d bytes to %s: HTTP %d", size, urlsplit(url).netloc, answer.status)

    @staticmethod
    def _confirm(answer: _Answer) -> None:
        if answer.json().get("stored") is False:
            raise ConnectionError("the server did not keep the upload; it is tried again")


# ---------------------------------------------------------------- answers


class RateCap:
    """At most `bytes_per_s` for all the uploads that share it (a token bucket holding a
    second's worth): the owner's `max_upload_kbps`, so sharing video never fills the shop's
    line. Thread-safe: a share's pieces and a clip may upload at once."""

    def __init__(self, bytes_per_s: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = bytes_per_s
        self.clock, self.sleep = clock, sleep
        self.tokens = float(bytes_per_s)
        self.at = clock()
        self.lock = threading.Lock()

    def set_rate(self, bytes_per_s: int) -> None:
        with self.lock:
            self.rate = bytes_per_s
            self.tokens = min(self.tokens, float(bytes_per_s))

    def take(self, count: int) -> None:
        """Wait until `count` bytes may go."""
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(float(self.rate), self.tokens + (now - self.at) * self.rate)
                self.at = now
                if self.tokens >= count or self.tokens >= self.rate:
                    self.tokens -= count  # (a read larger than the bucket goes into debt)
                    return
                wait = (min(count, self.rate) - self.tokens) / self.rate
            self.sleep(wait)


class Capped:
    """A file read through a RateCap: what http.client streams as a request's body."""

    def __init__(self, handle: IO[bytes], cap: RateCap) -> None:
        self.handle, self.cap = handle, cap

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size if size and size > 0 else CAP_CHUNK)
        if data:
            self.cap.take(len(data))
        return data


CAP_CHUNK = 16 * 1024


def _refusal(answer: _Answer, kind: str, server: str) -> Exception:
    status, reason = answer.status, answer.reason()
    if status == 429 or status >= 500:
        return ConnectionError(f"the server is busy or failing: {reason}")
    if 300 <= status < 400:
        return ConnectionError(f"the server at {server} answers with a redirect to "
                               f"{answer.location or 'another address'}: check [server] url")
    if status in (401, 403) and kind != "pair":
        return UplinkRevoked(reason)
    if kind == "share" and status in (404, 410):
        return ShareEnded(reason)
    if kind == "share" and status == 409:  # the piece did not arrive whole: send it again
        return ConnectionError(f"the server did not get the whole segment ({reason}); it is "
                               "sent again")
    if kind == "target" and status in (404, 409, 410):
        return _NoLongerWanted(reason)
    return ServerRefused(reason)


def _unexpected(what: str, error: Exception) -> ConnectionError:
    return ConnectionError(f"the server's answer to {what} is not what this bridge expects "
                           f"({error.__class__.__name__}: {error}); is the bridge up to date?")


def _time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"a time must be text, not {text!r}")
    return parse_iso(text)


def _camera(data: Any) -> CameraInfo:
    if isinstance(data, str):
        return CameraInfo(camera_id=data)
    masks = data.get("masks") or []
    if not isinstance(masks, list):
        raise TypeError(f"a camera's masks must be a list, not {masks!r}")
    return CameraInfo(camera_id=str(data["camera_id"]), nickname=str(data.get("nickname", "")),
                      tier=str(data.get("tier", "")), masks=tuple(masks))


def _channel(data: Any) -> ChannelInfo | None:
    """The device channel in a state answer; None when there is none (or an older server)."""
    if not data:
        return None
    return ChannelInfo(url=str(data["url"]), client_id=str(data["client_id"]),
                       cmd_topic=str(data["cmd_topic"]), status_topic=str(data["status_topic"]),
                       poll_seconds=float(data.get("poll_seconds") or 60.0))


def _share(data: dict[str, Any], ids_key: str) -> ShareInfo:
    return ShareInfo(share_id=str(data["share_id"]),
                     camera_ids=tuple(str(c) for c in data[ids_key]),
                     started_at=_time(data["started_at"]), ends_at=_time(data["ends_at"]),
                     preroll_seconds=int(data.get("preroll_seconds") or 0),
                     sub_camera_ids=_subs(data.get("quality")))


def _subs(quality: Any) -> tuple[str, ...]:
    """The cameras a share's `"quality": {camera_id: "sub"}` wants on their substream, in
    order; any other value, or no such object (an older server), is the main stream."""
    if not isinstance(quality, dict):
        return ()
    return tuple(sorted(str(camera_id) for camera_id, wanted in quality.items()
                        if wanted == "sub"))


def _part(text: str) -> str:
    """One path segment of a URL, escaped."""
    return quote(text, safe="")


def _measure(handle: IO[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


# ---------------------------------------------------------------- the credential file


def save_credential(state_dir: Path, credential: DeviceCredential) -> Path:
    """Write `state_dir/credential.json` (mode 0600) atomically: a crash leaves the old file or
    the new one, never half of one."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / CREDENTIAL_FILE
    data = json.dumps({"device_id": credential.device_id, "credential": credential.secret,
                       "server_url": credential.server_url}, indent=2) + "\n"
    with _private_temp(state_dir) as (handle, temp):
        handle.write(data.encode())
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(temp, target)
    _sync_dir(state_dir)
    return target


def load_credential(state_dir: Path) -> DeviceCredential | None:
    """The saved credential, or None when the bridge was never paired. ValueError when the
    file is damaged (pair again)."""
    path = state_dir / CREDENTIAL_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        credential = DeviceCredential(device_id=str(data["device_id"]),
                                      secret=str(data["credential"]),
                                      server_url=str(data.get("server_url", "")))
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"the saved pairing {path} is damaged ({error.__class__.__name__}); "
                         "pair the bridge again") from error
    if not credential.secret.startswith("pbd_"):
        raise ValueError(f"the saved pairing {path} holds no credential; pair the bridge again")
    return credential


@contextmanager
def _private_temp(folder: Path) -> Iterator[tuple[IO[bytes], Path]]:
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".credential-", suffix=".tmp")
    temp = Path(name)
    try:
        os.fchmod(descriptor, 0o600)  # mkstemp makes it 0600 already; say so explicitly
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, temp
    finally:
        temp.unlink(missing_ok=True)


def _sync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
