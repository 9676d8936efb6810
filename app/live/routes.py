from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for

from app.core import localtime, roles
from app.core.errors import ValidationError
from app.live import bp
from app.models.live import QUALITIES
from app.services import clock
from app.services.cameras import bridges, registry
from app.services.realtime import live, police, video
from app.web.access import PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, query, read_json, read_query
from app.web.shapes import BOOL, INT, STR, TIME, URL, arr, maybe, obj

OWNERS = (roles.OWNER, roles.ORG_ADMIN)
POLICE = (roles.DETECTIVE, roles.SUPERVISOR)
CAMERA_IDS = Field(list, items=Field(str, max_length=64, min_length=1), max_items=live.MAX_CAMERAS)
SHARE = obj(share_id=STR, cameras=arr(STR), camera_ids=arr(STR), started_at=TIME, ends_at=TIME,
            preroll_seconds=INT, phone=BOOL, active=BOOL)
OWNER_STATUS = obj(share_id=STR, active=BOOL, phone=BOOL, ends_at=TIME, ended_at=maybe(TIME),
                   viewers=arr(obj(name=STR, role=STR, since=TIME, last_seen=TIME,
                                   watching=BOOL)))
# A camera as police see it in a share (app.core.live_view): its alias, and its name and place
# as far as its map visibility allows; never its id.
SHARED_CAMERA = obj(stream=STR, name=STR, place=maybe(STR), location=STR)
VIEWED_CAMERA = obj(stream=STR, name=STR, place=maybe(STR), location=STR, allowed=BOOL,
                    reason=STR, until=maybe(TIME))
PIECE_PUT = obj(("url", "headers", "name"), stored=BOOL, url=URL, headers={"type": "object"},
                name=STR)
STORED = obj(stored=BOOL)


def share_json(share: Any) -> dict[str, Any]:
    return {"share_id": share.share_id, "cameras": list(share.camera_ids),
            "camera_ids": list(share.camera_ids),
            "started_at": share.started_at.isoformat(), "ends_at": share.ends_at.isoformat(),
            "preroll_seconds": int(share.preroll_seconds), "phone": bool(share.phone),
            "active": live.is_active(share, clock.now())}


@bp.route("/share", methods=["GET", "POST"])
@allow(*OWNERS)
def share_now() -> Any:
    owner = require_user()
    own = registry.cameras_of(owner.user_id)
    cameras = [c for c in own if c.tier in ("on_alert", "always") and not c.paused]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            minutes = int(request.form.get("minutes", "0") or 0)
        except ValueError:
            minutes = 0
        try:
            share = live.start(settings(), owner, request.form.getlist("camera_ids"), minutes,
                               "app", client_ip(), phone=request.form.get("phone") == "1")
            return redirect(url_for("live.share_now", share=share.share_id))
        except ValidationError as exc:
            errors = exc.errors or {"camera_ids": exc.detail}
    current = [s for s in live.shares_of(owner) if live.is_active(s, clock.now())]
    return render_template("live/share.html", cameras=cameras, errors=errors, active=current,
                           names={c.camera_id: c.nickname for c in own},
                           served=bridges.served_by(owner),
                           limit=min((int(c.max_live_minutes or 30) for c in cameras),
                                     default=30)), 422 if errors else 200


@bp.route("/share/<share_id>/end", methods=["POST"])
@allow(*OWNERS)
def end_share(share_id: str) -> Any:
    live.end(require_user(), share_id, client_ip())
    return redirect(url_for("live.share_now", ended=1))


@bp.route("/api/shares", methods=["POST"])
@allow(*OWNERS)
@accepts({"camera_ids": CAMERA_IDS, "minutes": Field(int),
          "phone": Field(bool, required=False, doc="also share the phone's own camera")})
@answers(201, SHARE)
def api_start() -> Any:
    """Share these cameras live with the program's police for some minutes (owner's limit)."""
    data = read_json()
    share = live.start(settings(), require_user(), data["camera_ids"], data["minutes"], "app",
                       client_ip(), phone=bool(data.get("phone")))
    return jsonify(share_json(share)), 201


@bp.route("/api/shares/<share_id>/phone", methods=["POST"])
@allow(*OWNERS)
@accepts({"mime": Field(str, max_length=80), "duration_s": Field(float), "size": Field(int)})
@answers(201, PIECE_PUT)
@fails(409, 410)
def api_phone_piece(share_id: str) -> Any:
    """The owner's phone recorded a piece of its camera: a PUT URL for it."""
    data = read_json()
    return jsonify(video.announce_phone_piece(settings(), require_user(), share_id, data,
                                                   client_ip())), 201


@bp.route("/api/shares/<share_id>/phone/<name>/done", methods=["POST"])
@allow(*OWNERS)
@accepts({})
@answers(200, STORED)
@fails(409, 410)
def api_phone_piece_done(share_id: str, name: str) -> Any:
    """The piece is in storage: check its size and offer it to viewers."""
    read_json()
    return jsonify(video.finish_phone_piece(settings(), require_user(), share_id, name))


@bp.route("/api/shares/<share_id>", methods=["GET", "DELETE"])
@allow(*OWNERS)
@answers(200, OWNER_STATUS)
@fails(409)
def api_share(share_id: str) -> Any:
    """A share as its owner sees it (who watched); DELETE ends it."""
    if request.method == "DELETE":
        live.end(require_user(), share_id, client_ip())
    return jsonify(live.owner_status(require_user(), share_id))


@bp.route("/api/bridge/shares", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({"camera_ids": CAMERA_IDS, "minutes": Field(int)})
@answers(201, SHARE)
def api_bridge_share() -> Any:
    """A bridge's trigger (a panic button on the owner's network) starts a share."""
    device = bridges.authenticate(request.headers.get("Authorization", ""))
    data = read_json()
    owner = bridges.owner_of(device)
    share = live.start(settings(), owner, data["camera_ids"], data["minutes"], "bridge",
                       client_ip())
    return jsonify(share_json(share)), 201


@bp.route("/live")
@allow(*POLICE)
def police_list() -> Any:
    return render_template("live/list.html", shares=police.police_list(require_user()))


@bp.route("/live/<share_id>")
@allow(*POLICE)
def watch(share_id: str) -> Any:
    """The live player; what may be watched is decided by the API it calls."""
    shares = {s.share.share_id: s for s in police.police_list(require_user())}
    return render_template("live/watch.html", shown=shares.get(share_id), share_id=share_id)


@bp.route("/api/live/<share_id>/pieces")
@allow(*POLICE)
@query(camera=Field(str, max_length=64, doc="a camera's `stream` from the view, or phone"),
       after=Field(str, required=False, max_length=40),
       at=Field(str, required=False, max_length=40,
                doc="ISO 8601 with its zone: play from the piece holding this moment"),
       **{"from": Field(str, required=False, max_length=10, choices=("start", "newest"))})
@answers(200, obj(active=BOOL, ends_at=TIME, poll_ms=INT,
                  pieces=arr(obj(name=STR, start=TIME, end=TIME, mime=STR, size=INT,
                                 url=URL)),
                  now=TIME, first_start=maybe(TIME),
                  masked={"type": "boolean",
                          "description": "parts of this view are masked by the owner (their "
                                         "privacy masks are black in every piece)"}))
@fails(409, 410)
def api_pieces(share_id: str) -> Any:
    """Ready pieces of one camera after `after` (or from the piece holding the moment `at`,
    or the newest, or from the pre-roll's start), each with a URL that lapses within
    seconds, and when the camera's first piece starts; refused once the share ends."""
    asked = read_query()
    at = localtime.instant(asked["at"], "at") if "at" in asked else None
    return jsonify(video.pieces_for(settings(), require_user(), share_id, asked["camera"],
                                         asked.get("after", ""), asked.get("from") == "start",
                                         at))


@bp.route("/api/live/<share_id>/quality", methods=["POST"])
@allow(*POLICE)
@accepts({"camera": Field(str, max_length=64, doc="a camera's `stream` from the view"),
          "quality": Field(str, max_length=4, choices=QUALITIES,
                           doc="main (an enlarged tile) or sub (the low-resolution substream)")})
@answers(200, obj(share_id=STR, quality=STR))
@fails(409, 410)
def api_quality(share_id: str) -> Any:
    """Which recording of a camera its owner's bridge sends for this share: its main stream
    or its substream (told to the bridge at once)."""
    data = read_json()
    return jsonify(video.set_quality(settings(), require_user(), share_id, data["camera"],
                                     data["quality"]))


@bp.route("/api/live")
@allow(*POLICE)
@answers(200, obj(shares=arr(obj(share_id=STR, where=STR, cameras=arr(SHARED_CAMERA),
                                 phone=BOOL, started_at=TIME, ends_at=TIME))))
def api_police_list() -> Any:
    """Live shares open to the signed-in officer's program now: each camera by its alias in
    the share, with what its map visibility lets police see of it."""
    return jsonify({"shares": [s.as_json() for s in police.police_list(require_user())]})


@bp.route("/api/live/<share_id>/view", methods=["POST"])
@allow(*POLICE)
@accepts({})
@answers(200, obj(share_id=STR, where=STR, ends_at=TIME,
                  cameras=arr(VIEWED_CAMERA)))
@fails(409, 410)
def api_view(share_id: str) -> Any:
    """Start watching a share: which of its cameras the owner's rules let this officer see
    now (audited, and shown to the owner)."""
    read_json()
    return jsonify(police.open_view(require_user(), share_id, client_ip()))


@bp.route("/live/<share_id>/leave", methods=["POST"])
@allow(*POLICE)
def leave(share_id: str) -> Any:
    """The player's page went away (a beacon, a form post: the CSRF token is a form field)."""
    police.leave_view(require_user(), share_id)
    return "", 204


@bp.route("/api/live/<share_id>/leave", methods=["POST"])
@allow(*POLICE)
@accepts({})
@answers(200, obj(share_id=STR, left=BOOL))
@fails(409, 410)
def api_leave(share_id: str) -> Any:
    """Stop watching a share (the player says so as its page goes away): the officer's time
    watching, which the owner reads, ends now."""
    read_json()
    return jsonify(police.leave_view(require_user(), share_id))
