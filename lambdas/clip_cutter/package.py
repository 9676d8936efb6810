"""The evidence package: one zip with the original, the clip, the manifest, SHA256SUMS, the
request's audit excerpt and a README. Stored, not deflated: video does not compress, and
anyone can check the hashes with `sha256sum -c`.

It is made after the clip (the handler's second step): the original can be gigabytes, and the
detective should not wait for it to be copied before seeing the clip. The original is streamed
from storage into the zip and hashed on the way; the package is written only if that hash is
the one the manifest already gives.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.core import filenames
from app.core.errors import ValidationError

README = (
    "Porchlight evidence package.\n"
    "Check the files with: sha256sum -c SHA256SUMS\n"
    "manifest.json says who asked for what window, the recorder's clock offset, how the clip\n"
    "was cut, and every part of the window with no video. audit-excerpt.json is this\n"
    "request's part of the agency's hash-chained audit log as police may read it: owners' ids,\n"
    "other cameras and IP addresses are withheld. An auditor shows each event whole by its\n"
    "chain, seq and hash; the full chain is verified with 'audit verify'.\n")


class OriginalChanged(Exception):
    """The original read for the package does not hash to the manifest's SHA-256."""


def package_name(name: str | None, fallback: str) -> str:
    """The original's name inside the zip: its last part only, with nothing a Windows unzip
    reads as a folder, a drive or a control character. The upload check refuses such names
    already; this also covers names stored before it."""
    last = re.split(r"[\\/]", name or "")[-1]
    last = "".join("_" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in last)
    try:
        return filenames.upload_name(last)  # the upload rule (bidi controls dropped too)
    except ValidationError:
        return fallback


def write_package(path: Path, original: Iterable[bytes], clip: Path, manifest_json: bytes,
                  excerpt: list[dict[str, Any]], original_name: str) -> None:
    """Write the zip at `path`, the original's bytes taken from `original` as they come, the
    manifest as it was published. OriginalChanged when the original does not hash to the
    manifest's SHA-256 (nothing is then kept)."""
    manifest = json.loads(manifest_json)
    expected = manifest["original"]["sha256"]
    sums = (f"{expected}  original/{original_name}\n"
            f"{manifest['clip']['sha256']}  clip.mp4\n")
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED,
                             allowZip64=True) as package:
            with package.open(f"original/{original_name}", "w", force_zip64=True) as entry:
                for data in original:
                    digest.update(data)
                    entry.write(data)
            if digest.hexdigest() != expected:
                raise OriginalChanged(f"the original hashes to {digest.hexdigest()}, the "
                                      f"manifest says {expected}")
            package.write(clip, "clip.mp4")
            package.writestr("manifest.json", manifest_json)
            package.writestr("SHA256SUMS", sums)
            package.writestr("audit-excerpt.json", json.dumps(excerpt, indent=2))
            package.writestr("README.txt", README)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
