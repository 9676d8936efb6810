"""Camera registration, edit, pause, withdraw and the incident search, over HTTP on devstack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models.cameras import Camera
from app.services.auditing import audit
from tests.builders.cameras import SCENE, camera_body
from tests.support import Client, wait_for_event

pytestmark = pytest.mark.slow  # about 11 s in all: left out of `make check`


def actions_of(user_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(user_id)]


def test_owner_registers_edits_pauses_and_withdraws(signed_in: Any) -> None:
    owner, account = signed_in("owner")
    created = owner.send_json("POST", "/api/cameras", camera_body())
    assert created.status_code == 201, created.text
    cam = created.json()["camera"]
    assert cam["nickname"] == "Front door" and cam["needs_confirmation"] is False
    cam_id = cam["id"]
    assert [c["id"] for c in owner.get("/api/cameras").json()["cameras"]] == [cam_id]

    edited = owner.send_json("PUT", f"/api/cameras/{cam_id}", camera_body(heading_deg=250))
    assert edited.status_code == 200 and edited.json()["camera"]["heading_deg"] == 250
    paused = owner.send_json("PUT", f"/api/cameras/{cam_id}/paused", {"paused": True})
    assert paused.json()["camera"]["paused"] is True

    assert owner.send_json("DELETE", f"/api/cameras/{cam_id}").status_code == 204
    assert owner.get(f"/api/cameras/{cam_id}").status_code == 404
    assert Camera.count(cam_id) == 0  # deletion is real
    events = audit.activity_of(account.user.user_id)
    acts = [e.action for e in events]
    for action in ("camera.registered", "camera.updated", "camera.paused", "camera.withdrawn"):
        assert action in acts
    tombstone = next(e for e in events if e.action == "camera.withdrawn")
    assert "lat" not in tombstone.details and str(SCENE[0]) not in tombstone.details


def test_owner_cannot_see_or_touch_another_owners_camera(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    other, _ = signed_in("owner")
    cam_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    assert other.get(f"/api/cameras/{cam_id}").status_code == 404
    assert other.send_json("DELETE", f"/api/cameras/{cam_id}").status_code == 404
    assert other.post_form(f"/cameras/{cam_id}/withdraw").status_code == 404
    assert owner.get(f"/api/cameras/{cam_id}").status_code == 200


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"lat": 91}, "lat", "at most 90"),
    ({"lon": -180.5}, "lon", "at least -180"),
    ({"heading_deg": 361}, "heading_deg", "at most 360"),
    ({"heading_deg": -1}, "heading_deg", "at least 0"),
    ({"fov_deg": 0}, "fov_deg", "more than 0"),
    ({"fov_deg": 361}, "fov_deg", "at most 360"),
    ({"range_m": -5}, "range_m", "more than 0"),
    ({"attested": False}, "attested", "private property"),
    ({"mount": "ceiling"}, "mount", "doorbell, wall, pole, window, other"),
    ({"refused_offenses": ["jaywalking"]}, "refused_offenses", "jaywalking"),
])
def test_bad_camera_input_is_explained(signed_in: Any, changes: dict[str, Any], field: str,
                                       words: str) -> None:
    owner, account = signed_in("owner")
    response = owner.send_json("POST", "/api/cameras", camera_body(**changes))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert words in response.json()["errors"][field]
    assert list(Camera.owner_index.query(account.user.user_id)) == []


def test_the_phone_form_registers_a_camera(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    page = owner.get("/cameras/new")
    assert page.status_code == 200 and "js-camera-map" in page.text
    form = {k: str(v) for k, v in camera_body().items() if k != "attested"}
    refused = owner.post_form("/cameras/new", form)
    assert refused.status_code == 422 and "expect privacy" in refused.text
    assert 'value="Front door"' in refused.text  # what was typed is kept
    done = owner.post_form("/cameras/new", {**form, "attested": "yes",
                                            "refused_offenses": "immigration"})
    assert done.status_code == 302
    listing = owner.get("/cameras")
    assert "Front door" in listing.text and "Shared on request" in listing.text


def incident(client: Client, **changes: Any) -> Any:
    body = {"lat": SCENE[0], "lon": SCENE[1], "radius_m": 300,
            "incident_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            "case_number": "24-118223"}
    body.update(changes)
    return client.send_json("POST", "/api/search", body)


def test_incident_search_ranks_cameras_and_respects_visibility(signed_in: Any) -> None:
    owner, owner_account = signed_in("owner")
    pointing = camera_body(nickname="Looks at it", lon=SCENE[1] + 0.0002, heading_deg=270)
    away = camera_body(nickname="Looks away", lon=SCENE[1] + 0.0001, heading_deg=90)
    approx = camera_body(nickname="Roughly here", lat=SCENE[0] + 0.001, visibility="approximate")
    hidden = camera_body(nickname="Secret", lat=SCENE[0] - 0.0005, visibility="hidden")
    paused = camera_body(nickname="Paused one", lat=SCENE[0] - 0.0003)
    old = camera_body(nickname="Short memory", lat=SCENE[0] + 0.0003, retention_days=0)
    far = camera_body(nickname="Far away", lat=SCENE[0] + 0.01)
    ids = {}
    for body in (pointing, away, approx, hidden, paused, old, far):
        ids[body["nickname"]] = owner.send_json("POST", "/api/cameras", body).json()["camera"]["id"]
    owner.send_json("PUT", f"/api/cameras/{ids['Paused one']}/paused", {"paused": True})

    detective, det_account = signed_in("detective")
    response = incident(detective)
    assert response.status_code == 200, response.text
    result = response.json()
    names = [c["nickname"] for c in result["cameras"]]
    covers = [c["covers"] for c in result["cameras"]]
    assert covers == sorted(covers, reverse=True)  # cameras pointing at the scene come first
    looks = next(c for c in result["cameras"] if c["nickname"] == "Looks at it")
    assert looks["covers"] is True
    assert "Looks away" in names and "Far away" not in names and "Paused one" not in names
    assert "Secret" not in names and result["hidden_count"] >= 1
    away_hit = next(c for c in result["cameras"] if c["nickname"] == "Looks away")
    assert away_hit["covers"] is False
    approx_hit = next(c for c in result["cameras"] if c["camera_id"] == ids["Roughly here"])
    assert approx_hit["approximate"] is True and approx_hit["lat"] != approx["lat"]
    # Nor its owner's name for it, which could place it better than the map does.
    assert approx_hit["nickname"] == "A camera shown near its place"
    assert "Roughly here" not in response.text
    old_hit = next(c for c in result["cameras"] if c["nickname"] == "Short memory")
    assert old_hit["kept"] is False
    assert all("owner_id" not in c for c in result["cameras"])  # police never see who owns it

    # The search is audited, and the owner sees who searched, when, and for which case.
    assert "registry.searched" in actions_of(det_account.user.user_id)
    found = wait_for_event(owner_account.user.user_id, "registry.camera_found",
                           actor_id=det_account.user.user_id)
    # The notice is the owner's: written by the system, naming the detective who searched.
    assert found.actor_id == "system" and found.subject_id == owner_account.user.user_id
    assert json.loads(found.details)["by"] == det_account.user.user_id
    assert json.loads(found.details)["case"] == "24-118223"


@pytest.mark.parametrize(("changes", "field"), [
    ({"case_number": ""}, "case_number"),
    ({"radius_m": 50_000}, "radius_m"),
    ({"lat": 123}, "lat"),
    ({"incident_at": "yesterday"}, "incident_at"),
    ({"incident_at": "2026-11-21T19:40"}, "incident_at"),
    ({"incident_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "incident_at"),
])
def test_bad_search_is_explained(signed_in: Any, changes: dict[str, Any], field: str) -> None:
    detective, _ = signed_in("detective")
    response = incident(detective, **changes)
    assert response.status_code == 422 and field in response.json()["errors"]


def test_search_radius_is_capped_by_the_agency(signed_in: Any) -> None:
    from app.models.users import Agency

    detective, account = signed_in("detective")
    agency = Agency.get(account.user.agency_id)
    agency.update(actions=[Agency.max_radius_m.set(500)])
    try:
        too_wide = incident(detective, radius_m=800)
        assert too_wide.status_code == 422
        assert "500" in too_wide.json()["errors"]["radius_m"]
        assert incident(detective, radius_m=500).status_code == 200
    finally:
        agency.update(actions=[Agency.max_radius_m.set(2000)])


def test_search_page_shows_results(signed_in: Any) -> None:
    detective, _ = signed_in("supervisor")
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    page = detective.post_form("/search", {"lat": "36.16228", "lon": "-86.77448",
                                           "radius_m": "300", "incident_at": when,
                                           "case_number": "24-000001"})
    assert page.status_code == 200
    assert "Points at the scene" in page.text and "data-results=" in page.text


def test_owners_cannot_search_and_police_cannot_register(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    assert incident(owner).status_code == 403
    assert detective.send_json("POST", "/api/cameras", camera_body()).status_code == 403


def test_stale_camera_asks_for_confirmation(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    cam_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    camera = Camera.get(cam_id)
    camera.update(actions=[Camera.confirmed_at.set(datetime.now(UTC) - timedelta(days=400))])
    assert owner.get(f"/api/cameras/{cam_id}").json()["camera"]["needs_confirmation"] is True
    assert "still there" in owner.get("/cameras").text
    confirmed = owner.send_json("POST", f"/api/cameras/{cam_id}/confirm")
    assert confirmed.json()["camera"]["needs_confirmation"] is False


def test_geojson_export_uses_osm_tags_and_hides_what_owners_hide(signed_in: Any) -> None:
    owner, owner_account = signed_in("owner")
    owner.send_json("POST", "/api/cameras", camera_body(nickname="Export me", mount="pole",
                                                        heading_deg=359.6))
    owner.send_json("POST", "/api/cameras", camera_body(nickname="Hide me", visibility="hidden"))
    detective, _ = signed_in("detective")
    response = detective.get("/api/registry.geojson")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/geo+json")
    features = response.json()["features"]
    names = [f["properties"]["name"] for f in features]
    assert "Export me" in names and "Hide me" not in names
    mine = next(f for f in features if f["properties"]["name"] == "Export me")
    props = mine["properties"]
    assert props["man_made"] == "surveillance" and props["camera:mount"] == "pole"
    assert props["camera:direction"] == 0 and props["surveillance:zone"] == "town"
    assert mine["geometry"]["coordinates"] == pytest.approx([SCENE[1] + 0.0002, SCENE[0]])
    wait_for_event(owner_account.user.user_id, "registry.camera_exported")


def test_photo_goes_straight_to_s3_and_is_checked(signed_in: Any, devstack: Any) -> None:
    import requests

    owner, _ = signed_in("owner")
    cam_id = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    assert owner.send_json("POST", f"/api/cameras/{cam_id}/photo-upload",
                           {"content_type": "text/html"}).status_code == 422
    form = owner.send_json("POST", f"/api/cameras/{cam_id}/photo-upload",
                           {"content_type": "image/png"}).json()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    uploaded = requests.post(form["url"], data=form["fields"], timeout=30,
                             files={"file": ("view.png", png, "image/png")})
    assert uploaded.status_code in (200, 204)
    attached = owner.send_json("PUT", f"/api/cameras/{cam_id}/photo", {"key": form["key"]})
    assert attached.status_code == 200, attached.text
    assert requests.get(attached.json()["photo_url"], timeout=30).content == png
    # A key of another camera, or one never uploaded, is refused.
    assert owner.send_json("PUT", f"/api/cameras/{cam_id}/photo",
                           {"key": "camera-photos/other/x"}).status_code == 422
    # Withdrawing deletes the photo too.
    assert owner.send_json("DELETE", f"/api/cameras/{cam_id}").status_code == 204
    s3 = devstack.client("s3")
    listed = s3.list_objects_v2(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                                Prefix=f"camera-photos/{cam_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_the_police_indexes_never_hold_an_exact_place(signed_in: Any, devstack: Any) -> None:
    owner, _ = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras",
                          camera_body(nickname="Index check", visibility="approximate")).json()
    stored = Camera.get(cam["camera"]["id"])
    assert stored.cell == f"{stored.agency_id}#{stored.geohash[:5]}"  # agency-scoped search
    dynamodb = devstack.client("dynamodb")
    by_cell = dynamodb.query(
        TableName=Camera.Meta.table_name, IndexName="cell-index",
        KeyConditionExpression="cell = :c AND geohash = :g",
        ExpressionAttributeValues={":c": {"S": stored.cell}, ":g": {"S": stored.geohash}},
    )["Items"]
    by_agency = dynamodb.query(
        TableName=Camera.Meta.table_name, IndexName="agency-index",
        KeyConditionExpression="agency_id = :a AND camera_id = :i",
        ExpressionAttributeValues={":a": {"S": stored.agency_id}, ":i": {"S": stored.camera_id}},
    )["Items"]
    for items in (by_cell, by_agency):
        mine = [i for i in items if i["camera_id"]["S"] == stored.camera_id]
        assert mine and "lat" not in mine[0] and "lon" not in mine[0]
        # "pa" is place_lat's stored name: the ~100 m cell centre, not the owner's spot.
        assert float(mine[0]["pa"]["N"]) != pytest.approx(stored.lat, abs=1e-7)
