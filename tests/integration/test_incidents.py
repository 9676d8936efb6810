"""Incidents in progress, through the app: an operator opens one, sees what each owner's rules
allow now, opens an "always" camera live through its bridge, and closing the incident (or
nobody watching) ends the view; every step is in the owner's activity."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from app.core.cameras import parse_camera
from app.models.live import LiveShare
from app.services import clock
from app.services.cameras import bridges, registry
from app.services.realtime import field as field_service
from tests.bridge.media import make_h264
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.builders.push import Device, subscribe
from tests.support import Client, form_token, wait_for_event

pytestmark = pytest.mark.slow  # a few seconds: left out of `make check`

# Each test its own corner of the city, so other tests' cameras are not around its scene.
PLACES = itertools.count()


def scene() -> tuple[float, float]:
    n = next(PLACES)
    return 36.02 - 0.01 * n, -86.62


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_h264(tmp_path_factory.mktemp("incident") / "piece.mp4", seconds=1.0, gop=30,
                     bframes=0)
    return Path(path).read_bytes()


def _camera(owner: Any, at: tuple[float, float], **changes: Any) -> str:
    body = camera_body(lat=at[0], lon=at[1] + 0.0003, heading_deg=270, range_m=60, **changes)
    answer = owner.send_json("POST", "/api/cameras", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["camera"]["id"])


def _setup(signed_in: Any, base_url: str) -> dict[str, Any]:
    """An owner with an "always", an "on alert" and an "on request" camera at a scene, a
    bridge serving the first, and a detective who opened an incident there."""
    owner, owner_account = signed_in("owner")
    at = scene()
    always = _camera(owner, at, nickname="Shop door", tier="always", schedule="")
    on_alert = _camera(owner, at, nickname="Side lot", tier="on_alert")
    on_request = _camera(owner, at, nickname="Back gate", tier="on_request", recent_minutes=5,
                         refused_offenses=["protest_activity"])
    bridge, headers, _device = paired_bridge(owner, base_url)
    served = bridge.get(f"/api/bridge/state?camera={always}&camera={on_request}",
                        headers=headers)
    assert served.status_code == 200
    detective, detective_account = signed_in("detective")
    opened = detective.send_json("POST", "/api/incidents", {
        "lat": at[0], "lon": at[1], "label": "Robbery in progress", "case_number": "26-77001"})
    assert opened.status_code == 201, opened.text
    return {"owner": owner, "owner_account": owner_account, "bridge": bridge,
            "headers": headers, "detective": detective, "detective_account": detective_account,
            "incident": opened.json()["incident_id"], "always": always, "on_alert": on_alert,
            "on_request": on_request}


def test_an_always_camera_opens_for_the_incident_and_closes_with_it(
        signed_in: Any, base_url: str, video: bytes) -> None:
    s = _setup(signed_in, base_url)
    detective, incident = s["detective"], s["incident"]
    screen = detective.get(f"/api/incidents/{incident}").json()
    said = {c["camera_id"]: c for c in screen["cameras"]}
    assert said[s["always"]]["availability"] == "live", said[s["always"]]
    assert said[s["on_alert"]]["availability"] == "ask"
    assert said[s["on_request"]]["availability"] == "later"
    assert said[s["always"]]["where"].endswith("m east") and said[s["always"]]["covers"]

    # Police may not open an "on alert" camera themselves: refused, and the owner reads it.
    refused = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                  {"camera_id": s["on_alert"]})
    assert refused.status_code == 403 and "owner shares it" in refused.json()["detail"]
    wait_for_event(s["owner_account"].user.user_id, "live.refused",
                   s["detective_account"].user.user_id)

    opened = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                 {"camera_id": s["always"]})
    assert opened.status_code == 200, opened.text
    share_id, stream = opened.json()["share_id"], opened.json()["stream"]
    assert stream != s["always"]  # police play it by an alias, as any share
    again = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                {"camera_id": s["always"]})
    assert again.json()["share_id"] == share_id  # one view, however many ask

    # The bridge hears of it as a share starting at the live edge, and sends its pieces.
    bridge, headers = s["bridge"], s["headers"]
    shares = bridge.get(f"/api/bridge/state?camera={s['always']}", headers=headers).json()
    listed = [x for x in shares["shares"] if x["share_id"] == share_id]
    assert listed and listed[0]["preroll_seconds"] <= 4
    assert listed[0]["quality"] == {s["always"]: "sub"}  # a tile of the wall: its substream
    sent = send_piece(bridge, headers, share_id, piece_body(s["always"], video, clock.now()),
                      video)
    assert sent.status_code == 200, sent.text
    view = detective.send_json("POST", f"/api/live/{share_id}/view", {}).json()
    assert [c["allowed"] for c in view["cameras"]] == [True]
    pieces = detective.get(f"/api/live/{share_id}/pieces?camera={stream}&from=start").json()
    assert len(pieces["pieces"]) == 1

    # The tile enlarged: its camera's main stream; only an officer watching it may say so.
    other, _ = signed_in("detective")
    main = {"camera": stream, "quality": "main"}
    refused = other.send_json("POST", f"/api/live/{share_id}/quality", main)
    assert refused.status_code == 409 and "Open the live share" in refused.json()["detail"]
    assert s["owner"].send_json("POST", f"/api/live/{share_id}/quality",
                                main).status_code == 403
    wrong = detective.send_json("POST", f"/api/live/{share_id}/quality",
                                {"camera": stream, "quality": "4k"})
    assert wrong.status_code == 422 and "quality" in wrong.json()["errors"]

    def quality() -> Any:
        state = bridge.get(f"/api/bridge/state?camera={s['always']}", headers=headers).json()
        return next(x for x in state["shares"] if x["share_id"] == share_id)["quality"]

    told = detective.send_json("POST", f"/api/live/{share_id}/quality", main)
    assert told.status_code == 200, told.text
    assert quality() == {}
    detective.send_json("POST", f"/api/live/{share_id}/quality", {**main, "quality": "sub"})
    assert quality() == {s["always"]: "sub"}

    tile = next(c for c in detective.get(f"/api/incidents/{incident}").json()["cameras"]
                if c["camera_id"] == s["always"])["tile"]
    assert tile["share_id"] == share_id and tile["by"] == "police"
    opened_event = wait_for_event(s["owner_account"].user.user_id, "live.opened",
                                  s["detective_account"].user.user_id)
    assert share_id in opened_event.details and "26-77001" in opened_event.details
    activity = s["owner"].get("/account/activity").text
    assert "opened your camera Shop door live for case 26-77001" in activity

    closed = detective.send_json("POST", f"/api/incidents/{incident}/close", {})
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert LiveShare.get(share_id).ended_by == "incident closed"
    after = detective.get(f"/api/live/{share_id}/pieces?camera={stream}")
    assert after.status_code in (409, 410)
    late = send_piece(bridge, headers, share_id, piece_body(s["always"], video, clock.now()),
                      video)
    assert late.status_code == 410  # the bridge stops sending
    refused_late = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                       {"camera_id": s["always"]})
    assert refused_late.status_code == 409


def test_a_view_nobody_watches_ends_and_the_bridge_stops(
        signed_in: Any, base_url: str, video: bytes, time_travel: Any) -> None:
    s = _setup(signed_in, base_url)
    opened = s["detective"].send_json("POST", f"/api/incidents/{s['incident']}/watch",
                                      {"camera_id": s["always"]}).json()
    first = send_piece(s["bridge"], s["headers"], opened["share_id"],
                       piece_body(s["always"], video, clock.now()), video)
    assert first.status_code == 200
    time_travel.advance(60)  # nobody opened the view
    late = send_piece(s["bridge"], s["headers"], opened["share_id"],
                      piece_body(s["always"], video, clock.now()), video)
    assert late.status_code == 410
    assert LiveShare.get(opened["share_id"]).ended_by == "idle"


def test_another_program_and_other_roles_see_no_incident(
        signed_in: Any, base_url: str, make_account: Any, settings: Any) -> None:
    s = _setup(signed_in, base_url)
    from tests.support import session_client

    stranger = session_client(base_url, settings, make_account("detective", "agency-other"))
    assert stranger.get(f"/api/incidents/{s['incident']}").status_code == 404
    assert stranger.send_json("POST", f"/api/incidents/{s['incident']}/watch",
                              {"camera_id": s["always"]}).status_code == 404
    assert s["owner"].get(f"/api/incidents/{s['incident']}").status_code == 403
    bad = s["detective"].send_json("POST", "/api/incidents", {"lat": 200, "label": "x"})
    assert bad.status_code == 422 and "lat" in bad.json()["errors"]
    unknown_call = s["detective"].send_json("POST", "/api/incidents", {"call_id": "nope"})
    assert unknown_call.status_code == 422


def test_an_on_alert_owner_is_asked_and_shares_with_one_tap(
        signed_in: Any, base_url: str, push_service: Any) -> None:
    """The ask reaches the owner's phone as a real Web Push with Share and Not now; the Share
    token alone (no session, as the service worker sends it) starts the owner's share of
    that camera, pre-roll included, which the incident's screen shows as a tile and which
    ends when the incident closes."""
    s = _setup(signed_in, base_url)
    device = Device.new(push_service.endpoint("owner-phone"))
    subscribe(s["owner"], device)
    detective, incident = s["detective"], s["incident"]
    asked = detective.send_json("POST", f"/api/incidents/{incident}/ask",
                                {"camera_id": s["on_alert"]})
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "asked"
    again = detective.send_json("POST", f"/api/incidents/{incident}/ask",
                                {"camera_id": s["on_alert"]})
    assert again.json()["ask_id"] == asked.json()["ask_id"]  # one notification, not two
    not_askable = detective.send_json("POST", f"/api/incidents/{incident}/ask",
                                      {"camera_id": s["on_request"]})
    assert not_askable.status_code == 403

    pushed = device.read(push_service.wait_for(device.endpoint)[0])
    assert pushed["kind"] == "live_ask" and "Side lot" in pushed["body"]
    assert [a["title"] for a in pushed["actions"]] == ["Share 30 min", "Not now"]
    tokens = {a["action"]: a["token"] for a in pushed["actions"]}
    tapped = Client(base_url).send_json("POST", pushed["answer_url"],
                                        {"token": tokens["share"]}, csrf=False)
    assert tapped.status_code == 200, tapped.text
    assert tapped.json()["status"] == "shared" and tapped.json()["title"] == "Sharing live now"
    late = Client(base_url).send_json("POST", pushed["answer_url"],
                                      {"token": tokens["decline"]}, csrf=False)
    assert late.status_code == 409  # answered already

    row = next(c for c in detective.get(f"/api/incidents/{incident}").json()["cameras"]
               if c["camera_id"] == s["on_alert"])
    assert row["ask"]["state"] == "shared" and row["availability"] == "live"
    assert row["tile"]["by"] == "owner"
    share = LiveShare.get(row["tile"]["share_id"])
    assert share.source == "ask" and share.incident_id == incident
    assert share.preroll_seconds == 120 and share.camera_ids == [s["on_alert"]]
    wait_for_event(s["owner_account"].user.user_id, "live.asked",
                   s["detective_account"].user.user_id)
    activity = s["owner"].get("/account/activity").text
    assert "asked you to share your camera Side lot live for an incident" in activity
    assert "shared your camera Side lot live when police asked, from a notification" in activity

    detective.send_json("POST", f"/api/incidents/{incident}/close", {})
    assert LiveShare.get(share.share_id).ended_by == "incident closed"


def test_an_ask_lapses_and_the_app_page_answers_it(
        signed_in: Any, base_url: str, time_travel: Any) -> None:
    s = _setup(signed_in, base_url)
    asked = s["detective"].send_json("POST", f"/api/incidents/{s['incident']}/ask",
                                     {"camera_id": s["on_alert"]}).json()
    page = s["owner"].get(f"/asks/{asked['ask_id']}")
    assert page.status_code == 200 and "Share 30 min" in page.text and "Side lot" in page.text
    declined = s["owner"].post_form(f"/asks/{asked['ask_id']}", {"action": "decline"},
                                    token=form_token(page.text))
    assert declined.status_code == 302
    row = next(c for c in s["detective"].get(f"/api/incidents/{s['incident']}").json()[
        "cameras"] if c["camera_id"] == s["on_alert"])
    assert row["ask"]["words"] == "The owner said not now"
    second = s["detective"].send_json("POST", f"/api/incidents/{s['incident']}/ask",
                                      {"camera_id": s["on_alert"]}).json()
    assert second["ask_id"] != asked["ask_id"]
    time_travel.advance(6 * 60)
    row = next(c for c in s["detective"].get(f"/api/incidents/{s['incident']}").json()[
        "cameras"] if c["camera_id"] == s["on_alert"])
    assert row["ask"]["state"] == "expired" and row["ask"]["words"] == "No answer"
    gone = s["owner"].get(f"/asks/{second['ask_id']}")
    assert "This ask has lapsed" in gone.text


def test_recent_minutes_become_evidence_without_asking_only_as_the_owner_allows(
        signed_in: Any, base_url: str) -> None:
    """The "on request" camera lets police take 5 recent minutes: the pull is a footage
    request approved by that rule, offered to the bridge at once, on the case board under
    the incident's reference, and in the owner's activity. More minutes, a camera whose
    owner allows none, or an offense the owner refuses: refused and audited."""
    s = _setup(signed_in, base_url)
    detective, incident = s["detective"], s["incident"]
    rows = {c["camera_id"]: c for c in detective.get(f"/api/incidents/{incident}").json()[
        "cameras"]}
    assert rows[s["on_request"]]["recent_minutes"] == 5
    assert rows[s["always"]]["recent_minutes"] == 0
    too_many = detective.send_json("POST", f"/api/incidents/{incident}/pull",
                                   {"camera_id": s["on_request"], "minutes": 6})
    assert too_many.status_code == 403 and "at most 5" in too_many.json()["detail"]
    none = detective.send_json("POST", f"/api/incidents/{incident}/pull",
                               {"camera_id": s["always"], "minutes": 1})
    assert none.status_code == 403
    pulled = detective.send_json("POST", f"/api/incidents/{incident}/pull",
                                 {"camera_id": s["on_request"], "minutes": 5})
    assert pulled.status_code == 201, pulled.text
    made = pulled.json()
    assert made["case_number"] == "26-77001"

    state = s["bridge"].get(f"/api/bridge/state?camera={s['always']}&camera={s['on_request']}",
                            headers=s["headers"]).json()
    offered = [r for r in state["requests"] if r["camera_id"] == s["on_request"]]
    assert len(offered) == 1  # approved by the owner's rule: the bridge sends it now
    board = detective.get(f"/api/requests/{made['request_id']}")
    assert board.status_code == 200 and board.json()["case_number"] == "26-77001"
    row = next(c for c in detective.get(f"/api/incidents/{incident}").json()["cameras"]
               if c["camera_id"] == s["on_request"])
    assert row["pulls"][0]["request_id"] == made["request_id"]
    wait_for_event(s["owner_account"].user.user_id, "live.pulled",
                   s["detective_account"].user.user_id)
    activity = s["owner"].get("/account/activity").text
    assert "took the last 5 minutes of your camera Back gate from your bridge" in activity

    protest = detective.send_json("POST", "/api/incidents", {
        "lat": rows[s["on_request"]]["lat"], "lon": rows[s["on_request"]]["lon"],
        "label": "Crowd on the street", "offense": "protest_activity"}).json()
    refused = detective.send_json("POST", f"/api/incidents/{protest['incident_id']}/pull",
                                  {"camera_id": s["on_request"], "minutes": 1})
    assert refused.status_code == 403 and "refuses" in refused.json()["detail"]


def test_the_agency_pairs_a_bridge_for_its_street_camera_and_police_open_it(
        signed_in: Any, base_url: str, video: bytes) -> None:
    """An agency admin's own street camera ("always", from the agency's file) served by a
    bridge the admin paired: it opens on the incident's wall like any camera, with the same
    audit, which the admin reads."""
    admin, admin_account = signed_in("agency_admin")
    at = scene()
    spec = parse_camera(camera_body(nickname="Pole cam 4th & Main", lat=at[0],
                                    lon=at[1] - 0.0003, heading_deg=90, range_m=80,
                                    mount="pole", tier="always", schedule=""))
    [camera] = registry.import_cameras(admin_account.user, [spec], "127.0.0.1", "csv")
    assert camera.source == "agency"
    assert "Bridges" in admin.get("/").text  # in the admin's menu
    bridge, headers, device_id = paired_bridge(admin, base_url)
    assert bridge.get(f"/api/bridge/state?camera={camera.camera_id}",
                      headers=headers).status_code == 200
    detective, detective_account = signed_in("detective")
    incident = detective.send_json("POST", "/api/incidents", {
        "lat": at[0], "lon": at[1], "label": "Shots fired"}).json()["incident_id"]
    row = next(c for c in detective.get(f"/api/incidents/{incident}").json()["cameras"]
               if c["camera_id"] == camera.camera_id)
    assert row["availability"] == "live" and row["name"] == "Pole cam 4th & Main"
    opened = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                 {"camera_id": camera.camera_id}).json()
    sent = send_piece(bridge, headers, opened["share_id"],
                      piece_body(camera.camera_id, video, clock.now()), video)
    assert sent.status_code == 200, sent.text
    assert detective.send_json("POST", f"/api/live/{opened['share_id']}/view",
                               {}).status_code == 200
    pieces = detective.get(f"/api/live/{opened['share_id']}/pieces?camera={opened['stream']}"
                           "&from=start").json()["pieces"]
    assert len(pieces) == 1
    wait_for_event(admin_account.user.user_id, "live.opened", detective_account.user.user_id)
    assert device_id in {d.device_id for d in bridges.devices_of(admin_account.user)}


def _jpeg() -> str:
    """A real JPEG frame, as a canvas's toDataURL gives it."""
    import base64

    import cv2
    import numpy as np

    frame = np.zeros((180, 320, 3), dtype=np.uint8)
    frame[40:140, 100:220] = (40, 40, 200)  # a red hoodie, more or less
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode()


def test_a_bulletin_reaches_the_officers_chosen_with_its_still(
        signed_in: Any, base_url: str, video: bytes, push_service: Any) -> None:
    """A still frozen from a tile the operator watches, and words, go to a responding
    officer: their phone gets a real push, their Bulletins page shows it with the picture
    and the place; an officer not chosen, and the wall, stay closed to them; the camera's
    owner reads that a still of it was sent."""
    s = _setup(signed_in, base_url)
    officer, officer_account = signed_in("officer")
    bystander, _ = signed_in("officer")
    device = Device.new(push_service.endpoint("officer-phone"))
    subscribe(officer, device)
    detective, incident = s["detective"], s["incident"]
    people = detective.get(f"/api/incidents/{incident}/recipients").json()["recipients"]
    assert officer_account.user.user_id in {p["user_id"] for p in people}
    opened = detective.send_json("POST", f"/api/incidents/{incident}/watch",
                                 {"camera_id": s["always"]}).json()
    text = "Male, red hoodie, northbound on 2nd Ave"
    body = {"text": text, "recipients": [officer_account.user.user_id], "still": _jpeg(),
            "source": {"share_id": opened["share_id"], "stream": opened["stream"]}}
    not_jpeg = detective.send_json("POST", f"/api/incidents/{incident}/bulletins",
                                   {**body, "still": "data:image/jpeg;base64,aGVsbG8="})
    assert not_jpeg.status_code == 422 and "still" in not_jpeg.json()["errors"]
    stranger = detective.send_json("POST", f"/api/incidents/{incident}/bulletins",
                                   {**body, "recipients": [s["owner_account"].user.user_id]})
    assert stranger.status_code == 422 and "recipients" in stranger.json()["errors"]
    sent = detective.send_json("POST", f"/api/incidents/{incident}/bulletins", body)
    assert sent.status_code == 201, sent.text
    bulletin = sent.json()
    assert bulletin["still"] and bulletin["recipients"] == 1

    pushed = device.read(push_service.wait_for(device.endpoint)[0])
    assert pushed["kind"] == "bulletin" and pushed["body"] == text
    assert pushed["title"] == "Bulletin: Robbery in progress"
    page = officer.get(pushed["url"])
    assert page.status_code == 200 and text in page.text
    assert 'data-lat="' in page.text  # the incident's place, on a map
    picture = officer.http.get(f"{base_url}{pushed['url']}/still", timeout=10)
    assert picture.status_code == 200 and picture.content[:3] == b"\xff\xd8\xff"
    assert officer.get("/api/bulletins").json()["bulletins"][0]["text"] == text
    assert bystander.get(pushed["url"]).status_code == 404
    assert bystander.get("/api/bulletins").json()["bulletins"] == []
    for wall in (f"/incidents/{incident}", f"/api/incidents/{incident}", "/map", "/live",
                 f"/api/live/{opened['share_id']}/pieces?camera={opened['stream']}"):
        assert officer.get(wall).status_code == 403, wall
    wait_for_event(s["owner_account"].user.user_id, "live.still_sent",
                   s["detective_account"].user.user_id)
    assert "sent a still of your camera Shop door to 1 person" in s["owner"].get(
        "/account/activity").text

    # Once the owner ends the view, a frame of it cannot be sent any more; nor anything once
    # the incident is closed.
    assert s["owner"].send_json("DELETE", f"/api/shares/{opened['share_id']}").status_code == 200
    late = detective.send_json("POST", f"/api/incidents/{incident}/bulletins", body)
    assert late.status_code == 403 and "not playing" in late.json()["detail"]
    detective.send_json("POST", f"/api/incidents/{incident}/close", {})
    closed = detective.send_json("POST", f"/api/incidents/{incident}/bulletins",
                                 {"text": text, "recipients": [officer_account.user.user_id]})
    assert closed.status_code == 409


def test_the_officers_of_the_units_on_a_call_are_offered_first(signed_in: Any,
                                                               base_url: str) -> None:
    """The CAD feed says which units are on a call and who is in each unit: the incident
    opened from that call ticks those officers for its bulletins; a unit not on the call, or
    an address of nobody in the program, changes nothing. Bad lists are refused whole."""
    _admin, admin_account = signed_in("agency_admin")
    key = field_service.create_key(admin_account.user, "CAD feed", "127.0.0.1")
    on_car, on_car_account = signed_in("officer")
    _elsewhere, elsewhere_account = signed_in("officer")
    cad = Client(base_url)
    auth = {"Authorization": f"Bearer {key}"}
    at = scene()
    units = [{"id": "car-12", "lat": at[0], "lon": at[1], "label": "Car 12",
              "officers": [on_car_account.email.upper(), "nobody@example.org"]},
             {"id": "car-40", "lat": at[0], "lon": at[1], "label": "Car 40",
              "officers": [elsewhere_account.email]}]
    assert cad.send_json("PUT", "/api/ingest/units", units, csrf=False,
                         headers=auth).status_code == 200
    call = {"id": "C-26-5512", "lat": at[0], "lon": at[1], "label": "Robbery in progress",
            "units": ["car-12", "car-99"]}
    assert cad.send_json("PUT", "/api/ingest/calls", [call], csrf=False,
                         headers=auth).status_code == 200
    bad = cad.send_json("PUT", "/api/ingest/calls", [{**call, "units": "car-12"}], csrf=False,
                        headers=auth)
    assert bad.status_code == 422
    assert cad.send_json("PUT", "/api/ingest/units", [{**units[0], "officers": ["no-at"]}],
                         csrf=False, headers=auth).status_code == 422
    detective, _ = signed_in("detective")
    opened = detective.send_json("POST", "/api/incidents", {"call_id": "C-26-5512"})
    assert opened.status_code == 201, opened.text
    people = detective.get(f"/api/incidents/{opened.json()['incident_id']}/recipients").json()
    ticked = [p["user_id"] for p in people["recipients"] if p["on_call"]]
    assert ticked == [on_car_account.user.user_id]
    assert people["recipients"][0]["user_id"] == on_car_account.user.user_id


def test_an_owner_who_chose_spanish_is_asked_in_spanish(
        signed_in: Any, base_url: str, push_service: Any) -> None:
    """The ask's push is in the language the owner chose in the app (kept on the account)."""
    s = _setup(signed_in, base_url)
    owner = s["owner"]
    owner.post_form("/language", {"language": "es"}, token=form_token(owner.get("/").text))
    device = Device.new(push_service.endpoint("telefono"))
    subscribe(owner, device)
    asked = s["detective"].send_json("POST", f"/api/incidents/{s['incident']}/ask",
                                     {"camera_id": s["on_alert"]})
    assert asked.status_code == 200, asked.text
    pushed = device.read(push_service.wait_for(device.endpoint)[0])
    assert pushed["title"] == "La policía le pide compartir en vivo"
    assert "«Side lot»" in pushed["body"] and "toque Compartir" in pushed["body"]
    assert [a["title"] for a in pushed["actions"]] == ["Compartir 30 min", "Ahora no"]
