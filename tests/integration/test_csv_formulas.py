"""CSV injection, both ways. A camera import holding formulas stores them as plain text (never
run: they are only ever strings), and every CSV we hand out (the auditor's export, the import
template, the transparency figures) quotes any cell a spreadsheet would run, whoever typed it:
an importer's file name and camera names, a detective's case number."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.csvcells import FORMULA_STARTS
from tests.builders.cameras import rows, to_csv
from tests.support import Client, make_user, session_client

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
FORMULAS = (HYPERLINK, "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3")


def unsafe_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.startswith(FORMULA_STARTS) and not cell.lstrip("+-").replace(".", "").isdigit()]


def test_formulas_imported_stay_text_and_are_quoted_when_exported(
        base_url: str, settings: Any) -> None:
    agency = f"csv-{uuid.uuid4().hex[:8]}"
    admin = session_client(base_url, settings, make_user("org_admin", agency_id=agency))
    records = rows(len(FORMULAS), 36.52)
    for record, formula in zip(records, FORMULAS, strict=True):
        record.update(nickname=formula, street=formula)
    imported = admin.http.post(admin.base + "/cameras/import", data={"csrf_token": admin.csrf()},
                               files={"file": (HYPERLINK + ".csv", to_csv(records), "text/csv")},
                               allow_redirects=False, timeout=30)
    assert imported.status_code == 302, imported.text
    mine = admin.get("/api/cameras").json()["cameras"]
    assert sorted(c["nickname"] for c in mine) == sorted(FORMULAS)  # stored as typed
    assert all(c["street"] == c["nickname"] for c in mine)

    detective = session_client(base_url, settings, make_user("detective", agency_id=agency))
    for case in FORMULAS:
        found = detective.send_json("POST", "/api/search", {
            "lat": 36.52, "lon": -86.79, "radius_m": 150, "case_number": case,
            "incident_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
        assert found.status_code == 200, found.text

    auditor = session_client(base_url, settings, make_user("auditor", agency_id=agency))
    sheet = auditor.get("/audit/export.csv")
    assert sheet.status_code == 200
    assert not unsafe_cells(sheet.text)
    table = list(csv.DictReader(io.StringIO(sheet.text)))
    cases = {r["case"] for r in table if r["action"] == "registry.searched"}
    assert cases == {"'" + f for f in FORMULAS}
    imports = [json.loads(r["details"]) for r in table if r["action"] == "camera.imported"]
    assert imports == [{"count": len(FORMULAS), "source": HYPERLINK + ".csv"}]


def test_the_template_and_transparency_csv_hold_no_runnable_cell(
        signed_in: Any, base_url: str) -> None:
    admin, _ = signed_in("org_admin")
    template = admin.get("/cameras/import/template.csv").text
    assert not unsafe_cells(template)
    assert "-86.77448" in template  # a plain number keeps its sign, so the file imports as is
    public = Client(base_url).get("/transparency.csv")
    assert public.status_code == 200 and not unsafe_cells(public.text)
