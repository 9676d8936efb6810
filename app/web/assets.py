"""Static files under fingerprinted URLs, kept by browsers for a year.

`url_for('static', filename='js/app.js')` gives /static/<digest>/js/app.js, where the digest
covers every file under frontend/static. One digest for the whole folder, not one per file: the
page scripts are ES modules that import each other by relative paths ('./map-kit.js'), which
resolve under the importer's /static/<digest>/ prefix, so an import is always as fresh as the
page that led to it. The folder is a few dozen kB, so a deploy that changes one file costs a
returning visitor that much once.

A digest that is not this build's (a page rendered by the previous or the next build while a
deploy rolls over, a page restored from the back-forward cache) is answered with this build's
file and `no-cache`: never with a year's `immutable`, which would pin this build's bytes to
another build's URL, and never with a 404 or a redirect (two builds running side by side
during a deploy could send a browser back and forth).

/static/<path>, without a digest, answers with the current file and an hour's cache, for URLs
written outside the templates (the service worker's notification icons).

On Lambda the folder is read once per container. In devstack it is read again when a file
changes, so an edited stylesheet gets a new URL without restarting `make run`.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from app.core.errors import NotFoundError
from app.web.access import PUBLIC, allow

A_YEAR = "public, max-age=31536000, immutable"  # the URL names the content
AN_HOUR = "public, max-age=3600"  # a URL without a fingerprint
NOT_FOR_KEEPS = "no-cache"  # right now, under another build's fingerprint


@dataclass(frozen=True)
class Snapshot:
    """The files of a folder as read at one moment, by path ('js/app.js'), and their digest."""

    digest: str
    files: Mapping[str, bytes]
    stamp: tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size): what was read


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in name.split("/")):
            stat = path.stat()
            found.append((name, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def read_folder(folder: Path) -> Snapshot:
    stamp = _stamp(folder)
    files = {name: (folder / name).read_bytes() for name, _, _ in stamp}
    digest = hashlib.sha256()
    for name, body in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    return Snapshot(digest.hexdigest()[:12], files, stamp)


class StaticFolder:
    """A folder's current snapshot: read on first use, then again on a change if `reload`."""

    def __init__(self, folder: Path, *, reload: bool) -> None:
        self.folder = folder
        self.reload = reload
        self._snapshot: Snapshot | None = None

    def current(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None or (self.reload and _stamp(self.folder) != snapshot.stamp):
            snapshot = self._snapshot = read_folder(self.folder)
        return snapshot


class DigestConverter(BaseConverter):
    """A digest as read_folder writes it: /static/css/app.css never looks like one."""

    regex = "[0-9a-f]{12}"


class VersionConverter(BaseConverter):
    """A package's version (app.pwa's vendor files): /vendor/leaflet/images/… is none."""

    regex = r"\d+(?:\.\d+)*"


def current() -> Snapshot:
    folder: StaticFolder = current_app.extensions["static_folder"]
    return folder.current()


def file_response(body: bytes, filename: str, cache_control: str) -> Response:
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response: Response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Cache-Control"] = cache_control
    return response


@allow(PUBLIC, mfa_exempt=True)
def fingerprinted(digest: str, filename: str) -> Response:
    snapshot = current()
    if filename not in snapshot.files:
        raise NotFoundError()
    return file_response(snapshot.files[filename], filename,
                         A_YEAR if digest == snapshot.digest else NOT_FOR_KEEPS)


@allow(PUBLIC, mfa_exempt=True)
def plain(filename: str) -> Response:
    snapshot = current()
    if filename not in snapshot.files:
        raise NotFoundError()
    return file_response(snapshot.files[filename], filename, AN_HOUR)


def _add_digest(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static":
        values.setdefault("digest", current().digest)


def init_app(app: Flask, folder: Path, *, reload: bool) -> None:
    app.extensions["static_folder"] = StaticFolder(folder, reload=reload)
    app.url_map.converters["digest"] = DigestConverter
    app.url_map.converters["version"] = VersionConverter
    app.add_url_rule("/static/<digest:digest>/<path:filename>", "static", fingerprinted)
    app.add_url_rule("/static/<path:filename>", "static_plain", plain)
    app.url_defaults(_add_digest)
