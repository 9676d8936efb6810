"""Uploads that are not what they claim, through the real path: API, S3 parts, clip worker.

Each one must end with the request row "failed" and a reason in plain words for the owner,
the original kept byte for byte (it is the owner's evidence of what they sent), no clip, no
evidence record, and the worker done quickly without eating the machine. Files are made here,
small, whatever they claim to be.
"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from app.core import footage
from app.models.footage import Evidence, RequestTarget
from lambdas.clip_cutter import handler as clip_handler
from lambdas.clip_cutter.handler import EVIDENCE_PREFIX
from lambdas.clip_cutter.reading import TOO_SLOW
from tests.builders.cameras import camera_body
from tests.builders.footage import OFFSET_S, ask, upload, wait_status, window
from tests.video.samples import make_h264, make_image_as_mp4, make_random_bytes

pytestmark = pytest.mark.slow  # about 12 s in all: left out of `make check`


def zip_bomb(path: Path) -> Path:
    """A gzip of 200 MB of zeros: 200 KB on the wire, named .mp4."""
    with gzip.open(path, "wb", compresslevel=9) as out:
        block = bytes(1024 * 1024)
        for _ in range(200):
            out.write(block)
    return path


def huge_pictures(path: Path) -> Path:
    """An MJPEG Matroska whose headers (container and JPEG) claim 20,000 x 20,000 pixels."""
    small = path.with_suffix(".mkv")
    with av.open(str(small), "w", format="matroska") as out:
        stream = out.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuvj420p"
        for index in range(2):
            frame = av.VideoFrame.from_ndarray(np.zeros((256, 256, 3), np.uint8),
                                               format="rgb24").reformat(format="yuvj420p")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = bytearray(small.read_bytes())
    for element in (b"\xb0\x82\x01\x00", b"\xba\x82\x01\x00"):  # PixelWidth, PixelHeight
        at = data.find(element)
        data[at + 2:at + 4] = struct.pack(">H", 20000)
    at = data.find(b"\xff\xc0")  # each JPEG's SOF0: length, precision, height, width
    while at >= 0:
        data[at + 5:at + 9] = struct.pack(">HH", 20000, 20000)
        at = data.find(b"\xff\xc0", at + 2)
    path.write_bytes(bytes(data))
    return path


def ten_hours(path: Path) -> Path:
    """A 1 KB H.264 Matroska whose last picture is stamped ten hours after its first."""
    mkv = path.with_suffix(".mkv")
    with av.open(str(mkv), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        for pts in (0, 40, 10 * 3600 * 1000):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8),
                                               format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    os.replace(mkv, path)
    return path


def broken_index(path: Path) -> Path:
    """A real H.264 MP4 whose index (the sample sizes and chunk offsets in moov) is garbage."""
    source = make_h264(path.with_name("source.mp4"), width=160, height=120, seconds=3, gop=30)
    data = bytearray(source.read_bytes())
    for box in (b"stsz", b"stco"):
        at = data.find(box)
        size = struct.unpack(">I", data[at - 4:at])[0]
        data[at + 12:at - 4 + size] = b"\xff" * (size - 16)  # after version, flags, count
    path.write_bytes(bytes(data))
    return path


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "random bytes named .mp4": (make_random_bytes, "not a video"),
    "a picture named .mp4": (make_image_as_mp4, "not a video"),
    "a zip bomb named .mp4": (zip_bomb, "not a video"),
    "20,000 x 20,000 pixels": (huge_pictures, "cannot be read"),
    "ten hours long": (ten_hours, "10 hours long"),
    "an MP4 with a broken index": (broken_index, "cannot be read"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_upload_fails_with_a_reason_and_leaves_only_the_original(
        name: str, signed_in: Any, devstack: Any, tmp_path: Path) -> None:
    make, words = HOSTILE[name]
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    start, end = window()
    target_id = ask(detective, [camera_id], start, end).json()["targets"][0]["id"]
    assert owner.send_json("POST", f"/api/targets/{target_id}/answer",
                           {"action": "approve"}).status_code == 200
    hostile = make(tmp_path / "export.mp4")
    done = upload(owner, target_id, hostile, start + timedelta(seconds=OFFSET_S))
    assert done.status_code == 200, done.text
    final = wait_status(owner, target_id, (footage.READY, footage.FAILED), timeout=60)
    assert final["status"] == footage.FAILED, final
    assert words in final["reason"].lower() or words in final["reason"], final["reason"]
    target = RequestTarget.get(target_id)
    s3 = devstack.client("s3")
    kept = s3.get_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                         Key=target.upload_key)["Body"].read()
    assert kept == hostile.read_bytes()
    assert Evidence.count(target_id) == 0
    listed = s3.list_objects_v2(Bucket=devstack.env["PORCHLIGHT_CLIPS_BUCKET"],
                                Prefix=f"{EVIDENCE_PREFIX}{target.request_id}/")
    assert listed.get("KeyCount", 0) == 0
    # The detective sees it failed, not the owner's file: no link can be made.
    assert detective.send_json("POST", f"/api/evidence/{target_id}/clip").status_code == 404


def test_a_file_the_worker_cannot_finish_in_time_fails_with_a_reason(
        signed_in: Any, devstack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker runs in this process: a time box already spent stands for a file that
    would keep it reading past its Lambda timeout."""
    monkeypatch.setattr(clip_handler, "VIDEO_SECONDS", -1.0)
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    start, end = window()
    target_id = ask(detective, [camera_id], start, end).json()["targets"][0]["id"]
    assert owner.send_json("POST", f"/api/targets/{target_id}/answer",
                           {"action": "approve"}).status_code == 200
    ordinary = make_h264(tmp_path / "export.mp4", width=160, height=120, seconds=3, gop=30)
    done = upload(owner, target_id, ordinary, start + timedelta(seconds=OFFSET_S))
    assert done.status_code == 200, done.text
    final = wait_status(owner, target_id, (footage.READY, footage.FAILED), timeout=60)
    assert final["status"] == footage.FAILED and final["reason"] == TOO_SLOW, final
    assert Evidence.count(target_id) == 0
