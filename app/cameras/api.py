from __future__ import annotations

from typing import Any

from flask import jsonify

from app.cameras import bp
from app.cameras.forms import camera_json
from app.core import roles
from app.core.cameras import parse_camera
from app.services import photos, registry
from app.web.access import allow, client_ip, require_user, settings
from app.web.jsonio import Field, read_json

OWNERS = (roles.OWNER, roles.ORG_ADMIN)
CAMERA_FIELDS = {
    "nickname": Field(str, max_length=60), "lat": Field(float), "lon": Field(float),
    "heading_deg": Field(float), "fov_deg": Field(float), "range_m": Field(float),
    "mount": Field(str, max_length=20), "facing": Field(str, max_length=20),
    "retention_days": Field(int), "tier": Field(str, max_length=20),
    "visibility": Field(str, max_length=20), "attested": Field(bool),
    "refused_offenses": Field(list, required=False),
    "street": Field(str, required=False, max_length=120),
    "schedule": Field(str, required=False, max_length=600),
    "max_live_minutes": Field(int, required=False),
}


@bp.route("/api/cameras")
@allow(*OWNERS)
def list_cameras() -> Any:
    return jsonify(cameras=[camera_json(c) for c in registry.cameras_of(require_user().user_id)])


@bp.route("/api/cameras", methods=["POST"])
@allow(*OWNERS)
def create_camera() -> Any:
    spec = parse_camera(read_json(CAMERA_FIELDS))
    camera = registry.register(require_user(), spec, client_ip())
    location = {"Location": f"/api/cameras/{camera.camera_id}"}
    return jsonify(camera=camera_json(camera)), 201, location


@bp.route("/api/cameras/<camera_id>")
@allow(*OWNERS)
def get_camera(camera_id: str) -> Any:
    return jsonify(camera=camera_json(registry.owned(require_user(), camera_id)))


@bp.route("/api/cameras/<camera_id>", methods=["PUT"])
@allow(*OWNERS)
def replace_camera(camera_id: str) -> Any:
    spec = parse_camera(read_json(CAMERA_FIELDS))
    return jsonify(camera=camera_json(registry.update(require_user(), camera_id, spec,
                                                      client_ip())))


@bp.route("/api/cameras/<camera_id>/paused", methods=["PUT"])
@allow(*OWNERS)
def pause_camera(camera_id: str) -> Any:
    data = read_json({"paused": Field(bool)})
    camera = registry.set_paused(require_user(), camera_id, data["paused"], client_ip())
    return jsonify(camera=camera_json(registry.owned(require_user(), camera.camera_id)))


@bp.route("/api/cameras/<camera_id>/confirm", methods=["POST"])
@allow(*OWNERS)
def confirm_camera(camera_id: str) -> Any:
    registry.confirm(require_user(), camera_id, client_ip())
    return jsonify(camera=camera_json(registry.owned(require_user(), camera_id)))


@bp.route("/api/cameras/<camera_id>", methods=["DELETE"])
@allow(*OWNERS)
def withdraw_camera(camera_id: str) -> Any:
    registry.withdraw(settings(), require_user(), camera_id, client_ip())
    return "", 204


@bp.route("/api/cameras/<camera_id>/photo-upload", methods=["POST"])
@allow(*OWNERS)
def photo_upload(camera_id: str) -> Any:
    data = read_json({"content_type": Field(str, max_length=40)})
    return jsonify(photos.upload_form(settings(), require_user(), camera_id,
                                      data["content_type"])), 201


@bp.route("/api/cameras/<camera_id>/photo", methods=["PUT"])
@allow(*OWNERS)
def photo_attach(camera_id: str) -> Any:
    data = read_json({"key": Field(str, max_length=200)})
    camera = photos.attach(settings(), require_user(), camera_id, data["key"], client_ip())
    return jsonify(camera=camera_json(camera), photo_url=photos.view_url(settings(), camera))
