"""Ranged GETs that read only their range, for devstack's embedded S3.

moto answers `GET` with a `Range` header by reading the whole object out of its buffer and then
slicing it: each 2 MB range of a 1 GB upload cost half a second. S3 serves a range in the time
of its bytes, and the clip worker reads originals by ranges (lambdas/clip_cutter/s3source.py),
so devstack would make that worker look 100 times slower than it is on AWS.

install() changes one thing: while moto builds the answer to a ranged GET, the object's value
is a stand-in that knows its length and reads a slice from the object's buffer when moto takes
the slice. Everything else (headers, status, errors, checksums dropped on ranges) is moto's.
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False
_ranged = threading.local()


class _Value:
    """An object's bytes as moto's range code uses them: len() and one slice."""

    def __init__(self, key: Any) -> None:
        self.key = key

    def __len__(self) -> int:
        return int(self.key.size)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, wanted: slice) -> bytes:
        start, stop, _ = wanted.indices(len(self))
        with self.key.lock:
            self.key._value_buffer.seek(start)
            data: bytes = self.key._value_buffer.read(max(stop - start, 0))
        return data


def install() -> None:
    """Patch moto's S3 in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.s3.models import FakeKey
    from moto.s3.responses import S3Response

    value = FakeKey.value
    assert isinstance(value, property) and value.fget is not None and value.fset is not None
    whole = value.fget

    def ranged_or_whole(key: Any) -> Any:
        return _Value(key) if getattr(_ranged, "on", False) else whole(key)

    FakeKey.value = property(ranged_or_whole, value.fset)
    original = S3Response.get_object

    def get_object(self: Any) -> Any:
        wanted = self.headers.get("range", "") if self.headers else ""
        single = wanted.startswith("bytes=") and "," not in wanted and "partNumber" not in (
            self.querystring or {})
        _ranged.on = single
        try:
            return original(self)
        finally:
            _ranged.on = False

    S3Response.get_object = get_object
    _installed = True
