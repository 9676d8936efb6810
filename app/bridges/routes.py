from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for

from app.bridges import bp
from app.core import roles
from app.services import bridges
from app.web.access import PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, read_json

OWNERS = (roles.OWNER, roles.ORG_ADMIN)


@bp.route("/bridges")
@allow(*OWNERS)
def index() -> Any:
    return render_template("bridges/index.html", devices=bridges.devices_of(require_user()),
                           done=request.args.get("done"))


@bp.route("/bridges/code", methods=["POST"])
@allow(*OWNERS)
def code() -> Any:
    shown = bridges.pairing_code(settings(), require_user(), client_ip())
    return render_template("bridges/index.html", devices=bridges.devices_of(require_user()),
                           code=shown, minutes=bridges.CODE_TTL // 60, done=None)


@bp.route("/bridges/<device_id>/revoke", methods=["POST"])
@allow(*OWNERS)
def revoke(device_id: str) -> Any:
    bridges.revoke(require_user(), device_id, client_ip())
    return redirect(url_for("bridges.index", done="revoked"))


@bp.route("/api/bridge/pair", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True)
def api_pair() -> Any:
    """The bridge trades the owner's one-time code for its device credential."""
    data = read_json({"code": Field(str, max_length=20), "name": Field(str, required=False,
                                                                       max_length=60)})
    paired = bridges.pair(settings(), str(data["code"]), str(data.get("name", "")), client_ip())
    return jsonify({"device_id": paired.device.device_id, "credential": paired.credential}), 201


@bp.route("/api/bridge/state")
@allow(PUBLIC, csrf_exempt=True)
def api_state() -> Any:
    """What the bridge should do now (Authorization: Bearer pbd_…)."""
    device = bridges.authenticate(request.headers.get("Authorization", ""))
    return jsonify(bridges.state(device))
