"""The auditor's filters, read from the query string (the log, its exports and the API)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from app.core.audit_words import ACTION_WORDS
from app.core.errors import ValidationError
from app.core.texts import gettext
from app.services import clock
from app.services.auditing import anomalies, audit
from app.services.auditing.audit import Cursor
from app.services.auditing.review import PAGE_SIZE, PAGE_SIZE_MAX, ReviewFilter
from app.services.people import accounts

ACTIONS = tuple(ACTION_WORDS)
# The filter's own fields, carried by the export and "next page" links.
FILTER_FIELDS = ("actor", "action", "subject", "case", "text", "since", "until", "per_page")
MAX_TEXT = 100


def _person(raw: str, agency_id: str) -> str:
    """A user id, from the email address of somebody in the auditor's own program (another
    program's people are not found: not even whether they have an account shows)."""
    found = accounts.find_by_email(raw) if "@" in raw else None
    return found.user_id if found and found.agency_id == agency_id else raw


def _dates(args: Mapping[str, str], flt: ReviewFilter, errors: dict[str, str]) -> None:
    for name in ("since", "until"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = gettext("Enter a date like 2026-11-21.")
                continue
            stamp = day.isoformat() + ("T00:00:00.000Z" if name == "since" else "T23:59:59.999Z")
            setattr(flt, name, stamp)


def _paging(args: Mapping[str, str], flt: ReviewFilter, errors: dict[str, str]) -> None:
    per_page = (args.get("per_page") or "").strip()
    if per_page:
        if not per_page.isdigit() or not 1 <= int(per_page) <= PAGE_SIZE_MAX:
            errors["per_page"] = gettext("Choose from 1 to %(max)s events per page.",
                                         max=PAGE_SIZE_MAX)
        else:
            flt.limit = int(per_page)
    before = (args.get("before") or "").strip()
    if before:
        seq = (args.get("before_seq") or "").strip()
        try:
            moment = datetime.fromisoformat(before)
        except ValueError:
            errors["before"] = gettext("The page link is damaged: start again from the first "
                                       "page.")
            return
        at = clock.iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        flt.before = Cursor(at, int(seq) if seq.isdigit() else 0)


def parse_filter(args: Mapping[str, str], agency_id: str) -> ReviewFilter:
    """Only events of the auditor's own program; every problem named by its field."""
    errors: dict[str, str] = {}
    flt = ReviewFilter(chains=[audit.chain_for(agency_id)], limit=PAGE_SIZE)
    for name, attr in (("actor", "actor_id"), ("subject", "subject_id")):
        raw = (args.get(name) or "").strip()
        if raw:
            setattr(flt, attr, _person(raw, agency_id))
    action = (args.get("action") or "").strip()
    if action:
        if action not in ACTIONS:
            errors["action"] = gettext("Choose an action from the list.")
        flt.action = action
    for name in ("case", "text"):
        raw = (args.get(name) or "").strip()
        if len(raw) > MAX_TEXT:
            errors[name] = gettext("Enter at most %(max)s characters.", max=MAX_TEXT)
        setattr(flt, name, raw or None)
    _dates(args, flt, errors)
    _paging(args, flt, errors)
    if errors:
        raise ValidationError(errors=errors)
    return flt


def filter_args(args: Mapping[str, str]) -> dict[str, str]:
    """The filter as given (for the export and next-page links), without the page cursor."""
    return {k: args[k].strip() for k in FILTER_FIELDS if (args.get(k) or "").strip()}


def parse_period(args: Mapping[str, str]) -> str:
    period = (args.get("period") or anomalies.DEFAULT_PERIOD).strip()
    if period not in anomalies.PERIODS:
        raise ValidationError(errors={"period": gettext("Choose the last 24 hours, 7 days or "
                                                        "30 days.")})
    return period
