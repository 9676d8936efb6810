"""CSV files we hand out, safe to open in a spreadsheet. Pure: no I/O.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and treats a
leading tab or carriage return the same way once it trims them ("CSV injection", OWASP). Text
somebody typed (a case number, a camera's name) can start like that, so every CSV the product
writes goes through `safe_cell`: such a cell gets a leading `'`, which spreadsheets show as text.
Plain numbers (`-86.77`, `+3`) stay as they are, since they run as nothing but themselves.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: object) -> str:
    """The cell as text a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(rows: Iterable[Iterable[object]]) -> str:
    """The rows as CSV text (CRLF line ends, as RFC 4180 asks), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
