"""The seam between the bridge and the Porchlight server: the `Uplink` protocol.

Nothing here talks to a network. The real implementation is http_uplink.HttpUplink (an HTTPS
client of the server's /api/bridge API); share.py is written against this protocol only, so its
tests can drive it with an in-memory double too.

Rules every implementation keeps:

- **The bridge only connects out.** Every method is a request from the bridge to the server;
  the server never calls the bridge. The bridge learns about shares and approved requests by
  polling state(), woken by the device channel: when state() names a channel
  (BridgeState.channel), the bridge also keeps an outgoing MQTT connection (bridge/channel.py)
  on which the server says "ask now", and then asks at once, and otherwise only every
  ChannelInfo.poll_seconds; while that connection is down, every BridgeState.poll_seconds.
  What to do always comes from state(), never from the channel.
- **Network trouble is ConnectionError** (or TimeoutError): the caller keeps what it has not
  sent and tries again later with a growing wait. An implementation turns its HTTP library's
  connection, timeout and 5xx errors into ConnectionError, and never retries by itself for long.
- **UplinkRevoked** means the server no longer accepts this bridge (the owner unpaired it, or
  its credential was withdrawn): the bridge stops uploading, keeps buffering locally, and tells
  the owner in its log. Any method may raise it (HTTP 401/403 on the device credential).
- **ShareEnded** means one share is over before its end time (the owner stopped it, a police
  user closed it): only that share stops uploading (HTTP 404/410 on that share).
- **ServerRefused** (a ValueError) means the server refused what was sent (HTTP 422 and other
  4xx), with its reason in plain words: sending the same thing again will not help, so the
  caller logs the reason and moves on (skips that segment, gives up on that request until the
  bridge restarts).
- **An answer nobody wants any more is not an error**: upload_clip and clip_unavailable return
  normally when the request was withdrawn, declined or expired meanwhile (HTTP 409).
- **Uploads are idempotent**: upload_segment for the same (share_id, camera_id, segment.name)
  twice must store it once (a retry after a lost answer sends it again); likewise upload_clip
  and clip_unavailable for one target_id.
- Times are timezone-aware UTC datetimes; camera ids here are the Porchlight camera ids
  (config `camera_id`), never the owner's local names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bridge.segment import Segment


class UplinkRevoked(Exception):
    """The server no longer accepts this bridge: stop uploading, keep buffering, tell the owner."""


class ShareEnded(Exception):
    """The server says this share is over (stopped early): stop uploading for it."""


class ServerRefused(ValueError):
    """The server refused what was sent (its reason is the message): sending it again will
    not help."""


@dataclass(frozen=True)
class TimeWindow:
    """A span of real time, UTC, end exclusive."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class CameraInfo:
    """One of the owner's Porchlight cameras, as the server describes it."""

    camera_id: str  # what goes into the config's [[camera]] camera_id
    nickname: str = ""
    tier: str = ""  # "on_alert" and "always" cameras send live video; "on_request" answer requests
    # the owner's privacy masks, as the server sends them (read by bridge.masking.from_json):
    # blacked out of everything this camera sends
    masks: tuple[Any, ...] = ()


@dataclass(frozen=True)
class DeviceCredential:
    """What pairing gives the bridge: who it is to the server, and its secret."""

    device_id: str
    secret: str = field(repr=False)  # sent with every request; stored 0600 in state_dir
    server_url: str = ""
    # the owner's cameras when it paired (for the pair command to show; not saved)
    cameras: tuple[CameraInfo, ...] = field(default=(), compare=False)

    @property
    def camera_ids(self) -> tuple[str, ...]:
        return tuple(camera.camera_id for camera in self.cameras)


@dataclass(frozen=True)
class ShareInfo:
    """A live share: these cameras' video goes to the server from `started_at - preroll`
    until `ends_at` (the share ends by itself then).

    `sub_camera_ids` are the cameras whose viewers want the substream (the server's
    `"quality": {camera_id: "sub"}`); each is sent from its substream when the bridge records
    one, every other camera from its main stream. It may change while the share runs."""

    share_id: str
    camera_ids: tuple[str, ...]  # Porchlight camera ids
    started_at: datetime
    ends_at: datetime
    preroll_seconds: int = 0  # how much of the buffer before started_at to send first
    sub_camera_ids: tuple[str, ...] = ()  # Porchlight camera ids wanted on the substream

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.started_at, self.ends_at)

    def wants_sub(self, camera_id: str) -> bool:
        return camera_id in self.sub_camera_ids


@dataclass(frozen=True)
class ClipRequest:
    """An approved footage request that this bridge answers from its buffer."""

    target_id: str  # names the answer: upload_clip / clip_unavailable take it
    camera_id: str  # Porchlight camera id
    window: TimeWindow  # the asked window


@dataclass(frozen=True)
class ChannelInfo:
    """The device channel the server offers: an MQTT broker the bridge connects out to, where
    it hears "ask now" on its own command topic and says how it is on its status topic."""

    url: str  # mqtts://host:port (TLS; the bridge logs in with its credential) or mqtt://
    client_id: str  # the device id
    cmd_topic: str
    status_topic: str
    poll_seconds: float = 60.0  # when to call state() again while connected


@dataclass(frozen=True)
class BridgeState:
    """What the server wants from this bridge now."""

    shares: tuple[ShareInfo, ...] = ()  # active shares involving this bridge's cameras
    requests: tuple[ClipRequest, ...] = ()  # approved requests still waiting for a clip
    poll_seconds: float = 10.0  # when to call state() again without a connected channel
    device_id: str = ""
    cameras: tuple[CameraInfo, ...] = ()  # all the owner's cameras ("" when not said)
    channel: ChannelInfo | None = None  # the device channel, when the server has one
    # cameras to find, read or add from the owner's app (bridge/camera_setup.py); None: not said
    setup: Mapping[str, Any] | None = field(default=None, compare=False)
    max_upload_kbps: int = 0  # the owner's upload cap from the app (0: none)


class Uplink(Protocol):
    """How the bridge talks to the Porchlight server (http_uplink.HttpUplink over HTTPS)."""

    def pair(self, code: str, name: str) -> DeviceCredential:
        """Exchange a one-time pairing code (shown in the owner's app) for a credential.

        `name` is the bridge's name from its config, shown to the owner. Raises ValueError
        with a plain reason when the code is wrong or used, ConnectionError when the server
        cannot be reached.
        """
        ...

    def state(self) -> BridgeState:
        """The active shares for this bridge's cameras and the approved requests to answer."""
        ...

    def start_share(self, camera_ids: Sequence[str], minutes: int) -> ShareInfo:
        """Start a live share now (the owner's trigger or panic button) for `minutes`.

        The server applies the program's policy (longest share, pre-roll allowed) and answers
        with the share as it will run; the bridge then uploads as for any share in state().
        """
        ...

    def upload_segment(self, share_id: str, camera_id: str, segment: Segment,
                       masks: str = "") -> None:
        """Send one closed segment of an active share (fMP4, see Segment); idempotent on
        (share_id, camera_id, segment.name). Segments of one camera arrive oldest first;
        segment.sha256 lets the server check what it received. `masks` is the fingerprint
        of the privacy masks blacked out of it ("" none): the server refuses a piece made
        with other masks than the camera has."""
        ...

    def upload_clip(self, target_id: str, path: Path, window: TimeWindow,
                    gaps: Sequence[TimeWindow] = (), masks: str = "") -> None:
        """Send the clip (one MP4, H.264, faststart) answering an approved request.

        `window` is what the clip really covers by the bridge's clock (it starts at a
        keyframe, so it may begin a little before the asked window and end a little after,
        or cover only part of it when the buffer does); `gaps` are the stretches of the asked
        window without pictures (the camera dropped, or the bridge skipped to live), in real
        time; inside the clip they show a "NO VIDEO" picture, never a frozen one.
        """
        ...

    def clip_unavailable(self, target_id: str, reason: str) -> None:
        """Answer an approved request that the buffer cannot serve (its window is older than
        the buffer, or the camera was down), with a plain reason for the detective."""
        ...
