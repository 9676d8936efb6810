"""Footage requests: what a detective may ask, how an owner's answer moves, what police see.

Pure: no I/O. The web app, the push worker and the clip worker share these rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.core import gaps, tokens
from app.core.cameras import OFFENSES, police_may_name, police_name
from app.core.errors import LinkGoneError, ValidationError
from app.core.roles import N_
from app.core.texts import gettext

# Categories a program asks about unless its admin changes the list. Immigration and protest
# activity are left out on purpose: a program that wants them must say so in its policy.
DEFAULT_AGENCY_OFFENSES = tuple(o for o in OFFENSES if o not in ("immigration", "protest_activity"))
OFFENSE_WORDS = {
    "violent_crime": N_("violent crime"), "robbery": N_("robbery"), "burglary": N_("burglary"),
    "theft": N_("theft"), "vandalism": N_("vandalism"),
    "traffic_collision": N_("traffic collision"), "missing_person": N_("missing person"),
    "drug_offense": N_("drug offense"), "immigration": N_("immigration"),
    "protest_activity": N_("protest activity"), "other": N_("other"),
}
MAX_CASE = 40
MAX_MESSAGE = 500
MAX_CAMERAS = 50  # one request; a wider net is a sign the search was too wide
MAX_HIDDEN = 50  # hidden cameras asked in one request (more in the area: a random 50 of them)
MAX_RADIUS_M = 2000.0  # a program's widest search and "also ask hidden cameras" radius
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_OFFSET_S = 7 * 24 * 3600  # a recorder more than a week off is a typo, not a clock
OLDEST_WINDOW = timedelta(days=365)

# A request: awaiting_approval (when the agency's policy asks a supervisor) → open → closed
# (everyone answered) or expired; a supervisor may refuse it (refused).
REQUEST_STATES = ("awaiting_approval", "open", "closed", "expired", "refused")
# What the detective reads: "closed" beside a clip ready to play read as "nothing there".
# Marked for the catalogue with N_, translated where shown.
REQUEST_STATE_WORDS = {
    "awaiting_approval": N_("waiting for a supervisor"), "open": N_("waiting for answers"),
    "closed": N_("every owner answered"), "expired": N_("expired"),
    "refused": N_("refused by a supervisor"),
}

# One asked camera. The owner's answer moves it; the upload and the worker move it on.
ASKED, SEEN, APPROVED, UPLOADING, PROCESSING, READY = (
    "asked", "seen", "approved", "uploading", "processing", "ready")
DECLINED, NO_FOOTAGE, EXPIRED, FAILED, DELETED = (
    "declined", "no_footage", "expired", "failed", "deleted")
WAITING = (ASKED, SEEN)  # the owner has not answered yet
FINAL = (READY, DECLINED, NO_FOOTAGE, EXPIRED, DELETED)
STATUS_WORDS = {  # marked with N_, translated where shown
    ASKED: N_("asked"), SEEN: N_("seen"), APPROVED: N_("approved"), UPLOADING: N_("uploading"),
    PROCESSING: N_("processing"), READY: N_("ready"), DECLINED: N_("declined"),
    NO_FOOTAGE: N_("no footage"), EXPIRED: N_("expired"), FAILED: N_("failed"),
    DELETED: N_("deleted (retention)"),
}
# Which answer or event may follow which state.
MOVES: dict[str, tuple[str, ...]] = {
    SEEN: (ASKED,),
    DECLINED: (ASKED, SEEN, APPROVED, FAILED),
    NO_FOOTAGE: (ASKED, SEEN, APPROVED, FAILED),
    APPROVED: (ASKED, SEEN, FAILED),
    UPLOADING: (APPROVED, UPLOADING, FAILED),
    # from ready: the owner sent another file for the parts the clip misses (its upload ran
    # while the first clip stayed with police: app.services.footage.uploads)
    PROCESSING: (UPLOADING, READY),
    READY: (PROCESSING,),
    FAILED: (PROCESSING, UPLOADING),
    EXPIRED: (ASKED, SEEN),
    DELETED: (READY, FAILED),
}

# Parts of the window a clip misses because of the owner's file (its start or its end): another
# file may cover them. A camera that was offline (a bridge saw it) has nothing more to send.
FILE_GAPS = (gaps.BEFORE_FILE, gaps.AFTER_FILE)


def can_move(current: str, to: str) -> bool:
    return current in MOVES.get(to, ())


def answered_in_full(status: str, gap_kinds: Iterable[str], no_other_file: bool,
                     replacing: bool) -> bool:
    """Whether an asked camera's answer is final and whole. A clip missing part of the asked
    window because the owner's file starts late or ends early is an answer in part while its
    owner may still send a file that covers it (one on its way, or none said yet)."""
    if status not in FINAL:
        return False
    if status != READY:
        return True
    return not replacing and (no_other_file or not any(k in FILE_GAPS for k in gap_kinds))


@dataclass(frozen=True)
class Policy:
    """The agency's rules for requests and evidence (its admin sets them)."""

    max_window_minutes: int = 120
    offenses: tuple[str, ...] = DEFAULT_AGENCY_OFFENSES
    needs_supervisor: bool = False
    expire_days: int = 7
    remind_after_hours: int = 48
    retention_days: int = 90
    timezone: str = "UTC"


@dataclass(frozen=True)
class RequestSpec:
    camera_ids: tuple[str, ...]
    case_number: str
    offense: str
    window_start: datetime
    window_end: datetime
    lat: float
    lon: float
    message: str
    hidden_radius_m: float = 0.0  # also ask the hidden cameras of the cells this circle touches


def _time(value: Any, name: str, errors: dict[str, str]) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        errors[name] = gettext("Give a date and time with its zone, like "
                               "2026-11-21T19:40-06:00.")
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        errors[name] = gettext("This is not a date and time, like 2026-11-21T19:40-06:00.")
        return None
    if moment.tzinfo is None:
        errors[name] = gettext("Give the time zone too, like 2026-11-21T19:40-06:00.")
        return None
    return moment


def _place(data: Mapping[str, Any], errors: dict[str, str]) -> tuple[float, float]:
    place = []
    for name, limit in (("lat", 90.0), ("lon", 180.0)):
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value) or abs(value) > limit:
            errors[name] = (
                gettext("Give the place's latitude, between -%(limit)s and %(limit)s.",
                        limit=format(limit, "g")) if name == "lat" else
                gettext("Give the place's longitude, between -%(limit)s and %(limit)s.",
                        limit=format(limit, "g")))
            place.append(0.0)
        else:
            place.append(float(value))
    return place[0], place[1]


def _window(data: Mapping[str, Any], policy: Policy, now: datetime,
            errors: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    start = _time(data.get("window_start"), "window_start", errors)
    end = _time(data.get("window_end"), "window_end", errors)
    if start is None or end is None:
        return start, end
    if end <= start:
        errors["window_end"] = gettext("The window must end after it starts.")
    elif end - start > timedelta(minutes=policy.max_window_minutes):
        errors["window_end"] = gettext("The window is longer than this program allows "
                                       "(%(minutes)s minutes). Ask for less.",
                                       minutes=policy.max_window_minutes)
    if start > now:
        errors["window_start"] = gettext("The window cannot start in the future.")
    elif start < now - OLDEST_WINDOW:
        errors["window_start"] = gettext("The window is more than a year ago; no recorder "
                                         "keeps that.")
    return start, end


def _cameras(value: Any, errors: dict[str, str], hidden_asked: bool) -> tuple[str, ...]:
    """The chosen cameras; none is fine when the hidden cameras are asked too. Whether any
    hidden camera is there is never looked at here (docs/privacy.md, errors)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["camera_ids"] = gettext("Choose at least one camera.")
        return ()
    unique = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if not unique and not hidden_asked:
        errors["camera_ids"] = gettext("Choose at least one camera, or also ask the hidden "
                                       "cameras.")
    elif any(len(v) > 64 for v in unique):
        errors["camera_ids"] = gettext("These are not camera ids.")
    elif len(unique) > MAX_CAMERAS:
        errors["camera_ids"] = gettext("Ask at most %(max)s cameras in one request.",
                                       max=MAX_CAMERAS)
    return unique


def _hidden_radius(value: Any, max_radius: float, errors: dict[str, str]) -> float:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                         and value == 0):
        return 0.0  # the hidden cameras are not asked
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not 1 <= value <= max_radius:
        errors["hidden_radius_m"] = gettext("Give the radius around the place to ask hidden "
                                            "cameras in, from 1 to %(max)s metres.",
                                            max=format(max_radius, "g"))
        return 0.0
    return float(value)


def parse_request(data: Mapping[str, Any], policy: Policy, now: datetime,
                  max_radius: float = MAX_RADIUS_M) -> RequestSpec:
    """A RequestSpec from JSON, or a ValidationError naming every field that is wrong.

    Only the request itself and the program's policy are read: no answer here depends on
    which cameras exist, so invalid requests cannot be used to probe for them."""
    errors: dict[str, str] = {}
    hidden_radius = _hidden_radius(data.get("hidden_radius_m"), max_radius, errors)
    camera_ids = _cameras(data.get("camera_ids"), errors,
                          hidden_asked=data.get("hidden_radius_m") not in (None, 0))
    case = data.get("case_number")
    case = case.strip() if isinstance(case, str) else ""
    if not case:
        errors["case_number"] = gettext("A request needs its case number.")
    elif len(case) > MAX_CASE:
        errors["case_number"] = gettext("Case numbers are at most %(max)s characters.",
                                        max=MAX_CASE)
    offense = data.get("offense")
    if offense not in policy.offenses:
        words = ", ".join(policy.offenses)
        errors["offense"] = gettext("Choose an offense category this program uses: %(words)s.",
                                    words=words)
    message = data.get("message", "")
    message = message.strip() if isinstance(message, str) else ""
    if len(message) > MAX_MESSAGE:
        errors["message"] = gettext("Keep the message under %(max)s characters.",
                                    max=MAX_MESSAGE)
    lat, lon = _place(data, errors)
    start, end = _window(data, policy, now, errors)
    if errors or start is None or end is None:
        raise ValidationError(gettext("The request cannot be sent as it is."), errors)
    return RequestSpec(camera_ids, case, str(offense), start, end, lat, lon, message,
                       hidden_radius)


# ---------------------------------------------------------------- what police see of an owner


@dataclass(frozen=True)
class Offered:
    """A camera the new-case form offers to ask, as police may see it."""

    camera_id: str
    name: str
    tier: str


def offered(camera_id: str, nickname: str, visibility: str, tier: str, paused: bool
            ) -> Offered | None:
    """A camera a search or the map passed on to the new-case form, as the form shows it:
    nothing for a paused camera (it would not be asked) or a hidden one (police never hold
    its id: one given anyway offers nothing, as an id that names no camera), and otherwise
    the name police may see before its owner answers (`police_name`: an approximate camera's
    own name could place it better than the map does)."""
    if paused or not police_may_name(visibility):
        return None
    return Offered(camera_id, police_name(nickname, visibility), tier)


def police_label(nickname: str, visibility: str, status: str) -> str:
    """A hidden or approximate camera's owner stays unnamed unless they choose to send footage
    (the owner's own name for the camera could place it better than the map does)."""
    if status in (APPROVED, UPLOADING, PROCESSING, READY):
        return nickname
    return police_name(nickname, visibility)


# ---------------------------------------------------------------- answers from a notification

ANSWER_PURPOSE = "footage-answer"
ANSWERS = ("approve", "decline")


def answer_token(secret: str, target_id: str, action: str, expires_epoch: int) -> str:
    """A signed token that approves or declines one asked camera, with no cookie needed.

    Format: target.action.expiry.nonce.signature. The signature binds all four, so a token cannot
    be turned into another answer or another target; the caller also stores its digest so it works
    once (and the state machine refuses a second answer anyway).
    """
    value = f"{target_id}.{action}.{expires_epoch}.{tokens.new_token(12)}"
    return f"{value}.{tokens.sign(secret, ANSWER_PURPOSE, value)}"


@dataclass(frozen=True)
class Answer:
    target_id: str
    action: str
    expires_epoch: int


def read_answer_token(secret: str, token: str, now_epoch: float) -> Answer:
    gone = LinkGoneError(gettext("This button has expired or was already used. Open the "
                                 "request in Porchlight to answer."),
                         gettext("expired, used or not ours"))
    if not isinstance(token, str) or len(token) > 300:
        raise gone
    parts = token.split(".")
    if len(parts) != 5:
        raise gone
    target_id, action, expires, _nonce, signature = parts
    if not tokens.check_signature(secret, ANSWER_PURPOSE, ".".join(parts[:4]), signature):
        raise gone
    if action not in ANSWERS or not expires.isdigit() or int(expires) <= now_epoch:
        raise gone
    return Answer(target_id, action, int(expires))


# ---------------------------------------------------------------- the recorder's clock


def clock_offset(value: Any) -> float:
    """The recorder's clock minus real time, in seconds, as the caller computed it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or abs(value) > MAX_OFFSET_S:
        raise ValidationError(gettext("Tell us what time the recorder showed, and when you "
                                      "read it."),
                              {"clock_offset_s": gettext("missing, or more than a week off")})
    return float(value)


READ_AHEAD = timedelta(minutes=10)  # a phone's clock a little ahead of the server's
READ_OLDEST = timedelta(days=7)  # a reading older than this was not taken for this upload


def reading_offset(shows: Any, read_at: Any, now: datetime) -> tuple[float, datetime]:
    """The recorder's clock minus real time, from one reading of it: the date and time its
    screen showed (`shows`, in the zone its clock is read in) at the moment `read_at`.

    Only the reading's own moment counts, never when the upload starts: the owner may look at
    the recorder, type, and pick the file minutes later. A screen shows whole seconds, so a
    reading without a fraction counts from the middle of its second (the recorder's clock was
    somewhere in it): the offset is then right to within half a second. `now` only bounds
    `read_at` (not in the future, not last week)."""
    errors: dict[str, str] = {}
    shown = _time(shows, "recorder_shows", errors)
    moment = _time(read_at, "read_at", errors)
    if moment is not None and moment > now + READ_AHEAD:
        errors["read_at"] = gettext("The moment you read the recorder's clock is in the "
                                    "future.")
    elif moment is not None and moment < now - READ_OLDEST:
        errors["read_at"] = gettext("Read the recorder's clock again: this reading is over a "
                                    "week old.")
    if shown is not None and moment is not None and not errors:
        offset = (shown - moment).total_seconds() + (0.5 if shown.microsecond == 0 else 0.0)
        if abs(offset) > MAX_OFFSET_S:
            errors["recorder_shows"] = gettext("More than a week from the moment it was read: "
                                               "a typo?")
    if errors or shown is None or moment is None:
        raise ValidationError(gettext("Tell us what time the recorder showed, and when you "
                                      "read it."), errors)
    return round(offset, 3), moment


def offset_words(offset_s: float) -> str:
    if abs(offset_s) < 1:
        return "on time"
    minutes, seconds = divmod(round(abs(offset_s)), 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else []) + (
        [f"{seconds} s"] if seconds else [])
    return f"{' '.join(parts)} {'ahead' if offset_s > 0 else 'behind'}"


# ---------------------------------------------------------------- the program's policy form

POLICY_LIMITS = {  # name: (label, low, high); labels marked with N_, translated where shown
    "max_window_minutes": (N_("Longest window a request may ask for (minutes)"), 5, 24 * 60),
    "expire_days": (N_("Days owners have to answer"), 1, 60),
    "remind_after_hours": (N_("Remind owners who have not answered after (hours)"), 1, 24 * 30),
    "retention_days": (N_("Keep clips and originals for (days)"), 1, 3650),
}


def parse_policy(data: Mapping[str, Any], offenses: list[str], known_zone: bool) -> Policy:
    """The agency admin's policy form, checked field by field."""
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, (label, low, high) in POLICY_LIMITS.items():
        raw = str(data.get(name, "")).strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = gettext("%(label)s: a whole number from %(low)s to %(high)s.",
                                   label=gettext(label), low=low, high=high)
            numbers[name] = low
        else:
            numbers[name] = int(raw)
    unknown = [o for o in offenses if o not in OFFENSES]
    if unknown or not offenses:
        errors["offenses"] = gettext("Choose at least one offense category from the list.")
    if not known_zone:
        errors["timezone"] = gettext("Give a time zone name like America/Chicago.")
    if numbers["remind_after_hours"] >= numbers["expire_days"] * 24 and "expire_days" not in errors:
        errors["remind_after_hours"] = gettext("The reminder must come before the request "
                                               "expires.")
    if errors:
        raise ValidationError(gettext("The policy was not saved."), errors)
    return Policy(max_window_minutes=numbers["max_window_minutes"],
                  offenses=tuple(o for o in OFFENSES if o in offenses),
                  needs_supervisor=str(data.get("needs_supervisor", "")) in ("1", "yes", "on"),
                  expire_days=numbers["expire_days"],
                  remind_after_hours=numbers["remind_after_hours"],
                  retention_days=numbers["retention_days"], timezone=str(data.get("timezone")))
