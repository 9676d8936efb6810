"""Bulk import: a 130-row CSV in one go; every bad file explained row by row; all or nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.bulk import COLUMNS
from app.services.auditing import audit
from tests.builders.cameras import count_of, rows, send, to_csv
from tests.support import Client


@pytest.fixture
def org(signed_in: Any) -> tuple[Client, Any]:
    client, account = signed_in("org_admin")
    return client, account


def test_130_rows_import_in_one_go(org: tuple[Client, Any]) -> None:
    client, account = org
    response = send(client, to_csv(rows(130)))
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 130
    assert count_of(account.user.user_id) == 130
    assert "camera.imported" in [e.action for e in audit.activity_of(account.user.user_id)]


def test_byte_order_mark_and_semicolons_are_read(org: tuple[Client, Any]) -> None:
    client, account = org
    assert send(client, b"\xef\xbb\xbf" + to_csv(rows(3))).status_code == 201
    semi = send(client, to_csv(rows(2, start_lat=36.2), delimiter=";"))
    assert semi.status_code == 201, semi.text
    assert count_of(account.user.user_id) == 5


def problems(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return [f"{p['row']}|{p['column']}|{p['message']}" for p in response.json()["problems"]]


def test_bad_cells_are_named_by_row_and_column_and_nothing_is_written(
        org: tuple[Client, Any]) -> None:
    client, account = org
    records = rows(20)
    records[4]["lat"] = "95"
    records[9]["heading_deg"] = "400"
    records[14]["attested"] = "no"
    found = problems(send(client, to_csv(records)))
    assert any(p.startswith("6|lat|") for p in found)  # row 1 is the header
    assert any(p.startswith("11|heading_deg|") for p in found)
    assert any(p.startswith("16|attested|") for p in found)
    assert count_of(account.user.user_id) == 0


def test_missing_and_extra_columns(org: tuple[Client, Any]) -> None:
    client, _ = org
    missing = problems(send(client, to_csv(rows(2), columns=COLUMNS[:-4])))
    assert any("missing column(s): retention_days" in p or "missing column(s)" in p
               for p in missing)
    extra = to_csv(rows(2)).replace(b"street\r\n", b"street,colour\r\n", 1)
    assert any("unknown column(s): colour" in p for p in problems(send(client, extra)))


def test_duplicate_rows_are_named(org: tuple[Client, Any]) -> None:
    client, _ = org
    records = rows(3)
    records.append(dict(records[1]))
    found = problems(send(client, to_csv(records)))
    assert any(p.startswith("5||repeats row 3") for p in found)


def test_ten_thousand_rows_are_refused_plainly(org: tuple[Client, Any]) -> None:
    client, account = org
    header = ",".join(COLUMNS).encode() + b"\n"
    line = b"c,36.1,-86.7,0,90,30,wall,street,14,on_request,exact,yes,,\n"
    response = send(client, header + line * 10_000)
    assert any("split it into files of 2000" in p for p in problems(response))
    assert count_of(account.user.user_id) == 0


def test_wrong_cell_count_and_empty_file(org: tuple[Client, Any]) -> None:
    client, _ = org
    body = to_csv(rows(2)) + b"only,three,cells\r\n"
    assert any(p.startswith("4||has 3 cells") for p in problems(send(client, body)))
    assert problems(send(client, b""))


def test_geojson_import(org: tuple[Client, Any]) -> None:
    client, account = org
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [
        float(r["lon"]), float(r["lat"])]}, "properties": {
            k: v for k, v in r.items() if k not in ("lat", "lon")}} for r in rows(4)]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    response = send(client, body, "application/geo+json")
    assert response.status_code == 201, response.text
    assert count_of(account.user.user_id) == 4


def test_template_download_imports_as_is(org: tuple[Client, Any]) -> None:
    client, _ = org
    template = client.get("/cameras/import/template.csv")
    assert template.status_code == 200 and template.headers["Content-Type"].startswith("text/csv")
    assert send(client, template.content).status_code == 201


def test_upload_page_lists_what_to_fix(org: tuple[Client, Any]) -> None:
    client, _ = org
    records = rows(3)
    records[1]["mount"] = "ceiling"
    page = client.http.post(client.base + "/cameras/import",
                            data={"csrf_token": client.csrf()},
                            files={"file": ("cams.csv", to_csv(records), "text/csv")},
                            allow_redirects=False, timeout=30)
    assert page.status_code == 422
    assert "row 3, column mount" in page.text and "nothing was imported" in page.text
    good = client.http.post(client.base + "/cameras/import",
                            data={"csrf_token": client.csrf()},
                            files={"file": ("cams.csv", to_csv(rows(3, 36.3)), "text/csv")},
                            allow_redirects=False, timeout=30)
    assert good.status_code == 302 and "imported" in good.headers["Location"]


def test_only_organisation_admins_import(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    assert send(owner, to_csv(rows(1))).status_code == 403
