"""Reading a recorder's (or camera's) video channels, so an owner who never heard of RTSP can
set one up by choosing it in the app and typing its password.

ONVIF first (`read_channels`): log in to the device service the discovery found
(bridge/discovery.py) with WS-Security's password digest, ask its device information, its media
profiles, and for each video source (one per camera a recorder has) the stream address of its
largest profile (the **main stream**: evidence, an enlarged view) and its smallest (the
**substream**: wall tiles, previews). Uses the maintained `onvif-zeep-async` package.

A device that does not speak ONVIF (or has it switched off, as many recorders ship) is set up
from a **preset** instead (`preset_channels`): the RTSP paths the common brands use, channel by
channel; the bridge then tries channels 1, 2, … until one does not open.

Passwords are given as arguments and never logged, put in an exception or returned: the
addresses found carry no credentials (the bridge adds them when it connects).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

TIMEOUT_S = 15.0
MAX_CHANNELS = 32


class SetupError(Exception):
    """The device could not be read; the message says why in plain words (never a password)."""


@dataclass(frozen=True)
class FoundChannel:
    """One camera of a recorder: its main stream and substream addresses (no credentials)."""

    token: str  # the video source's token (ONVIF) or "ch<n>" (preset): names it in the app
    name: str
    main_uri: str
    sub_uri: str = ""  # "" when the device offers a single stream
    main_size: str = ""  # "1920x1080"
    sub_size: str = ""

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items()
                if key not in ("main_uri", "sub_uri")}


@dataclass(frozen=True)
class Recorder:
    manufacturer: str
    model: str
    channels: tuple[FoundChannel, ...]


def _clean_uri(uri: str) -> str:
    """A stream address without any user:password a device may have put in it."""
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() not in ("rtsp", "rtsps", "http", "https") or not parts.hostname:
        raise SetupError("The recorder gave a stream address the bridge cannot use.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _size(profile: Any) -> tuple[int, str]:
    encoder = getattr(profile, "VideoEncoderConfiguration", None)
    resolution = getattr(encoder, "Resolution", None) if encoder is not None else None
    width = int(getattr(resolution, "Width", 0) or 0)
    height = int(getattr(resolution, "Height", 0) or 0)
    return width * height, f"{width}x{height}" if width and height else ""


async def _read(xaddr: str, user: str, password: str) -> Recorder:
    from onvif import ONVIFCamera

    parts = urlsplit(xaddr)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    camera = ONVIFCamera(parts.hostname or "", port, user, password, no_cache=True,
                         adjust_time=True)
    try:
        await camera.update_xaddrs()
        device = await camera.create_devicemgmt_service()
        info = await device.GetDeviceInformation()
        media = await camera.create_media_service()
        profiles = await media.GetProfiles()
        by_source: dict[str, list[Any]] = {}
        names: dict[str, str] = {}
        for profile in profiles or []:
            source = getattr(profile, "VideoSourceConfiguration", None)
            if source is None or getattr(profile, "VideoEncoderConfiguration", None) is None:
                continue  # (an audio-only or metadata profile)
            token = str(source.SourceToken)
            by_source.setdefault(token, []).append(profile)
            names.setdefault(token, str(getattr(source, "Name", "") or ""))
        channels = []
        for number, (token, found) in enumerate(by_source.items(), 1):
            if number > MAX_CHANNELS:
                break
            found.sort(key=lambda p: _size(p)[0], reverse=True)
            main, sub = found[0], found[-1]
            uris = []
            for profile in (main, sub) if sub is not main else (main,):
                answer = await media.GetStreamUri({
                    "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                    "ProfileToken": profile.token})
                uris.append(_clean_uri(str(answer.Uri)))
            name = names[token] if names[token] and names[token] != token else f"Camera {number}"
            channels.append(FoundChannel(
                token=token[:64], name=name[:60], main_uri=uris[0],
                sub_uri=uris[1] if len(uris) > 1 and uris[1] != uris[0] else "",
                main_size=_size(main)[1], sub_size=_size(sub)[1] if len(uris) > 1 else ""))
        return Recorder(manufacturer=str(info.Manufacturer or "")[:60],
                        model=str(info.Model or "")[:60], channels=tuple(channels))
    finally:
        await camera.close()


def read_channels(xaddr: str, user: str, password: str,
                  timeout: float = TIMEOUT_S) -> Recorder:
    """The channels of the ONVIF device at `xaddr`. Raises SetupError in plain words: the
    password refused, the device not answering, no video profile."""
    host = urlsplit(xaddr).hostname or xaddr
    try:
        # (on a thread of its own: its event loop never meets a caller's)
        with ThreadPoolExecutor(1, thread_name_prefix="onvif") as pool:
            recorder = pool.submit(
                lambda: asyncio.run(asyncio.wait_for(_read(xaddr, user, password), timeout))
            ).result()
    except Exception as error:
        if _refused(error):
            raise SetupError(f"The device at {host} did not accept that user name and "
                             "password.") from None
        raise _plain(error, host) from None
    if not recorder.channels:
        raise SetupError(f"The device at {host} offers no video.")
    return recorder


def _refused(error: BaseException) -> bool:
    """Whether the device said the login was wrong (ONVIF's NotAuthorized fault, whichever
    call and wrapper it came through)."""
    from onvif.exceptions import ONVIFAuthError

    if isinstance(error, ONVIFAuthError):
        return True
    words = f"{error} {getattr(error, 'subcodes', '')} {getattr(error, 'code', '')}".lower()
    return "notauthorized" in words or "not authorized" in words \
        or "authority failure" in words


def _plain(error: BaseException, host: str) -> SetupError:
    from onvif.exceptions import ONVIFError, ONVIFTimeoutError

    if isinstance(error, ONVIFTimeoutError | TimeoutError | OSError):
        return SetupError(f"The device at {host} did not answer in time.")
    if isinstance(error, SetupError):
        return error
    if not isinstance(error, ONVIFError):
        logger.info("Reading %s over ONVIF failed: %s", host, type(error).__name__)
    return SetupError(f"The device at {host} answered, but not as ONVIF expects. Choose its "
                      "brand instead.")


# ---------------------------------------------------------------- presets

# RTSP paths of the common brands, channel n (1-based). Sources: each maker's published RTSP
# guide; many brands sell the same OEM hardware (noted).
PRESETS: dict[str, tuple[str, Callable[[int], tuple[str, str]]]] = {
    "hikvision": ("Hikvision (also Annke, Swann NVRs, LTS)",
                  lambda n: (f"/Streaming/Channels/{n}01", f"/Streaming/Channels/{n}02")),
    "dahua": ("Dahua (also Amcrest, Lorex, most NVRs sold as Dahua OEM)",
              lambda n: (f"/cam/realmonitor?channel={n}&subtype=0",
                         f"/cam/realmonitor?channel={n}&subtype=1")),
    "reolink": ("Reolink", lambda n: (f"/h264Preview_{n:02d}_main", f"/h264Preview_{n:02d}_sub")),
    "uniview": ("Uniview (UNV)", lambda n: (f"/unicast/c{n}/s0/live", f"/unicast/c{n}/s1/live")),
    "axis": ("Axis", lambda n: (f"/axis-media/media.amp?camera={n}",
                                f"/axis-media/media.amp?camera={n}&resolution=640x360")),
    "hanwha": ("Hanwha (Wisenet, Samsung)",
               lambda n: (f"/{n - 1}/profile2/media.smp", f"/{n - 1}/profile3/media.smp")),
}
BRAND = re.compile(r"^[a-z]{2,20}$")


def preset_uris(brand: str, host: str, channel: int, port: int = 554) -> tuple[str, str]:
    """The main and substream addresses of `channel` for a brand's preset."""
    if brand not in PRESETS:
        raise SetupError("That brand has no preset.")
    main, sub = PRESETS[brand][1](channel)
    base = f"rtsp://{host}:{port}" if port != 554 else f"rtsp://{host}"
    return base + main, base + sub


def preset_channels(brand: str, host: str, opens: Callable[[str], bool],
                    most: int = 16, port: int = 554) -> tuple[FoundChannel, ...]:
    """The channels of a device read by its brand's preset: channel 1, 2, … as long as its
    main stream opens (`opens(uri)`, which adds the credentials). Raises SetupError when not
    even the first one does."""
    channels = []
    for number in range(1, most + 1):
        main, sub = preset_uris(brand, host, number, port)
        if not opens(main):
            break
        channels.append(FoundChannel(token=f"ch{number}", name=f"Camera {number}",
                                     main_uri=main, sub_uri=sub if opens(sub) else ""))
    if not channels:
        raise SetupError(f"No camera opened at {host} with the {PRESETS[brand][0]} paths and "
                         "that password. Check the brand and the password.")
    return tuple(channels)
