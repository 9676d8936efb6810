"""Fetch the browser libraries Porchlight serves that no PyPI package carries, from npm.

    .venv/bin/python tools/vendor_js.py              # fetch into frontend/vendor/
    .venv/bin/python tools/vendor_js.py --if-missing # fetch unless the pinned files are there
    .venv/bin/python tools/vendor_js.py --check      # the files there are the pinned ones

Leaflet and its cluster plugin come from PyPI (xstatic packages, requirements.txt). The
program's own map (a PMTiles archive, DEPLOY.md) is drawn by protomaps-leaflet, published on
npm only. Like a pip install, its tarball is downloaded from the npm registry (a package
registry, reachable from CI) by `make` into frontend/vendor/ (ignored by git: downloaded
files are never committed), checked against the registry's integrity hash pinned here, and
its files against pinned SHA-256 sums. The web app's Lambda zip takes the folder with it.
To upgrade: change VERSION, INTEGRITY (`npm view protomaps-leaflet@X dist.integrity`) and
SHA256 together, and PROTOMAPS_LEAFLET in app/maps/routes.py.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "frontend" / "vendor" / "protomaps-leaflet"
PACKAGE = "protomaps-leaflet"
VERSION = "5.1.0"
INTEGRITY = ("sha512-N0YY1Gbw5nZ9n8VUOvwHKm/w3zhTTuaZEeMZl8doHemeM4ujGPp2otI6t4Sgqrz8iM4svx2rpG1Q"
             "17rHkOWSaA==")
FILES = {"package/dist/protomaps-leaflet.js": "protomaps-leaflet.js",
         "package/LICENSE": "LICENSE"}
# SHA-256 of each file as kept in frontend/vendor/protomaps-leaflet/.
SHA256 = {
    "protomaps-leaflet.js": "26af014f7b1af308ec120b791cff76657bb9c3383633b52033e6edf9e5e4cdb5",
    "LICENSE": "a2ada548aa25012e833b71364a402d6924f2afcf5f8f146e2989a377290ab3ad",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


NOTICE = f"""\
{PACKAGE} {VERSION} (npm), fetched by tools/vendor_js.py: dist/protomaps-leaflet.js, its
one-file browser build, and LICENSE (BSD-3-Clause, Protomaps LLC). Porchlight serves it at
/map/protomaps-leaflet-{VERSION}.js to draw the program's own PMTiles map (DEPLOY.md, "Your map").

The build bundles these packages, each under its own licence as published on npm:
pmtiles (BSD-3-Clause), @protomaps/basemaps (BSD-3-Clause), @mapbox/vector-tile
(BSD-3-Clause), pbf (BSD-3-Clause), @mapbox/point-geometry (ISC), potpack (ISC), quickselect
(ISC), rbush (MIT), color2k (MIT), fflate (MIT).
"""


def tarball_url() -> str:
    registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org/").rstrip("/")
    return f"{registry}/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"


def fetch() -> None:
    url = tarball_url()
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (https, pinned)
            data = answer.read()
    except OSError as exc:
        raise SystemExit(f"Could not download {url}: {exc}") from exc
    algorithm, digest = INTEGRITY.split("-", 1)
    got = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if got != digest:
        raise SystemExit(f"{url}: integrity {got} is not the pinned {digest}")
    OUT.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member, name in FILES.items():
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"{member} is missing from {url}")
            (OUT / name).write_bytes(source.read())
    (OUT / "NOTICE").write_text(NOTICE)
    check()


def pinned() -> bool:
    return all((OUT / name).is_file() and sha256(OUT / name) == digest
               for name, digest in SHA256.items())


def check() -> None:
    wrong = [name for name, digest in SHA256.items()
             if not (OUT / name).is_file() or sha256(OUT / name) != digest]
    if wrong:
        raise SystemExit(f"frontend/vendor/protomaps-leaflet: {wrong} differ from the pinned "
                         f"{PACKAGE} {VERSION}")
    sys.stdout.write(f"{PACKAGE} {VERSION}: OK\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the kept files")
    parser.add_argument("--if-missing", action="store_true",
                        help="fetch only when the pinned files are not there")
    args = parser.parse_args(argv)
    if args.check:
        check()
    elif not (args.if_missing and pinned()):
        fetch()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
