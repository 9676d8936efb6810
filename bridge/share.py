"""Running shares and answering requests, against the Uplink protocol and the buffers.

A live share (ShareSession) sends, for each of its cameras, the pre-roll (the buffered segments
from `preroll_seconds` before the share started) and every segment as it closes: the live edge
first (each camera's newest segment, as soon as it closes), the pre-roll and any backlog behind
it, oldest first. So a panic button's two minutes of pre-roll for four cameras no longer make
live two minutes late. Whatever cannot be sent right away (the network dropped) waits in a
queue and is retried with a growing wait (1 s doubling to 30 s), oldest first, so after a drop
the share catches up with nothing lost and nothing sent twice. Queued segments are pinned in
the buffer they came from so pruning cannot remove them before they are sent. Uploading stops
at the share's end time (whatever was not sent by then stays local and is pruned as usual),
when the server says the share ended (ShareEnded), or when it no longer accepts the bridge
(UplinkRevoked): then all uploads stop, the cameras keep recording into the buffer, and the
log says so.

A camera with a substream (config `substream`) is sent from it while the share's viewers want
it (ShareInfo.sub_camera_ids, from the server's "quality"), else from its main stream; a
substream that has stopped sending (its newest piece well behind the main stream's) gives way
to the main stream until it is back. The choice may change while the share runs (ShareManager
passes each new state on to the running session): the session then takes pieces from the
other buffer from the next one on, starting after the end of the last piece it took, so it
never goes back in time and never sends both streams for the same moment (up to SWITCH_SLACK_S,
the two streams' pieces do not start at the same instants). Pieces already queued from the
other stream are still sent. Pieces are self-contained, named by their capture time; the
server need not know which stream one came from.

An approved footage request is answered by cutting its window out of the buffer
(SegmentBuffer.concatenate) and upload_clip(); when the buffer no longer holds that window,
clip_unavailable() says why. A clip whose sending broke off is tried again at the next poll
(the server lists it again while it is unfinished; the bridge also remembers it itself). A
request for a camera this bridge does not have is left alone: another bridge of the same owner
may have that camera.

When the server refuses something (ServerRefused, with its reason), the reason is logged and the
bridge moves on: a refused segment is skipped, a refused answer is not sent again until the
bridge restarts, a refused trigger shares nothing.

ShareManager ties these to the uplink: it polls state(), starts a session per active share,
answers requests, and turns a trigger (panic button) into start_share(). When the server offers
a device channel (bridge/channel.py), the manager opens it and asks again as soon as the channel
says so; while the channel is connected it asks only every ChannelInfo.poll_seconds (a minute),
else every BridgeState.poll_seconds (a few seconds).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from bridge import masking
from bridge.buffer import NoFootage, SegmentBuffer, now_utc
from bridge.config import BridgeConfig, CameraConfig, substream_id
from bridge.masked import masked_file, masked_segment
from bridge.masking import Masks
from bridge.runner import Backoff
from bridge.segment import Segment, iso
from bridge.source_types import SourceError
from bridge.uplink import (
    BridgeState,
    ChannelInfo,
    ClipRequest,
    ServerRefused,
    ShareEnded,
    ShareInfo,
    TimeWindow,
    Uplink,
    UplinkRevoked,
)

logger = logging.getLogger(__name__)

NETWORK_ERRORS = (ConnectionError, TimeoutError)
REVOKED_MESSAGE = ("The Porchlight server no longer accepts this bridge (it was unpaired or its "
                   "access withdrawn). Uploads have stopped; the cameras keep recording into "
                   "the local buffer only, which is pruned as usual. Pair the bridge again from "
                   "the owner's app to share.")

Clock = Callable[[], datetime]
WAKE_CHECK_S = 0.25
# A segment that closed less than this ago is live: the newest one goes before any backlog.
LIVE_EDGE_S = 6.0  # how often a wait looks at the stop signal and the channel's state
# At a switch between a camera's main stream and its substream, the new stream's first piece
# may start this much before the end of the last piece sent (the same picture is stamped a
# few milliseconds apart in the two streams); no earlier.
SWITCH_SLACK_S = 0.1


class Channel(Protocol):
    """The device channel as the manager uses it (bridge.channel.DeviceChannel)."""

    info: ChannelInfo

    @property
    def connected(self) -> bool: ...

    def start(self) -> Any: ...

    def close(self, timeout: float = ...) -> None: ...


# Makes the channel a state answer names; it calls the given function when the server says
# "ask now".
ChannelFactory = Callable[[ChannelInfo, Callable[[], None]], Channel]


class Outcome(enum.StrEnum):
    ENDED = "ended"  # the share reached its end time
    STOPPED = "stopped"  # the bridge is stopping
    SHARE_ENDED = "share_ended"  # the server ended the share early
    REVOKED = "revoked"  # the server no longer accepts this bridge


@dataclass(frozen=True)
class ShareResult:
    share_id: str
    outcome: Outcome
    uploaded: int
    not_sent: int  # segments queued but not sent when uploading stopped


class Queued(NamedTuple):
    """A segment waiting to be sent: for which Porchlight camera, and the buffer (main or
    substream) it is pinned in."""

    camera_id: str
    segment: Segment
    buffer: SegmentBuffer


class ShareSession:
    """Uploads one share: pre-roll first, then live segments, catching up after drops.

    `buffers` are the cameras' main buffers and `subs` their substreams' (both by Porchlight
    camera id); a camera goes from its substream while the share wants it (see the module
    docstring)."""

    def __init__(self, uplink: Uplink, share: ShareInfo,
                 buffers: Mapping[str, SegmentBuffer], *, clock: Clock = now_utc,
                 backoff: Backoff | None = None, poll_s: float = 0.5,
                 subs: Mapping[str, SegmentBuffer] | None = None,
                 masks: Callable[[str], Masks | None] | None = None,
                 work_dir: Path | None = None) -> None:
        self.uplink = uplink
        # each camera's privacy masks now (None: not known yet, nothing is sent)
        self.masks_for = masks or (lambda _camera_id: Masks())
        self.work_dir = work_dir or Path("masked")
        self.share = share
        self.buffers = {camera_id: buffers[camera_id] for camera_id in share.camera_ids
                        if camera_id in buffers}
        self.subs = {camera_id: buffer for camera_id, buffer in (subs or {}).items()
                     if camera_id in self.buffers}
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.poll_s = poll_s
        self.queue: list[Queued] = []
        self._seen: set[Path] = set()  # the segment files queued once
        self._cursor: dict[str, datetime] = {}
        self._edge: dict[str, datetime] = {}  # each camera's newest segment sent at the edge
        self._source: dict[str, SegmentBuffer] = {}  # the buffer each camera is taken from
        self._taken_until: dict[str, datetime] = {}  # end of each camera's newest piece taken
        self.uploaded = 0
        for camera_id in share.camera_ids:
            if camera_id not in buffers:
                logger.warning("Share %s names camera %s, which this bridge does not have; it "
                               "is skipped.", share.share_id, camera_id)

    def update(self, share: ShareInfo) -> None:
        """The server's newer word on this share (any thread): follow its quality, which
        cameras go from their substream, from the next piece on."""
        if share.share_id != self.share.share_id or \
                share.sub_camera_ids == self.share.sub_camera_ids:
            return
        self.share = replace(self.share, sub_camera_ids=share.sub_camera_ids)

    def run(self, stop: threading.Event) -> ShareResult:
        subs = [camera_id for camera_id in self.subs if self.share.wants_sub(camera_id)]
        logger.info("Share %s: sending cameras %s until %s, starting with %d s before %s%s.",
                    self.share.share_id, ", ".join(self.buffers) or "(none)",
                    iso(self.share.ends_at), self.share.preroll_seconds,
                    iso(self.share.started_at),
                    f" ({', '.join(subs)} from the substream)" if subs else "")
        try:
            outcome = self._loop(stop)
        finally:
            not_sent = len(self.queue)
            for item in self.queue:
                item.buffer.unpin([item.segment.name])
            self.queue.clear()
        log = logger.warning if not_sent else logger.info
        log("Share %s %s: %d segment(s) sent, %d not sent.", self.share.share_id,
            _plain_outcome(outcome), self.uploaded, not_sent)
        return ShareResult(self.share.share_id, outcome, self.uploaded, not_sent)

    def _loop(self, stop: threading.Event) -> Outcome:
        delay = self.backoff.first_s
        while True:
            if stop.is_set():
                return Outcome.STOPPED
            remaining = (self.share.ends_at - self.clock()).total_seconds()
            if remaining <= 0:
                return Outcome.ENDED
            self._collect()
            if not self.queue:
                stop.wait(min(self.poll_s, remaining))
                continue
            item = self.queue.pop(self._next())
            camera_id, segment = item.camera_id, item.segment
            try:
                self._send(camera_id, segment)
            except NETWORK_ERRORS as error:
                self._put_back(item)
                logger.warning("Share %s: could not send %s of camera %s (%s); %d waiting, "
                               "trying again in %.0f s.", self.share.share_id, segment.name,
                               camera_id, error, len(self.queue), delay)
                stop.wait(min(delay, remaining))
                delay = self.backoff.after(delay)
                continue
            except (FileNotFoundError, SourceError) as error:
                logger.warning("Share %s: segment %s of camera %s is no longer on disk or "
                               "cannot be read (%s); it is skipped.", self.share.share_id,
                               segment.name, camera_id, error)
            except ServerRefused as error:
                logger.warning("Share %s: the server refused segment %s of camera %s (%s); it "
                               "is skipped.", self.share.share_id, segment.name, camera_id,
                               error)
            except (UplinkRevoked, ShareEnded) as stopped:
                self._put_back(item)  # not sent: unpinned with the rest
                return Outcome.REVOKED if isinstance(stopped, UplinkRevoked) \
                    else Outcome.SHARE_ENDED
            else:
                self.uploaded += 1
                delay = self.backoff.first_s
            item.buffer.unpin([segment.name])

    def _send(self, camera_id: str, segment: Segment) -> None:
        """Upload one piece, the camera's privacy masks blacked out of it first (on a copy,
        deleted once sent: the buffer keeps the camera's video as it came)."""
        masks = self.masks_for(camera_id)
        if masks is None:
            raise ConnectionError("the camera's privacy masks are not known yet")
        if not masks:
            self.uplink.upload_segment(self.share.share_id, camera_id, segment)
            return
        masked = masked_segment(segment, masks, self.work_dir)
        try:
            self.uplink.upload_segment(self.share.share_id, camera_id, masked,
                                       masks.fingerprint)
        finally:
            masked.path.unlink(missing_ok=True)

    def _next(self) -> int:
        """Which queued segment goes next. A camera's newest segment, when it is newer than
        any sent of that camera and closed within LIVE_EDGE_S: the live edge goes first, so
        a viewer sees now at once and not two minutes late. Otherwise the oldest: the pre-roll
        and any backlog, in order, between live segments."""
        now = self.clock()
        best: int | None = None
        for index, (camera_id, segment, _buffer) in enumerate(self.queue):
            edge = self._edge.get(camera_id)
            if (edge is None or segment.start > edge) and \
                    (now - segment.end).total_seconds() <= LIVE_EDGE_S and \
                    (best is None or segment.start > self.queue[best].segment.start):
                best = index
        if best is None:
            return 0
        camera_id, segment, _buffer = self.queue[best]
        self._edge[camera_id] = segment.start
        return best

    def _put_back(self, item: Queued) -> None:
        """A segment that could not be sent goes back, in time order, to be tried again."""
        self.queue.append(item)
        self._sort()

    def _sort(self) -> None:
        self.queue.sort(key=lambda item: (item.segment.start, item.camera_id))

    def _choose(self, camera_id: str, share: ShareInfo) -> tuple[SegmentBuffer, str]:
        """The buffer to take camera `camera_id`'s next pieces from, and why in words."""
        main = self.buffers[camera_id]
        sub = self.subs.get(camera_id)
        if sub is None or not share.wants_sub(camera_id):
            return main, "its main stream"
        newest_main, newest_sub = main.segments()[-1:], sub.segments()[-1:]
        if newest_main and (not newest_sub or (newest_main[0].end - newest_sub[0].end)
                            .total_seconds() > max(LIVE_EDGE_S, 2 * newest_main[0].duration_s)):
            return main, "its main stream (its substream sends nothing now)"
        return sub, "its substream"

    def _switch(self, camera_id: str, buffer: SegmentBuffer, words: str) -> None:
        """Take camera `camera_id`'s pieces from `buffer` from now on: those starting after
        the end of the last piece taken (less SWITCH_SLACK_S), never earlier."""
        before = self._source.get(camera_id)
        self._source[camera_id] = buffer
        if before is None:
            return
        until = self._taken_until.get(camera_id)
        if until is None:  # nothing taken yet: the share's whole window, pre-roll included
            self._cursor.pop(camera_id, None)
        else:
            self._cursor[camera_id] = until - timedelta(seconds=SWITCH_SLACK_S)
        logger.info("Share %s: camera %s now goes as %s, from %s on.", self.share.share_id,
                    camera_id, words, iso(until) if until else "the share's start")

    def _collect(self) -> None:
        """Queue every segment of the share's window not queued yet (pinning it), each camera
        from the buffer its viewers want now."""
        share = self.share
        added = False
        for camera_id in self.buffers:
            buffer, words = self._choose(camera_id, share)
            if buffer is not self._source.get(camera_id):
                self._switch(camera_id, buffer, words)
            cursor = self._cursor.get(camera_id)
            if cursor is None:
                since = share.started_at - timedelta(seconds=share.preroll_seconds)
                found = buffer.segments_between(since, share.ends_at)
            else:
                found = [s for s in buffer.segments_after(cursor) if s.start < share.ends_at]
            fresh = [s for s in found if s.path not in self._seen]
            buffer.pin([segment.name for segment in fresh])
            for segment in fresh:
                self._seen.add(segment.path)
                self.queue.append(Queued(camera_id, segment, buffer))
                until = self._taken_until.get(camera_id)
                self._taken_until[camera_id] = segment.end if until is None \
                    else max(until, segment.end)
                added = True
            if found:
                self._cursor[camera_id] = max(found[-1].start, cursor or found[-1].start)
            elif cursor is None:
                self._cursor[camera_id] = share.started_at - timedelta(
                    seconds=share.preroll_seconds + 1)
        if added:
            self._sort()


def _plain_outcome(outcome: Outcome) -> str:
    return {
        Outcome.ENDED: "reached its end time",
        Outcome.STOPPED: "stopped because the bridge is stopping",
        Outcome.SHARE_ENDED: "was ended by the server",
        Outcome.REVOKED: "stopped: the server no longer accepts this bridge",
    }[outcome]


class RequestAnswer(enum.StrEnum):
    SENT = "sent"
    UNAVAILABLE = "unavailable"  # told the server the buffer cannot serve it
    LATER = "later"  # the window has not finished yet, or the network failed: try again
    REVOKED = "revoked"
    REFUSED = "refused"  # the server refused the answer (its reason is logged)
    NOT_MINE = "not_mine"  # a camera of another bridge of the same owner


class ShareManager:
    """Polls the uplink, runs a session per active share, answers requests, handles triggers.

    `uplink` is None while the bridge is not paired: triggers are then logged and nothing is
    uploaded (the buffer keeps recording as always). `channel_factory` makes the device channel
    when a state answer names one (None: the bridge only polls).
    """

    def __init__(self, uplink: Uplink | None, config: BridgeConfig,
                 buffers: Mapping[str, SegmentBuffer], *, work_dir: Path,
                 clock: Clock = now_utc, backoff: Backoff | None = None,
                 poll_s: float = 0.5, channel_factory: ChannelFactory | None = None) -> None:
        self.uplink = uplink
        self.config = config
        # the buffers by Porchlight camera id (paired cameras only)
        self.buffers = {camera.camera_id: buffers[camera.id] for camera in config.cameras
                        if camera.camera_id and camera.id in buffers}
        # their substreams' buffers ("<id>.sub" in the runner's), for live shares only:
        # evidence (answer) always comes from the main buffers
        self.subs = {camera.camera_id: buffers[substream_id(camera.id)]
                     for camera in config.cameras
                     if camera.camera_id in self.buffers and substream_id(camera.id) in buffers}
        self.work_dir = work_dir
        self.on_state: Callable[[BridgeState], None] | None = None  # told every state read
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.poll_s = poll_s
        self.revoked = False
        self.results: list[ShareResult] = []
        self._sessions: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._running: dict[str, ShareSession] = {}  # each session, to pass a share's changes
        self._answered: set[str] = set()
        self._unfinished: dict[str, ClipRequest] = {}  # sending broke off: try again
        self._unknown: set[str] = set()  # config camera_ids the server does not know
        self._listed: set[str] = set()  # the owner's camera ids last logged
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.channel_factory = channel_factory
        self.channel: Channel | None = None
        self._refused: ChannelInfo | None = None  # a channel that could not be made
        self._wake = threading.Event()
        self.syncs = 0  # state() calls answered
        # each camera's privacy masks, from the last state answer (None: unreadable)
        self._masks: dict[str, Masks | None] = {}
        self._masks_known = False

    # ------------------------------------------------------------ triggers

    def trigger(self, cameras: Sequence[str] | None, minutes: int | None) -> None:
        """A trigger (LAN endpoint, panic button): start a share without blocking the caller.

        `cameras` are local camera names (None: every paired camera)."""
        thread = threading.Thread(target=self.start_share_now, args=(cameras, minutes),
                                  name="trigger", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def start_share_now(self, cameras: Sequence[str] | None,
                        minutes: int | None) -> ShareInfo | None:
        length = minutes or self.config.share_minutes
        names = list(cameras) if cameras else [camera.id for camera in self.config.cameras]
        ids = [self.config.camera(name).camera_id for name in names]
        paired = [camera_id for camera_id in ids if camera_id]
        if self.uplink is None or self.revoked or not paired:
            why = ("this bridge is not paired with a Porchlight server yet" if self.uplink is None
                   else "the server no longer accepts this bridge" if self.revoked
                   else "none of these cameras is paired (no camera_id in the config)")
            logger.warning("A trigger asked to share %s for %d min, but %s: nothing was "
                           "uploaded. The video stays only in the local buffer.",
                           ", ".join(names), length, why)
            return None
        try:
            share = self.uplink.start_share(paired, length)
        except UplinkRevoked:
            self._revoke()
            return None
        except NETWORK_ERRORS as error:
            logger.error("A trigger asked to share %s, but the server could not be reached "
                         "(%s); nothing was shared. Press the trigger again.",
                         ", ".join(names), error)
            return None
        except ServerRefused as error:
            logger.error("A trigger asked to share %s, but the server refused: %s. Nothing "
                         "was shared.", ", ".join(names), error)
            return None
        logger.warning("Sharing %s live until %s (started by a trigger).", ", ".join(names),
                       iso(share.ends_at))
        self.follow(share)
        return share

    # ------------------------------------------------------------ shares

    def follow(self, share: ShareInfo) -> bool:
        """Start uploading an active share unless it already runs; True when started. A
        running one follows the share's quality (which cameras go from their substream)."""
        with self._lock:
            running = self._sessions.get(share.share_id)
            if running and running[0].is_alive() and share.share_id in self._running:
                self._running[share.share_id].update(share)
            if self.revoked or self._closed.is_set() or (running and running[0].is_alive()):
                return False
            if running:  # finished before: a share id runs once
                return False
            stop = threading.Event()
            session = ShareSession(self.uplink_required, share, self.buffers, clock=self.clock,
                                   backoff=self.backoff, poll_s=self.poll_s, subs=self.subs,
                                   masks=self.masks_for, work_dir=self.work_dir / "masked")
            thread = threading.Thread(target=self._run_session, args=(session, stop),
                                      name=f"share-{share.share_id}", daemon=True)
            self._sessions[share.share_id] = (thread, stop)
            self._running[share.share_id] = session
        thread.start()
        return True

    def serve(self, camera: CameraConfig, buffers: Mapping[str, SegmentBuffer]) -> None:
        """Answer for one more paired camera (added while running: bridge/camera_setup.py),
        from its buffers in `buffers` (the runner's, by local id)."""
        if not camera.camera_id or camera.id not in buffers:
            return
        self.buffers[camera.camera_id] = buffers[camera.id]
        sub = buffers.get(substream_id(camera.id))
        if sub is not None:
            self.subs[camera.camera_id] = sub
        else:
            self.subs.pop(camera.camera_id, None)

    @property
    def uplink_required(self) -> Uplink:
        if self.uplink is None:
            raise RuntimeError("no uplink: the bridge is not paired")
        return self.uplink

    def _run_session(self, session: ShareSession, stop: threading.Event) -> None:
        try:
            result = session.run(stop)
        except Exception:  # a bug in an Uplink must not die silently
            logger.exception("Share %s stopped because of an unexpected error; its cameras keep "
                             "recording locally.", session.share.share_id)
            return
        finally:
            with self._lock:
                self._running.pop(session.share.share_id, None)
        with self._lock:
            self.results.append(result)
        if result.outcome is Outcome.REVOKED:
            self._revoke()

    def _revoke(self) -> None:
        with self._lock:
            if self.revoked:
                return
            self.revoked = True
            sessions = list(self._sessions.values())
        logger.error(REVOKED_MESSAGE)
        for _thread, stop in sessions:
            stop.set()

    def active_shares(self) -> list[str]:
        with self._lock:
            return [share_id for share_id, (thread, _stop) in self._sessions.items()
                    if thread.is_alive()]

    # ------------------------------------------------------------ polling

    def sync(self) -> BridgeState | None:
        """Ask the server what to do now; start new shares, answer requests."""
        if self.uplink is None or self.revoked:
            return None
        try:
            state = self.uplink.state()
        except UplinkRevoked:
            self._revoke()
            return None
        self.syncs += 1
        self._learn_masks(state)
        if self.on_state is not None:
            self.on_state(state)  # (camera setup: quick, its work runs on its own thread)
        self._follow_channel(state.channel)
        self._check_cameras(state)
        for share in state.shares:
            mine = any(camera_id in self.buffers for camera_id in share.camera_ids)
            if mine and share.ends_at > self.clock():
                self.follow(share)
        listed = {request.target_id for request in state.requests}
        # A clip whose sending broke off: the server lists it again while it is unfinished, and
        # the bridge remembers it too (in case the server's answer lost it): tried once per poll.
        again = [r for target_id, r in list(self._unfinished.items()) if target_id not in listed]
        for request in [*state.requests, *again]:
            if request.target_id in self._answered:
                continue
            if self.answer(request) is RequestAnswer.REVOKED:
                break
        return state

    def _learn_masks(self, state: BridgeState) -> None:
        masks: dict[str, Masks | None] = {}
        for camera in state.cameras:
            try:
                masks[camera.camera_id] = masking.from_json(list(camera.masks))
            except (ValueError, TypeError, KeyError, IndexError) as error:
                logger.error("Camera %s: its privacy masks from the server cannot be read (%s); "
                             "nothing of it is sent until they can.", camera.camera_id, error)
                masks[camera.camera_id] = None
        with self._lock:
            self._masks, self._masks_known = masks, True

    def masks_for(self, camera_id: str) -> Masks | None:
        """The camera's privacy masks as the server said last (asked now if it has not said
        yet); None when they are not known or cannot be read: then nothing is sent."""
        if not self._masks_known and self.uplink is not None and not self.revoked:
            try:
                self._learn_masks(self.uplink.state())
            except (*NETWORK_ERRORS, UplinkRevoked, ServerRefused) as error:
                logger.warning("The cameras' privacy masks could not be asked for (%s).", error)
                return None
        with self._lock:
            return self._masks.get(camera_id, Masks()) if self._masks_known else None

    def _check_cameras(self, state: BridgeState) -> None:
        """List the owner's cameras when they change (their ids go into the config), and say
        once, plainly, when a camera_id in the config is not one of them."""
        if not state.cameras:
            return
        known = {camera.camera_id for camera in state.cameras}
        if known != self._listed:
            self._listed = known
            logger.info("The account's cameras in Porchlight (camera_id, name): %s.", "; ".join(
                f"{camera.camera_id} {camera.nickname}".strip() for camera in state.cameras))
        for camera in self.config.cameras:
            if camera.camera_id in self.buffers and camera.camera_id not in known \
                    and camera.camera_id not in self._unknown:
                self._unknown.add(camera.camera_id)
                logger.warning("Camera %s: camera_id %r in the config is not one of the "
                               "cameras of the account this bridge is paired with (listed "
                               "above), so it cannot be shared; check the config.",
                               camera.id, camera.camera_id)

    def run(self, stop: threading.Event) -> None:
        """sync() until stopped, as often as the server asks (less often while the device
        channel is connected, at once when it says so), waiting longer when the server is
        unreachable."""
        delay = self.backoff.first_s
        while not stop.is_set() and self.uplink is not None and not self.revoked:
            self._wake.clear()  # a wake from here on asks again after this sync
            try:
                state = self.sync()
            except (*NETWORK_ERRORS, ServerRefused) as error:
                words = ("cannot be reached" if isinstance(error, NETWORK_ERRORS)
                         else "refused this bridge's question")
                logger.warning("The Porchlight server %s (%s); trying again in %.0f s. "
                               "Recording continues.", words, error, delay)
                self._pause(stop, partial(float, delay))
                delay = self.backoff.after(delay)
                continue
            delay = self.backoff.first_s
            self._pause(stop, partial(self._interval, state))
        self._close_channel()

    def wake(self) -> None:
        """Ask the server now (the device channel calls this; any thread)."""
        self._wake.set()

    def _interval(self, state: BridgeState | None) -> float:
        """How long after a sync to ask again: the channel's slow rate while it is connected,
        else the server's poll rate."""
        if state is None:
            return self.backoff.max_s
        channel = self.channel
        if channel is not None and channel.connected and state.channel is not None:
            return state.channel.poll_seconds
        return state.poll_seconds

    def _pause(self, stop: threading.Event, interval: Callable[[], float]) -> None:
        """Wait `interval()` seconds from now, looked at again as the wait goes on (the channel
        may drop meanwhile), until stopped or woken."""
        started = time.monotonic()
        while not stop.is_set():
            left = started + interval() - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, WAKE_CHECK_S)):
                return

    def _follow_channel(self, info: ChannelInfo | None) -> None:
        """Open the device channel the server names, once; another one replaces it, none
        closes it."""
        if self.channel_factory is None:
            return
        with self._lock:
            current = self.channel
            if current is not None and current.info == info:
                return
            self.channel = None
        if current is not None:
            current.close()
        if info is None or info == self._refused or self._closed.is_set():
            return
        try:
            made = self.channel_factory(info, self.wake)
            made.start()
        except (ValueError, OSError) as error:
            self._refused = info
            logger.warning("The server offers a device channel this bridge cannot use (%s); "
                           "it asks the server every few seconds instead.", error)
            return
        with self._lock:
            self.channel = made
        if self._closed.is_set():
            self._close_channel()

    def _close_channel(self) -> None:
        with self._lock:
            channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()

    # ------------------------------------------------------------ requests

    def answer(self, request: ClipRequest) -> RequestAnswer:
        """Cut an approved request's window from the buffer and send it (or say why not)."""
        uplink = self.uplink_required
        buffer = self.buffers.get(request.camera_id)
        if buffer is None:  # another bridge of the same owner may have this camera
            logger.debug("Request %s is for camera %s, which this bridge does not have; left "
                         "to the bridge that has it.", request.target_id, request.camera_id)
            return RequestAnswer.NOT_MINE
        try:
            if request.window.end > self.clock():
                return RequestAnswer.LATER  # still being recorded: answer once it is over
            return self._send_clip(uplink, buffer, request)
        except UplinkRevoked:
            self._revoke()
            return RequestAnswer.REVOKED
        except NETWORK_ERRORS as error:
            self._unfinished[request.target_id] = request
            logger.warning("Request %s: the server could not be reached (%s); the clip will be "
                           "sent at the next try.", request.target_id, error)
            return RequestAnswer.LATER
        except ServerRefused as error:
            self._done(request)
            logger.error("Request %s: the server refused the answer (%s); it is not sent "
                         "again until the bridge restarts.", request.target_id, error)
            return RequestAnswer.REFUSED

    def _send_clip(self, uplink: Uplink, buffer: SegmentBuffer,
                   request: ClipRequest) -> RequestAnswer:
        window = request.window
        self.work_dir.mkdir(parents=True, exist_ok=True)
        clip = self.work_dir / f"clip-{request.target_id}.mp4"
        try:
            try:
                result = buffer.concatenate(window.start, window.end, clip)
            except NoFootage:
                dark = buffer.gaps_between(window.start, window.end)
                if dark:  # the camera was down (or skipped): say so, not "too old"
                    return self._unavailable(
                        request, f"the camera sent no video from {iso(window.start)} to "
                        f"{iso(window.end)}: {dark[0].reason}")
                minutes = buffer.keep_seconds / 60
                return self._unavailable(
                    request, f"the bridge keeps only the last {minutes:g} "
                    f"minute{'' if minutes == 1 else 's'} of video, and holds none from "
                    f"{iso(window.start)} to {iso(window.end)}")
            gaps = [TimeWindow(gap.start, gap.end) for gap in result.gaps]
            masks = self.masks_for(request.camera_id)
            if masks is None:
                raise ConnectionError("the camera's privacy masks are not known yet")
            sent = clip
            if masks:  # blacked out here: the clip leaves the owner masked
                sent = clip.with_name(f"masked-{clip.name}")
                masked_file(clip, sent, masks, clip=True)
            uplink.upload_clip(request.target_id, sent, TimeWindow(result.start, result.end),
                               gaps, masks.fingerprint)
        finally:
            clip.unlink(missing_ok=True)
            clip.with_name(f"masked-{clip.name}").unlink(missing_ok=True)
        self._done(request)
        logger.info("Request %s: sent %.1f s of camera %s (%s).", request.target_id,
                    result.duration_s, request.camera_id, result.method)
        return RequestAnswer.SENT

    def _unavailable(self, request: ClipRequest, reason: str) -> RequestAnswer:
        self.uplink_required.clip_unavailable(request.target_id, reason)
        self._done(request)
        logger.info("Request %s: told the server no clip can be sent: %s.", request.target_id,
                    reason)
        return RequestAnswer.UNAVAILABLE

    def _done(self, request: ClipRequest) -> None:
        self._answered.add(request.target_id)
        self._unfinished.pop(request.target_id, None)

    def close(self, timeout: float = 10.0) -> None:
        """Stop every share session and wait for them; close the device channel."""
        self._closed.set()
        self._close_channel()
        with self._lock:
            sessions = list(self._sessions.values())
            threads = list(self._threads)
        for _thread, stop in sessions:
            stop.set()
        for thread in [*threads, *(thread for thread, _stop in sessions)]:
            if thread.is_alive():
                thread.join(timeout)
