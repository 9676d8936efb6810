"""bench.live's stamped camera and the reader it injects into the police player's page.

The camera serves MJPEG at FPS; each picture (a drifting texture and a moving block, so the
encoder has work) gets, as it is sent, the wall clock in ms (low 40 bits) and its CRC-8 drawn as
two rows of 24 black or white blocks between guard blocks. In the page, every presented frame
(requestVideoFrameCallback) is drawn to a canvas and its blocks read back; the delay is
Date.now() minus the stamp, one machine's clock.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

W, H, FPS, BW, BH, X0, Y0, STEP = 640, 360, 15, 22, 40, 12, 10, 50  # the stamp's layout
LAYOUT = {"w": W, "h": H, "x0": X0, "y0": Y0, "bw": BW, "bh": BH, "step": STEP}


def crc8(value: int) -> int:
    crc = 0
    for byte in value.to_bytes(5, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


class StampCamera:
    """MJPEG over HTTP at FPS: each picture (a drifting texture, a moving block) gets, as it is
    sent, now in ms (low 40 bits) and its CRC-8 as two rows of black and white blocks."""

    def __init__(self) -> None:
        import cv2
        import numpy as np

        coarse = np.random.default_rng(7).integers(0, 256, (32, 76), np.uint8)
        big = np.repeat(np.repeat(coarse, 12, 0), 12, 1)[:H, :W + 256]
        texture = np.stack([big // 2 + 40, big // 3 + 60, big // 2 + 30], 2).astype(np.uint8)

        def picture(index: int) -> bytes:
            ms = int(time.time() * 1000) & ((1 << 40) - 1)
            word, x = (ms << 8) | crc8(ms), index * 2 % 256
            frame = texture[:, x:x + W].copy()
            frame[200:280, index * 6 % (W - 80):index * 6 % (W - 80) + 80] = (200, 160, 40)
            frame[:Y0 + 2 * STEP] = 128
            for row in range(2):
                bits = [1, 0, *((word >> (47 - row * 24 - i)) & 1 for i in range(24)), 0, 1]
                for col, bit in enumerate(bits):
                    frame[Y0 + row * STEP:Y0 + row * STEP + BH, X0 + col * BW:X0 + col * BW + BW
                          ] = 255 * bit
            return bytes(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1])

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                began = time.monotonic()
                for index in range(10 ** 9):
                    data = picture(index)
                    try:
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length"
                                         b": %d\r\n\r\n%s\r\n" % (len(data), data))
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    time.sleep(max(0.0, began + (index + 1) / FPS - time.monotonic()))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/video.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


COLLECT = """({camera, L}) => {  // every presented frame: its stamp read, or a failure
  const s = window.__glass = {frames: [], fails: 0, events: [], first: null};
  const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  const crc8 = (v) => { let c = 0; for (let i = 4; i >= 0; i--) {
    c ^= Math.floor(v / 2 ** (8 * i)) % 256;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 7) & 0xff : (c << 1) & 0xff; }
    return c; };
  const read = (video) => {  // the blocks' mean luminance: clearly black or white, or no stamp
    const w = video.videoWidth, h = video.videoHeight, sx = w / L.w, sy = h / L.h, bits = [];
    if (!w) return null;
    ctx.canvas.width = w; ctx.canvas.height = h; ctx.drawImage(video, 0, 0, w, h);
    for (let row = 0; row < 2; row++) for (let col = 0; col < 28; col++) {
      const px = ctx.getImageData(Math.round((L.x0 + col * L.bw + L.bw / 2 - 4) * sx),
        Math.round((L.y0 + row * L.step + L.bh / 2 - 8) * sy), Math.max(1, Math.round(8 * sx)),
        Math.max(1, Math.round(16 * sy))).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += (px[i] + px[i + 1] + px[i + 2]) / 3;
      const mean = sum / (px.length / 4);
      if (mean >= 85 && mean <= 170) return null;
      bits.push(mean > 170 ? 1 : 0);
    }
    if ([0, 28].some((r) => bits[r] !== 1 || bits[r + 1] || bits[r + 26] || !bits[r + 27])) {
      return null;  // guard blocks: white, black ... black, white
    }
    const word = [...bits.slice(2, 26), ...bits.slice(30, 54)];
    const v = word.slice(0, 40).reduce((a, b) => a * 2 + b, 0);
    return crc8(v) === word.slice(40).reduce((a, b) => a * 2 + b, 0) ? v : null;
  };
  const onFrame = (video) => () => {
    const shown = Date.now(), stamp = read(video);
    let d = stamp === null ? null : (shown % 2 ** 40) - stamp;
    if (d !== null && d < -(2 ** 39)) d += 2 ** 40;
    if (d === null || d < 0 || d > 120000) s.fails++;
    else { s.frames.push([shown - d, shown]); if (s.first === null) s.first = shown; }
    video.requestVideoFrameCallback(onFrame(video));
  };
  const hook = () => {
    const video = document.querySelector(`figure[data-stream="${camera}"] video`);
    if (!video) return window.setTimeout(hook, 50);
    for (const kind of ['waiting', 'seeking']) {
      video.addEventListener(kind, () => s.events.push([Date.now(), kind]));
    }
    video.requestVideoFrameCallback(onFrame(video));
  };
  hook();
}"""
