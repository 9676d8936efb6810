"""JSON endpoints for footage requests, uploads, evidence links and push subscriptions."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.core import roles
from app.footage import bp
from app.services import push, uploads
from app.services import requests as footage
from app.web.access import ANY_USER, PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, read_json
from app.web.queries import police_query
from app.web.shapes import BOOL, INT, NUM, STR, TIME, URL, arr, maybe, obj

BOARD = obj(id=STR, case_number=STR, offense=STR, state=STR, window_start=TIME,
            window_end=TIME, expires_at=TIME, skipped_refusing=INT,
            targets=arr(obj(id=STR, camera=STR, tier=STR, status=STR, status_words=STR,
                            reason=STR, updated_at=TIME,
                            clip=maybe(obj(seconds=NUM, method=STR, truncated=BOOL,
                                           delete_after=TIME, legal_hold=BOOL)))))
TARGET = obj(id=STR, status=STR, reason=STR, status_words=STR, updated_at=TIME)
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
    created = footage.create(settings(), require_user(), data, client_ip())
    return jsonify(footage.board(require_user(), created.request_id)), 201


@bp.route("/api/requests/<request_id>")
@allow(*POLICE)
@answers(200, BOARD)
def api_board(request_id: str) -> Any:
    return jsonify(footage.board(require_user(), request_id))


@bp.route("/api/requests/<request_id>/decision", methods=["POST"])
@allow(roles.SUPERVISOR)
@accepts({"approve": Field(bool)})
@answers(200, BOARD)
@fails(409)
def api_decide(request_id: str) -> Any:
    """A supervisor approves or refuses a request that needs approval."""
    data = read_json()
    footage.decide(settings(), require_user(), request_id, bool(data["approve"]), client_ip())
    return jsonify(footage.board(require_user(), request_id))


@bp.route("/api/evidence/<target_id>/<kind>", methods=["POST"])
@allow(*POLICE)
@answers(200, obj(url=URL, expires_in=INT))
def api_evidence_link(target_id: str, kind: str) -> Any:
    """A short-lived link to the clip, poster, contact sheet or package (plays audited)."""
    url = footage.evidence_link(settings(), require_user(), target_id, kind, client_ip())
    return jsonify({"url": url, "expires_in": footage.LINK_SECONDS})


@bp.route("/api/evidence/<target_id>/hold", methods=["PUT"])
@allow(roles.SUPERVISOR)
@accepts({"hold": Field(bool), "reason": Field(str, required=False, max_length=300)})
@answers(200, obj(legal_hold=BOOL, delete_after=TIME))
@fails(409)
def api_hold(target_id: str) -> Any:
    """Put a clip on legal hold (kept past its expiry, its files undeletable in storage) or
    release it. 409 when storage refuses: the answer says what was recorded."""
    data = read_json()
    evidence = footage.hold(settings(), require_user(), target_id, bool(data["hold"]),
                            str(data.get("reason", "")), client_ip())
    return jsonify({"legal_hold": bool(evidence.legal_hold),
                    "delete_after": evidence.delete_after.isoformat()})


# ---------------------------------------------------------------- owners


def owner_target_json(target: Any) -> dict[str, Any]:
    return {"id": target.target_id, "status": target.status, "reason": target.reason,
            "status_words": footage.rules.STATUS_WORDS.get(target.status, target.status),
            "updated_at": target.updated_at.isoformat()}


@bp.route("/api/targets/<target_id>")
@allow(roles.OWNER, roles.ORG_ADMIN)
@answers(200, TARGET)
def api_target(target_id: str) -> Any:
    return jsonify(owner_target_json(footage.owner_target(require_user(), target_id)))


@bp.route("/api/targets/<target_id>/answer", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({"action": Field(str, max_length=20, choices=("approve", "decline", "no_footage")),
          "reason": Field(str, required=False, max_length=300)})
@answers(200, TARGET)
@fails(409)
def api_answer(target_id: str) -> Any:
    """The owner answers a request for one camera: approve, decline or no_footage."""
    data = read_json()
    user = require_user()
    target = footage.owner_target(user, target_id)
    footage.answer(user.user_id, target, str(data["action"]), str(data.get("reason", "")),
                   client_ip())
    return jsonify(owner_target_json(target))


@bp.route("/api/targets/<target_id>/upload", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
@accepts({"filename": Field(str, max_length=200), "size": Field(int),
          "clock_offset_s": Field(float),
          "video_starts_at": Field(str, max_length=40, doc="ISO 8601 date and time")},
         method="POST")
@answers(200, UPLOAD, method="GET")
@answers(201, UPLOAD, method="POST")
@fails(409, 422)
def api_upload(target_id: str) -> Any:
    """The owner's resumable upload of an approved request's video: start it (POST) or see
    which parts arrived (GET)."""
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
    target = footage.answer_by_token(settings(), str(data["token"]), client_ip())
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
