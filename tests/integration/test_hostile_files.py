"""Camera photos and camera-import files that are not what they claim, over HTTP and real S3.

A photo's first bytes must be the picture its type names, of a size a phone takes; anything
else is refused in plain words, the object deleted and the camera's photo left as it was. An
import file that is compressed is refused before anything unpacks it, and no camera is written.
(Uploaded footage has its own test: test_hostile_uploads.py.)
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib
from typing import Any

import cv2
import numpy as np
import pytest
import requests

from app.models.cameras import Camera
from tests.builders.cameras import camera_body, count_of, rows, send, to_csv
from tests.support import Client


def real_png() -> bytes:
    return bytes(cv2.imencode(".png", np.full((8, 8, 3), 200, np.uint8))[1])


def real_jpeg() -> bytes:
    return bytes(cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))[1])


def png_claiming(width: int, height: int) -> bytes:
    """A real PNG whose header (with a right checksum) claims width x height pixels."""
    data = bytearray(real_png())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(real_jpeg())
    at = data.find(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gzip_bomb(megabytes: int) -> bytes:
    """megabytes of zeros, gzipped: a few KB per MB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packed:
        block = bytes(1024 * 1024)
        for _ in range(megabytes):
            packed.write(block)
    return out.getvalue()


def zip_bomb(megabytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as packed, \
            packed.open("cameras.csv", "w") as inner:
        block = b"0" * (1024 * 1024)
        for _ in range(megabytes):
            inner.write(block)
    return out.getvalue()


HOSTILE_PHOTOS: dict[str, tuple[bytes, str, str]] = {
    "random bytes": (b"\0" + os.urandom(4096), "image/jpeg", "not a JPEG, PNG or WebP"),
    "a gzip bomb": (gzip_bomb(50), "image/png", "not a JPEG, PNG or WebP"),
    "a web page": (b"<html><script>alert(1)</script></html>", "image/png",
                   "not a JPEG, PNG or WebP"),
    "a PNG sent as a JPEG": (real_png(), "image/jpeg", "not a JPEG, PNG or WebP"),
    "an empty file": (b"", "image/jpeg", "not a JPEG, PNG or WebP"),
    "a PNG claiming 100,000 x 100,000": (png_claiming(100_000, 100_000), "image/png",
                                         "100000×100000 pixels"),
    "a JPEG claiming 20,000 x 20,000": (jpeg_claiming(20_000, 20_000), "image/jpeg",
                                        "20000×20000 pixels"),
}


def post_photo(owner: Client, camera_id: str, body: bytes, content_type: str) -> str:
    form = owner.send_json("POST", f"/api/cameras/{camera_id}/photo-upload",
                           {"content_type": content_type}).json()
    sent = requests.post(form["url"], data=form["fields"], timeout=30,
                         files={"file": ("view", body, content_type)})
    assert sent.status_code in (200, 204), sent.text
    return str(form["key"])


def test_a_photo_that_is_not_what_it_claims_is_refused_and_deleted(
        signed_in: Any, devstack: Any) -> None:
    owner, _ = signed_in("owner")
    camera_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    good = post_photo(owner, camera_id, real_jpeg(), "image/jpeg")
    assert owner.send_json("PUT", f"/api/cameras/{camera_id}/photo",
                           {"key": good}).status_code == 200
    s3 = devstack.client("s3")
    bucket = devstack.env["PORCHLIGHT_UPLOADS_BUCKET"]
    for name, (body, content_type, words) in HOSTILE_PHOTOS.items():
        key = post_photo(owner, camera_id, body, content_type)
        answer = owner.send_json("PUT", f"/api/cameras/{camera_id}/photo", {"key": key})
        assert answer.status_code == 422, (name, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json", name
        assert words in answer.json()["detail"], (name, answer.json())
        assert "photo" in answer.json()["errors"], name
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket=bucket, Key=key)
        assert Camera.get(camera_id).photo_key == good, name
    assert s3.get_object(Bucket=bucket, Key=good)["Body"].read() == real_jpeg()
    # An ordinary PNG of a phone's size still goes through.
    fine = post_photo(owner, camera_id, png_claiming(4032, 3024), "image/png")
    assert owner.send_json("PUT", f"/api/cameras/{camera_id}/photo",
                           {"key": fine}).status_code == 200


def test_a_compressed_import_file_is_refused_unopened(signed_in: Any) -> None:
    admin, account = signed_in("org_admin")
    before = count_of(account.user.user_id)
    for body, kind in ((gzip_bomb(20), "text/csv"), (zip_bomb(20), "text/csv"),
                       (gzip_bomb(20), "application/geo+json")):
        answer = send(admin, body, kind)
        assert answer.status_code == 422, answer.text
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "compressed" in answer.json()["detail"]
    page = admin.http.post(admin.base + "/cameras/import", data={"csrf_token": admin.csrf()},
                           files={"file": ("cameras.csv", zip_bomb(20), "text/csv")},
                           allow_redirects=False, timeout=30)
    assert page.status_code == 422
    assert "compressed (a zip or similar)" in page.text and "Unpack it" in page.text
    assert count_of(account.user.user_id) == before
    # The same rows, not compressed, import.
    assert send(admin, to_csv(rows(2, 36.41))).status_code == 201
