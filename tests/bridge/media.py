"""Test media for the bridge: H.264 files made with PyAV, and a local MJPEG camera.

Every picture carries its frame number as a row of black and white blocks across the top
(FRAME_BITS blocks of BLOCK px), so a test can tell which source frame a decoded picture is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from av.packet import Packet

FRAME_BITS = 12
BLOCK = 16


def picture(index: int, width: int, height: int) -> np.ndarray:
    """Frame `index` as a yuv420p array: moving content plus its number in the top row."""
    luma = np.empty((height, width), np.uint8)
    x = np.arange(width, dtype=np.int32)[None, :]
    y = np.arange(height, dtype=np.int32)[:, None]
    luma[:] = ((x + y + index * 4) % 160 + 40).astype(np.uint8)
    side = max(height // 5, 8)
    left = (index * 7) % max(width - side, 1)
    top = BLOCK * 2 + (index * 3) % max(height - side - BLOCK * 2, 1)
    luma[top:top + side, left:left + side] = 230
    luma[:BLOCK + 4, :] = 128
    for bit in range(FRAME_BITS):
        on = (index >> (FRAME_BITS - 1 - bit)) & 1
        luma[2:BLOCK + 2, bit * BLOCK:(bit + 1) * BLOCK] = 235 if on else 16
    chroma = np.full((height // 2, width), 128, np.uint8)
    chroma[:, : width // 2] = (110 + index % 30)
    return np.concatenate([luma, chroma])


def frame_number(bgr_or_grey: np.ndarray) -> int:
    grey = bgr_or_grey.mean(axis=2) if bgr_or_grey.ndim == 3 else bgr_or_grey
    number = 0
    for bit in range(FRAME_BITS):
        centre = grey[BLOCK // 2 - 2:BLOCK // 2 + 6,
                      bit * BLOCK + BLOCK // 2 - 4:bit * BLOCK + BLOCK // 2 + 4]
        number = (number << 1) | int(centre.mean() > 128)
    return number


def make_h264(path: Path, *, width: int = 320, height: int = 240, fps: int = 30,
              seconds: float = 8.0, gop: int = 30, bframes: int = 2,
              bitrate: int | None = None, preset: str = "ultrafast") -> Path:
    """H.264 yuv420p in MP4 with a keyframe every `gop` frames and B-frames."""
    params = (f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}:b-adapt=0:"
              "log-level=error")
    options = {"preset": preset, "x264-params": params}
    if bitrate:
        options["b"] = str(bitrate)
    else:
        options["crf"] = "26"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(picture(index, width, height), format="yuv420p")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_mjpeg_avi(path: Path, *, width: int = 320, height: int = 240, fps: int = 15,
                   seconds: float = 4.0) -> Path:
    """Motion JPEG in AVI (a non-H.264 file source: re-encoded by the bridge)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(picture(index, width, height), format="yuv420p")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame.reformat(format="yuvj420p")))
        container.mux(stream.encode(None))
    return path


def jpegs(count: int, width: int = 320, height: int = 240) -> list[bytes]:
    out = []
    for index in range(count):
        yuv = picture(index, width, height)
        bgr = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        out.append(data.tobytes())
    return out


def packets(path: Path) -> Iterator[Packet]:
    """The video packets of a file, in decode order (without the empty last one)."""
    with av.open(str(path)) as container:
        for packet in container.demux(video=0):
            if packet.size:
                yield packet


def boxes(path: Path) -> list[str]:
    """The top-level MP4 box types of a file, in order."""
    data = path.read_bytes()
    found = []
    at = 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        found.append(data[at + 4:at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8:at + 16], "big")
        if size < 8:
            break
        at += size
    return found


class MjpegCamera:
    """A local MJPEG camera: multipart/x-mixed-replace JPEG frames at ~fps over HTTP.

    stop() ends every open stream (the client sees the connection close) and frees the port;
    start() again serves on the same port, as a camera that rebooted.
    """

    def __init__(self, frames: list[bytes], fps: float = 15.0, boundary: str = "camframe",
                 content_length: bool = True) -> None:
        self.frames = frames
        self.fps = fps
        self.boundary = boundary
        self.content_length = content_length
        self.port = 0
        self.sent = 0
        self.connections = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> MjpegCamera:
        camera = self
        self._stopping = threading.Event()
        stopping = self._stopping

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                camera.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; "
                                 f"boundary={camera.boundary}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                index = 0
                try:
                    while not stopping.is_set():
                        data = camera.frames[index % len(camera.frames)]
                        head = (f"--{camera.boundary}\r\nContent-Type: image/jpeg\r\n")
                        if camera.content_length:
                            head += f"Content-Length: {len(data)}\r\n"
                        self.wfile.write(head.encode() + b"\r\n" + data + b"\r\n")
                        self.wfile.flush()
                        camera.sent += 1
                        index += 1
                        stopping.wait(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = False
        server.block_on_close = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # waits for the streaming threads to end
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
