from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for

from app.core import roles
from app.core.errors import ValidationError
from app.core.footage import OFFENSE_WORDS
from app.incidents import bp
from app.models.incident import Incident
from app.services.cameras import registry
from app.services.realtime import asks, bulletins, field, incidents, pulls
from app.web.access import PUBLIC, allow, client_ip, require_user, settings
from app.web.jsonio import Field, accepts, answers, fails, read_json
from app.web.queries import police_query, refused
from app.web.shapes import BOOL, INT, NUM, STR, TIME, arr, maybe, obj

OPERATORS = (roles.DETECTIVE, roles.SUPERVISOR)
OWNERS = (roles.OWNER, roles.ORG_ADMIN)
READERS = bulletins.READERS  # responding officers, detectives, supervisors
BULLETIN = obj(bulletin_id=STR, incident_id=STR, label=STR, lat=maybe(NUM), lon=maybe(NUM),
               text=STR, sent_by=STR, sent_at=TIME, still=BOOL, recipients=INT)
PULL = obj(request_id=STR, target_id=STR, window_start=TIME, window_end=TIME, status=STR,
           status_words=STR)
ASK = obj(ask_id=STR, state=STR, words=STR, asked_at=TIME, expires_at=TIME)
INCIDENT = obj(incident_id=STR, label=STR, detail=STR, call_id=maybe(STR), case_number=STR,
               offense=STR, lat=NUM, lon=NUM, radius_m=NUM, happened_at=TIME, opened_at=TIME,
               closed_at=maybe(TIME))
TILE = obj(share_id=STR, stream=STR, by=STR, until=TIME)
CAMERA = obj(camera_id=STR, name=STR, lat=NUM, lon=NUM, approximate=BOOL, distance_m=INT,
             where=STR, covers=BOOL, limits=STR, availability=STR, availability_words=STR,
             reason=STR, tile=maybe(TILE), ask=maybe(ASK), recent_minutes=INT,
             pulls=arr(PULL))
OPEN = {"call_id": Field(str, required=False, max_length=64, doc="a CAD call's id"),
        "lat": Field(float, required=False), "lon": Field(float, required=False),
        "label": Field(str, required=False, max_length=120),
        "detail": Field(str, required=False, max_length=200),
        "radius_m": Field(float, required=False),
        "case_number": Field(str, required=False, max_length=40),
        "offense": Field(str, required=False, max_length=40,
                         doc="an offense category (app.core.footage), for recent minutes")}


def _form_open(form: dict[str, Any]) -> dict[str, Any]:
    """The page's form as the API's fields (numbers read as numbers, blanks left out)."""
    data: dict[str, Any] = {}
    for name in ("call_id", "label", "detail", "case_number", "offense"):
        if form.get(name, "").strip():
            data[name] = form[name]
    for name in ("lat", "lon", "radius_m"):
        raw = form.get(name, "").strip()
        if raw:
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw  # the service says it is not a number
    return data


@bp.route("/incidents", methods=["GET", "POST"])
@police_query("incident.open_refused", "POST")
@allow(*OPERATORS)
def index() -> Any:
    """Open incidents, the CAD calls they can be opened from, and a form for a place."""
    officer = require_user()
    errors: dict[str, str] = {}
    form = request.form.to_dict()
    if request.method == "POST":
        try:
            incident = incidents.open_incident(settings(), officer, _form_open(form),
                                               client_ip())
            return redirect(url_for("incidents.screen", incident_id=incident.incident_id))
        except ValidationError as exc:
            refused(exc)
            errors = exc.errors or {"label": exc.detail}
    calls = [e for e in field.active(officer.agency_id) if e.kind == "call"]
    return render_template("incidents/index.html", open=incidents.open_incidents(officer),
                           calls=sorted(calls, key=lambda e: e.updated_at, reverse=True),
                           errors=errors, form=form, offenses=OFFENSE_WORDS
                           ), 422 if errors else 200


@bp.route("/incidents/<incident_id>")
@allow(*OPERATORS)
def screen(incident_id: str) -> Any:
    """The incident screen: its cameras and the video wall (incident-screen.js fills it)."""
    incident = incidents.incident_of(require_user(), incident_id)
    return render_template("incidents/screen.html", incident=incident,
                           max_tiles=incidents.MAX_TILES)


@bp.route("/incidents/<incident_id>/close", methods=["POST"])
@allow(*OPERATORS)
def close_form(incident_id: str) -> Any:
    incidents.close(require_user(), incident_id, client_ip())
    return redirect(url_for("incidents.screen", incident_id=incident_id))


@bp.route("/api/incidents", methods=["GET", "POST"])
@police_query("incident.open_refused", "POST")
@allow(*OPERATORS)
@accepts(OPEN, method="POST")
@answers(201, INCIDENT, method="POST")
@answers(200, obj(incidents=arr(INCIDENT)), method="GET")
def api_incidents() -> Any:
    """GET: the program's open incidents. POST: open one from a CAD call (`call_id`) or a
    place (`lat`, `lon`, `label`); its cameras are found by an audited registry search."""
    officer = require_user()
    if request.method == "POST":
        incident = incidents.open_incident(settings(), officer, read_json(), client_ip())
        return jsonify(incidents.incident_json(incident)), 201
    return jsonify({"incidents": [incidents.incident_json(i)
                                  for i in incidents.open_incidents(officer)]})


@bp.route("/api/incidents/<incident_id>")
@allow(*OPERATORS)
@answers(200, obj(incident=INCIDENT, cameras=arr(CAMERA)))
def api_screen(incident_id: str) -> Any:
    """The incident's cameras, nearest and pointing at the scene first: what each owner's
    rules allow now (live now, live on the owner's tap, ask for footage later) and the tile of
    each that plays."""
    return jsonify(incidents.screen(require_user(), incident_id))


@bp.route("/api/incidents/<incident_id>/watch", methods=["POST"])
@allow(*OPERATORS)
@accepts({"camera_id": Field(str, max_length=64, min_length=1)})
@answers(200, obj(share_id=STR, stream=STR, until=TIME))
@fails(409)
def api_watch(incident_id: str) -> Any:
    """Open one of the incident's cameras live: an "always" camera inside its owner's
    schedule whose bridge is online (refused, and audited, otherwise). Play it through
    /api/live/<share_id>/view and /pieces like any share."""
    return jsonify(incidents.watch(settings(), require_user(), incident_id,
                                   read_json()["camera_id"], client_ip()))


@bp.route("/api/incidents/<incident_id>/close", methods=["POST"])
@allow(*OPERATORS)
@accepts({})
@answers(200, INCIDENT)
def api_close(incident_id: str) -> Any:
    """Close the incident: every live view opened for it ends now."""
    read_json()
    return jsonify(incidents.incident_json(
        incidents.close(require_user(), incident_id, client_ip())))


@bp.route("/api/incidents/<incident_id>/ask", methods=["POST"])
@allow(*OPERATORS)
@accepts({"camera_id": Field(str, max_length=64, min_length=1)})
@answers(200, ASK)
@fails(409)
def api_ask(incident_id: str) -> Any:
    """Ask the owner of one of the incident's cameras to share it live ("on alert", or
    "always" outside its schedule): their phone asks them, and nothing opens without their
    tap. Asked again while waiting, the same ask answers."""
    officer = require_user()
    incident, camera = incidents.open_camera(officer, incident_id, read_json()["camera_id"])
    item = asks.ask(settings(), officer, incident, camera, client_ip())
    return jsonify(asks.ask_json(item))


@bp.route("/api/incidents/<incident_id>/pull", methods=["POST"])
@allow(*OPERATORS)
@accepts({"camera_id": Field(str, max_length=64, min_length=1), "minutes": Field(int)})
@answers(201, obj(request_id=STR, case_number=STR, window_start=TIME, window_end=TIME))
@fails(409)
def api_pull(incident_id: str) -> Any:
    """Take the last `minutes` of one of the incident's cameras from its bridge as evidence,
    without asking: only where, and as much as, its owner allows (refused and audited
    otherwise). It is a footage request already approved by the owner's rule, on the case
    board like any other."""
    officer = require_user()
    data = read_json()
    incident, camera = incidents.open_camera(officer, incident_id, data["camera_id"])
    made = pulls.pull(settings(), officer, incident, camera, data["minutes"], client_ip())
    return jsonify({"request_id": made.request_id, "case_number": made.case_number,
                    "window_start": made.window_start.isoformat(),
                    "window_end": made.window_end.isoformat()}), 201


# ---------------------------------------------------------------- the owner's answer


@bp.route("/api/asks/answer", methods=["POST"])
@allow(PUBLIC, csrf_exempt=True)
@accepts({"token": Field(str, max_length=300)})
@answers(200, obj(status=STR, url=STR, title=STR, body=STR))
@fails(401, 403, 409, 410)
def api_answer_ask() -> Any:
    """A notification's Share or Not now, with the app closed: the single-use token is the
    key. The answer says what to show the owner next."""
    item, share_id = asks.answer_by_token(settings(), str(read_json()["token"]), client_ip())
    return jsonify(_answered(item.answer or "", share_id))


def _answered(answer: str, share_id: str) -> dict[str, str]:
    if answer == asks.SHARED:
        return {"status": answer, "url": f"/share?share={share_id}",
                "title": "Sharing live now",
                "body": "Police can watch this camera now. Open Porchlight to see who watches "
                        "or to end it."}
    return {"status": answer, "url": "/share", "title": "Not shared",
            "body": "Police see \"not now\" and nothing else."}


@bp.route("/asks/<ask_id>", methods=["GET", "POST"])
@allow(*OWNERS)
def ask_page(ask_id: str) -> Any:
    """The ask in the app (the notification's plain tap, or the email's link)."""
    owner = require_user()
    if request.method == "POST":
        action = request.form.get("action", "")
        item, share_id = asks.answer(settings(), owner, ask_id, action, client_ip())
        return redirect(_answered(item.answer or "", share_id)["url"])
    item = asks.owner_ask(owner, ask_id)
    camera = next((c for c in registry.cameras_of(owner.user_id)
                   if c.camera_id == item.camera_id), None)
    return render_template("incidents/ask.html", ask=item, state=asks.ask_json(item),
                           camera=camera, minutes=asks.SHARE_MINUTES)


# ---------------------------------------------------------------- bulletins


@bp.route("/api/incidents/<incident_id>/recipients")
@allow(*OPERATORS)
@answers(200, obj(recipients=arr(obj(user_id=STR, name=STR, role=STR, on_call=BOOL))))
def api_recipients(incident_id: str) -> Any:
    """Whom a bulletin of this incident can go to: the program's responding officers,
    detectives and supervisors; `on_call` marks the officers of the units the CAD feed
    assigned to the incident's call (listed first; the screen ticks them)."""
    officer = require_user()
    incident = incidents.incident_of(officer, incident_id)
    on_call = field.officers_on_call(officer.agency_id, incident.call_id) \
        if incident.call_id else set()
    people = [{"user_id": u.user_id, "name": u.display_name, "role": u.role,
               "on_call": u.email.lower() in on_call} for u in bulletins.recipients_of(officer)]
    people.sort(key=lambda p: not p["on_call"])  # (stable: the usual order otherwise)
    return jsonify({"recipients": people})


@bp.route("/api/incidents/<incident_id>/bulletins", methods=["POST"])
@allow(*OPERATORS)
@accepts({"text": Field(str, max_length=bulletins.MAX_TEXT),
          "recipients": Field(list, items=Field(str, max_length=64),
                              max_items=bulletins.MAX_RECIPIENTS),
          "still": Field(str, required=False, max_length=bulletins.MAX_STILL_BYTES * 4 // 3 + 40,
                         doc="a JPEG frozen from a tile, as a data: URL"),
          "source": Field(dict, required=False, doc="the tile it was frozen from",
                          fields={"share_id": Field(str, max_length=64),
                                  "stream": Field(str, max_length=64)})})
@answers(201, BULLETIN)
@fails(409)
def api_send_bulletin(incident_id: str) -> Any:
    """Send a still (optional) and a description to the officers chosen: each gets a push,
    and the bulletin waits on their Bulletins page for a day."""
    officer = require_user()
    incident = incidents.incident_of(officer, incident_id)
    sent = bulletins.send(settings(), officer, incident, read_json(), client_ip())
    return jsonify(bulletins.bulletin_json(sent, incident)), 201


@bp.route("/api/bulletins")
@allow(*READERS)
@answers(200, obj(bulletins=arr(BULLETIN)))
def api_bulletins() -> Any:
    """The bulletins sent to the signed-in officer (or by them) in the last day."""
    found = bulletins.for_reader(require_user())
    return jsonify({"bulletins": [bulletins.bulletin_json(b, Incident.find(b.incident_id))
                                  for b in found]})


@bp.route("/bulletins")
@allow(*READERS)
def bulletins_page() -> Any:
    found = bulletins.for_reader(require_user())
    return render_template("incidents/bulletins.html", bulletins=[
        bulletins.bulletin_json(b, Incident.find(b.incident_id)) for b in found],
        push_enabled=bool(settings().vapid_public_key))


@bp.route("/bulletins/<bulletin_id>")
@allow(*READERS)
def bulletin_page(bulletin_id: str) -> Any:
    """One bulletin on the officer's phone: the still, the words, and where (a map)."""
    found = bulletins.open_bulletin(require_user(), bulletin_id, client_ip())
    return render_template("incidents/bulletin.html", bulletin=bulletins.bulletin_json(
        found, Incident.find(found.incident_id)))


@bp.route("/bulletins/<bulletin_id>/still")
@allow(*READERS)
def bulletin_still(bulletin_id: str) -> Any:
    """The bulletin's picture: a redirect to a URL that lapses within a minute."""
    return redirect(bulletins.still_url(settings(), require_user(), bulletin_id))
