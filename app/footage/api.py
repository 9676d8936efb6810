"""JSON endpoints for footage requests, uploads, evidence links and push subscriptions."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.core import footage, gaps, roles
from app.core.texts import gettext
from app.footage import bp
from app.services import push
from app.services.footage import canvass, missing, timeline, uploads
from app.services.governance.policy import policy_for
from app.web.access import ANY_USER, PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, read_json
from app.web.queries import police_query
from app.web.shapes import BOOL, INT, STR, TIME, URL, arr, maybe, obj

# A part of the asked window the clip has no video for, in real UTC time (app.core.gaps).
GAP = obj(start=TIME, end=TIME, kind={
    "type": "string", "enum": list(gaps.KINDS),
    "description": "before_file: the owner's video starts later than the asked time; "
                   "after_file: it ends before the asked end; camera_offline: the owner's "
                   "bridge got no pictures from the camera"},
    words={"type": "string",
           "description": "the gap in plain words, in the program's time zone"})
CLIP = obj(seconds={"type": "number", "description": "the delivered clip's length"},
           method={"type": "string", "enum": ["stream_copy", "smart_cut", "reencode"],
                   "description": "stream_copy: every picture is the recorder's own; "
                                  "smart_cut: the recorder's own, re-encoded only from the "
                                  "asked start to its next keyframe (and any last pictures "
                                  "leaning past the asked end); reencode: every picture made "
                                  "again (the manifest says why)"},
           truncated={"type": "boolean", "description": "true when `gaps` has any"},
           gaps=arr(GAP),
           package_ready={"type": "boolean",
                          "description": "the evidence package is made (it follows the clip "
                                         "by a few minutes; its link answers 409 until then)"},
           delete_after=TIME, legal_hold=BOOL,
           masked={"type": "boolean",
                   "description": "parts of this view are masked by the owner: their privacy "
                                  "masks are black in every picture (the manifest says which)"})
BOARD = obj(id=STR, case_number=STR, offense=STR, state=STR, state_words=STR, window_start=TIME,
            window_end=TIME, expires_at=TIME, skipped_refusing=INT,
            targets=arr(obj(id=STR, camera=STR, tier=STR, status=STR, status_words=STR,
                            reason=STR, updated_at=TIME,
                            clip=maybe(CLIP))))
TARGET = obj(id=STR, status=STR, reason=STR, status_words=STR, updated_at=TIME,
             missing=arr(STR), may_send_another=BOOL)
UPLOAD = obj(upload_id=STR, filename=STR, size=INT, part_bytes=INT, part_count=INT,
             parts_done=arr(INT), bytes_done=INT)

POLICE = (roles.DETECTIVE, roles.SUPERVISOR)


@bp.route("/api/requests", methods=["POST"])
@police_query("request.create_refused")
@allow(roles.DETECTIVE)
@accepts({"camera_ids": Field(list, items=Field(str, max_length=64)),
          "case_number": Field(str, max_length=40), "offense": Field(str, max_length=40),
          "window_start": Field(str, max_length=40, doc="ISO 8601 date and time"),
          "window_end": Field(str, max_length=40, doc="ISO 8601 date and time"),
          "lat": Field(float, minimum=-90, maximum=90),
          "lon": Field(float, minimum=-180, maximum=180),
          "message": Field(str, required=False, max_length=500),
          "hidden_radius_m": Field(float, required=False, minimum=0,
                                   doc="also ask the hidden cameras of the ~1 km cells this "
                                       "circle around the place touches (police never learn "
                                       "which they are or where; 0: none)")})
@answers(201, BOARD)
def api_create() -> Any:
    """Ask the owners of these cameras for footage of one incident (a case number, an
    offense the program allows, a window of at most the program's limit). The request is
    checked whole before any camera is read, and refused ones are audited too."""
    data = read_json()
    created = canvass.create(settings(), require_user(), data, client_ip())
    return jsonify(canvass.board(require_user(), created.request_id)), 201


@bp.route("/api/requests/<request_id>")
@allow(*POLICE)
@answers(200, BOARD)
def api_board(request_id: str) -> Any:
    """The status board: one row per asked camera. A ready clip gives its delivered length
    (`seconds`: exactly the asked window's pictures, less any gaps), how it was made
    (`method`: stream_copy, smart_cut or reencode), every part of the window it has no video
    for (`gaps`, with `truncated` true when there is any), and whether its evidence package
    is made yet (`package_ready`: the package follows the clip by a few minutes)."""
    return jsonify(canvass.board(require_user(), request_id))


ACTIVITY = obj(start=TIME, end=TIME)
PLACE = obj(lat={"type": "number"}, lon={"type": "number"}, approximate=BOOL,
            heading_deg={"type": "number"}, fov_deg={"type": "number"},
            range_m={"type": "number"})
TIMELINE_CLIP = obj(
    id=STR, camera=STR, start=TIME, end=TIME, seconds={"type": "number"},
    clock_offset_s={"type": "number", "description": "the recorder's clock minus real time"},
    offset_words=STR, clip_sha256=STR, gaps=arr(GAP),
    activity=arr(ACTIVITY),  # moments of motion, in real time (nothing about who)
    masked=BOOL, place=maybe(PLACE))  # where police may see the camera; null when hidden
TIMELINE = obj(id=STR, case_number=STR, offense=STR, zone=STR, window_start=TIME,
               window_end=TIME, clips=arr(TIMELINE_CLIP))


@bp.route("/api/requests/<request_id>/timeline")
@allow(*POLICE)
@answers(200, TIMELINE)
def api_timeline(request_id: str) -> Any:
    """The case timeline: every ready clip on one real-time axis (`start`: its first
    picture's real time, its recorder's clock offset applied; picture s seconds in was
    captured at start + s), its gaps, its moments of motion and where its camera is."""
    return jsonify(timeline.case_timeline(settings(), require_user(), request_id))


@bp.route("/api/requests/<request_id>/timeline/export")
@allow(*POLICE)
@answers(200, obj(format=STR, request_id=STR, case_number=STR, made_at=TIME, made_by=STR,
                  zone=STR, alignment=STR, window=obj(start=TIME, end=TIME),
                  clips=arr(obj(id=STR, camera=STR, clip_sha256=STR, start=TIME, end=TIME,
                                seconds={"type": "number"},
                                clock_offset_s={"type": "number"}, offset_words=STR,
                                gaps=arr(GAP), activity=arr(ACTIVITY), masked=BOOL))))
def api_timeline_export(request_id: str) -> Any:
    """The timeline as part of the case's evidence, to download: each clip's real-time span
    and clock offset, so that the alignment can be reproduced (audited)."""
    data = timeline.export(settings(), require_user(), request_id, client_ip())
    response = jsonify(data)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="case-{_safe(data["case_number"])}-timeline.json"')
    return response


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60] or "case"


@bp.route("/api/requests/<request_id>/decision", methods=["POST"])
@allow(roles.SUPERVISOR)
@accepts({"approve": Field(bool)})
@answers(200, BOARD)
@fails(409)
def api_decide(request_id: str) -> Any:
    """A supervisor approves or refuses a request that needs approval."""
    data = read_json()
    canvass.decide(settings(), require_user(), request_id, bool(data["approve"]), client_ip())
    return jsonify(canvass.board(require_user(), request_id))


@bp.route("/api/evidence/<target_id>/<kind>", methods=["POST"])
@allow(*POLICE)
@answers(200, obj(url=URL, expires_in=INT))
@fails(409)
def api_evidence_link(target_id: str, kind: str) -> Any:
    """A short-lived link to the clip, poster, contact sheet or package (plays audited).
    409 while the package is still being prepared (the board's `package_ready`)."""
    url = canvass.evidence_link(settings(), require_user(), target_id, kind, client_ip())
    return jsonify({"url": url, "expires_in": canvass.LINK_SECONDS})


@bp.route("/api/evidence/<target_id>/hold", methods=["PUT"])
@allow(roles.SUPERVISOR)
@accepts({"hold": Field(bool), "reason": Field(str, required=False, max_length=300)})
@answers(200, obj(legal_hold=BOOL, delete_after=TIME))
@fails(409)
def api_hold(target_id: str) -> Any:
    """Put a clip on legal hold (kept past its expiry, its files undeletable in storage) or
    release it. 409 when storage refuses: the answer says what was recorded."""
    data = read_json()
    evidence = canvass.hold(settings(), require_user(), target_id, bool(data["hold"]),
                            str(data.get("reason", "")), client_ip())
    return jsonify({"legal_hold": bool(evidence.legal_hold),
                    "delete_after": evidence.delete_after.isoformat()})


# ---------------------------------------------------------------- owners


def owner_target_json(target: Any) -> dict[str, Any]:
    """An asked camera as its owner reads it; `missing` says the parts of the window a ready
    clip has no video for, and whether another file covering them is welcome."""
    gone = missing.NONE
    if target.status == footage.READY:
        gone = missing.for_owner(target, canvass.evidence_of(target.target_id),
                                 canvass.request_of(target),
                                 policy_for(target.agency_id).timezone)
    return {"id": target.target_id, "status": target.status, "reason": target.reason,
            "status_words": gettext(footage.STATUS_WORDS.get(target.status, target.status)),
            "updated_at": target.updated_at.isoformat(), "missing": list(gone.lines),
            "may_send_another": gone.may_send_another}


@bp.route("/api/targets/<target_id>")
@allow(roles.OWNER, roles.ORG_ADMIN)
@answers(200, TARGET)
def api_target(target_id: str) -> Any:
    return jsonify(owner_target_json(canvass.owner_target(require_user(), target_id)))


@bp.route("/api/targets/<target_id>/answer", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({"action": Field(str, max_length=20,
                          choices=("approve", "decline", "no_footage", "no_other_file")),
          "reason": Field(str, required=False, max_length=300)})
@answers(200, TARGET)
@fails(409)
def api_answer(target_id: str) -> Any:
    """The owner answers a request for one camera: approve, decline or no_footage; or, for a
    ready clip missing part of the window, no_other_file (the answer is whole as it is)."""
    data = read_json()
    user = require_user()
    target = canvass.owner_target(user, target_id)
    if data["action"] == "no_other_file":
        missing.no_other_file(user, target, client_ip())
    else:
        canvass.answer(user.user_id, target, str(data["action"]), str(data.get("reason", "")),
                       client_ip())
    return jsonify(owner_target_json(target))


@bp.route("/api/targets/<target_id>/upload", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({"filename": Field(str, max_length=200), "size": Field(int),
          "recorder_shows": Field(str, required=False, max_length=40, doc=(
              "ISO 8601 date and time with its zone: what the recorder's clock showed at "
              "read_at (whole seconds count from the middle of that second). With read_at, "
              "instead of clock_offset_s.")),
          "read_at": Field(str, required=False, max_length=40, doc=(
              "ISO 8601 date and time with its zone: the moment the recorder's clock was "
              "read (not when the upload starts); at most 10 minutes ahead, a week old.")),
          "clock_offset_s": Field(float, required=False, minimum=-footage.MAX_OFFSET_S,
                                  maximum=footage.MAX_OFFSET_S, doc=(
              "the recorder's clock minus real time, in seconds, if the caller computed it "
              "from its own reading; instead of recorder_shows and read_at")),
          "video_starts_at": Field(str, max_length=40, doc=(
              "ISO 8601 date and time with its zone: the recorder's time at the file's "
              "first frame")),
          "include_audio": Field(bool, required=False, doc=(
              "send the sound too (false unless the owner chose it: recording conversations "
              "is regulated in many states)"))},
         method="POST")
@answers(200, UPLOAD, method="GET")
@answers(201, UPLOAD, method="POST")
@fails(409, 422)
def api_upload(target_id: str) -> Any:
    """The owner's resumable upload of an approved request's video: start it (POST) or see
    which parts arrived (GET). The recorder's clock is given as one reading (what it showed,
    and when) or as an offset; a ready clip that misses part of the window because the file
    started late or ended early takes another file (the first clip stays until it is cut)."""
    from flask import request

    if request.method == "GET":
        return jsonify(uploads.state(settings(), require_user(), target_id))
    data = read_json()
    return jsonify(uploads.start(settings(), require_user(), target_id, data, client_ip())), 201


@bp.route("/api/targets/<target_id>/upload/parts", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({"parts": Field(list, items=Field(int, minimum=1, maximum=10000))})
@answers(200, obj(urls={"type": "object", "additionalProperties": URL}))
def api_upload_parts(target_id: str) -> Any:
    """Presigned PUT URLs for these part numbers."""
    data = read_json()
    return jsonify({"urls": uploads.part_urls(settings(), require_user(), target_id,
                                              data["parts"])})


@bp.route("/api/targets/<target_id>/upload/complete", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({})
@answers(200, TARGET)
@fails(409)
def api_upload_complete(target_id: str) -> Any:
    """Every part arrived: assemble the upload and queue it for the clip worker."""
    read_json()
    target = uploads.complete(settings(), require_user(), target_id, client_ip())
    return jsonify(owner_target_json(target))


@bp.route("/api/answers", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True)
@accepts({"token": Field(str, max_length=300)})
@answers(200, obj(status=STR, url=STR))
@fails(401, 403, 409)
def api_answer_by_token() -> Any:
    """A notification's Approve or Decline, with the app closed: the signed token is the key."""
    data = read_json()
    target = canvass.answer_by_token(settings(), str(data["token"]), client_ip())
    return jsonify({"status": target.status, "url": f"/requests/{target.target_id}"})


# ---------------------------------------------------------------- push subscriptions


@bp.route("/api/push/key")
@allow(ANY_USER)
@answers(200, obj(public_key=STR, enabled=BOOL))
def api_push_key() -> Any:
    key = settings().vapid_public_key
    return jsonify({"public_key": key, "enabled": bool(key)})


@bp.route("/api/push/subscriptions", methods=["POST", "DELETE"])
@allow(ANY_USER)
@accepts({"endpoint": Field(str, max_length=push.MAX_ENDPOINT)}, method="DELETE")
@accepts({"endpoint": Field(str, max_length=push.MAX_ENDPOINT),
          "keys": Field(dict, fields={"p256dh": Field(str, max_length=200),
                                      "auth": Field(str, max_length=100)}),
          "device": Field(str, required=False, max_length=80)}, method="POST")
@answers(200, obj(removed=BOOL), method="DELETE")
@answers(201, obj(subscribed=BOOL), method="POST")
def api_push_subscriptions() -> Any:
    """This browser's Web Push subscription: add it (POST) or remove it (DELETE)."""
    from flask import request

    if request.method == "DELETE":
        data = read_json()
        removed = push.unsubscribe(require_user(), str(data["endpoint"]), client_ip())
        return jsonify({"removed": removed})
    data = read_json()
    push.subscribe(settings(), require_user(), data, client_ip())
    return jsonify({"subscribed": True}), 201
