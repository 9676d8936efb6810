"""The program's policy: the agency admin's rules for requests and evidence, and its time zone.

Read by the footage pages and workers, the live views, receipts, anomalies and every page that
shows a time; set only by the agency admin, audited.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.exceptions import DoesNotExist

from app.core import footage, roles
from app.core.errors import ForbiddenError
from app.core.footage import Policy
from app.models.users import Agency, User
from app.services.auditing import audit
from app.services.auditing.audit import Actor


def policy_for(agency_id: str) -> Policy:
    try:
        return Agency.get(agency_id).policy()
    except DoesNotExist:
        return Policy()


def save_policy(admin: User, data: dict[str, Any], offenses: list[str], ip: str) -> Policy:
    """The agency admin sets the program's rules for requests and evidence; audited."""
    if admin.role != roles.AGENCY_ADMIN:
        raise ForbiddenError("Only the agency admin sets the program's policy.")
    zone = str(data.get("timezone", "")).strip()
    try:
        known = bool(zone) and bool(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    policy = footage.parse_policy({**data, "timezone": zone}, offenses, known)
    agency = Agency.get(admin.agency_id)
    agency.update(actions=[
        Agency.max_window_minutes.set(policy.max_window_minutes),
        Agency.offenses.set(list(policy.offenses)),
        Agency.requests_need_supervisor.set(policy.needs_supervisor),
        Agency.request_expire_days.set(policy.expire_days),
        Agency.request_remind_after_hours.set(policy.remind_after_hours),
        Agency.retention_days.set(policy.retention_days),
        Agency.timezone.set(policy.timezone)])
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "policy.changed", "-",
                 {"max_window_minutes": policy.max_window_minutes,
                  "offenses": list(policy.offenses), "needs_supervisor": policy.needs_supervisor,
                  "expire_days": policy.expire_days,
                  "remind_after_hours": policy.remind_after_hours,
                  "retention_days": policy.retention_days, "timezone": policy.timezone})
    return policy
