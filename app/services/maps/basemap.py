"""The program's own map and street list, kept in the uploads bucket under map/ (DEPLOY.md).

The map is a PMTiles archive (`Settings.map_key`, map/city.pmtiles on AWS): one file holding
every tile of the city. The browser's map library reads it by byte ranges, which the app passes
to S3 one at a time (`archive_range`); nothing here decodes a tile. The street list
(map/streets.geojson, optional) is drawn when there is no map, and answers address searches
where no Amazon Location place index is set up; devstack writes its demo city's.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from app.aws import aws_client, s3_missing
from app.config import MAP_PREFIX, Settings
from app.core import streets
from app.core.errors import BadRequestError, NotFoundError
from app.models.users import Agency

STREETS_KEY = f"{MAP_PREFIX}streets.geojson"
# One answer holds at most this much: Lambda answers at most 6 MB, and binary bodies go base64
# (4/3 larger). PMTiles readers ask for 16 KiB headers, directories and single tiles.
MAX_RANGE_BYTES = 4 * 1024 * 1024
MAX_STREETS_BYTES = 8 * 1024 * 1024
STREETS_SECONDS = 300  # a warm container reads the street list again after this


class RangeNotSatisfiable(Exception):
    """The range starts past the archive's end."""


@dataclass(frozen=True)
class Piece:
    data: bytes
    content_range: str  # "bytes 0-16383/1048576"
    etag: str


def parse_range(header: str) -> tuple[int, int]:
    """(first, last) byte of a single `bytes=first-last` range, as PMTiles readers send."""
    match = re.fullmatch(r"bytes=(\d{1,15})-(\d{1,15})", header.strip())
    if not match:
        raise BadRequestError("Ask for one byte range: Range: bytes=first-last.")
    first, last = int(match.group(1)), int(match.group(2))
    if last < first or last - first + 1 > MAX_RANGE_BYTES:
        raise BadRequestError(f"Ask for 1 to {MAX_RANGE_BYTES} bytes at a time.")
    return first, last


def archive_range(settings: Settings, first: int, last: int) -> Piece:
    if not settings.map_key:
        raise NotFoundError("This program has no map of its own (PORCHLIGHT_MAP_KEY).")
    try:
        answer = aws_client(settings, "s3").get_object(
            Bucket=settings.uploads_bucket, Key=settings.map_key, Range=f"bytes={first}-{last}")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if s3_missing(exc):
            raise NotFoundError("The program's map is not uploaded yet (DEPLOY.md).") from exc
        if code == "InvalidRange":
            raise RangeNotSatisfiable() from exc
        raise
    return Piece(answer["Body"].read(), answer.get("ContentRange", ""), answer.get("ETag", ""))


@dataclass(frozen=True)
class StreetList:
    geojson: dict[str, Any]
    places: list[streets.Place]


_cache: dict[tuple[str, str | None], tuple[float, StreetList | None]] = {}
_lock = threading.Lock()


def _read_streets(settings: Settings) -> StreetList | None:
    try:
        answer = aws_client(settings, "s3").get_object(Bucket=settings.uploads_bucket,
                                                       Key=STREETS_KEY)
    except ClientError as exc:
        if s3_missing(exc):
            return None
        raise
    raw = answer["Body"].read(MAX_STREETS_BYTES + 1)
    try:
        geojson = json.loads(raw) if len(raw) <= MAX_STREETS_BYTES else None
    except ValueError:
        geojson = None
    if not isinstance(geojson, dict):
        return None
    return StreetList(geojson, streets.gazetteer(streets.streets(geojson)))


def street_list(settings: Settings) -> StreetList | None:
    """The program's street list and its gazetteer, or None when there is none (cached)."""
    key = (settings.uploads_bucket, settings.endpoint_for("s3"))
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    found = _read_streets(settings)
    with _lock:
        _cache[key] = (time.monotonic() + STREETS_SECONDS, found)
    return found


def put_streets(settings: Settings, geojson: dict[str, Any]) -> None:
    """Store a street list (devstack's demo city; a program's own by hand, DEPLOY.md)."""
    aws_client(settings, "s3").put_object(
        Bucket=settings.uploads_bucket, Key=STREETS_KEY, Body=json.dumps(geojson).encode(),
        ContentType="application/geo+json")
    with _lock:
        _cache.pop((settings.uploads_bucket, settings.endpoint_for("s3")), None)


def centre(agency_id: str) -> tuple[float, float] | None:
    """Where the program's maps open: its city's centre, when the agency has one."""
    try:
        agency = Agency.get(agency_id)
    except DoesNotExist:
        return None
    if agency.centre_lat is None or agency.centre_lon is None:
        return None
    return float(agency.centre_lat), float(agency.centre_lon)
