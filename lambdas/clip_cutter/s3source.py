"""An S3 object read by byte ranges, for FFmpeg (a seekable file object) and for hashing.

The clip needs only the bytes of the asked window and the file's index (an MP4's moov at its
start or its end, a Matroska file's Cues): a 60 s window of a 1 GB recording is some tens of
MB. So the worker does not download the original before cutting; FFmpeg reads through
S3Object.open(), whose reads become ranged GETs of BLOCK bytes, kept in a small cache shared by
every handle (the probe, the cut and the sound read the same places) and fetched AHEAD blocks
in advance while reading runs forwards.

The original's SHA-256 still covers every byte: sha256() streams the whole object with
parallel ranged GETs, hashed in order, while the cut runs (S3 serves parallel ranges of one
object far faster than one stream; hashlib frees the GIL while it hashes).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO, cast

BLOCK = 2 * 1024 * 1024
AHEAD = 6  # blocks fetched ahead of a forward read
CACHE_BLOCKS = 48  # ~100 MB
WORKERS = 8
HASH_PART = 8 * 1024 * 1024
HASH_WORKERS = 8


class ClosedError(RuntimeError):
    """A read after close(): a hash still running when the clip failed stops here."""


class S3Object:
    """One object's bytes by range (see the module). Thread-safe; close() when done."""

    def __init__(self, s3: Any, bucket: str, key: str, size: int | None = None) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.name = f"s3://{bucket}/{key}"
        self.size = size if size is not None else int(
            s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
        self.requests = 0  # ranged GETs made, and their bytes (for logs and tests)
        self.fetched = 0
        self.blocks_fetched = 0  # of BLOCK bytes, for the reader (not the hash)
        self.error: Exception | None = None  # the first read that failed
        self.closed = False
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._loading: dict[int, Future[bytes]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="s3-range")

    def get(self, first: int, last: int) -> bytes:
        """Bytes first..last inclusive, one GET."""
        if self.closed:
            raise ClosedError(f"{self.name} is closed")
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key,
                                      Range=f"bytes={first}-{last}")["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
            if len(data) != last - first + 1:
                raise OSError(f"{self.name}: {len(data)} bytes for range {first}-{last}")
        except Exception as exc:
            with self._lock:
                self.error = self.error or exc
            raise
        with self._lock:
            self.requests += 1
            self.fetched += len(data)
        return data

    def _fetch(self, index: int) -> bytes:
        first = index * BLOCK
        data = self.get(first, min(first + BLOCK, self.size) - 1)
        with self._lock:
            self.blocks_fetched += 1
        return data

    def _future(self, index: int) -> Future[bytes] | None:
        """The block's fetch, started if needed; None when the block is cached (lock held)."""
        if index in self._blocks:
            self._blocks.move_to_end(index)
            return None
        found = self._loading.get(index)
        if found is None:
            found = self._pool.submit(self._fetch, index)
            self._loading[index] = found
        return found

    def block(self, index: int, ahead: bool) -> bytes:
        last = (self.size - 1) // BLOCK
        with self._lock:
            wanted = self._future(index)
            if ahead:
                for later in range(index + 1, min(index + AHEAD, last) + 1):
                    self._future(later)
            if wanted is None:
                return self._blocks[index]
        data = wanted.result()
        with self._lock:
            self._loading.pop(index, None)
            self._blocks[index] = data
            self._blocks.move_to_end(index)
            while len(self._blocks) > CACHE_BLOCKS:
                self._blocks.popitem(last=False)
            self._settle()
        return data

    def _settle(self) -> None:
        """Move finished read-ahead fetches into the cache (lock held)."""
        for index, future in list(self._loading.items()):
            if future.done() and future.exception() is None:
                self._blocks[index] = future.result()
                del self._loading[index]

    def open(self) -> BinaryIO:
        return cast(BinaryIO, _Handle(self))

    def raise_if_failed(self) -> None:
        """Raise the first storage error a read met: FFmpeg reports it as a damaged file, but
        it is a fault to retry, not the owner's file."""
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Refuse reads from now on (a hash still running ends at its next part)."""
        self.closed = True

    def close(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._blocks.clear()

    def __enter__(self) -> S3Object:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def parts(self, part: int = HASH_PART, workers: int = HASH_WORKERS) -> Iterator[bytes]:
        """The whole object, in order, fetched `workers` parts at a time."""
        starts = iter(range(0, self.size, part))
        with ThreadPoolExecutor(workers, thread_name_prefix="s3-hash") as pool:
            queue: list[Future[bytes]] = []
            for first in itertools.islice(starts, workers * 2):
                queue.append(pool.submit(self.get, first, min(first + part, self.size) - 1))
            while queue:
                data = queue.pop(0).result()
                following = next(starts, None)
                if following is not None:
                    queue.append(pool.submit(self.get, following,
                                             min(following + part, self.size) - 1))
                yield data

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for data in self.parts():
            digest.update(data)
        return digest.hexdigest()


class _Handle(io.RawIOBase):
    """A read position on an S3Object: what FFmpeg and the container checks read through."""

    def __init__(self, source: S3Object) -> None:
        super().__init__()
        self.source = source
        self.position = 0
        self.last_block = -2

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self.position = offset
        elif whence == io.SEEK_CUR:
            self.position += offset
        elif whence == io.SEEK_END:
            self.position = self.source.size + offset
        else:
            raise ValueError(f"unknown whence {whence}")
        self.position = max(self.position, 0)
        return self.position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self.position < self.source.size:
            index, inside = divmod(self.position, BLOCK)
            ahead = index in (self.last_block, self.last_block + 1)
            data = self.source.block(index, ahead)
            self.last_block = index
            count = min(len(view) - done, len(data) - inside)
            view[done:done + count] = data[inside:inside + count]
            done += count
            self.position += count
        return done
