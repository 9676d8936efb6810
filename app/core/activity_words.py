"""My activity in the reader's own words: one plain sentence per audit event. Pure: no I/O.

A resident reads their activity as a receipt ("A detective searched near your camera Maya's
porch for case 26-004417."), never as action codes and ids: the codes, ids and hashes are the
event's proof, which the page keeps one tap away. A sentence uses only what the reader may read
of the event (app.core.audit_views.view) and what app.services.auditing.activity looked up for this
reader: the names of the reader's own cameras and the cases of requests the reader may know.
Times are in the program's zone, which the page names once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core import localtime, roles
from app.core.audit_views import NOTICE_ACTIONS
from app.core.audit_words import ACTION_WORDS
from app.core.footage import OFFENSE_WORDS

ROLE_WORDS = {roles.DETECTIVE: "a detective", roles.SUPERVISOR: "a supervisor",
              roles.AGENCY_ADMIN: "an agency admin", roles.AUDITOR: "an auditor",
              roles.OWNER: "a camera owner", roles.ORG_ADMIN: "an organisation admin",
              roles.OFFICER: "a responding officer"}
RECEIPTS = {"off": "You turned police access receipts off.",
            "push": "You chose a notification at once for each police access to your cameras.",
            "digest": "You chose a daily email of the police accesses to your cameras.",
            "both": "You chose a notification at once and a daily email for police accesses "
                    "to your cameras."}
REFUSALS = {"validation-error": "it was not valid", "forbidden": "your role may not do that",
            "csrf-failed": "the page had expired", "mfa-required": "your code was needed first",
            "bad-request": "it could not be read"}
# Reasons recorded as a word rather than words.
REASONS = {"ended": "the share had ended", "idle": "a time without activity"}
UNKNOWN = "Something was recorded about your account; its proof has the details."

# One sentence per action, filled from the event's facts (`facts` below: {who} is "You", "Your
# bridge", "A detective", "Porchlight" ...; {case} is " for case 26-004417 (burglary)" or "").
# A pair is (what someone else did, what the reader did themselves).
WORDS: dict[str, str | tuple[str, str]] = {
    # What police did that an owner is told of (app.services.auditing.notices), and their answers.
    "registry.camera_found": "{who} searched near {camera}{case}.",
    "registry.camera_viewed": "{who} opened the police map, which showed {yours}.",
    "registry.camera_exported": "{who} exported the list of cameras, with {yours}.",
    "request.received": "{who} asked for footage from {camera}{case}{window}.",
    "request.reminded": "{who} reminded you of the request for footage from {camera}{case}.",
    "request.expired": "The request for footage from {camera}{case} ended unanswered.",
    "answer.seen": "{who} opened the request for footage from {camera}{case}.",
    "answer.approved": "{who} approved the request for footage from {camera}{case}{via}.",
    "answer.declined": "{who} declined the request for footage from {camera}{case}{via}.",
    "answer.no_footage": "{who} said there is no footage from {camera}{case}{via}{reason}.",
    "answer.no_other_file": "{who} said there is no other video for the part the clip from "
                            "{camera}{case} misses.",
    "upload.started": "{who} started sending the video from {camera}{case}{size}.",
    "upload.completed": "{who} finished sending the video from {camera}{case}{size}.",
    "upload.refused": "The video sent from {camera}{case} was refused.",
    "clip.ready": "The clip from {camera}{case} is ready for police{deleted_on}.",
    "clip.failed": "The video sent from {camera}{case} could not be used{reason}.",
    "clip.viewed": ("{who} played the clip from {camera}{case}.", "You played a clip{case}."),
    "clip.downloaded": ("{who} downloaded the evidence package with the clip from "
                        "{camera}{case}.", "You downloaded an evidence package{case}."),
    "clip.held": ("{who} placed a legal hold on the clip from {camera}{case}: it is kept past "
                  "its deletion date until the hold is lifted{given}.",
                  "You placed a legal hold on a clip{case}."),
    "clip.released": ("{who} lifted the legal hold on the clip from {camera}{case}{given}.",
                      "You lifted a legal hold on a clip{case}."),
    "clip.deleted": "The clip from {camera}{case} was deleted, with the video you sent{kept}.",
    "clip.deleted.failed": "The video sent from {camera}{case}, which could not be used, was "
                           "deleted.",
    # Live sharing.
    "live.started": "{who} started a live share of {cameras}{minutes}.",
    "live.ended": "Your live share ended.",
    "live.ended.owner": "{who} ended your live share.",
    "live.ended.time": "Your live share ended at the time you chose.",
    "live.ended.owner left": "Your live share ended when you left the program.",
    "live.ended.idle": "The live view police opened ended: nobody was watching it.",
    "live.ended.left": "The live view police opened ended: its viewers left.",
    "live.ended.incident closed": "The live view police opened ended: the incident was closed.",
    "live.asked": ("{who} asked you to share {camera} live for an incident{case}.",
                   "You asked an owner to share a camera live for an incident."),
    "live.ask_refused": ("{who} could not ask you to share {camera} live{reason}.",
                         "You could not ask an owner to share live{reason}."),
    "live.ask_answered.shared": "{who} shared {camera} live when police asked{via}.",
    "live.ask_answered.declined": "{who} said not now when police asked to watch {camera} "
                                  "live{via}.",
    "live.pulled": ("{who} took the last {minutes_n} of {camera} from your bridge for an "
                    "incident{case}, as your camera's setting allows.",
                    "You took recent minutes from a bridge for an incident{case}."),
    "live.pull_refused": ("{who} could not take recent minutes of {camera}{reason}.",
                          "You could not take recent minutes{reason}."),
    "live.still_sent": ("{who} sent a still of {camera} to {recipients_n} for an "
                        "incident{case}.", "You sent a still of a camera in a bulletin{case}."),
    "live.opened": ("{who} opened {camera} live{case}, inside your schedule.",
                    "You opened a camera live for an incident."),
    "live.viewed": ("{who} opened your live share of {cameras}.", "You opened a live share."),
    "live.refused": ("{who} was refused a live view of {cameras}{reason}.",
                     "You were refused a live view{reason}."),
    "live.session": ("{who} watched your live share{watched}{from_to}{until}.",
                     "You watched a live share."),
    "live.phone_started": "Your phone's camera joined your live share.",
    # The owner's cameras, bridges, organisation and receipts.
    "camera.registered": "{who} registered {camera}.",
    "camera.updated": "{who} changed the settings of {camera}.",
    "camera.paused": "{who} paused {camera}.",
    "camera.resumed": "{who} resumed {camera}.",
    "camera.confirmed": "{who} confirmed that {camera} is still there.",
    "camera.withdrawn": "{who} withdrew {camera}: it is deleted.",
    "camera.photo_added": "{who} added a photo of the view of {camera}.",
    "camera.imported": "{who} imported cameras from a file{imported}.",
    "camera.handed_over": "{who} handed {camera} over to a member of the organisation.",
    "camera.received": "{who} handed {camera} over to you.",
    "org.created": "{who} created the organisation{name}.",
    "org.invited": "{who} invited someone to the organisation.",
    "org.joined": ("A camera owner joined your organisation.", "You joined the organisation."),
    "bridge.code_shown": "{who} asked for a code to pair a bridge.",
    "bridge.paired": "{who} paired a bridge{name}.",
    "bridge.revoked": "{who} removed a bridge{name}.",
    # Accounts and sign-ins.
    "account.signed_up": "You created your account.",
    "account.seeded": "Your demo account was created.",
    "account.locked": "Your account was locked for a while after failed sign-ins.",
    "account.left": "You left the program: your cameras were withdrawn and your personal data "
                    "deleted.",
    "account.erased": "A departed owner's personal data was erased from the log.",
    "login.succeeded": "{who} signed in.",
    "login.failed": "Someone tried to sign in to your account with a wrong password.",
    "logout": "{who} signed out.",
    "session.revoked": ("{who} signed one of your sessions out.", "You signed a session out."),
    "session.expired": "A session of yours ended after a time without activity.",
    "password.reset_requested": "A link to reset your password was asked for.",
    "password.reset": "{who} changed the password with a reset link.",
    "invitation.created": "{who} invited someone to join as {role}.",
    "invitation.accepted": "{who} accepted the invitation and joined as {role}.",
    "role.changed": ("{who} changed your role to {new_role}.",
                     "You changed a user's role to {new_role}."),
    "mfa.enrolled": "{who} set up the authenticator app.",
    "mfa.verified": "{who} entered the authenticator code.",
    "mfa.failed": "{who} entered a wrong authenticator code.",
    "push.subscribed": "{who} turned notifications on for a device.",
    "push.unsubscribed": "{who} turned notifications off for a device{reason}.",
    # What police, admins and auditors do (their own activity).
    "registry.searched": "{who} searched for cameras{case}{found}.",
    "registry.viewed": "{who} opened the camera map{listed}.",
    "registry.exported": "{who} exported the camera registry{listed}.",
    "registry.search_refused": "{whose} search for cameras was refused: {refusal}.",
    "registry.view_refused": "{whose} opening of the camera map was refused: {refusal}.",
    "registry.export_refused": "{whose} export of the camera registry was refused: {refusal}.",
    "request.create_refused": "{whose} footage request was refused: {refusal}.",
    "request.created": "{who} asked for footage{case}{from_cameras}{waiting}.",
    "request.awaiting_approval": "The request for footage{case} is waiting for a supervisor.",
    "request.approved": "{who} approved the request for footage{case}.",
    "request.refused": "{who} refused the request for footage{case}.",
    "policy.changed": "{who} changed the program's policy.",
    "program.page_changed": "{who} changed the program's page (policy and questions).",
    "program.feedback": "{who} sent feedback to the program.",
    "agency.created": "The program was created.",
    "registry.seeded": "Demo cameras were registered.",
    "incident.opened": "{who} opened an incident{case}{found_cameras}.",
    "incident.closed": "{who} closed an incident.",
    "bulletin.sent": "{who} sent a bulletin{case} to {recipients_n}.",
    "bulletin.read": "{who} opened a bulletin.",
    "incident.open_refused": "{whose} opening of an incident was refused: {refusal}.",
    "apikey.created": "{who} created an API key for a CAD or AVL feed.",
    "apikey.revoked": "{who} revoked an API key.",
    "audit.viewed": "{who} searched the audit log.",
    "audit.event_viewed": "{who} opened an event of the audit log.",
    "audit.exported": "{who} exported the audit log{events}.",
    "audit.flags_viewed": "{who} checked the anomaly flags.",
}


@dataclass(frozen=True)
class Case:
    number: str
    offense: str = ""  # its code, as in app.core.footage.OFFENSE_WORDS


@dataclass(frozen=True)
class Known:
    """What the reader may know besides the event: who they are, the program's zone, the names
    of their own cameras (by camera id, request row id and live alias) and requests' cases."""

    reader_id: str
    zone: str = "UTC"
    cameras: Mapping[str, str] = field(default_factory=dict)
    cases: Mapping[str, Case] = field(default_factory=dict)


def parse_time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def span(start: datetime, end: datetime, zone: str) -> str:
    """'17:30:30–17:30:50 on Sat 5 Dec' (the page names the zone once)."""
    def at(moment: datetime) -> str:
        return localtime.clock(moment, zone, True)
    if localtime.day(start, zone) == localtime.day(end, zone):
        return f"{at(start)}–{at(end)} on {localtime.day(start, zone)}"
    return f"{localtime.day(start, zone)} {at(start)} – {localtime.day(end, zone)} {at(end)}"


def day_heading(moment: datetime, today: date, zone: str) -> str:
    """'Today', 'Yesterday', 'Friday 4 December', or 'Friday 4 December 2025' in another year."""
    local = moment.astimezone(localtime.zone(zone))
    days = (today - local.date()).days
    if days in (0, 1):
        return ("Today", "Yesterday")[days]
    heading = f"{local:%A} {local.day} {local:%B}"
    return heading if local.year == today.year else f"{heading} {local.year}"


def by_day(items: Iterable[tuple[datetime, Any]], today: date, zone: str
           ) -> list[tuple[str, list[Any]]]:
    """Items (newest first, each with its time) under the heading of their day, in order."""
    days: list[tuple[str, list[Any]]] = []
    for moment, item in items:
        heading = day_heading(moment, today, zone)
        if not days or days[-1][0] != heading:
            days.append((heading, []))
        days[-1][1].append(item)
    return days


def who_did_it(event: Mapping[str, Any], reader_id: str) -> tuple[str, bool]:
    """('You', True) for the reader's own act, else ('A detective', False) and the like. An
    owner's notice is written by the system and names in its details who caused it."""
    details = event.get("details") or {}
    actor, role = str(event.get("actor_id", "")), str(event.get("actor_role", ""))
    if actor == "system" and event.get("action") in NOTICE_ACTIONS:
        if not details.get("by_role"):  # its details erased when an owner left
            return "Police", False
        actor, role = str(details.get("by", "")), str(details["by_role"])
    if reader_id and actor == reader_id:
        bridge = details.get("via") == "bridge" or str(event.get("ip", "")).startswith("bridge:")
        return ("Your bridge" if bridge else "You"), True
    if actor == "system" or role == "system":
        return "Porchlight", False
    return ROLE_WORDS.get(role, "someone").capitalize(), False


def _plural(count: int, thing: str) -> str:
    return f"{count} {thing if count == 1 else thing + 's'}"


class _Facts:
    """The event's facts as pieces of a sentence, read from its details and what is known."""

    def __init__(self, details: Mapping[str, Any], known: Known, subject: str = "") -> None:
        self.details, self.known, self.subject = details, known, subject

    def text(self, key: str) -> str:
        value = self.details.get(key)
        return str(value).strip() if isinstance(value, str | int | float) else ""

    def number(self, key: str) -> int | None:
        value = self.details.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def case(self) -> str:
        # a request's own events (made, approved) are about the request: it is their subject
        request = self.known.cases.get(self.text("request_id") or self.subject)
        number = self.text("case") or (request.number if request else "")
        offense = self.text("offense") or (request.offense if request else "")
        if not number:
            return ""
        words = OFFENSE_WORDS.get(offense, offense.replace("_", " "))
        return f" for case {number}" + (f" ({words})" if words else "")

    def names(self) -> list[str]:
        known = self.known.cameras
        for key in ("target_id", "camera"):
            if self.text(key) in known:
                return [known[self.text(key)]]
        if self.text("nickname"):
            return [self.text("nickname")]
        cameras = self.details.get("cameras")
        if isinstance(cameras, str) and cameras.strip():
            return [cameras.strip()]  # an owner's notice names them, joined by ", "
        if isinstance(cameras, list):
            named = [known[str(c)] for c in cameras if str(c) in known]
            phone = "phone" in cameras or self.details.get("phone") is True
            return named + (["your phone's camera"] if phone else [])
        return []

    def camera(self, otherwise: str) -> str:
        """'your camera Maya's porch', 'your cameras Porch and Gate', or `otherwise`."""
        names = self.names()
        if len(names) > 1:
            return f"your cameras {', '.join(names[:-1])} and {names[-1]}"
        if names and names[0] == "your phone's camera":
            return names[0]
        if names:
            joined = ", " in names[0] and names[0] not in self.known.cameras.values()
            return f"your camera{'s' if joined else ''} {names[0]}"
        return otherwise

    def window(self, start: Any, end: Any, lead: str) -> str:
        begins, ends = parse_time(start), parse_time(end)
        return f"{lead}{span(begins, ends, self.known.zone)}" if begins and ends else ""

    def date(self, key: str, lead: str, then: str = "") -> str:
        moment = parse_time(self.details.get(key))
        return f"{lead}{localtime.date_only(moment, self.known.zone)}{then}" if moment else ""

    def count(self, key: str, thing: str) -> str:
        count = self.number(key)
        return "" if count is None else f" ({_plural(count, thing)})"

    def said(self, key: str, lead: str, then: str = "", inside: bool = False) -> str:
        """Words the event holds (a name, a reason) in the sentence; `inside` one, 'The file
        holds no video.' reads 'the file holds no video'."""
        words = (REASONS.get(self.text(key), self.text(key)) if key == "reason"
                 else self.text(key)).rstrip(".")
        if inside and words[1:2].islower():
            words = words[0].lower() + words[1:]
        return f"{lead}{words}{then}" if words else ""


def _size(count: int | None) -> str:
    if not count:
        return ""
    return f" ({count / 1e6:.1f} MB)" if count >= 100_000 else f" ({count / 1e3:.0f} kB)"


def facts(details: Mapping[str, Any], who: str, mine: bool, known: Known, subject: str = ""
          ) -> dict[str, str]:
    """Every piece a sentence may use; each is '' when the event does not say."""
    f = _Facts(details, known, subject)
    cameras, shown, hidden = f.number("cameras"), f.number("shown"), f.number("hidden")
    start, _, end = f.text("window").partition("/")
    return {
        "who": who, "whose": "Your" if mine else "A", "case": f.case(),
        "camera": f.camera("your camera"), "cameras": f.camera("your cameras"),
        "yours": f"{'one' if cameras == 1 else cameras} of your cameras" if cameras
                 else "some of your cameras",
        "window": f.window(start, end, ", "),
        "from_to": f.window(f.details.get("from"), f.details.get("to"), ", "),
        "via": ", from a notification" if f.text("via") == "notification" else "",
        "reason": f.said("reason", ": ", inside=True),
        "given": f.said("reason", '. The reason given: "', '"'),
        "size": _size(f.number("bytes")),
        "deleted_on": f.date("delete_after", "; it will be deleted on "),
        "kept": f.date("due", " (kept until ", ")"),
        "minutes": f" for {_plural(f.number('minutes') or 0, 'minute')}"
                   if f.number("minutes") else "",
        "watched": f.said("watched", " for "), "until": f.said("until", ", until "),
        "name": f.said("name", ' "', '"'),
        "role": ROLE_WORDS.get(f.text("role"), "a police user"),
        "new_role": ROLE_WORDS.get(f.text("to"), "a new role").split(" ", 1)[1],
        "listed": f.count("cameras", "camera"), "imported": f.count("count", "camera"),
        "events": f.count("count", "event"),
        "found": "" if shown is None else f": {_plural(shown, 'camera')} found"
                 + (f", {hidden} more not shown on the map" if hidden else ""),
        "from_cameras": f" from {_plural(cameras, 'camera')}" if cameras else "",
        "found_cameras": f.count("cameras", "camera"),
        "minutes_n": _plural(f.number("minutes") or 0, "minute"),
        "recipients_n": _plural(f.number("recipients") or 0, "person").replace("persons",
                                                                              "people"),
        "waiting": ", waiting for a supervisor" if f.text("state") == "awaiting_approval"
                   else "",
        "refusal": REFUSALS.get(f.text("reason"), "it was not allowed"),
    }


def _template(action: str, details: Mapping[str, Any], mine: bool) -> str | None:
    """The sentence pattern for this action (some have a variant for a detail's value)."""
    if action == "receipts.changed":
        return RECEIPTS.get(str(details.get("receipts")), RECEIPTS["off"])
    variant = {"clip.deleted": "failed" if details.get("what") == "failed upload" else "",
               "live.ended": str(details.get("by", "")),
               "live.ask_answered": str(details.get("answer", ""))}.get(action)
    words = WORDS.get(f"{action}.{variant}") if variant else None
    words = words or WORDS.get(action)
    if isinstance(words, tuple):
        return words[1] if mine else words[0]
    return words


def sentence(event: Mapping[str, Any], known: Known) -> str:
    """One plain sentence for an event as the reader may read it (audit_views.view)."""
    details = event.get("details")
    details = details if isinstance(details, Mapping) else {}
    action = str(event.get("action", ""))
    subject = str(event.get("subject_id", ""))
    who, mine = who_did_it(event, known.reader_id)
    words = _template(action, details, mine)
    if words is None:
        return f"{ACTION_WORDS[action]}{_Facts(details, known, subject).case()}." \
            if action in ACTION_WORDS else UNKNOWN
    return words.format_map(facts(details, who, mine, known, subject))
