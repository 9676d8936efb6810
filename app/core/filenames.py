"""The name an owner's upload is stored under, as they typed or their phone gave it. Pure.

The name is shown back to the owner, to police on the evidence package's file list, and is the
original's file name inside the package's zip, where Windows, macOS and Linux unzip it. So it
is stored as a plain name that reads as it is:

- refused: a folder part (`/` or `\\`), a control character or line separator, nothing left;
- removed: invisible format characters (bidirectional overrides and isolates, zero-width
  characters, the byte-order mark), so "a\\u202egpj.mp4" does not show as "a4pm.jpg";
- removed: a leading drive ("C:evil.mp4" is stored as "evil.mp4"); any other character a
  Windows unzip refuses (`: * ? " < > |`) becomes "_";
- a name Windows reserves for a device (CON, NUL, COM1 …) gets a "_" in front; trailing dots
  and spaces, which Windows drops, are dropped.
"""

from __future__ import annotations

import re
import unicodedata

from app.core.errors import ValidationError
from app.core.texts import gettext

MAX_NAME = 200
DRIVE = re.compile(r"^[A-Za-z]:")
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³"})
UNZIP_UNSAFE = ':*?"<>|'


def _refused() -> ValidationError:
    return ValidationError(gettext("Send the file's own name: no folders, no control "
                                   "characters."),
                           {"filename": gettext("a plain file name, like export.mp4")})


def upload_name(raw: object) -> str:
    """The name to store for an upload, or a ValidationError for one that is not a file name."""
    name = str(raw or "")[:MAX_NAME]
    if any(c in "/\\" for c in name):
        raise _refused()
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise _refused()
    name = "".join(c for c in name if unicodedata.category(c) != "Cf")
    name = DRIVE.sub("", name)
    name = "".join("_" if c in UNZIP_UNSAFE else c for c in name).rstrip(". ")
    if not name.strip(". "):
        raise _refused()
    stem = name.split(".", 1)[0].rstrip(" ")
    if stem.upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    return name
