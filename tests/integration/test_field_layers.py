"""The police map data, agency API keys and the CAD/AVL ingest API."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import requests

from app.models.field import FieldEvent
from app.services import clock
from app.services.auditing import audit
from app.services.people import accounts
from tests.builders.field import new_key
from tests.support import wait_for_event

pytestmark = pytest.mark.slow  # about 8 s in all: left out of `make check`


def push(base: str, key: str, feed: str, items: Any) -> requests.Response:
    return requests.put(f"{base}/api/ingest/{feed}", json=items, timeout=30,
                        headers={"Authorization": f"Bearer {key}"})


def test_ingested_calls_and_units_reach_the_map_and_expire(signed_in: Any, base_url: str) -> None:
    admin, admin_account = signed_in("agency_admin")
    key = new_key(admin)
    assert push(base_url, key, "calls", [{"id": "C-1", "lat": 36.1612, "lon": -86.7760,
                                          "label": "Robbery in progress"}]).status_code == 200
    assert push(base_url, key, "units", [{"id": "U-7", "lat": 36.1600, "lon": -86.7790,
                                          "label": "Car 7", "ttl_minutes": 5}]).status_code == 200
    detective, det_account = signed_in("detective")
    data = detective.get("/api/map").json()
    labels = {(f["kind"], f["id"]) for f in data["field"]}
    assert {("call", "C-1"), ("unit", "U-7")} <= labels
    assert data["cameras"] and data["hidden_count"] >= 1  # the demo seed hides some cameras
    assert all(c["source"] in ("owner", "agency") for c in data["cameras"])
    assert "registry.viewed" in [e.action for e in audit.activity_of(det_account.user.user_id)]
    # Every owner whose cameras the map showed is told, by the audit-fanout worker.
    demo_owner = accounts.find_by_email("owner@demo.porchlight.test")
    assert demo_owner is not None
    seen = wait_for_event(demo_owner.user_id, "registry.camera_viewed",
                          actor_id=det_account.user.user_id)
    assert json.loads(seen.details)["by"] == det_account.user.user_id  # the owner's notice
    # An expired item is gone from the map even before DynamoDB's TTL deletes it.
    item = FieldEvent.get(admin_account.user.agency_id, "unit#U-7")
    item.update(actions=[FieldEvent.expires_epoch.set(
        int((clock.now() - timedelta(seconds=1)).timestamp()))])
    again = {(f["kind"], f["id"]) for f in detective.get("/api/map").json()["field"]}
    assert ("unit", "U-7") not in again and ("call", "C-1") in again


def test_ingest_refuses_bad_keys_and_bad_items(signed_in: Any, base_url: str) -> None:
    admin, _ = signed_in("agency_admin")
    key = new_key(admin, "AVL")
    assert push(base_url, "plk_not-a-key", "calls", []).status_code == 401
    no_header = requests.put(f"{base_url}/api/ingest/calls", json=[], timeout=30)
    assert no_header.status_code == 401
    bad = push(base_url, key, "calls", [{"id": "C-2", "lat": 95, "lon": 0, "label": "x"},
                                        {"id": "C-3", "lon": 0, "label": "x"}])
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"items[0]", "items[1]"}
    assert push(base_url, key, "weather", [{"id": "1", "lat": 0, "lon": 0,
                                            "label": "x"}]).status_code == 400
    # Revoked keys stop working at once.
    page = admin.get("/admin/api-keys").text
    public_id = re.findall(r"/admin/api-keys/([0-9a-f]+)/revoke", page)[-1]
    assert admin.post_form(f"/admin/api-keys/{public_id}/revoke").status_code == 302
    assert push(base_url, key, "calls", [{"id": "C-4", "lat": 0, "lon": 0,
                                          "label": "x"}]).status_code == 401


def test_a_key_feeds_only_its_own_agency(signed_in: Any, base_url: str, settings: Any) -> None:
    from app.models.users import Agency
    from tests.support import make_user, session_client

    Agency(agency_id="field-other", name="Other", city="X", created_at=clock.now()).save()
    other_admin = session_client(base_url, settings,
                                 make_user("agency_admin", agency_id="field-other"))
    key = new_key(other_admin, "Other CAD")
    assert push(base_url, key, "calls", [{"id": "ELSEWHERE", "lat": 36.16, "lon": -86.77,
                                          "label": "Other agency call"}]).status_code == 200
    detective, _ = signed_in("detective")
    ids = {f["id"] for f in detective.get("/api/map").json()["field"]}
    assert "ELSEWHERE" not in ids


def test_agency_admin_imports_agency_cameras(signed_in: Any) -> None:
    admin, _ = signed_in("agency_admin")
    body = (b"nickname,lat,lon,heading_deg,fov_deg,range_m,mount,facing,retention_days,tier,"
            b"visibility,attested\r\nPD pole cam,36.1625,-86.7772,180,90,80,pole,street,30,"
            b"always,exact,yes\r\n")
    response = admin.send_json("POST", "/api/cameras/import", data=body,
                               headers={"Content-Type": "text/csv"})
    assert response.status_code == 201, response.text
    detective, _ = signed_in("detective")
    cams = detective.get("/api/map").json()["cameras"]
    assert any(c["name"] == "PD pole cam" and c["source"] == "agency" for c in cams)
