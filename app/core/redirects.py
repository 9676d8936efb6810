"""Where the app may send a browser after log-in: only to a path of this site. Pure functions.

The `next` value arrives already percent-decoded once (Werkzeug decodes query strings and form
fields). It is followed only when it matches a strict allow rule; nothing is repaired or
stripped, so a value a browser could read differently from us is refused, never normalised:

- it starts with exactly one "/" (not "//", "/\\", "\\", a scheme like "https:" or a space);
- every other character is printable ASCII that RFC 3986 allows unescaped in a path or query
  (letters, digits, ``-._~!$&'()*+,;=:@/?``) or a valid %XX escape: no whitespace, tab, CR/LF,
  backslash, quote, angle bracket, "#", control or non-ASCII character (browsers drop tabs and
  newlines and read "\\" as "/", which is how ``/%09/evil.test`` became ``//evil.test``);
- in the path part, no escape decodes to "/", "\\", ".", a control character, a space or "%"
  itself (double encoding), so a second decoding anywhere cannot make it leave the site;
- its path has no empty, "." or ".." segment ("/.//evil.test" resolves to "//evil.test"), but
  may end with "/";
- it is at most MAX_LENGTH characters.
"""

from __future__ import annotations

import re

MAX_LENGTH = 2000
DEFAULT = "/"
_ALLOWED = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")  # a "%" that does not start a valid escape
_PATH_ESCAPES = re.compile(r"%([0-9A-Fa-f]{2})")
_DOTS = (".", "..")
# Escapes refused in the path: control characters, space, "%", ".", "/", "\\", DEL.
_FORBIDDEN_IN_PATH = frozenset(range(0x21)) | {0x25, 0x2E, 0x2F, 0x5C, 0x7F}


def local_path(target: str | None) -> str | None:
    """The target when it is a path of this site by the rule above; None otherwise."""
    if not target or len(target) > MAX_LENGTH or not _ALLOWED.fullmatch(target):
        return None
    if _ESCAPE.search(target):
        return None
    path = target.split("?", 1)[0]
    *inner, last = path.split("/")[1:]
    if any(segment in _DOTS or not segment for segment in inner) or last in _DOTS:
        return None
    for escape in _PATH_ESCAPES.findall(path):
        if int(escape, 16) in _FORBIDDEN_IN_PATH or int(escape, 16) >= 0x80:
            return None
    return target


def safe_next(target: str | None, default: str = DEFAULT) -> str:
    """Where to go after log-in: the target if it is a local path, else the default."""
    return local_path(target) or default
