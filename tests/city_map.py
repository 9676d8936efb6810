"""A tiny PMTiles map of devstack's demo city, shaped as DEPLOY.md's `pmtiles extract` of
Protomaps' basemap leaves one: gzipped vector tiles (Mapbox Vector Tile 2.1) whose layers are
the basemap's ("earth", "roads" with a `kind` and a `name`), written by the pmtiles package's
own writer. The streets are the seeded grid's (devstack.seed.street_grid), as major roads.

The vector tiles are encoded here: the format is a few protobuf messages
(https://github.com/mapbox/vector-tile-spec/tree/master/2.1), and no encoder is needed
elsewhere in the project.
"""

from __future__ import annotations

import gzip
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from devstack.seed import street_grid

EXTENT = 4096
ZOOMS = range(12, 16)  # protomaps-leaflet reads data tiles up to 15 and scales them beyond
ROAD_KIND = "major_road"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _number(number: int, value: int) -> bytes:
    """A varint field (wire type 0)."""
    return _varint(number << 3) + _varint(value)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 31)


def _geometry(parts: Iterable[list[tuple[int, int]]], close: bool) -> list[int]:
    commands: list[int] = []
    x = y = 0
    for points in parts:
        for index, (px, py) in enumerate(points):
            if index == 0:
                commands.append(1 | 1 << 3)  # MoveTo, one point
            elif index == 1:
                commands.append(2 | (len(points) - 1) << 3)  # LineTo, the rest
            commands += [_zigzag(px - x), _zigzag(py - y)]
            x, y = px, py
        if close:
            commands.append(7 | 1 << 3)  # ClosePath
    return commands


def _layer(name: str, features: list[tuple[int, list[int], dict[str, str]]]) -> bytes:
    """A layer of (geometry type, commands, string properties) features."""
    keys: list[str] = []
    values: list[str] = []
    body = b""
    for geom_type, commands, props in features:
        tags: list[int] = []
        for key, value in props.items():
            if key not in keys:
                keys.append(key)
            if value not in values:
                values.append(value)
            tags += [keys.index(key), values.index(value)]
        feature = (_field(2, b"".join(map(_varint, tags))) + _number(3, geom_type)
                   + _field(4, b"".join(map(_varint, commands))))
        body += _field(2, feature)
    return (_number(15, 2) + _field(1, name.encode()) + body
            + b"".join(_field(3, k.encode()) for k in keys)
            + b"".join(_field(4, _field(1, v.encode())) for v in values)
            + _number(5, EXTENT))


def _tile_xy(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    scale = 2 ** zoom
    rad = math.radians(lat)
    return ((lon + 180) / 360 * scale,
            (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * scale)


def vector_tile(zoom: int, x: int, y: int, streets: dict[str, Any]) -> bytes:
    land = [[(0, 0), (EXTENT, 0), (EXTENT, EXTENT), (0, EXTENT)]]
    roads = []
    for feature in streets["features"]:
        points = []
        for lon, lat in feature["geometry"]["coordinates"]:
            tx, ty = _tile_xy(lat, lon, zoom)
            points.append((round((tx - x) * EXTENT), round((ty - y) * EXTENT)))
        roads.append((2, _geometry([points], close=False),
                      {"kind": ROAD_KIND, "name": feature["properties"]["name"]}))
    return (_field(3, _layer("earth", [(3, _geometry(land, close=True), {"kind": "earth"})]))
            + _field(3, _layer("roads", roads)))


def build(path: Path) -> Path:
    """Write the archive; returns its path."""
    streets = street_grid()
    lats = [lat for f in streets["features"] for _, lat in f["geometry"]["coordinates"]]
    lons = [lon for f in streets["features"] for lon, _ in f["geometry"]["coordinates"]]
    tiles = {}
    for zoom in ZOOMS:
        x0, y0 = _tile_xy(max(lats), min(lons), zoom)
        x1, y1 = _tile_xy(min(lats), max(lons), zoom)
        for x in range(int(x0), int(x1) + 1):
            for y in range(int(y0), int(y1) + 1):
                tiles[zxy_to_tileid(zoom, x, y)] = gzip.compress(
                    vector_tile(zoom, x, y, streets), mtime=0)
    with path.open("wb") as out:
        writer = Writer(out)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        e7 = 10_000_000
        writer.finalize({
            "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
            "min_lon_e7": int(min(lons) * e7), "min_lat_e7": int(min(lats) * e7),
            "max_lon_e7": int(max(lons) * e7), "max_lat_e7": int(max(lats) * e7),
            "center_zoom": 15, "center_lon_e7": int(sum(lons) / len(lons) * e7),
            "center_lat_e7": int(sum(lats) / len(lats) * e7),
        }, {"name": "Porchlight test city", "attribution": "test data",
            "vector_layers": [{"id": "earth", "fields": {}},
                              {"id": "roads", "fields": {"kind": "String", "name": "String"}}]})
    return path


def archive_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return build(Path(folder) / "city.pmtiles").read_bytes()


MAP_KEY = "map/test-city.pmtiles"


def serve(devstack: Any, monkeypatch: Any) -> bytes:
    """Put the archive in devstack's uploads bucket and point the running app at it for one
    test (as PORCHLIGHT_MAP_KEY would); returns the archive's bytes."""
    body = archive_bytes()
    devstack.client("s3").put_object(Bucket=devstack.settings.uploads_bucket, Key=MAP_KEY,
                                     Body=body)
    monkeypatch.setitem(devstack.app.config, "SETTINGS",
                        devstack.settings.with_overrides(map_key=MAP_KEY))
    return body
