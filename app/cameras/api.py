from __future__ import annotations

from typing import Any

from flask import jsonify

from app.cameras import bp
from app.cameras.forms import camera_json
from app.core import roles
from app.core.cameras import FACINGS, MOUNTS, TIERS, VISIBILITIES, parse_camera
from app.services.cameras import photos, registry
from app.web.access import allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, read_json
from app.web.shapes import BOOL, INT, NUM, STR, TIME, URL, arr, obj

OWNERS = (roles.OWNER, roles.ORG_ADMIN)
CAMERA_FIELDS = {
    "nickname": Field(str, max_length=60), "lat": Field(float), "lon": Field(float),
    "heading_deg": Field(float), "fov_deg": Field(float), "range_m": Field(float),
    "mount": Field(str, max_length=20, choices=MOUNTS),
    "facing": Field(str, max_length=20, choices=FACINGS),
    "retention_days": Field(int), "tier": Field(str, max_length=20, choices=TIERS),
    "visibility": Field(str, max_length=20, choices=VISIBILITIES),
    "attested": Field(bool, doc="the owner confirms the camera does not look into private "
                                "property or places where people expect privacy"),
    "refused_offenses": Field(list, required=False, items=Field(str, max_length=40)),
    "street": Field(str, required=False, max_length=120),
    "schedule": Field(str, required=False, max_length=600),
    "max_live_minutes": Field(int, required=False),
    "recent_minutes": Field(int, required=False, doc="minutes police may pull from the "
                            "bridge's buffer for an incident without asking (0: never)"),
}
CAMERA = obj(id=STR, nickname=STR, lat=NUM, lon=NUM, heading_deg=NUM, fov_deg=NUM, range_m=NUM,
             mount=STR, facing=STR, retention_days=INT, tier=STR, visibility=STR,
             refused_offenses=arr(STR), street=STR, paused=BOOL, schedule=STR,
             max_live_minutes=INT, recent_minutes=INT, needs_confirmation=BOOL,
             confirmed_at=TIME, created_at=TIME)
ONE = obj(camera=CAMERA)


@bp.route("/api/cameras")
@allow(*OWNERS)
@answers(200, obj(cameras=arr(CAMERA)))
def list_cameras() -> Any:
    """The signed-in owner's cameras."""
    return jsonify(cameras=[camera_json(c) for c in registry.cameras_of(require_user().user_id)])


@bp.route("/api/cameras", methods=["POST"])
@allow(*OWNERS)
@accepts(CAMERA_FIELDS)
@answers(201, ONE)
def create_camera() -> Any:
    """Register a camera: where it is, what it sees, and what the owner shares."""
    spec = parse_camera(read_json())
    camera = registry.register(require_user(), spec, client_ip())
    location = {"Location": f"/api/cameras/{camera.camera_id}"}
    return jsonify(camera=camera_json(camera)), 201, location


@bp.route("/api/cameras/<camera_id>")
@allow(*OWNERS)
@answers(200, ONE)
def get_camera(camera_id: str) -> Any:
    return jsonify(camera=camera_json(registry.owned(require_user(), camera_id)))


@bp.route("/api/cameras/<camera_id>", methods=["PUT"])
@allow(*OWNERS)
@accepts(CAMERA_FIELDS)
@answers(200, ONE)
def replace_camera(camera_id: str) -> Any:
    spec = parse_camera(read_json())
    return jsonify(camera=camera_json(registry.update(require_user(), camera_id, spec,
                                                      client_ip())))


@bp.route("/api/cameras/<camera_id>/paused", methods=["PUT"])
@allow(*OWNERS)
@accepts({"paused": Field(bool)})
@answers(200, ONE)
def pause_camera(camera_id: str) -> Any:
    """Pause (or resume) a camera: while paused no request or live view reaches it."""
    data = read_json()
    camera = registry.set_paused(require_user(), camera_id, data["paused"], client_ip())
    return jsonify(camera=camera_json(registry.owned(require_user(), camera.camera_id)))


@bp.route("/api/cameras/<camera_id>/confirm", methods=["POST"])
@allow(*OWNERS)
@answers(200, ONE)
def confirm_camera(camera_id: str) -> Any:
    registry.confirm(require_user(), camera_id, client_ip())
    return jsonify(camera=camera_json(registry.owned(require_user(), camera_id)))


@bp.route("/api/cameras/<camera_id>", methods=["DELETE"])
@allow(*OWNERS)
@answers(204, {})
def withdraw_camera(camera_id: str) -> Any:
    registry.withdraw(settings(), require_user(), camera_id, client_ip())
    return "", 204


@bp.route("/api/cameras/<camera_id>/photo-upload", methods=["POST"])
@allow(*OWNERS)
@accepts({"content_type": Field(str, max_length=40)})
@answers(201, obj(key=STR, url=URL, fields={"type": "object"}, max_bytes=INT))
def photo_upload(camera_id: str) -> Any:
    """A presigned POST for the camera's photo (JPEG, PNG or WebP), straight to storage."""
    data = read_json()
    return jsonify(photos.upload_form(settings(), require_user(), camera_id,
                                      data["content_type"])), 201


@bp.route("/api/cameras/<camera_id>/photo", methods=["PUT"])
@allow(*OWNERS)
@accepts({"key": Field(str, max_length=200)})
@answers(200, obj(camera=CAMERA, photo_url=URL))
def photo_attach(camera_id: str) -> Any:
    """Attach the uploaded photo after checking it is an image."""
    data = read_json()
    camera = photos.attach(settings(), require_user(), camera_id, data["key"], client_ip())
    return jsonify(camera=camera_json(camera), photo_url=photos.view_url(settings(), camera))
