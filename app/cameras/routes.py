from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from app.cameras import bp
from app.cameras.forms import DEFAULTS, choices, form_values
from app.core import idempotency, roles
from app.core.cameras import parse_camera
from app.core.errors import ValidationError
from app.models.cameras import Camera
from app.services.cameras import masks as camera_masks
from app.services.cameras import photos, registry
from app.services.people import orgs
from app.web.access import allow, client_ip, require_user, settings, wants_json

OWNERS = (roles.OWNER, roles.ORG_ADMIN)


def _form_data() -> dict[str, Any]:
    data: dict[str, Any] = request.form.to_dict()
    data["refused_offenses"] = request.form.getlist("refused_offenses")
    return data


@bp.route("/cameras")
@allow(*OWNERS)
def index() -> Any:
    user = require_user()
    cameras = registry.cameras_of(user.user_id)
    org = orgs.get_org(user.org_id) if user.role == roles.ORG_ADMIN else None
    members = [m for m in orgs.members(org) if m.user_id != user.user_id] if org else []
    return render_template("cameras/index.html", cameras=cameras, members=members,
                           stale={c.camera_id for c in cameras if registry.needs_confirmation(c)},
                           done=request.args.get("done"), **choices())


@bp.route("/cameras/new", methods=["GET", "POST"])
@allow(*OWNERS)
def new() -> Any:
    user = require_user()
    if request.method == "GET":
        return render_template("cameras/form.html", form=dict(DEFAULTS), errors={},
                               camera=None, **choices())
    data = _form_data()
    key = idempotency.parse_key(request.form.get(idempotency.FIELD))
    try:
        camera = registry.register(user, parse_camera(data), client_ip(), key=key)
    except ValidationError as exc:
        if wants_json():  # a kept form sent by the service worker: the reasons, as JSON
            raise
        return render_template("cameras/form.html", form=data, errors=exc.errors, camera=None,
                               **choices()), 422
    return redirect(url_for("cameras.index", done="added", _anchor=f"cam-{camera.camera_id}"))


@bp.route("/cameras/<camera_id>/edit", methods=["GET", "POST"])
@allow(*OWNERS)
def edit(camera_id: str) -> Any:
    user = require_user()
    camera = registry.owned(user, camera_id)
    if request.method == "GET":
        return _edit_page(camera, form_values(camera), {},
                          masks_saved=request.args.get("masks") == "saved")
    data = _form_data()
    try:
        registry.update(user, camera_id, parse_camera(data), client_ip())
    except ValidationError as exc:
        return _edit_page(camera, data, exc.errors), 422
    return redirect(url_for("cameras.index", done="saved"))


def _edit_page(camera: Camera, form: dict[str, Any], errors: dict[str, str], **extra: Any
               ) -> str:
    return render_template("cameras/form.html", form=form, errors=errors, camera=camera,
                           photo_url=photos.view_url(settings(), camera),
                           mask_list=camera_masks.of(camera), **extra, **choices())


@bp.route("/cameras/<camera_id>/masks", methods=["POST"])
@allow(*OWNERS)
def masks(camera_id: str) -> Any:
    """The privacy masks drawn over the view (a JSON list in the `masks` field; none: all
    removed)."""
    user = require_user()
    try:
        camera_masks.save(settings(), user, camera_id, request.form.get("masks", ""),
                          client_ip())
    except ValidationError as exc:
        camera = registry.owned(user, camera_id)
        return _edit_page(camera, form_values(camera), exc.errors), 422
    return redirect(url_for("cameras.edit", camera_id=camera_id, masks="saved",
                            _anchor="masks-h"))


@bp.route("/cameras/<camera_id>/pause", methods=["POST"])
@allow(*OWNERS)
def pause(camera_id: str) -> Any:
    paused = request.form.get("paused", "1") == "1"
    registry.set_paused(require_user(), camera_id, paused, client_ip())
    return redirect(url_for("cameras.index", done="paused" if paused else "resumed"))


@bp.route("/cameras/<camera_id>/confirm", methods=["POST"])
@allow(*OWNERS)
def confirm(camera_id: str) -> Any:
    registry.confirm(require_user(), camera_id, client_ip())
    return redirect(url_for("cameras.index", done="confirmed"))


@bp.route("/cameras/<camera_id>/withdraw", methods=["POST"])
@allow(*OWNERS)
def withdraw(camera_id: str) -> Any:
    registry.withdraw(settings(), require_user(), camera_id, client_ip())
    return redirect(url_for("cameras.index", done="withdrawn"))
