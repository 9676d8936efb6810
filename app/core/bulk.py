"""Reading many cameras at once from CSV or GeoJSON. Pure: no I/O.

Every row is checked before anything is written, and the answer names each bad row and column.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from app.core.cameras import CameraSpec, parse_camera
from app.core.csvcells import write_csv
from app.core.errors import ValidationError
from app.core.texts import gettext

COLUMNS = (
    "nickname", "lat", "lon", "heading_deg", "fov_deg", "range_m", "mount", "facing",
    "retention_days", "tier", "visibility", "attested", "refused_offenses", "street",
)
OPTIONAL = frozenset({"refused_offenses", "street"})
MAX_ROWS = 2000
TEMPLATE_ROWS = (
    ("Front door", "36.16228", "-86.77448", "270", "90", "30", "doorbell", "entrance", "14",
     "on_request", "exact", "yes", "immigration|protest_activity", "1st Ave N & Broadway"),
    ("Parking lot", "36.16152", "-86.77543", "135", "110", "50", "pole", "parking", "30",
     "registered", "approximate", "yes", "", ""),
)


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return gettext("row %(row)s, column %(column)s: %(message)s", row=self.row,
                           column=self.column, message=self.message)
        return gettext("row %(row)s: %(message)s", row=self.row, message=self.message)


class BulkError(ValidationError):
    """The file cannot be imported; `problems` lists every reason, row by row."""

    def __init__(self, detail: str, problems: list[RowProblem]) -> None:
        super().__init__(detail, {})
        self.problems = problems


def template_csv() -> str:
    return write_csv([COLUMNS, *TEMPLATE_ROWS])


COMPRESSED = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")


def _text(raw: bytes) -> str:
    if raw.startswith(COMPRESSED):  # never unpacked: a few KB can hold gigabytes
        raise BulkError(gettext("The file is compressed (a zip or similar), not a CSV or "
                                "GeoJSON file."),
                        [RowProblem(0, "", gettext("Unpack it on your computer and upload the "
                                                   "CSV or GeoJSON file inside."))])
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (Excel writes one) is fine
    except UnicodeDecodeError as exc:
        raise BulkError(gettext("The file is not UTF-8 text."), [RowProblem(
            0, "", gettext("Save the file as 'CSV UTF-8 (comma delimited)' and upload it "
                           "again."))]) from exc


def _records_from_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise BulkError(gettext("The file is empty."),
                        [RowProblem(1, "", gettext("No header row."))]) from exc
    problems = []
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL]
    if missing:
        problems.append(RowProblem(1, "", gettext("missing column(s): %(columns)s",
                                                  columns=", ".join(missing))))
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(RowProblem(1, "", gettext(
            "unknown column(s): %(unknown)s; the columns are: %(columns)s",
            unknown=", ".join(unknown), columns=", ".join(COLUMNS))))
    if len(set(header)) != len(header):
        problems.append(RowProblem(1, "", gettext("a column name appears twice")))
    if problems:
        raise BulkError(gettext("The header row does not match the template."), problems)
    records = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are skipped
        if len(cells) != len(header):
            problems.append(RowProblem(number, "", gettext(
                "has %(cells)s cells; the header has %(header)s", cells=len(cells),
                header=len(header))))
            continue
        records.append((number, dict(zip(header, (c.strip() for c in cells), strict=True))))
    if problems:
        raise BulkError(gettext("Some rows do not have the right number of cells."), problems)
    return records


def _load_geojson(text: str) -> list[Any]:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BulkError(gettext("The GeoJSON is not valid JSON."), [RowProblem(
            0, "", gettext("line %(line)s, column %(column)s: %(problem)s", line=exc.lineno,
                           column=exc.colno, problem=exc.msg))]) from exc
    except (ValueError, RecursionError) as exc:
        raise BulkError(gettext("The GeoJSON is not valid JSON."), [RowProblem(
            0, "", gettext("it holds NaN or Infinity, or nests too deeply"))]) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            features, list):
        raise BulkError(gettext("Send a GeoJSON FeatureCollection of Point features."), [])
    return features


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _records_from_geojson(text: str) -> list[tuple[int, dict[str, Any]]]:
    features = _load_geojson(text)
    records = []
    problems = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            problems.append(RowProblem(number, "", gettext("must be a GeoJSON Feature")))
            continue
        geometry = feature.get("geometry")
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point" or not isinstance(
                coords, list) or len(coords) < 2:
            problems.append(RowProblem(number, "geometry",
                                       gettext("must be a Point [lon, lat]")))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(RowProblem(number, "properties", gettext("must be an object")))
            continue
        props = dict(props)
        unknown = [k for k in props if k not in COLUMNS or k in ("lat", "lon")]
        if unknown:
            problems.append(RowProblem(number, "properties", gettext(
                "unknown properties: %(names)s", names=", ".join(sorted(unknown)))))
        props["lon"], props["lat"] = coords[0], coords[1]
        records.append((number, props))
    if problems:
        raise BulkError(gettext("Some features cannot be read."), problems)
    return records


def parse_bulk(raw: bytes, kind: str) -> list[CameraSpec]:
    """Every camera of the file, or a BulkError listing every problem. kind: csv or geojson."""
    text = _text(raw)
    records = _records_from_geojson(text) if kind == "geojson" else _records_from_csv(text)
    if not records:
        raise BulkError(gettext("The file has no cameras."),
                        [RowProblem(2, "", gettext("no rows under the header"))])
    if len(records) > MAX_ROWS:
        raise BulkError(gettext("At most %(max)s cameras per file.", max=MAX_ROWS), [RowProblem(
            0, "", gettext("the file has %(rows)s rows; split it into files of %(max)s",
                           rows=len(records), max=MAX_ROWS))])
    problems: list[RowProblem] = []
    specs: list[CameraSpec] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, record in records:
        try:
            spec = parse_camera(record)
        except ValidationError as exc:
            problems.extend(RowProblem(number, col, msg) for col, msg in exc.errors.items())
            continue
        key = (spec.nickname.lower(), spec.lat, spec.lon, spec.heading_deg)
        if key in seen:
            problems.append(RowProblem(number, "", gettext(
                "repeats row %(row)s (same name, place and heading)", row=seen[key])))
            continue
        seen[key] = number
        specs.append(spec)
    if problems:
        raise BulkError(gettext("%(count)s row(s) need fixing; nothing was imported.",
                                count=len({p.row for p in problems})), problems)
    return specs
