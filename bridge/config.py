"""The bridge's configuration: one TOML file, checked before anything starts.

    [bridge]
    name = "Corner shop"              # shown to the owner in the app once paired
    state_dir = "/var/lib/porchlight-bridge"
    buffer_minutes = 10               # 1 to 60: how much recent video the box keeps
    segment_seconds = 2               # 1 to 10: length of each buffered piece
    trigger_listen = "127.0.0.1:8787" # one address of this box on the home network
    trigger_key = "a long random secret shared with the panic button"
    share_minutes = 15                # a trigger's share length when it does not say
    max_upload_kbps = 0               # 0: no cap; else the most this box sends, all uploads
                                      # together, in kilobits a second (64 to 1000000)

    [[camera]]
    id = "front-door"                 # a local name: letters, digits, - and _
    source = "rtsp://192.168.1.50:554/stream1"
    substream = "rtsp://192.168.1.50:554/stream2"   # optional: the camera's low-resolution
                                      # stream, recorded too, for tiles and previews (same
                                      # user, password and transport as source)
    user = "viewer"                   # the camera's user name and password, if it asks for them
    password = "any characters: # @ : / %"   # (the bridge encodes them; never logged)
    camera_id = "cam_123"             # the Porchlight camera id, once paired (optional)

    [server]
    url = "https://porchlight.example.org"   # where `pair` and every upload go

Every mistake found is reported at once, each message naming the key in plain words, so an owner
can fix the file in one go. Unknown keys are refused too: a misspelt key would otherwise be
silently ignored and its default used.
"""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

BUFFER_MINUTES = (1, 60, 10)  # low, high, default
SEGMENT_SECONDS = (1, 10, 2)
SHARE_MINUTES = (1, 120, 15)
MAX_UPLOAD_KBPS = (0, 1_000_000, 0)  # 0: no cap; a cap below 64 kb/s could not send live video
DEFAULT_TRIGGER_LISTEN = "127.0.0.1:8787"
TRIGGER_KEY_MIN = 16
NAME_MAX = 60  # the server keeps a bridge's name to this
SOURCE_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
LOCAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

BRIDGE_KEYS = {"name", "state_dir", "buffer_minutes", "segment_seconds", "trigger_listen",
               "trigger_key", "share_minutes", "max_upload_kbps"}
CAMERA_KEYS = {"id", "source", "substream", "camera_id", "loop", "user", "password",
               "transport"}
SUBSTREAM_SUFFIX = ".sub"  # a substream's internal id: "<id>.sub" (LOCAL_NAME forbids ".")
TRANSPORTS = ("auto", "tcp", "udp")  # RTSP: "auto" tries TCP, then UDP
SERVER_KEYS = {"url"}
TOP_KEYS = {"bridge", "camera", "server"}


class ConfigError(Exception):
    """The configuration file cannot be used. `problems` lists every mistake found."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        where = f"{path}: " if path else ""
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{where}the configuration has {len(problems)} "
                         f"problem{'s' if len(problems) != 1 else ''}:\n{lines}")
        self.problems = problems


@dataclass(frozen=True)
class CameraConfig:
    """One camera. `source` never holds a user name or password: credentials written inside
    the address (as older configs do) are taken out of it into `user` and `password` when the
    camera is made, so nothing that prints the source can print the password."""

    id: str  # the owner's local name for the camera
    source: str  # rtsp://, rtsps://, http(s):// (MJPEG) or file:///path
    camera_id: str | None = None  # the Porchlight camera id, once paired
    loop: bool = False  # file sources only: start again at the end
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    transport: str = "auto"  # RTSP only: "tcp", "udp", or "auto" (TCP, then UDP)
    # the camera's second, low-resolution stream (same credentials and transport), or None
    substream: str | None = None

    def __post_init__(self) -> None:
        bare, user, password = split_credentials(self.source)
        if self.substream is not None:  # its credentials are the camera's too
            sub_bare, sub_user, sub_password = split_credentials(self.substream)
            object.__setattr__(self, "substream", sub_bare)
            if user is None and password is None:
                user, password = sub_user, sub_password
        if user is None and password is None:
            return
        object.__setattr__(self, "source", bare)
        if self.user is None and self.password is None:
            object.__setattr__(self, "user", user)
            object.__setattr__(self, "password", password)

    @property
    def substream_camera(self) -> CameraConfig | None:
        """The substream as a camera of its own (recorded into a buffer of its own), with the
        internal id "<id>.sub", or None when the camera names no substream. It is never
        paired itself (camera_id None): shares reach it through the main camera."""
        if self.substream is None:
            return None
        is_file = urlsplit(self.substream).scheme.lower() == "file"
        return replace(self, id=substream_id(self.id), source=self.substream, substream=None,
                       camera_id=None, loop=self.loop and is_file)

    @property
    def kind(self) -> str:
        """"rtsp", "mjpeg" (http or https) or "file"."""
        scheme = urlsplit(self.source).scheme.lower()
        if scheme in ("rtsp", "rtsps"):
            return "rtsp"
        if scheme in ("http", "https"):
            return "mjpeg"
        return "file"

    @property
    def file_path(self) -> Path:
        """The local path of a file:// source."""
        return Path(unquote(urlsplit(self.source).path))

    @property
    def safe_source(self) -> str:
        """The source address with any password hidden (user:***@), for logs and status."""
        if self.user is None and self.password is None:
            return self.source
        return _with_userinfo(self.source, f"{quote(self.user or '', safe='')}:***")

    @property
    def connect_url(self) -> str:
        """The address to open, credentials percent-encoded (FFmpeg decodes them). Secret:
        never log it; `safe_source` is the one to show."""
        if self.user is None and self.password is None:
            return self.source
        return _with_userinfo(self.source, f"{quote(self.user or '', safe='')}:"
                                           f"{quote(self.password or '', safe='')}")

    def scrub(self, text: str) -> str:
        """`text` (an error message, a traceback) with the password in any spelling hidden."""
        if not self.password:
            return text
        secret = self.password
        for form in sorted({secret, quote(secret, safe=""), quote(secret),
                            quote_plus(secret), quote(secret, safe="").lower()},
                           key=len, reverse=True):
            text = text.replace(form, "***")
        return text


@dataclass(frozen=True)
class BridgeConfig:
    name: str
    state_dir: Path
    cameras: tuple[CameraConfig, ...]
    trigger_key: str = field(repr=False)
    buffer_minutes: float = BUFFER_MINUTES[2]
    segment_seconds: float = SEGMENT_SECONDS[2]
    trigger_host: str = "127.0.0.1"
    trigger_port: int = 8787
    share_minutes: int = SHARE_MINUTES[2]
    server_url: str | None = None  # the Porchlight server: pairing, shares, requests
    max_upload_kbps: int = 0  # the most all uploads together may send (0: no cap)

    @property
    def trigger_listen(self) -> str:
        host = f"[{self.trigger_host}]" if ":" in self.trigger_host else self.trigger_host
        return f"{host}:{self.trigger_port}"

    @property
    def buffer_dir(self) -> Path:
        return self.state_dir / "buffer"

    def camera(self, local_id: str) -> CameraConfig:
        for camera in self.cameras:
            if camera.id == local_id:
                return camera
        raise KeyError(local_id)


def substream_id(local_id: str) -> str:
    """The internal id of camera `local_id`'s substream: its buffer and its status entry."""
    return f"{local_id}{SUBSTREAM_SUFFIX}"


def redact(url: str) -> str:
    """`url` with its password (if any) replaced by ***, however it was written."""
    bare, user, password = split_credentials(url)
    if user is None and password is None:
        return url
    return _with_userinfo(bare, f"{quote(user or '', safe='')}:***")


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The address without user:password, and the two (None when it has none).

    A correctly written address has its reserved characters percent-encoded
    (`p%40ss` for "p@ss"), and they are decoded. Owners also write passwords as they are,
    with `#`, `@`, `/` or `:` in them, which no URL parser reads right (`Shop#2024` would
    make "2024@camera/..." a fragment). Such an address is recognised (its host part is not
    a host, or an @ shows after it) and split at its last @ instead, the password taken as
    written."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest or scheme.lower() == "file":
        return url, None, None
    parts = urlsplit(url)
    try:
        readable = "#" not in rest and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # a "port" that is not a number: part of a password
        readable = False
    if readable:
        if "@" not in parts.netloc:
            return url, None, None  # the @ is in the path
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
        return bare, unquote(user), unquote(password) if colon else None
    userinfo, _, after = rest.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return f"{scheme}://{after}", user, password if colon else None


def _with_userinfo(url: str, userinfo: str) -> str:
    """`url` (without credentials) with `userinfo@` put before its host."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{userinfo}@{rest}"


def load(path: str | Path) -> BridgeConfig:
    """Read and check the configuration file; ConfigError lists every problem found."""
    target = Path(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"there is no file at {target}"], None) from None
    except OSError as error:
        raise ConfigError([f"the file {target} cannot be read ({error.strerror})"],
                          None) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(["the file is not UTF-8 text"], target) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"the file is not valid TOML ({error})"], target) from None
    return parse(data, base=target.parent, path=target)


def parse(data: dict[str, Any], base: Path | None = None,
          path: Path | None = None) -> BridgeConfig:
    """Check an already-parsed TOML document. `base` resolves a relative state_dir."""
    problems: list[str] = []
    _unknown(data, TOP_KEYS, "the file", problems)
    bridge = _table(data, "bridge", problems)
    server = _table(data, "server", problems)
    _unknown(bridge, BRIDGE_KEYS, "[bridge]", problems)
    _unknown(server, SERVER_KEYS, "[server]", problems)

    name = _text(bridge, "name", "[bridge]", problems, required=True) or ""
    if len(name) > NAME_MAX:
        problems.append(f"[bridge] name must be at most {NAME_MAX} characters (it is shown in "
                        f"the Porchlight app); the file's has {len(name)}")
    state_dir = _state_dir(bridge, base, problems)
    buffer_minutes = _number(bridge, "buffer_minutes", BUFFER_MINUTES, problems)
    segment_seconds = _number(bridge, "segment_seconds", SEGMENT_SECONDS, problems)
    share_minutes = int(_number(bridge, "share_minutes", SHARE_MINUTES, problems,
                                whole=True))
    upload_kbps = int(_number(bridge, "max_upload_kbps", MAX_UPLOAD_KBPS, problems,
                              whole=True))
    if 0 < upload_kbps < 64:
        problems.append("[bridge] max_upload_kbps must be 0 (no cap) or at least 64: less "
                        "cannot carry live video; the file says " + str(upload_kbps))
    host, port = _listen(bridge, problems)
    key = _text(bridge, "trigger_key", "[bridge]", problems, required=True) or ""
    if key and len(key) < TRIGGER_KEY_MIN:
        problems.append(f"[bridge] trigger_key must be at least {TRIGGER_KEY_MIN} characters "
                        "long (a panic button on the network sends it); make a long random one, "
                        "for example with: openssl rand -hex 24")
    server_url = _server_url(server, problems)
    cameras = _cameras(data, problems)
    if problems:
        raise ConfigError(problems, path)
    return BridgeConfig(name=name, state_dir=state_dir or Path("."), cameras=cameras,
                        trigger_key=key, buffer_minutes=buffer_minutes,
                        segment_seconds=segment_seconds, trigger_host=host, trigger_port=port,
                        share_minutes=share_minutes, server_url=server_url,
                        max_upload_kbps=upload_kbps)


# ---------------------------------------------------------------- pieces


def _unknown(table: dict[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(table) - known):
        problems.append(f"{where} has a key the bridge does not know: {key!r}. Check its "
                        f"spelling; the keys are: {', '.join(sorted(known))}")


def _table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"[{key}] must be a table (a line [{key}] followed by keys)")
        return {}
    return value


def _text(table: dict[str, Any], key: str, where: str, problems: list[str], *,
          required: bool) -> str | None:
    if key not in table:
        if required:
            problems.append(f"{where} {key} is missing")
        return None
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where} {key} must be text in quotes, not empty")
        return None
    return value.strip()


def _number(table: dict[str, Any], key: str, limits: tuple[int, int, int],
            problems: list[str], *, whole: bool = False) -> float:
    low, high, default = limits
    if key not in table:
        return default
    value = table[key]
    kind = "a whole number" if whole else "a number"
    ok_type = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        problems.append(f"[bridge] {key} must be {kind} from {low} to {high}; "
                        f"the file says {value!r}")
        return default
    if not low <= value <= high:
        problems.append(f"[bridge] {key} must be from {low} to {high}; the file says {value}")
        return default
    return float(value) if not whole else value


def _state_dir(bridge: dict[str, Any], base: Path | None, problems: list[str]) -> Path | None:
    text = _text(bridge, "state_dir", "[bridge]", problems, required=True)
    if text is None:
        return None
    folder = Path(text).expanduser()
    if not folder.is_absolute() and base is not None:
        folder = base / folder
    if folder.exists() and not folder.is_dir():
        problems.append(f"[bridge] state_dir {text!r} is a file, not a folder")
    return folder


def _listen(bridge: dict[str, Any], problems: list[str]) -> tuple[str, int]:
    text = _text(bridge, "trigger_listen", "[bridge]", problems, required=False)
    if text is None:
        text = DEFAULT_TRIGGER_LISTEN
    hint = ("give one address of this box on your own network and a port, "
            "like \"192.168.1.20:8787\", or \"127.0.0.1:8787\" for this box only")
    found = re.fullmatch(
        r"\[(?P<v6>[0-9A-Fa-f:.]+)\]:(?P<p6>\d+)|(?P<host>[^:\[\]]+):(?P<port>\d+)", text)
    if not found:
        problems.append(f"[bridge] trigger_listen {text!r} is not an address and port: {hint}")
        return "127.0.0.1", 8787
    host = found["v6"] or found["host"]
    port = int(found["p6"] or found["port"])
    if host == "localhost":
        host = "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        problems.append(f"[bridge] trigger_listen must use a numeric address, not the name "
                        f"{host!r}: {hint}")
        return "127.0.0.1", 8787
    if address.is_unspecified:
        problems.append(f"[bridge] trigger_listen {text!r} would listen on every network the box "
                        f"is on, perhaps the internet too: {hint}")
    elif not (address.is_private or address.is_loopback or address.is_link_local):
        problems.append(f"[bridge] trigger_listen {text!r} is a public internet address; the "
                        f"trigger must only be reachable from your own network: {hint}")
    if not 1 <= port <= 65535:
        problems.append(f"[bridge] trigger_listen port must be from 1 to 65535; "
                        f"the file says {port}")
    return str(address), port


def _server_url(server: dict[str, Any], problems: list[str]) -> str | None:
    url = _text(server, "url", "[server]", problems, required=False)
    if url is None:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        problems.append(f"[server] url must be a web address starting with https://, like "
                        f"\"https://porchlight.example.org\"; the file says {url!r}")
    elif scheme == "http" and not _loopback(parts.hostname):
        problems.append(f"[server] url must start with https:// (the bridge never talks to the "
                        f"server unencrypted; http:// is accepted only for a server on this "
                        f"box: localhost, 127.x.x.x or [::1]); the file says {url!r}")
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cameras(data: dict[str, Any], problems: list[str]) -> tuple[CameraConfig, ...]:
    tables = data.get("camera", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append("[[camera]] must be written as one or more [[camera]] tables")
        return ()
    if not tables and not data.get("server"):
        problems.append("[[camera]] is missing: add at least one camera, or give [server] url, "
                        "pair the bridge and add the cameras from the app's Bridges page")
    cameras: list[CameraConfig] = []
    seen: set[str] = set()
    seen_paired: set[str] = set()
    for number, table in enumerate(tables, start=1):
        where = f"[[camera]] number {number}"
        local_id = _text(table, "id", where, problems, required=True)
        if local_id is not None:
            where = f"[[camera]] number {number} (id {local_id!r})"
            if not LOCAL_NAME.match(local_id):
                problems.append(f"{where}: id may hold only letters, digits, - and _ "
                                "(at most 64), starting with a letter or digit")
            elif local_id in seen:
                problems.append(f"{where}: id is used by another camera; each needs its own")
            seen.add(local_id)
        _unknown(table, CAMERA_KEYS, where, problems)
        source = _camera_source(table, where, problems)
        substream = _substream(table, source, where, problems)
        user, password = _credentials(table, source, where, problems)
        camera_id = _text(table, "camera_id", where, problems, required=False)
        if camera_id is not None:
            if camera_id in seen_paired:
                problems.append(f"{where}: camera_id {camera_id!r} is given to two cameras")
            seen_paired.add(camera_id)
        loop = _loop(table, source, where, problems)
        transport = _transport(table, source, where, problems)
        if local_id and source:
            cameras.append(CameraConfig(id=local_id, source=source, camera_id=camera_id,
                                        loop=loop, user=user, password=password,
                                        transport=transport, substream=substream))
    return tuple(cameras)


def _loop(table: dict[str, Any], source: str | None, where: str, problems: list[str]) -> bool:
    loop = table.get("loop", False)
    if not isinstance(loop, bool):
        problems.append(f"{where}: loop must be true or false")
        return False
    if loop and source and not source.lower().startswith("file:"):
        problems.append(f"{where}: loop = true only applies to file:// sources")
    return loop


def _transport(table: dict[str, Any], source: str | None, where: str,
               problems: list[str]) -> str:
    """An RTSP camera's `transport`: "auto" (TCP, then UDP) unless it says "tcp" or "udp"."""
    transport = table.get("transport", "auto")
    if transport not in TRANSPORTS:
        problems.append(f'{where}: transport must be "auto", "tcp" or "udp"')
        return "auto"
    if "transport" in table and source and not source.lower().startswith("rtsp"):
        problems.append(f"{where}: transport only applies to rtsp:// sources")
    return str(transport)


def _credentials(table: dict[str, Any], source: str | None, where: str,
                 problems: list[str]) -> tuple[str | None, str | None]:
    """The camera's `user` and `password` keys (the password as written, spaces and all).
    Messages never quote the password."""
    user = _text(table, "user", where, problems, required=False)
    password = table.get("password")
    if password is not None and not isinstance(password, str):
        problems.append(f"{where}: password must be text in quotes (in 'single quotes' any "
                        "character is kept as it is)")
        password = None
    if password is not None and user is None and "user" not in table:
        problems.append(f"{where}: a password needs a user: add user = \"...\" (the camera's "
                        "user name)")
    if password is not None and any(ord(c) < 32 or ord(c) == 127 for c in password):
        problems.append(f"{where}: password holds a line break or another control character")
    if (user is not None or password is not None) and source:
        _, in_user, in_password = split_credentials(source)
        if in_user is not None or in_password is not None:
            problems.append(f"{where}: give the user name and password either in source or as "
                            "user and password, not both (user and password are better: any "
                            "character works there)")
    return user, password


def _substream(table: dict[str, Any], source: str | None, where: str,
               problems: list[str]) -> str | None:
    """The camera's optional `substream`: checked like source; its user and password, when
    written in it, are the camera's (they must not differ from those of source or the user
    and password keys)."""
    if "substream" not in table:
        return None
    substream = _camera_source(table, where, problems, key="substream")
    if substream is None:
        return None
    bare, user, password = split_credentials(substream)
    if source is not None and bare == split_credentials(source)[0]:
        problems.append(f"{where}: substream is the same address as source; give the "
                        "camera's second, low-resolution stream, or leave substream out")
        return None
    if user is None and password is None:
        return substream
    if "user" in table or "password" in table:
        problems.append(f"{where}: give the user name and password either in substream or as "
                        "user and password, not both (user and password are better: any "
                        "character works there)")
    elif source is not None:
        _, in_user, in_password = split_credentials(source)
        if (in_user is not None or in_password is not None) and \
                (in_user, in_password) != (user, password):
            problems.append(f"{where}: substream has another user name or password than "
                            "source; the camera's user and password serve both streams "
                            "(write them once, as user and password)")
    return substream


def _camera_source(table: dict[str, Any], where: str, problems: list[str],
                   key: str = "source") -> str | None:
    """`source` (required) or `substream`: a camera address the readers can open."""
    source = _text(table, key, where, problems, required=key == "source")
    if source is None:
        return None
    parts = urlsplit(split_credentials(source)[0])
    scheme = parts.scheme.lower()
    if scheme not in SOURCE_SCHEMES:
        problems.append(f"{where}: {key} must start with rtsp://, http:// or https:// (an "
                        f"MJPEG stream), or file:/// for a test file; the file says "
                        f"{redact(source)!r}")
        return None
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            problems.append(f"{where}: a file {key} needs a full path, like "
                            f"file:///home/pi/sample.mp4; the file says {source!r}")
            return None
        if not Path(unquote(parts.path)).is_file():
            problems.append(f"{where}: {key} {source!r} names no file that exists")
    elif not parts.hostname:
        problems.append(f"{where}: {key} {redact(source)!r} has no camera address after "
                        f"{scheme}://")
        return None
    return source
