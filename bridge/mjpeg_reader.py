"""Reading MJPEG over HTTP: the connection (Basic or Digest credentials, plain words for its
errors), the JPEG pictures in the answer whatever its Content-Type says (multipart parts or bare
JPEGs one after another), and their encoding to H.264 segments.

A picture's capture time is its arrival, taken on a thread of its own, so a slow conversion
cannot make pictures look newer than they are.
"""


from __future__ import annotations

import io
import logging
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.client import HTTPMessage, HTTPResponse
from pathlib import Path
from typing import IO, Any, BinaryIO

import av
import av.error
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame

from bridge.capture import LiveQueue, QueueEnded, Timing
from bridge.config import CameraConfig
from bridge.segmenters import EncodeSegmenter
from bridge.source_types import InfoSink, ReaderOptions, SegmentSink, SourceError, SourceInfo

logger = logging.getLogger(__name__)

MAX_JPEG_BYTES = 16 * 1024 * 1024
USER_AGENT = "porchlight-bridge/0.1"


class _BasicAuth(urllib.request.HTTPBasicAuthHandler):
    """Answers a camera's Basic challenge; closes the refused answer first (urllib leaves its
    connection open)."""

    def http_error_401(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: HTTPMessage) -> Any:
        fp.close()
        return super().http_error_401(req, fp, code, msg, headers)


class _DigestAuth(urllib.request.HTTPDigestAuthHandler):
    """Answers a camera's Digest challenge; closes the refused answer first."""

    def http_error_401(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: HTTPMessage) -> Any:
        fp.close()
        return super().http_error_401(req, fp, code, msg, headers)


def _open_http(camera: CameraConfig, options: ReaderOptions) -> HTTPResponse:
    # The source holds no credentials (CameraConfig takes them out); they go to urllib as they
    # are, which answers the camera's Basic or Digest challenge with them.
    url = camera.source
    handlers: list[urllib.request.BaseHandler] = []
    if camera.user is not None or camera.password is not None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, camera.user or "", camera.password or "")
        handlers += [_BasicAuth(manager), _DigestAuth(manager)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    where = f"the camera at {camera.safe_source}"
    try:
        # (one timeout for connecting and for every read after)
        response = opener.open(request, timeout=options.read_timeout_s)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 401:
            raise SourceError(f"{where} refused the user name or password (user and password "
                              "in the config)") from None
        if error.code == 404:
            raise SourceError(f"{where} has no stream at that path (404)") from None
        raise SourceError(f"{where} answered with an error ({error.code} {error.reason})") from None
    except urllib.error.URLError as error:
        raise SourceError(_plain_socket_error(error.reason, where)) from None
    except OSError as error:
        raise SourceError(_plain_socket_error(error, where)) from None
    assert isinstance(response, HTTPResponse)
    return response


def _plain_socket_error(reason: object, where: str) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return f"nothing answers at {where} (connection refused; is the camera on?)"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"{where} did not answer in time"
    if isinstance(reason, socket.gaierror):
        return f"{where}: that name is not known on this network"
    return f"{where} cannot be reached ({reason})"


def _is_boundary(line: bytes, token: bytes) -> bool:
    stripped = line.strip()
    return stripped.startswith(b"--") and stripped.strip(b"-") == token


def multipart_parts(stream: BinaryIO, boundary: str | None,
                    limit: int = MAX_JPEG_BYTES) -> Iterator[bytes]:
    """The bodies of a multipart/x-mixed-replace stream, one at a time, until it ends.

    Lenient as cameras need: the boundary may be quoted, given with or without its leading
    "--" (several cameras differ between header and body), or missing from the header (then the
    first "--" line names it); a part may come with or without Content-Length.
    """
    token = boundary.strip('"').strip("-").encode() if boundary else None
    at_headers = False
    while True:
        if not at_headers:
            line = stream.readline(1024)
            if not line:
                return
            if token is None and line.startswith(b"--"):
                token = line.strip().strip(b"-")
            if token is None or not _is_boundary(line, token):
                continue
        length = _part_headers(stream)
        if length is None:
            return
        if length >= 0:
            if length > limit:
                raise SourceError(f"a picture from the camera is {length} bytes, more than "
                                  f"the {limit} the bridge accepts")
            data = stream.read(length)
            if len(data) < length:
                return
            at_headers = False
            yield data
            continue
        body, at_headers = _until_boundary(stream, token, limit)
        if body is None:
            return
        yield body


def _part_headers(stream: BinaryIO) -> int | None:
    """Read a part's headers; its Content-Length, -1 when it gives none, None at the end."""
    length = -1
    while True:
        line = stream.readline(4096)
        if not line:
            return None
        if not line.strip():
            return length
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = -1


def _until_boundary(stream: BinaryIO, token: bytes | None,
                    limit: int) -> tuple[bytes | None, bool]:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return None, False
        if token is not None and _is_boundary(line, token):
            body = b"".join(chunks)
            if body.endswith(b"\r\n"):
                body = body[:-2]
            elif body.endswith(b"\n"):
                body = body[:-1]
            return body, True
        chunks.append(line)
        total += len(line)
        if total > limit:
            raise SourceError(f"a picture from the camera is larger than the {limit} bytes the "
                              "bridge accepts; is this an MJPEG stream?")


class MjpegReader:
    """Reads MJPEG over HTTP, encoding it to H.264 segments. The stream is judged by what it
    holds, not by its Content-Type: multipart parts (multipart/x-mixed-replace, and ffmpeg's
    own server, which sends them as application/octet-stream) or bare JPEGs one after another
    (see _pictures)."""

    def __init__(self, camera: CameraConfig, options: ReaderOptions, work_dir: Path,
                 sink: SegmentSink, stop: threading.Event, timing: Timing | None = None) -> None:
        self.camera = camera
        self.options = options
        self.work_dir = work_dir
        self.sink = sink
        self.stop = stop
        self.timing = timing or Timing()

    def run(self, on_info: InfoSink | None) -> None:
        where = f"the camera at {self.camera.safe_source}"
        response = _open_http(self.camera, self.options)
        segmenter: EncodeSegmenter | None = None
        try:
            pictures = _pictures(response, where)
            decoder = av.CodecContext.create("mjpeg", "r")
            assert isinstance(decoder, VideoCodecContext)
            mono0: float | None = None

            def close() -> None:  # skipping to live: the piece being written ends here
                if segmenter is not None:
                    segmenter.close(None)

            for jpeg, now in _read_ahead(pictures, self.options, self.stop, self.timing,
                                         self.camera.id, close):
                if self.stop.is_set():
                    return
                frame = _decode_jpeg(decoder, jpeg, self.camera.id)
                if frame is None:
                    continue
                if mono0 is None:
                    mono0 = now
                    if on_info:
                        on_info(SourceInfo(kind="mjpeg", codec="mjpeg", width=frame.width,
                                           height=frame.height, fps=None, mode="encode",
                                           pix_fmt=frame.format.name))
                    segmenter = EncodeSegmenter(self.options.segment_seconds, self.work_dir,
                                                self.sink, self.camera.id, None)
                assert segmenter is not None
                segmenter.feed(frame, now - mono0, now)
        except TimeoutError:
            raise SourceError(f"{where} stopped sending pictures for "
                              f"{self.options.read_timeout_s:g} s") from None
        except OSError as error:
            raise SourceError(f"{where} dropped the connection ({error})") from None
        finally:
            if segmenter is not None:
                segmenter.close(None)
            response.close()
        if not self.stop.is_set():
            raise SourceError(f"{where} closed the stream")


def _read_ahead(pictures: Iterator[bytes], options: ReaderOptions, stop: threading.Event,
                timing: Timing, camera: str, close: Callable[[], None]
                ) -> Iterator[tuple[bytes, float]]:
    """Each JPEG with when it arrived, read on a thread of its own as it comes (an MJPEG
    camera's capture time is its arrival), so a slow conversion cannot make pictures look
    newer than they are; more than `max_behind_s` behind, skip to the newest (calling `close`
    first) and tell `timing`. The reading thread's error is raised here."""
    queue: LiveQueue[bytes] = LiveQueue()
    halt = threading.Event()

    def read() -> None:
        error: BaseException | None = None
        try:
            for jpeg in pictures:
                if halt.is_set() or stop.is_set():
                    break
                queue.put(jpeg, options.clock(), True)
        except Exception as failure:  # raised again on the camera's thread
            error = failure
        finally:
            queue.end(error)

    threading.Thread(target=read, name=f"camera-{camera}-read", daemon=True).start()
    skipped_from: float | None = None
    try:
        while not stop.is_set():
            try:
                queued = queue.get(0.5)
            except QueueEnded as ended:
                if ended.error is not None:
                    raise ended.error from None
                return
            if queued is None:
                continue
            now = options.clock()
            if now - queued.arrival > options.max_behind_s:
                if skipped_from is None:
                    logger.warning("Camera %s: %.1f s behind live (this box cannot convert it "
                                   "fast enough); skipping to live video. The skipped time is "
                                   "marked as a gap.", camera, now - queued.arrival)
                    skipped_from = queued.arrival
                    close()
                queue.skip_to_keyframe()  # every JPEG is one: all but the newest go
                continue
            if skipped_from is not None:
                seconds = queued.arrival - skipped_from
                timing.skipped(seconds, "the bridge fell behind converting this camera and "
                                        f"skipped {seconds:.0f} s of its video to catch up "
                                        "with live")
                skipped_from = None
            timing.clock, timing.behind_s = "arrival", now - queued.arrival
            yield queued.item, queued.arrival
    finally:
        halt.set()


SNIFF_BYTES = 8192  # enough of the body to tell multipart parts or JPEGs from anything else
JPEG_START = b"\xff\xd8\xff"
PART_START = re.compile(rb"(?:^|\n)--[^\r\n]{1,200}\r?\n(?:[!-9;-~]+:[^\r\n]*\r?\n)*"
                        rb"\r?\n\xff\xd8")


def _pictures(response: HTTPResponse, where: str) -> Iterator[bytes]:
    """The JPEG pictures of an HTTP answer, however its Content-Type names it.

    A multipart type with a boundary is taken at its word. Anything else is judged by the
    first bytes of the body: a multipart part ("--boundary", headers, a JPEG) or a JPEG's start
    marker. ffmpeg's own HTTP server sends its multipart stream as application/octet-stream,
    and some cameras send bare JPEGs back to back. A single picture (an image/* answer of a
    known length) and anything else (a web page, a login form) are refused in plain words."""
    kind = response.headers.get_content_type()
    boundary = response.headers.get_param("boundary")
    if kind.startswith("multipart/") and isinstance(boundary, str):
        return multipart_parts(response, boundary)
    if kind.startswith("image/") and response.headers.get("Content-Length"):
        raise SourceError(f"{where} gives a single picture ({kind}), not a video stream; use "
                          "the camera's MJPEG stream address (often .../video.mjpg or "
                          "/mjpg/video.mjpg)")
    head = _sniff(response)
    body = io.BufferedReader(_Rejoined(head, response), buffer_size=64 * 1024)
    if head.lstrip().startswith(JPEG_START):
        return jpeg_pictures(body)
    if PART_START.search(head):
        return multipart_parts(body, None)
    raise SourceError(f"{where} does not send an MJPEG stream (it sends {kind}"
                      f"{', and no JPEG pictures' if kind != 'text/html' else ''}); use the "
                      "camera's MJPEG address, or its rtsp:// address")


def _sniff(response: HTTPResponse) -> bytes:
    """The first bytes of the body: up to SNIFF_BYTES, fewer once they tell what it is."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = response.read1(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
        if head.lstrip().startswith(JPEG_START) or PART_START.search(head):
            break
    return head


class _Rejoined(io.RawIOBase):
    """The sniffed head of a body, then the rest of it."""

    def __init__(self, head: bytes, rest: HTTPResponse) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            size = min(len(view), len(self.head))
            view[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read1(len(view))
        view[:len(data)] = data
        return len(data)


def jpeg_pictures(stream: io.BufferedIOBase, limit: int = MAX_JPEG_BYTES) -> Iterator[bytes]:
    """JPEG pictures sent one after another with nothing around them (ffmpeg -f mjpeg, some
    cameras), each from its start marker to its end marker. The segments before the picture
    data are walked by their lengths (an embedded thumbnail holds end markers of its own);
    inside the picture data an end marker cannot occur by chance (FF is always escaped).
    Bytes between pictures are skipped; a picture cut off at the end is left out."""
    buffer = bytearray()
    while True:
        start = buffer.find(JPEG_START)
        while start < 0:
            del buffer[:max(len(buffer) - 2, 0)]  # (a start marker may straddle two reads)
            chunk = stream.read1(64 * 1024)
            if not chunk:
                return
            buffer += chunk
            start = buffer.find(JPEG_START)
        del buffer[:start]
        end = _jpeg_end(buffer)
        while end is None:
            if len(buffer) > limit:
                raise SourceError(f"a picture from the camera is larger than the {limit} bytes "
                                  "the bridge accepts; is this an MJPEG stream?")
            chunk = stream.read1(64 * 1024)
            if not chunk:
                return
            buffer += chunk
            end = _jpeg_end(buffer)
        if end < 0:  # damaged: look for the next picture
            del buffer[:2]
            continue
        yield bytes(buffer[:end])
        del buffer[:end]


def _jpeg_end(data: bytearray) -> int | None:
    """Where the JPEG starting at data[0] ends (after its end marker); None: more bytes are
    needed; -1: it is damaged."""
    at = 2
    while True:
        if at + 4 > len(data):
            return None
        if data[at] != 0xFF:
            return -1
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0xD9:
            return at + 2
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            at += 2
        elif marker == 0xDA:  # start of scan: the picture data runs to the end marker
            end = data.find(b"\xff\xd9", at + 2 + int.from_bytes(data[at + 2:at + 4], "big"))
            return None if end < 0 else end + 2
        else:
            at += 2 + int.from_bytes(data[at + 2:at + 4], "big")


def _decode_jpeg(decoder: VideoCodecContext, jpeg: bytes, camera: str) -> VideoFrame | None:
    try:
        frames = decoder.decode(Packet(jpeg))
    except (av.error.FFmpegError, ValueError):
        logger.debug("Camera %s: a damaged picture was skipped.", camera)
        return None
    return frames[0] if frames else None
