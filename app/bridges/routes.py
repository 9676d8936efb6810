from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for

from app.bridges import bp
from app.core import roles
from app.services.cameras import bridge_setup, bridges, registry
from app.services.footage import bridge_clips
from app.services.realtime import video
from app.web.access import PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, query, read_json, read_query
from app.web.shapes import BOOL, INT, STR, TIME, URL, arr, maybe, obj

# Owners pair bridges for their cameras; the agency admin for the agency's own street cameras.
HOLDERS = tuple(sorted(roles.BRIDGE_HOLDERS))
STORED = obj(stored=BOOL)
PUT = obj(("url", "headers"), stored=BOOL, url=URL, headers={"type": "object"})
# The device channel (app/services/realtime/channel.py): where to listen for "ask now".
CHANNEL = obj(url={**STR, "description": "mqtt://host:port or mqtts://host:port"},
              client_id=STR, cmd_topic=STR, status_topic=STR,
              poll_seconds={**INT, "description": "how often to ask while connected"})


@bp.route("/bridges")
@allow(*HOLDERS)
def index() -> Any:
    holder = require_user()
    return _page(holder, done=request.args.get("done"))


def _page(holder: Any, **context: Any) -> Any:
    return render_template("bridges/index.html", devices=bridges.devices_of(holder),
                           health=bridges.health_of(holder),
                           setups=bridge_setup.views_of(holder), brands=bridge_setup.BRANDS,
                           cameras=registry.cameras_of(holder.user_id), **context)


@bp.route("/bridges/code", methods=["POST"])
@allow(*HOLDERS)
def code() -> Any:
    holder = require_user()
    shown = bridges.pairing_code(settings(), holder, client_ip())
    return _page(holder, code=shown, minutes=bridges.CODE_TTL // 60, done=None)


@bp.route("/bridges/<device_id>/revoke", methods=["POST"])
@allow(*HOLDERS)
def revoke(device_id: str) -> Any:
    bridges.revoke(require_user(), device_id, client_ip())
    return redirect(url_for("bridges.index", done="revoked"))


def _back(device_id: str, done: str) -> Any:
    return redirect(url_for("bridges.index", done=done) + f"#bridge-{device_id}")


@bp.route("/bridges/<device_id>/scan", methods=["POST"])
@allow(*HOLDERS)
def scan(device_id: str) -> Any:
    """Look for cameras on the bridge's network again."""
    bridge_setup.ask_scan(settings(), require_user(), device_id)
    return _back(device_id, "scan")


@bp.route("/bridges/<device_id>/setups", methods=["POST"])
@allow(*HOLDERS)
def setup_order(device_id: str) -> Any:
    """A device to set up: its password arrives sealed for the bridge (never in the clear)."""
    bridge_setup.place_order(settings(), require_user(), device_id, request.form.to_dict(),
                             client_ip())
    return _back(device_id, "setup")


@bp.route("/bridges/<device_id>/setups/<order_id>", methods=["POST"])
@allow(*HOLDERS)
def setup_choose(device_id: str, order_id: str) -> Any:
    """Which of the owner's cameras each channel found is."""
    bridge_setup.choose(settings(), require_user(), device_id, order_id,
                        request.form.to_dict(), client_ip())
    return _back(device_id, "chosen")


@bp.route("/bridges/<device_id>/cap", methods=["POST"])
@allow(*HOLDERS)
def cap(device_id: str) -> Any:
    """The most the bridge may upload, all cameras together."""
    bridge_setup.set_cap(settings(), require_user(), device_id,
                         request.form.get("max_upload_kbps", ""))
    return _back(device_id, "cap")


@bp.route("/api/bridge/found", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({"public_key": Field(str, max_length=800,
                              doc="the bridge's sealing key: base64 DER SPKI, RSA-OAEP"),
          "scan": Field(str, required=False, max_length=40,
                        doc="the owner's ask this answers (state's setup.scan)"),
          "devices": Field(list, max_items=32, items=Field(dict, fields={
              "key": Field(str, max_length=120), "xaddr": Field(str, max_length=200),
              "host": Field(str, required=False, max_length=64),
              "name": Field(str, required=False, max_length=60),
              "hardware": Field(str, required=False, max_length=60),
              "location": Field(str, required=False, max_length=60)}))})
@answers(200, obj(kept=INT))
def api_found() -> Any:
    """What the bridge's ONVIF WS-Discovery found on its network (home addresses only)."""
    device = bridges.authenticate(request.headers.get("Authorization", ""))
    return jsonify({"kept": bridge_setup.record_found(device, read_json())})


@bp.route("/api/bridge/setups/<order_id>", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({"ok": Field(bool), "problem": Field(str, required=False, max_length=200),
          "manufacturer": Field(str, required=False, max_length=60),
          "model": Field(str, required=False, max_length=60),
          "channels": Field(list, required=False, max_items=32, items=Field(dict, fields={
              "token": Field(str, max_length=64), "name": Field(str, max_length=60),
              "main_size": Field(str, required=False, max_length=20),
              "sub_size": Field(str, required=False, max_length=20)})),
          "added": Field(list, required=False, max_items=32, items=Field(str, max_length=64))})
@answers(200, obj(state=STR))
@fails(409)
def api_setup_result(order_id: str) -> Any:
    """The bridge's answer to a setup: the channels it read, the cameras it added, or why not."""
    device = bridges.authenticate(request.headers.get("Authorization", ""))
    return jsonify({"state": bridge_setup.record_result(device, order_id, read_json())})


@bp.route("/api/bridge/pair", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True)
@accepts({"code": Field(str, max_length=20, doc="the one-time code shown in the owner's app"),
          "name": Field(str, required=False, max_length=60)})
@answers(201, obj(device_id=STR, credential=STR, cameras=arr({"type": "object"})))
@fails(429)
def api_pair() -> Any:
    """The bridge trades the owner's one-time code for its device credential."""
    data = read_json()
    paired = bridges.pair(settings(), str(data["code"]), str(data.get("name", "")), client_ip())
    return jsonify({"device_id": paired.device.device_id, "credential": paired.credential,
                    "cameras": bridges.cameras_for(paired.device.owner_id)}), 201


@bp.route("/api/bridge/state")
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@query(camera=Field(list, required=False, items=Field(str, max_length=64), max_items=50,
                    doc="the cameras this bridge serves; only their work is offered"))
@answers(200, obj(device_id=STR, cameras=arr({"type": "object"}),
                  requests=arr(obj(target_id=STR, camera_id=STR, window_start=TIME,
                                   window_end=TIME)),
                  shares=arr(obj(share_id=STR, camera_ids=arr(STR), started_at=TIME,
                                 ends_at=TIME, preroll_seconds=INT)),
                  poll_seconds={**INT, "description": "how often to ask without the channel"},
                  channel=maybe(CHANNEL),
                  setup={"type": "object", "description": "cameras to find, read or add "
                         "(app/services/cameras/bridge_setup.py)"},
                  max_upload_kbps={**INT, "description": "the owner's upload cap (0: none)"}))
def api_state() -> Any:
    """What the bridge should do now (Authorization: Bearer pbd_…), and the device channel it
    may listen on to be told when to ask again (null: none, keep asking)."""
    device = bridges.authenticate(request.headers.get("Authorization", ""))
    declared = read_query().get("camera")
    health = bridges.read_health(request.headers.get(bridges.HEALTH_HEADER, ""))
    answer = bridges.state(settings(), device, declared, health)
    answer["setup"] = bridge_setup.for_bridge(device)
    answer["max_upload_kbps"] = int(device.max_upload_kbps or 0)
    return jsonify(answer)


def _device() -> Any:
    return bridges.authenticate(request.headers.get("Authorization", ""))


PIECE_FIELDS = {"camera_id": Field(str, max_length=64),
                "name": Field(str, max_length=40, doc="e.g. 20260314T120305.123Z.mp4"),
                "start": Field(str, max_length=40, doc="ISO 8601 date and time"),
                "end": Field(str, max_length=40, doc="ISO 8601 date and time"),
                "duration_s": Field(float), "size": Field(int),
                "sha256": Field(str, max_length=64),
                "codecs": Field(str, required=False, max_length=60),
                "run": Field(str, required=False, max_length=64),
                "media_start_s": Field(float, required=False),
                "masks": Field(str, required=False, max_length=16,
                               doc="the fingerprint of the camera's privacy masks blacked out "
                                   "of this piece (app/core/masks.py); a piece made with other "
                                   "masks than the camera has now is refused (409)")}


@bp.route("/api/bridge/shares/<share_id>/segments", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts(PIECE_FIELDS)
@answers(200, STORED, description="Held already: nothing to send")
@answers(201, PUT)
@fails(409, 410)
def api_segment(share_id: str) -> Any:
    """A closed segment of a shared camera: a PUT URL for it, or `stored` when held already."""
    device = _device()
    answer = video.announce_bridge_piece(settings(), device, share_id, read_json())
    return jsonify(answer), 200 if answer["stored"] else 201


@bp.route("/api/bridge/shares/<share_id>/segments/<camera_id>/<name>/done", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({})
@answers(200, STORED)
@fails(409, 410)
def api_segment_done(share_id: str, camera_id: str, name: str) -> Any:
    """The segment is in storage: check its size and offer it to viewers."""
    device = _device()
    read_json()
    return jsonify(video.finish_bridge_piece(settings(), device, share_id, camera_id,
                                                  name))


@bp.route("/api/bridge/targets/<target_id>/clip", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({"size": Field(int), "sha256": Field(str, max_length=64),
          "starts_at": Field(str, max_length=40), "ends_at": Field(str, max_length=40),
          "gaps": Field(list, required=False, max_items=1000,
                        items=Field(dict, fields={
                            "start": Field(str, max_length=40, doc="ISO 8601 with offset"),
                            "end": Field(str, max_length=40,
                                         doc="ISO 8601 with offset, after start")}),
                        doc="stretches of the asked window in which the camera sent no "
                            "pictures (it was offline, or the bridge skipped to live), in "
                            "real time: kept as the request's camera_offline gaps, said in "
                            "the evidence manifest and on the detective's board"),
          "masks": Field(str, required=False, max_length=16,
                         doc="the fingerprint of the privacy masks the bridge blacked out of "
                             "the clip (the clip worker blacks out the camera's masks again)")})
@answers(200, STORED, description="Held already: nothing to send")
@answers(201, PUT)
@fails(409)
def api_clip(target_id: str) -> Any:
    """An approved request answered from the bridge's buffer: a PUT URL for the clip."""
    device = _device()
    data = read_json()
    answer = bridge_clips.start_bridge_clip(settings(), device, target_id, data)
    return jsonify(answer), 200 if answer["stored"] else 201


@bp.route("/api/bridge/targets/<target_id>/clip/done", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({})
@answers(200, STORED)
@fails(409)
def api_clip_done(target_id: str) -> Any:
    """The clip is in storage: check it and queue it for the clip worker."""
    device = _device()
    read_json()
    return jsonify(bridge_clips.finish_bridge_clip(settings(), device, target_id))


@bp.route("/api/bridge/targets/<target_id>/unavailable", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True, credential="bridgeDevice")
@accepts({"reason": Field(str, max_length=300)})
@answers(200, STORED)
@fails(409)
def api_unavailable(target_id: str) -> Any:
    """The bridge's buffer cannot serve the request: "no footage", with its reason."""
    device = _device()
    data = read_json()
    return jsonify(bridge_clips.bridge_no_clip(settings(), device, target_id, str(data["reason"])))
