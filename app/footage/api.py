"""JSON endpoints for footage requests, uploads, evidence links and push subscriptions."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.core import roles
from app.footage import bp
from app.services import push, uploads
from app.services import requests as footage
from app.web.access import ANY_USER, PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, read_json

POLICE = (roles.DETECTIVE, roles.SUPERVISOR)


@bp.route("/api/requests", methods=["POST"])
@allow(roles.DETECTIVE)
def api_create() -> Any:
    data = read_json({"camera_ids": Field(list), "case_number": Field(str, max_length=40),
                      "offense": Field(str, max_length=40), "window_start": Field(str),
                      "window_end": Field(str), "lat": Field(float), "lon": Field(float),
                      "message": Field(str, required=False, max_length=500),
                      "hidden_radius_m": Field(float, required=False)})
    created = footage.create(settings(), require_user(), data, client_ip())
    return jsonify(footage.board(require_user(), created.request_id)), 201


@bp.route("/api/requests/<request_id>")
@allow(*POLICE)
def api_board(request_id: str) -> Any:
    return jsonify(footage.board(require_user(), request_id))


@bp.route("/api/requests/<request_id>/decision", methods=["POST"])
@allow(roles.SUPERVISOR)
def api_decide(request_id: str) -> Any:
    data = read_json({"approve": Field(bool)})
    footage.decide(settings(), require_user(), request_id, bool(data["approve"]), client_ip())
    return jsonify(footage.board(require_user(), request_id))


@bp.route("/api/evidence/<target_id>/<kind>", methods=["POST"])
@allow(*POLICE)
def api_evidence_link(target_id: str, kind: str) -> Any:
    """A short-lived link to the clip, poster, contact sheet or package (plays audited)."""
    url = footage.evidence_link(settings(), require_user(), target_id, kind, client_ip())
    return jsonify({"url": url, "expires_in": footage.LINK_SECONDS})


@bp.route("/api/evidence/<target_id>/hold", methods=["PUT"])
@allow(roles.SUPERVISOR)
def api_hold(target_id: str) -> Any:
    data = read_json({"hold": Field(bool), "reason": Field(str, required=False, max_length=300)})
    evidence = footage.hold(require_user(), target_id, bool(data["hold"]),
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
def api_target(target_id: str) -> Any:
    return jsonify(owner_target_json(footage.owner_target(require_user(), target_id)))


@bp.route("/api/targets/<target_id>/answer", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def api_answer(target_id: str) -> Any:
    data = read_json({"action": Field(str, max_length=20),
                      "reason": Field(str, required=False, max_length=300)})
    user = require_user()
    target = footage.owner_target(user, target_id)
    footage.answer(user.user_id, target, str(data["action"]), str(data.get("reason", "")),
                   client_ip())
    return jsonify(owner_target_json(target))


@bp.route("/api/targets/<target_id>/upload", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def api_upload(target_id: str) -> Any:
    from flask import request

    if request.method == "GET":
        return jsonify(uploads.state(settings(), require_user(), target_id))
    data = read_json({"filename": Field(str, max_length=200), "size": Field(int),
                      "clock_offset_s": Field(float), "video_starts_at": Field(str)})
    return jsonify(uploads.start(settings(), require_user(), target_id, data, client_ip())), 201


@bp.route("/api/targets/<target_id>/upload/parts", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def api_upload_parts(target_id: str) -> Any:
    data = read_json({"parts": Field(list)})
    return jsonify({"urls": uploads.part_urls(settings(), require_user(), target_id,
                                              data["parts"])})


@bp.route("/api/targets/<target_id>/upload/complete", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def api_upload_complete(target_id: str) -> Any:
    read_json({})
    target = uploads.complete(settings(), require_user(), target_id, client_ip())
    return jsonify(owner_target_json(target))


@bp.route("/api/answers", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True)
def api_answer_by_token() -> Any:
    """A notification's Approve or Decline, with the app closed: the signed token is the key."""
    data = read_json({"token": Field(str, max_length=300)})
    target = footage.answer_by_token(settings(), str(data["token"]), client_ip())
    return jsonify({"status": target.status, "url": f"/requests/{target.target_id}"})


# ---------------------------------------------------------------- push subscriptions


@bp.route("/api/push/key")
@allow(ANY_USER)
def api_push_key() -> Any:
    key = settings().vapid_public_key
    return jsonify({"public_key": key, "enabled": bool(key)})


@bp.route("/api/push/subscriptions", methods=["POST", "DELETE"])
@allow(ANY_USER)
def api_push_subscriptions() -> Any:
    from flask import request

    if request.method == "DELETE":
        data = read_json({"endpoint": Field(str, max_length=push.MAX_ENDPOINT)})
        removed = push.unsubscribe(require_user(), str(data["endpoint"]), client_ip())
        return jsonify({"removed": removed})
    data = read_json({"endpoint": Field(str, max_length=push.MAX_ENDPOINT),
                      "keys": Field(dict),
                      "device": Field(str, required=False, max_length=80)})
    push.subscribe(settings(), require_user(), data, client_ip())
    return jsonify({"subscribed": True}), 201
