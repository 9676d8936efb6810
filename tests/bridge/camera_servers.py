"""Camera servers that behave like cameras nobody here made: they check a user name and
password (HTTP Basic or Digest, RTSP Digest) and send MJPEG the way ffmpeg's own server does
(`application/octet-stream`, the mpjpeg muxer's bytes, or bare JPEGs one after another).

- `AuthMjpegCamera`: MJPEG over HTTP, behind Basic or Digest authentication if asked;
  `content_type` and `body` ("multipart", "mpjpeg" written by FFmpeg's own muxer, "jpegs"
  back to back, or a web "page") choose what it sends once the credentials are right.
- `RtspAuthServer`: the opening of an RTSP session as a camera answers it: OPTIONS, then a
  DESCRIBE refused with a Digest challenge until the right credentials come, then "404 no such
  stream" (it has no video: the test learns from the answer whether the credentials passed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import socket
import threading
import uuid
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO

import av

from tests.bridge.media import picture

REALM = "Porchlight test camera"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (Digest's own hash)


def _params(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in re.finditer(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))', header):
        quoted = match.group(2)
        found[match.group(1).lower()] = (quoted.replace('\\"', '"').replace("\\\\", "\\")
                                         if quoted is not None else match.group(3))
    return found


def digest_ok(header: str, method: str, user: str, password: str, nonce: str) -> bool:
    """Whether an `Authorization: Digest ...` header proves this user and password (RFC 7616,
    MD5, with or without qop=auth)."""
    if not header.lower().startswith("digest "):
        return False
    p = _params(header[7:])
    if p.get("username") != user or p.get("realm") != REALM or p.get("nonce") != nonce:
        return False
    ha1 = _md5(f"{user}:{REALM}:{password}")
    ha2 = _md5(f"{method}:{p.get('uri', '')}")
    if p.get("qop"):
        expected = _md5(f"{ha1}:{nonce}:{p.get('nc', '')}:{p.get('cnonce', '')}:"
                        f"{p['qop']}:{ha2}")
    else:
        expected = _md5(f"{ha1}:{nonce}:{ha2}")
    return hmac.compare_digest(expected, p.get("response", ""))


def basic_ok(header: str, user: str, password: str) -> bool:
    if not header.lower().startswith("basic "):
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        return False
    return hmac.compare_digest(given, f"{user}:{password}")


class _SocketWriter:
    """A file-like end of a socket for PyAV's muxer to write into."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.out.flush()
        return len(data)


class AuthMjpegCamera:
    """MJPEG over HTTP, sent as `content_type`, behind Basic or Digest authentication (none
    when `user` is None)."""

    def __init__(self, frames: list[bytes], user: str | None = None, password: str = "", *,
                 scheme: str = "digest",
                 content_type: str | None = None, body: str = "multipart",
                 fps: float = 15.0) -> None:
        assert scheme in ("basic", "digest")
        assert body in ("multipart", "mpjpeg", "jpegs", "page")
        self.frames = frames
        self.user = user
        self.password = password
        self.scheme = scheme
        self.body = body
        self.content_type = content_type or (
            "multipart/x-mixed-replace; boundary=camframe" if body == "multipart"
            else "application/octet-stream")
        self.fps = fps
        self.nonce = uuid.uuid4().hex
        self.refused = 0  # requests answered 401
        self.accepted = 0
        self.headers_seen: list[str] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def _authorised(self, header: str) -> bool:
        if self.user is None:
            return True
        if self.scheme == "basic":
            return basic_ok(header, self.user, self.password)
        return digest_ok(header, "GET", self.user, self.password, self.nonce)

    def _challenge(self) -> str:
        if self.scheme == "basic":
            return f'Basic realm="{REALM}"'
        return f'Digest realm="{REALM}", nonce="{self.nonce}", qop="auth", algorithm=MD5'

    def start(self) -> AuthMjpegCamera:
        camera = self
        stopping = self._stopping

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                header = self.headers.get("Authorization", "")
                camera.headers_seen.append(header)
                if not camera._authorised(header):
                    camera.refused += 1
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", camera._challenge())
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                camera.accepted += 1
                self.send_response(200)
                self.send_header("Content-Type", camera.content_type)
                self.end_headers()
                try:
                    if camera.body == "page":  # a web page where a stream was expected
                        self.wfile.write(b"<!doctype html><title>Camera</title>" * 200)
                    elif camera.body == "mpjpeg":
                        camera._mpjpeg(self.wfile, stopping)
                    else:
                        camera._stream(self.wfile, stopping)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def _stream(self, out: BinaryIO, stopping: threading.Event) -> None:
        index = 0
        while not stopping.is_set():
            data = self.frames[index % len(self.frames)]
            if self.body == "multipart":
                out.write(b"--camframe\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                          % len(data) + data + b"\r\n")
            else:
                out.write(data)
            out.flush()
            index += 1
            stopping.wait(1 / self.fps)

    def _mpjpeg(self, out: BinaryIO, stopping: threading.Event) -> None:
        """What `ffmpeg -f mpjpeg` writes: FFmpeg's own muxer, on the socket."""
        with av.open(_SocketWriter(out), "w", format="mpjpeg") as container:
            stream = container.add_stream("mjpeg", rate=round(self.fps))
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuvj420p"
            index = 0
            while not stopping.is_set():
                frame = av.VideoFrame.from_ndarray(picture(index, 320, 240), format="yuv420p")
                frame = frame.reformat(format="yuvj420p")
                frame.pts = index
                frame.time_base = Fraction(1, round(self.fps))
                container.mux(stream.encode(frame))
                index += 1
                stopping.wait(1 / self.fps)

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None


class RtspAuthServer:
    """An RTSP server that only checks credentials: DESCRIBE is answered 401 (Digest) until
    the right user and password come, then 404 (it has no stream)."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.nonce = uuid.uuid4().hex
        self.accepted = 0
        self.refused = 0
        self.requests: list[str] = []  # request lines, as received
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/stream1") -> str:
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def start(self) -> RtspAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn, conn.makefile("rb") as reader:
            while not self._stopping.is_set():
                try:
                    line = reader.readline(4096)
                except OSError:
                    return
                if not line:
                    return
                if not line.strip():
                    continue
                self.requests.append(line.decode("latin-1").strip())
                method = line.split(b" ", 1)[0].decode("latin-1")
                headers: dict[str, str] = {}
                while True:
                    raw = reader.readline(4096)
                    if raw in (b"", b"\r\n", b"\n"):
                        break
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                if int(headers.get("content-length", "0") or 0):
                    reader.read(int(headers["content-length"]))
                conn.sendall(self._answer(method, headers).encode("latin-1"))

    def _answer(self, method: str, headers: dict[str, str]) -> str:
        cseq = headers.get("cseq", "0")
        if method == "OPTIONS":
            return (f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n"
                    "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n")
        if method == "DESCRIBE":
            if digest_ok(headers.get("authorization", ""), "DESCRIBE", self.user,
                         self.password, self.nonce):
                self.accepted += 1
                return f"RTSP/1.0 404 Not Found\r\nCSeq: {cseq}\r\n\r\n"
            self.refused += 1
            return (f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n"
                    f'WWW-Authenticate: Digest realm="{REALM}", nonce="{self.nonce}"\r\n\r\n')
        return f"RTSP/1.0 405 Method Not Allowed\r\nCSeq: {cseq}\r\n\r\n"
