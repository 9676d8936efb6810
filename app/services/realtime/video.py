"""The video of a live share: pieces sent by the owner's bridge or phone, played by police.

A sender (the bridge for a registered camera, or the owner's phone) announces each finished
piece, puts its bytes straight into S3 through a short-lived presigned URL, then says it is
done; the app checks that S3 holds exactly the announced size before the piece is `ready`.
Announcing a piece already stored answers `stored` and nothing is sent twice, so a sender can
retry after any lost answer. A piece is written once: its PUT URL is signed with
`If-None-Match: *`, so S3 refuses to replace a piece already stored (412; a PUT without the
signed header fails its signature), and the piece police play is the one first stored.

Police play a share by asking, about once a second, for the ready pieces after the last one
they have. Every ask checks the share is still running and the owner's rules for that camera
allow watching now; the answer carries GET URLs valid for `GET_SECONDS` only. When the owner
ends the share, the next ask is refused and the URLs already handed out lapse within seconds:
nothing a police browser holds keeps working.

Pieces are stored under `live/<share_id>/<stream>/<name>` in the uploads bucket, where the
stream is the camera's alias in the share (`app.services.realtime.live.aliases_of`) or "phone":
police fetch pieces by that key and ask for them by that alias, never by a camera id. (The bridge,
the owner's own, announces pieces by camera id.) They are not evidence: a detective who needs
the video asks for it through a footage request. The retention worker deletes them an hour
after the share ends, the bucket's lifecycle rule after a day in any case.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from app.aws import aws_client, s3_missing
from app.config import Settings
from app.core import localtime, viewing
from app.core import masks as mask_rules
from app.core.cameras import police_may_name
from app.core.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError
from app.core.texts import gettext
from app.models.bridge import BridgeDevice
from app.models.cameras import Camera
from app.models.live import PHONE, LiveSegment, LiveShare
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.governance.policy import policy_for
from app.services.realtime import channel, live

PREFIX = "live/"
MAX_PIECE_BYTES = 16 * 1024 * 1024  # 2 s of 1080p is about 1 MB; 16 MB leaves room for 4K
MAX_PIECE_SECONDS = 12.0
PUT_SECONDS = 120  # a sender puts the bytes right after announcing them
GET_SECONDS = 4  # police URLs: an ended share stops playing within this
KEEP_ITEMS = timedelta(days=1)
KEEP_VIDEO = timedelta(hours=1)  # after a share ends, its pieces are deleted
VIEWER_NOTE_EVERY = viewing.NOTE_EVERY  # how long each viewer watched: app.core.viewing
LIVE_EDGE_PIECES = 2  # a viewer joining starts this many pieces from the newest
MAX_PIECES_PER_ASK = 10
NAME = re.compile(r"^\d{8}T\d{6}\.\d{3}Z\.(mp4|webm)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CODECS = re.compile(r"^[A-Za-z0-9.]{2,40}(,[A-Za-z0-9.]{2,40})?$")
CONTAINERS = {"mp4": "video/mp4", "webm": "video/webm"}
PREROLL_SLACK = timedelta(seconds=30)  # a piece may start a little before the pre-roll window


def stream_of(share_id: str, camera_id: str) -> str:
    """A stream's items in the live-segments table (internal: keyed by the camera id)."""
    return f"{share_id}/{camera_id}"


def key_of(share: LiveShare, camera_id: str, name: str) -> str:
    """Where a piece is stored: police fetch it by this key, so it names the camera's alias."""
    stream = PHONE if camera_id == PHONE else live.aliases_of(share)[camera_id]
    return f"{PREFIX}{share.share_id}/{stream}/{name}"


def _size(value: Any, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise ValidationError(gettext("The piece must be 1 byte to %(max)s MB.",
                                      max=limit // (1024 * 1024)),
                              {"size": gettext("1 to %(max)s bytes", max=limit)})
    return value


def _mime(container: str, codecs: Any) -> str:
    codecs = str(codecs or "").replace(" ", "")
    if codecs and not CODECS.match(codecs):
        raise ValidationError(gettext("The codecs string is not one a browser could play."),
                              {"codecs": gettext("like avc1.64001f or vp8")})
    base = CONTAINERS[container]
    return f'{base}; codecs="{codecs}"' if codecs else base


def _active_share(share_id: str, owner_id: str) -> LiveShare:
    share = live.share_owned_by(owner_id, share_id)
    now = clock.now()
    if not live.is_active(share, now) or live.end_if_idle(share, now):
        raise GoneError("This live share has ended; stop sending video.")
    return share


def _put_url(settings: Settings, key: str, content_type: str, seconds: int) -> dict[str, Any]:
    """A write-once PUT: `If-None-Match: *` is signed in, so S3 stores the bytes only where
    nothing is stored yet, and a PUT that leaves the header out fails its signature."""
    url = aws_client(settings, "s3").generate_presigned_url(
        "put_object", ExpiresIn=seconds,
        Params={"Bucket": settings.uploads_bucket, "Key": key, "ContentType": content_type,
                "IfNoneMatch": "*"})
    return {"stored": False, "url": url,
            "headers": {"Content-Type": content_type, "If-None-Match": "*"}}


def _held_bytes(s3: Any, settings: Settings, key: str) -> int | None:
    """How many bytes S3 holds under this key (None: nothing)."""
    try:
        return int(s3.head_object(Bucket=settings.uploads_bucket, Key=key)["ContentLength"])
    except s3.exceptions.ClientError as exc:
        if s3_missing(exc):
            return None
        raise  # not an answer: a piece that may be there must not be announced over


def _announce(settings: Settings, share: LiveShare, camera_id: str, name: str,
              start: datetime, end: datetime, size: int, mime: str, sha256: str | None,
              run: str | None) -> dict[str, Any]:
    stream = stream_of(share.share_id, camera_id)
    try:
        piece = LiveSegment.get(stream, name, consistent_read=True)
    except DoesNotExist:
        piece = None
    if piece is not None and piece.ready:
        return {"stored": True}
    if piece is not None:
        # Announced before and not confirmed: its bytes may have arrived (the sender lost the
        # answer to its PUT). Whole: confirm it now. Anything else: clear the key, since a
        # write-once URL cannot put the piece over what is there.
        s3 = aws_client(settings, "s3")
        held = _held_bytes(s3, settings, piece.key)
        if held is not None and held == int(piece.size) == size:
            piece.update(actions=[LiveSegment.ready.set(True)])
            return {"stored": True}
        if held is not None:
            s3.delete_object(Bucket=settings.uploads_bucket, Key=piece.key)
    now = clock.now()
    piece = LiveSegment(stream, name, key=key_of(share, camera_id, name), mime=mime,
                        start=start, end=end, size=size, sha256=sha256, run=run, ready=False,
                        created_at=now,
                        expires_epoch=int((share.ends_at + KEEP_ITEMS).timestamp()))
    piece.save()
    return _put_url(settings, piece.key, mime.split(";")[0], PUT_SECONDS)


def _finish(settings: Settings, share: LiveShare, camera_id: str, name: str) -> dict[str, Any]:
    # The name comes from the URL: refuse any that is not a piece's own before looking it up.
    if not NAME.match(name):
        raise ValidationError(gettext("A piece is named after its time, like "
                                      "20260314T120305.123Z.mp4; this name is not one."),
                              {"name": gettext("bad piece name")})
    try:
        piece = LiveSegment.get(stream_of(share.share_id, camera_id), name or "-",
                                consistent_read=True)
    except DoesNotExist as exc:
        raise ConflictError("This piece was never announced; announce it again and resend it."
                            ) from exc
    if piece.ready:
        return {"stored": True}
    s3 = aws_client(settings, "s3")
    held = _held_bytes(s3, settings, piece.key)
    if held is None:
        raise ConflictError("The video piece has not arrived; announce it again and resend it.")
    if held != int(piece.size):
        s3.delete_object(Bucket=settings.uploads_bucket, Key=piece.key)
        raise ConflictError("The piece that arrived is not the size announced; announce it "
                            "again and resend it.")
    piece.update(actions=[LiveSegment.ready.set(True)])
    return {"stored": True}


# ---------------------------------------------------------------- the bridge


def announce_bridge_piece(settings: Settings, device: BridgeDevice, share_id: str,
                          data: dict[str, Any]) -> dict[str, Any]:
    """A bridge has a closed segment of a shared camera: where to put it (or: already have it)."""
    share = _active_share(share_id, device.owner_id)
    camera_id = str(data["camera_id"])
    if camera_id not in share.camera_ids:
        raise ValidationError(gettext("This camera is not part of the share."),
                              {"camera_id": gettext("not shared")})
    name = str(data["name"])
    match = NAME.match(name)
    if not match or match.group(1) != "mp4":
        raise ValidationError(gettext("A bridge segment is named after its start time, like "
                                      "20260314T120305.123Z.mp4."),
                              {"name": gettext("bad segment name")})
    start, end = localtime.instant(data["start"], "start"), localtime.instant(data["end"], "end")
    duration = float(data["duration_s"])
    if not 0 < duration <= MAX_PIECE_SECONDS or end <= start:
        raise ValidationError(gettext("A segment lasts more than 0 and at most %(max)s s.",
                                      max=format(MAX_PIECE_SECONDS, "g")),
                              {"duration_s": gettext("out of range")})
    earliest = share.started_at - timedelta(seconds=int(share.preroll_seconds)) - PREROLL_SLACK
    if start < earliest or start >= share.ends_at:
        raise ValidationError(gettext("This segment is outside the share's time (its pre-roll "
                                      "to its end)."), {"start": gettext("outside the share")})
    sha = str(data["sha256"]).lower()
    if not SHA256.match(sha):
        raise ValidationError(gettext("sha256 must be 64 hex digits."),
                              {"sha256": gettext("not a SHA-256")})
    _check_masks(camera_id, data.get("masks"))
    return _announce(settings, share, camera_id, name, start, end,
                     _size(data["size"], MAX_PIECE_BYTES), _mime("mp4", data.get("codecs")),
                     sha, str(data.get("run") or "")[:64] or None)


def _check_masks(camera_id: str, said: Any) -> None:
    """A piece leaves for the police only masked with exactly the camera's privacy masks now
    (`said`: the fingerprint of those the bridge blacked out, "" none; app/core/masks.py).
    One made with others (the owner changed them since, or a bridge too old to mask) is
    refused: the bridge hears of the new masks at its next state read."""
    try:
        camera = Camera.get(camera_id)
    except DoesNotExist as exc:
        raise NotFoundError(gettext("This camera is no longer registered.")) from exc
    if str(said or "") != mask_rules.fingerprint(mask_rules.loads(camera.masks)):
        raise ConflictError(gettext("This piece was not made with the camera's privacy masks "
                                    "as they are now; it is not sent to the police."))


def finish_bridge_piece(settings: Settings, device: BridgeDevice, share_id: str,
                        camera_id: str, name: str) -> dict[str, Any]:
    share = _active_share(share_id, device.owner_id)
    if camera_id not in share.camera_ids:  # from the URL, like the name
        raise ValidationError(gettext("This camera is not part of the share."),
                              {"camera_id": gettext("not shared")})
    return _finish(settings, share, camera_id, name)


# ---------------------------------------------------------------- the owner's phone


def _phone_container(mime: Any) -> tuple[str, str]:
    text = str(mime or "").strip().lower()
    base, _, params = text.partition(";")
    containers = {v: k for k, v in CONTAINERS.items()}
    if base.strip() not in containers:
        raise ValidationError(gettext("The phone's video must be WebM or MP4."),
                              {"mime": gettext("video/webm or video/mp4")})
    codecs = ""
    found = re.search(r'codecs="?([^"]*)"?', params)
    if found:
        codecs = found.group(1)
    return containers[base.strip()], codecs


def announce_phone_piece(settings: Settings, owner: User, share_id: str,
                         data: dict[str, Any], ip: str) -> dict[str, Any]:
    """The owner's phone recorded a piece of its own camera: name it, say where to put it."""
    share = _active_share(share_id, owner.user_id)
    container, codecs = _phone_container(data["mime"])
    duration = float(data["duration_s"])
    if not 0 < duration <= MAX_PIECE_SECONDS:
        raise ValidationError(gettext("A piece lasts more than 0 and at most %(max)s s.",
                                      max=format(MAX_PIECE_SECONDS, "g")),
                              {"duration_s": gettext("out of range")})
    end = clock.now()
    start = end - timedelta(seconds=duration)
    name = end.strftime("%Y%m%dT%H%M%S.") + f"{end.microsecond // 1000:03d}Z.{container}"
    if not share.phone:
        share.update(actions=[LiveShare.phone.set(True)])
        audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "live.phone_started",
                     owner.user_id, {"share": share.share_id})
    answer = _announce(settings, share, PHONE, name, start, end,
                       _size(data["size"], MAX_PIECE_BYTES), _mime(container, codecs), None, None)
    return {**answer, "name": name}


def finish_phone_piece(settings: Settings, owner: User, share_id: str, name: str
                       ) -> dict[str, Any]:
    return _finish(settings, _active_share(share_id, owner.user_id), PHONE, name)


# ---------------------------------------------------------------- police


def _allowed_streams(officer: User, share: LiveShare, now: datetime
                     ) -> tuple[dict[str, str], dict[str, Camera]]:
    """Each stream of the share police may watch now → why not ("" when allowed), and the
    share's cameras still registered."""
    zone = policy_for(share.agency_id).timezone
    cameras = {c.camera_id: c for c in Camera.batch_get(list(share.camera_ids))}
    out: dict[str, str] = {}
    for camera in cameras.values():
        decision = live.decision(share, camera, officer.agency_id, now, zone)
        out[camera.camera_id] = "" if decision.allowed else decision.reason
    # The owner's phone may join the share at any time; it is watchable while any of the
    # share's cameras is (it shows the same place, by the owner's own choice).
    out[PHONE] = "" if any(not why for why in out.values()) else "no camera is allowed now"
    return out, cameras


def _asked_stream(share: LiveShare, asked: str, cameras: dict[str, Camera]) -> str | None:
    """The camera id (or "phone") police asked for: a camera's alias in the share. A camera's
    own id is taken too when police may know it (its place is on the map); a hidden camera's
    id is answered like any unknown name, so asking by id tells nothing."""
    if asked == PHONE:
        return PHONE
    by_alias = live.camera_of(share, asked)
    if by_alias is not None:
        return by_alias
    camera = cameras.get(asked)
    return asked if camera is not None and police_may_name(camera.visibility) else None


def _watched_stream(officer: User, share_id: str, stream_name: str, now: datetime
                    ) -> tuple[LiveShare, str, Camera | None]:
    """The share, the camera id (or "phone") behind `stream_name` and that camera (None for
    the phone), once every rule of an ask for pieces holds: the share is running, this
    officer opened it, and the owner's rules allow watching that camera now."""
    share = live.police_share(officer, share_id)
    if not live.is_active(share, now):
        why = "The owner ended this live share." if share.ended_by else \
            "This live share reached its end time."
        raise GoneError(why)
    if officer.user_id not in live.viewers_of(share):
        raise ConflictError("Open the live share first.")
    streams, cameras = _allowed_streams(officer, share, now)
    camera_id = _asked_stream(share, stream_name, cameras) or ""
    if camera_id not in streams:
        raise NotFoundError("This camera is not part of the share.")
    if streams[camera_id]:
        raise ForbiddenError(f"The owner's rules do not allow watching this camera now: "
                             f"{streams[camera_id]}.")
    return share, camera_id, cameras.get(camera_id)


def _stamp(moment: datetime) -> str:
    """A moment as pieces are named (20260314T120305.123Z): names sort as their times do."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


def _from_moment(stream: str, at: datetime) -> list[LiveSegment]:
    """Ready pieces starting with the one that holds `at` (or, if none does, the first after
    it): at most two Queries. A bridge names a piece after its start, the phone after its end;
    either way names sort by time, and a piece holds `at` when it ends after it."""
    stamp = _stamp(at)
    before = [p for p in LiveSegment.query(stream, LiveSegment.name <= stamp,
                                           scan_index_forward=False, consistent_read=True,
                                           limit=1)]
    if before and before[0].ready and before[0].end > at:
        condition = LiveSegment.name >= before[0].name
    else:
        condition = LiveSegment.name > stamp
    return [p for p in LiveSegment.query(stream, condition, consistent_read=True,
                                         limit=MAX_PIECES_PER_ASK) if p.ready]


def _first_start(stream: str) -> str | None:
    """When the stream's first ready piece starts (the scrubber's left end): one Query of a
    few items (a piece announced and not yet whole is passed over)."""
    for piece in LiveSegment.query(stream, limit=3):
        if piece.ready:
            return piece.start.isoformat()
    return None


def pieces_for(settings: Settings, officer: User, share_id: str, stream_name: str, after: str,
               from_start: bool, at: datetime | None = None) -> dict[str, Any]:
    """The ready pieces of one stream (a camera's alias in the share, or "phone") after
    `after`; without it, from the piece holding the moment `at`, from the share's first piece
    (`from_start`), or the newest. URLs lapse in seconds. `first_start` says where the
    stream's video begins, so a player knows how far back it may go."""
    now = clock.now()
    share, camera_id, camera = _watched_stream(officer, share_id, stream_name, now)
    seen = live.viewers_of(share)[officer.user_id]
    # (an ask that was on its way when the player left does not undo the leaving; a page that
    # comes back opens the share again)
    if "left" not in seen and now - datetime.fromisoformat(seen["last"]) >= VIEWER_NOTE_EVERY:
        live.note_viewer(share, officer, now)
    stream = stream_of(share.share_id, camera_id)
    first: str | None = None
    if after:
        found = [p for p in LiveSegment.query(stream, LiveSegment.name > after,
                                              consistent_read=True, limit=MAX_PIECES_PER_ASK)
                 if p.ready]
    elif at is not None:
        found = _from_moment(stream, at)
    elif from_start:
        found = [p for p in LiveSegment.query(stream, consistent_read=True,
                                              limit=MAX_PIECES_PER_ASK) if p.ready]
        first = found[0].start.isoformat() if found else None
    else:
        newest = [p for p in LiveSegment.query(stream, scan_index_forward=False,
                                               consistent_read=True, limit=LIVE_EDGE_PIECES + 4)
                  if p.ready]
        found = list(reversed(newest[:LIVE_EDGE_PIECES]))
    first = first or _first_start(stream)
    s3 = aws_client(settings, "s3")
    # A piece's start and end are when its pictures were captured (a bridge stamps them with
    # the camera's own capture time); with the server's `now` the player says how far behind
    # live the video is, and that the camera is offline when pieces stop coming.
    return {
        "active": True, "ends_at": share.ends_at.isoformat(), "poll_ms": 1000,
        "now": now.isoformat(), "first_start": first,
        "masked": bool(camera is not None and camera.masks),
        "pieces": [{"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat(),
                    "mime": p.mime, "size": int(p.size),
                    "url": s3.generate_presigned_url(
                        "get_object", ExpiresIn=GET_SECONDS,
                        Params={"Bucket": settings.uploads_bucket, "Key": p.key})}
                   for p in found]}


def set_quality(settings: Settings, officer: User, share_id: str, stream_name: str,
                quality: str) -> dict[str, Any]:
    """Which of a camera's two recordings its bridge sends for this share: "sub" (the low
    resolution substream, for a tile of the wall) or "main" (an enlarged tile). Allowed to an
    officer who may ask for its pieces now; the owner's bridges are woken to read it."""
    share, camera_id, _camera = _watched_stream(officer, share_id, stream_name, clock.now())
    if camera_id == PHONE:
        raise ValidationError(gettext("The owner's phone sends one stream only."),
                              {"camera": gettext("not a bridge camera")})
    live.set_quality(share, camera_id, quality)
    channel.wake_owner(settings, share.owner_id, "quality", share_id=share.share_id)
    return {"share_id": share.share_id, "quality": quality}


# ---------------------------------------------------------------- retention


def delete_ended_video(settings: Settings, now: datetime | None = None) -> int:
    """Delete the pieces of shares that ended over KEEP_VIDEO ago; the number of pieces.

    Run by the retention worker after live.close_expired(). Safe to repeat: a share is marked
    only once all its pieces are gone."""
    now = now or clock.now()
    s3 = aws_client(settings, "s3")
    deleted = 0
    for share in LiveShare.scan(LiveShare.ended_at.exists()
                                & LiveShare.video_deleted_at.does_not_exist()):
        if share.ended_at is None or share.ended_at > now - KEEP_VIDEO:
            continue
        for camera_id in [*share.camera_ids, PHONE]:
            for piece in LiveSegment.query(stream_of(share.share_id, camera_id)):
                s3.delete_object(Bucket=settings.uploads_bucket, Key=piece.key)
                piece.delete()
                deleted += 1
        share.update(actions=[LiveShare.video_deleted_at.set(now)])
    return deleted


def delete_video_of(settings: Settings, owner_id: str) -> int:
    """Delete every piece of every share of one owner now (they left the program)."""
    s3 = aws_client(settings, "s3")
    deleted = 0
    for share in LiveShare.owner_index.query(owner_id):
        for camera_id in [*share.camera_ids, PHONE]:
            for piece in LiveSegment.query(stream_of(share.share_id, camera_id)):
                s3.delete_object(Bucket=settings.uploads_bucket, Key=piece.key)
                piece.delete()
                deleted += 1
        share.update(actions=[LiveShare.video_deleted_at.set(clock.now())])
    return deleted
