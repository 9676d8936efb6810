"""The ingest API for CAD/AVL systems (agency-scoped keys) and the live layers it feeds."""

from __future__ import annotations

import math
import secrets
from typing import Any

from pynamodb.exceptions import DoesNotExist

from app.core import roles, tokens
from app.core.errors import ForbiddenError, NotFoundError, UnauthorizedError, ValidationError
from app.core.texts import gettext
from app.models.field import ApiKey, FieldEvent
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor

KINDS = {"calls": "call", "units": "unit"}
DEFAULT_TTL_MINUTES = {"call": 240, "unit": 10}
MAX_TTL_MINUTES = 24 * 60
MAX_ITEMS = 500
MAX_UNITS = 20  # units assigned to one call
MAX_OFFICERS = 6  # officers in one unit
KEY_PREFIX = "plk_"


def create_key(admin: User, name: str, ip: str) -> str:
    """A new key, returned once; only its digest is kept."""
    if admin.role != roles.AGENCY_ADMIN:
        raise ForbiddenError("Only agency admins create API keys.")
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise ValidationError(errors={"name": gettext("Name the key after the system that "
                                                       "uses it (1 to 60 characters), e.g. "
                                                       "'CAD feed'.")})
    key = KEY_PREFIX + tokens.new_token(32)
    item = ApiKey(key_id=tokens.digest(key), public_id=secrets.token_hex(6),
                  agency_id=admin.agency_id, name=name, created_by=admin.user_id,
                  created_at=clock.now())
    item.save(condition=ApiKey.key_id.does_not_exist())
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "apikey.created", "-",
                 {"key": item.public_id, "name": name})
    return key


def keys_of(agency_id: str) -> list[ApiKey]:
    return sorted(ApiKey.scan(ApiKey.agency_id == agency_id), key=lambda k: k.created_at)


def agency_key(admin: User, public_id: str) -> ApiKey:
    """An API key of the admin's program, by the id its page shows; another program's (and,
    to anyone but an agency admin, any) is "not found", as one that does not exist."""
    if admin.role == roles.AGENCY_ADMIN:
        for item in keys_of(admin.agency_id):
            if item.public_id == public_id:
                return item
    raise NotFoundError("No such key.")


def revoke_key(admin: User, public_id: str, ip: str) -> None:
    item = agency_key(admin, public_id)
    item.update(actions=[ApiKey.revoked.set(True)])
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "apikey.revoked", "-",
                 {"key": public_id, "name": item.name})


def authenticate(header: str) -> ApiKey:
    scheme, _, key = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not key.startswith(KEY_PREFIX) or len(key) > 100:
        raise UnauthorizedError("Send the agency's API key as 'Authorization: Bearer plk_…'.")
    try:
        item = ApiKey.get(tokens.digest(key))
    except DoesNotExist as exc:
        raise UnauthorizedError("That API key is not known.") from exc
    if item.revoked:
        raise UnauthorizedError("That API key was revoked.")
    return item


def _names(raw: Any, most: int, longest: int, lower: bool = False) -> list[str] | None:
    """A list of 0 to `most` short texts (None when it is not one)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > most or not all(
            isinstance(x, str) and 1 <= len(x.strip()) <= longest for x in raw):
        return None
    return list(dict.fromkeys(x.strip().lower() if lower else x.strip() for x in raw))


def _check_item(raw: Any, index: int, errors: dict[str, str],
                kind: str = "call") -> dict[str, Any] | None:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        errors[where] = gettext("must be an object")
        return None
    links = "units" if kind == "call" else "officers"
    unknown = set(raw) - {"id", "lat", "lon", "label", "detail", "ttl_minutes", links}
    if unknown:
        errors[where] = gettext("unknown field(s): %(names)s", names=", ".join(sorted(unknown)))
        return None
    try:
        lat, lon = float(raw["lat"]), float(raw["lon"])
        ident, label = str(raw["id"]).strip(), str(raw["label"]).strip()
    except (KeyError, TypeError, ValueError):
        errors[where] = gettext("needs id, lat, lon (numbers) and label")
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        errors[where] = gettext("lat must be -90..90 and lon -180..180")
    elif not (1 <= len(ident) <= 64 and 1 <= len(label) <= 120):
        errors[where] = gettext("id (1-64 characters) and label (1-120) are required")
    ttl = raw.get("ttl_minutes")
    if ttl is not None and (not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL_MINUTES):
        errors[where] = gettext("ttl_minutes must be a whole number from 1 to %(max)s",
                                max=MAX_TTL_MINUTES)
    units = _names(raw.get("units"), MAX_UNITS, 64)
    officers = _names(raw.get("officers"), MAX_OFFICERS, 254, lower=True)
    if units is None:
        errors[where] = gettext("units must be a list of up to %(max)s unit ids", max=MAX_UNITS)
    if officers is None or any("@" not in email for email in officers or []):
        errors[where] = gettext("officers must be a list of up to %(max)s e-mail addresses",
                                max=MAX_OFFICERS)
    return {"id": ident, "lat": lat, "lon": lon, "label": label,
            "detail": str(raw.get("detail") or "")[:200], "ttl": ttl,
            "units": units or None, "officers": officers or None}


def ingest(key: ApiKey, feed: str, items: Any) -> int:
    """Upsert calls for service or unit locations; each expires after its TTL."""
    kind = KINDS[feed]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(gettext("Send a JSON list of 1 to %(max)s items.", max=MAX_ITEMS),
                              {"items": gettext("must be a list")})
    errors: dict[str, str] = {}
    checked = [_check_item(raw, i, errors, kind) for i, raw in enumerate(items)]
    if errors:
        raise ValidationError(gettext("Some items cannot be used; none were stored."), errors)
    now = clock.now()
    with FieldEvent.batch_write() as batch:
        for item in checked:
            assert item is not None
            minutes = item["ttl"] or DEFAULT_TTL_MINUTES[kind]
            batch.save(FieldEvent(
                agency_id=key.agency_id, event_key=f"{kind}#{item['id']}", kind=kind,
                source_id=item["id"], lat=item["lat"], lon=item["lon"], label=item["label"],
                detail=item["detail"], updated_at=now, unit_ids=item["units"],
                officer_emails=item["officers"],
                expires_epoch=int(now.timestamp()) + 60 * minutes))
    return len(checked)


def active(agency_id: str) -> list[FieldEvent]:
    """Calls and units that have not expired (DynamoDB's TTL deletes late, so check here)."""
    now = clock.now().timestamp()
    return [e for e in FieldEvent.query(agency_id) if e.expires_epoch > now]


def officers_on_call(agency_id: str, call_id: str) -> set[str]:
    """The e-mail addresses of the officers in the units the CAD feed assigned to a call
    (those units still reported): whom its incident's bulletins go to first."""
    try:
        call = FieldEvent.get(agency_id, f"call#{call_id}")
    except DoesNotExist:
        return set()
    keys = [(agency_id, f"unit#{unit}") for unit in (call.unit_ids or [])[:MAX_UNITS]]
    now = int(clock.now().timestamp())
    return {email for unit in FieldEvent.batch_get(keys) if unit.expires_epoch > now
            for email in unit.officer_emails or []}
