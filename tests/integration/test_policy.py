"""The agency admin sets the program's policy; detectives' requests follow it at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.models.users import Agency
from app.services.auditing import audit
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window

GOOD = {"max_window_minutes": "60", "expire_days": "5", "remind_after_hours": "24",
        "retention_days": "30", "timezone": "America/Chicago", "needs_supervisor": ""}


def test_admin_sets_the_policy_and_requests_follow_it(signed_in: Any) -> None:
    admin, admin_account = signed_in("agency_admin")
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    agency = Agency.get(admin_account.user.agency_id)
    before = agency.policy()
    try:
        bad = admin.post_form("/admin/policy", {**GOOD, "max_window_minutes": "0",
                                                "timezone": "Mars/Olympus", "offenses": []})
        assert bad.status_code == 422
        for words in ("from 5 to 1440", "time zone name", "at least one offense"):
            assert words in bad.text
        saved = admin.post_form("/admin/policy", {**GOOD, "offenses": ["robbery", "theft"]})
        assert saved.status_code == 302
        policy = Agency.get(agency.agency_id).policy()
        assert policy.max_window_minutes == 60 and policy.offenses == ("robbery", "theft")
        assert policy.retention_days == 30 and policy.timezone == "America/Chicago"
        cam = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
        start, _ = window()
        too_long = ask(detective, [cam], start, start + timedelta(minutes=61))
        assert "60 minutes" in too_long.json()["errors"]["window_end"]
        assert "offense" in ask(detective, [cam], *window(), offense="burglary").json()["errors"]
        assert "policy.changed" in [e.action for e in audit.activity_of(
            admin_account.user.user_id)]
    finally:
        agency.update(actions=[
            Agency.max_window_minutes.set(before.max_window_minutes),
            Agency.offenses.set(list(before.offenses)),
            Agency.retention_days.set(before.retention_days),
            Agency.request_expire_days.set(before.expire_days),
            Agency.request_remind_after_hours.set(before.remind_after_hours),
            Agency.requests_need_supervisor.set(before.needs_supervisor),
            Agency.timezone.set(before.timezone)])
