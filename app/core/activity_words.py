"""My activity in the reader's own words: one plain sentence per audit event. Pure: no I/O.

A resident reads their activity as a receipt ("A detective searched near your camera Maya's
porch for case 26-004417."), never as action codes and ids: the codes, ids and hashes are the
event's proof, which the page keeps one tap away. A sentence uses only what the reader may read
of the event (app.core.audit_views.view) and what app.services.auditing.activity looked up for this
reader: the names of the reader's own cameras and the cases of requests the reader may know.
Times are in the program's zone, which the page names once. Sentences are in the reader's
language (`Known.language`: the page's, app/web/i18n.py), from the catalogue by
app.core.language.translator; the texts are marked with N_ and translated where used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core import localtime, roles
from app.core.audit_views import NOTICE_ACTIONS
from app.core.audit_words import ACTION_WORDS
from app.core.footage import OFFENSE_WORDS
from app.core.language import normal, translator
from app.core.roles import N_

ROLE_WORDS = {roles.DETECTIVE: N_("a detective"), roles.SUPERVISOR: N_("a supervisor"),
              roles.AGENCY_ADMIN: N_("an agency admin"), roles.AUDITOR: N_("an auditor"),
              roles.OWNER: N_("a camera owner"), roles.ORG_ADMIN: N_("an organisation admin"),
              roles.OFFICER: N_("a responding officer")}
SOMEONE, POLICE_USER, NEW_ROLE = N_("someone"), N_("a police user"), N_("a new role")
RECEIPTS = {"off": N_("You turned police access receipts off."),
            "push": N_("You chose a notification at once for each police access to your "
                       "cameras."),
            "digest": N_("You chose a daily email of the police accesses to your cameras."),
            "both": N_("You chose a notification at once and a daily email for police accesses "
                       "to your cameras.")}
REFUSALS = {"validation-error": N_("it was not valid"),
            "forbidden": N_("your role may not do that"),
            "csrf-failed": N_("the page had expired"),
            "mfa-required": N_("your code was needed first"),
            "bad-request": N_("it could not be read")}
NOT_ALLOWED = N_("it was not allowed")
# Reasons recorded as a word rather than words, and how a live view ended (app.core.viewing).
REASONS = {"ended": N_("the share had ended"), "idle": N_("a time without activity")}
UNTIL = frozenset((N_("they left"), N_("the share ended"), N_("the last piece they fetched")))
UNKNOWN = N_("Something was recorded about your account; its proof has the details.")
PHONE = N_("your phone's camera")

# One sentence per action, filled from the event's facts (`facts` below: %(who)s is "You",
# "Your bridge", "A detective", "Porchlight" ...; %(case)s is " for case 26-004417 (burglary)"
# or ""), translated into the reader's language before it is filled.
# A pair is (what someone else did, what the reader did themselves).
WORDS: dict[str, str | tuple[str, str]] = {
    # What police did that an owner is told of (app.services.auditing.notices), and their answers.
    "registry.camera_found": N_("%(who)s searched near %(camera)s%(case)s."),
    "registry.camera_viewed": N_("%(who)s opened the police map, which showed %(yours)s."),
    "registry.camera_exported": N_("%(who)s exported the list of cameras, with %(yours)s."),
    "request.received": N_("%(who)s asked for footage from %(camera)s%(case)s%(window)s."),
    "request.reminded": N_("%(who)s reminded you of the request for footage from "
                           "%(camera)s%(case)s."),
    "request.expired": N_("The request for footage from %(camera)s%(case)s ended unanswered."),
    "answer.seen": N_("%(who)s opened the request for footage from %(camera)s%(case)s."),
    "answer.approved": N_("%(who)s approved the request for footage from "
                          "%(camera)s%(case)s%(via)s."),
    "answer.declined": N_("%(who)s declined the request for footage from "
                          "%(camera)s%(case)s%(via)s."),
    "answer.no_footage": N_("%(who)s said there is no footage from "
                            "%(camera)s%(case)s%(via)s%(reason)s."),
    "answer.no_other_file": N_("%(who)s said there is no other video for the part the clip from "
                               "%(camera)s%(case)s misses."),
    "upload.started": N_("%(who)s started sending the video from %(camera)s%(case)s%(size)s."),
    "upload.completed": N_("%(who)s finished sending the video from %(camera)s%(case)s%(size)s."),
    "upload.refused": N_("The video sent from %(camera)s%(case)s was refused."),
    "clip.ready": N_("The clip from %(camera)s%(case)s is ready for police%(deleted_on)s."),
    "clip.failed": N_("The video sent from %(camera)s%(case)s could not be used%(reason)s."),
    "clip.viewed": (N_("%(who)s played the clip from %(camera)s%(case)s."),
                    N_("You played a clip%(case)s.")),
    "clip.downloaded": (N_("%(who)s downloaded the evidence package with the clip from "
                           "%(camera)s%(case)s."),
                        N_("You downloaded an evidence package%(case)s.")),
    "clip.held": (N_("%(who)s placed a legal hold on the clip from %(camera)s%(case)s: it is kept "
                     "past its deletion date until the hold is lifted%(given)s."),
                  N_("You placed a legal hold on a clip%(case)s.")),
    "clip.released": (N_("%(who)s lifted the legal hold on the clip from "
                         "%(camera)s%(case)s%(given)s."),
                      N_("You lifted a legal hold on a clip%(case)s.")),
    "clip.deleted": N_("The clip from %(camera)s%(case)s was deleted, with the video you "
                       "sent%(kept)s."),
    "clip.deleted.failed": N_("The video sent from %(camera)s%(case)s, which could not be used, "
                              "was deleted."),
    # Live sharing.
    "live.started": N_("%(who)s started a live share of %(cameras)s%(minutes)s."),
    "live.ended": N_("Your live share ended."),
    "live.ended.owner": N_("%(who)s ended your live share."),
    "live.ended.time": N_("Your live share ended at the time you chose."),
    "live.ended.owner left": N_("Your live share ended when you left the program."),
    "live.ended.idle": N_("The live view police opened ended: nobody was watching it."),
    "live.ended.left": N_("The live view police opened ended: its viewers left."),
    "live.ended.incident closed": N_("The live view police opened ended: the incident was closed."),
    "live.asked": (N_("%(who)s asked you to share %(camera)s live for an incident%(case)s."),
                   N_("You asked an owner to share a camera live for an incident.")),
    "live.ask_refused": (N_("%(who)s could not ask you to share %(camera)s live%(reason)s."),
                         N_("You could not ask an owner to share live%(reason)s.")),
    "live.ask_answered.shared": N_("%(who)s shared %(camera)s live when police asked%(via)s."),
    "live.ask_answered.declined": N_("%(who)s said not now when police asked to watch %(camera)s "
                                     "live%(via)s."),
    "live.pulled": (N_("%(who)s took the last %(minutes_n)s of %(camera)s from your bridge for an "
                       "incident%(case)s, as your camera's setting allows."),
                    N_("You took recent minutes from a bridge for an incident%(case)s.")),
    "live.pull_refused": (N_("%(who)s could not take recent minutes of %(camera)s%(reason)s."),
                          N_("You could not take recent minutes%(reason)s.")),
    "live.still_sent": (N_("%(who)s sent a still of %(camera)s to %(recipients_n)s for an "
                           "incident%(case)s."),
                        N_("You sent a still of a camera in a bulletin%(case)s.")),
    "live.opened": (N_("%(who)s opened %(camera)s live%(case)s, inside your schedule."),
                    N_("You opened a camera live for an incident.")),
    "live.viewed": (N_("%(who)s opened your live share of %(cameras)s."),
                    N_("You opened a live share.")),
    "live.refused": (N_("%(who)s was refused a live view of %(cameras)s%(reason)s."),
                     N_("You were refused a live view%(reason)s.")),
    "live.session": (N_("%(who)s watched your live share%(watched)s%(from_to)s%(until)s."),
                     N_("You watched a live share.")),
    "live.phone_started": N_("Your phone's camera joined your live share."),
    # The owner's cameras, bridges, organisation and receipts.
    "camera.registered": N_("%(who)s registered %(camera)s."),
    "camera.updated": N_("%(who)s changed the settings of %(camera)s."),
    "camera.masks_changed": N_("%(who)s changed the privacy masks of %(camera)s: police see "
                               "those parts of its view blacked out."),
    "camera.paused": N_("%(who)s paused %(camera)s."),
    "camera.resumed": N_("%(who)s resumed %(camera)s."),
    "camera.confirmed": N_("%(who)s confirmed that %(camera)s is still there."),
    "camera.withdrawn": N_("%(who)s withdrew %(camera)s: it is deleted."),
    "camera.photo_added": N_("%(who)s added a photo of the view of %(camera)s."),
    "camera.imported": N_("%(who)s imported cameras from a file%(imported)s."),
    "camera.handed_over": N_("%(who)s handed %(camera)s over to a member of the organisation."),
    "camera.received": N_("%(who)s handed %(camera)s over to you."),
    "org.created": N_("%(who)s created the organisation%(name)s."),
    "org.invited": N_("%(who)s invited someone to the organisation."),
    "org.joined": (N_("A camera owner joined your organisation."),
                   N_("You joined the organisation.")),
    "bridge.code_shown": N_("%(who)s asked for a code to pair a bridge."),
    "bridge.paired": N_("%(who)s paired a bridge%(name)s."),
    "bridge.revoked": N_("%(who)s removed a bridge%(name)s."),
    # Accounts and sign-ins.
    "account.signed_up": N_("You created your account."),
    "account.seeded": N_("Your demo account was created."),
    "account.locked": N_("Your account was locked for a while after failed sign-ins."),
    "account.left": N_("You left the program: your cameras were withdrawn and your personal data "
                       "deleted."),
    "account.erased": N_("A departed owner's personal data was erased from the log."),
    "login.succeeded": N_("%(who)s signed in."),
    "login.failed": N_("Someone tried to sign in to your account with a wrong password."),
    "logout": N_("%(who)s signed out."),
    "session.revoked": (N_("%(who)s signed one of your sessions out."),
                        N_("You signed a session out.")),
    "session.expired": N_("A session of yours ended after a time without activity."),
    "password.reset_requested": N_("A link to reset your password was asked for."),
    "password.reset": N_("%(who)s changed the password with a reset link."),
    "invitation.created": N_("%(who)s invited someone to join as %(role)s."),
    "invitation.accepted": N_("%(who)s accepted the invitation and joined as %(role)s."),
    "role.changed": (N_("%(who)s changed your role to %(new_role)s."),
                     N_("You changed a user's role to %(new_role)s.")),
    "mfa.enrolled": N_("%(who)s set up the authenticator app."),
    "mfa.verified": N_("%(who)s entered the authenticator code."),
    "mfa.failed": N_("%(who)s entered a wrong authenticator code."),
    "push.subscribed": N_("%(who)s turned notifications on for a device."),
    "push.unsubscribed": N_("%(who)s turned notifications off for a device%(reason)s."),
    # What police, admins and auditors do (their own activity).
    "registry.searched": N_("%(who)s searched for cameras%(case)s%(found)s."),
    "registry.viewed": N_("%(who)s opened the camera map%(listed)s."),
    "registry.exported": N_("%(who)s exported the camera registry%(listed)s."),
    "registry.search_refused": (N_("A search for cameras was refused: %(refusal)s."),
                                N_("Your search for cameras was refused: %(refusal)s.")),
    "registry.view_refused": (N_("A opening of the camera map was refused: %(refusal)s."),
                              N_("Your opening of the camera map was refused: %(refusal)s.")),
    "registry.export_refused": (N_("A export of the camera registry was refused: %(refusal)s."),
                                N_("Your export of the camera registry was refused: %(refusal)s.")),
    "request.create_refused": (N_("A footage request was refused: %(refusal)s."),
                               N_("Your footage request was refused: %(refusal)s.")),
    "request.created": N_("%(who)s asked for footage%(case)s%(from_cameras)s%(waiting)s."),
    "request.awaiting_approval": N_("The request for footage%(case)s is waiting for a supervisor."),
    "request.approved": N_("%(who)s approved the request for footage%(case)s."),
    "request.refused": N_("%(who)s refused the request for footage%(case)s."),
    "policy.changed": N_("%(who)s changed the program's policy."),
    "program.page_changed": N_("%(who)s changed the program's page (policy and questions)."),
    "program.feedback": N_("%(who)s sent feedback to the program."),
    "agency.created": N_("The program was created."),
    "registry.seeded": N_("Demo cameras were registered."),
    "incident.opened": N_("%(who)s opened an incident%(case)s%(found_cameras)s."),
    "incident.closed": N_("%(who)s closed an incident."),
    "bulletin.sent": N_("%(who)s sent a bulletin%(case)s to %(recipients_n)s."),
    "bulletin.read": N_("%(who)s opened a bulletin."),
    "incident.open_refused": (N_("A opening of an incident was refused: %(refusal)s."),
                              N_("Your opening of an incident was refused: %(refusal)s.")),
    "apikey.created": N_("%(who)s created an API key for a CAD or AVL feed."),
    "apikey.revoked": N_("%(who)s revoked an API key."),
    "audit.viewed": N_("%(who)s searched the audit log."),
    "audit.event_viewed": N_("%(who)s opened an event of the audit log."),
    "audit.exported": N_("%(who)s exported the audit log%(events)s."),
    "audit.flags_viewed": N_("%(who)s checked the anomaly flags."),
}


@dataclass(frozen=True)
class Case:
    number: str
    offense: str = ""  # its code, as in app.core.footage.OFFENSE_WORDS


@dataclass(frozen=True)
class Known:
    """What the reader may know besides the event: who they are, the program's zone, the names
    of their own cameras (by camera id, request row id and live alias) and requests' cases;
    and the language the sentences are in."""

    reader_id: str
    zone: str = "UTC"
    cameras: Mapping[str, str] = field(default_factory=dict)
    cases: Mapping[str, Case] = field(default_factory=dict)
    language: str = "en"


def parse_time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def span(start: datetime, end: datetime, zone: str, language: str = "en") -> str:
    """'17:30:30–17:30:50 on Sat 5 Dec' (the page names the zone once)."""
    _ = translator(language).gettext
    first, last = localtime.day(start, zone, language), localtime.day(end, zone, language)
    at = {"start": localtime.clock(start, zone, True), "end": localtime.clock(end, zone, True)}
    if first == last:
        return _("%(start)s–%(end)s on %(day)s") % {**at, "day": first}
    return _("%(start_day)s %(start)s – %(end_day)s %(end)s") % {
        **at, "start_day": first, "end_day": last}


def day_heading(moment: datetime, today: date, zone: str, language: str = "en") -> str:
    """'Today', 'Yesterday', 'Friday 4 December', or 'Friday 4 December 2025' in another year
    (in Spanish 'Hoy', 'Ayer', 'Viernes, 4 de diciembre')."""
    _ = translator(language).gettext
    local = moment.astimezone(localtime.zone(zone))
    days = (today - local.date()).days
    if days in (0, 1):
        return (_("Today"), _("Yesterday"))[days]
    return localtime.long_day(moment, zone, language, year=local.year != today.year)


def by_day(items: Iterable[tuple[datetime, Any]], today: date, zone: str,
           language: str = "en") -> list[tuple[str, list[Any]]]:
    """Items (newest first, each with its time) under the heading of their day, in order."""
    days: list[tuple[str, list[Any]]] = []
    for moment, item in items:
        heading = day_heading(moment, today, zone, language)
        if not days or days[-1][0] != heading:
            days.append((heading, []))
        days[-1][1].append(item)
    return days


def who_did_it(event: Mapping[str, Any], reader_id: str, language: str = "en"
               ) -> tuple[str, bool]:
    """('You', True) for the reader's own act, else ('A detective', False) and the like. An
    owner's notice is written by the system and names in its details who caused it."""
    _ = translator(language).gettext
    details = event.get("details") or {}
    actor, role = str(event.get("actor_id", "")), str(event.get("actor_role", ""))
    if actor == "system" and event.get("action") in NOTICE_ACTIONS:
        if not details.get("by_role"):  # its details erased when an owner left
            return _("Police"), False
        actor, role = str(details.get("by", "")), str(details["by_role"])
    if reader_id and actor == reader_id:
        bridge = details.get("via") == "bridge" or str(event.get("ip", "")).startswith("bridge:")
        return (_("Your bridge") if bridge else _("You")), True
    if actor == "system" or role == "system":
        return "Porchlight", False
    return _(ROLE_WORDS.get(role, SOMEONE)).capitalize(), False


class _Facts:
    """The event's facts as pieces of a sentence, read from its details and what is known, in
    the reader's language."""

    def __init__(self, details: Mapping[str, Any], known: Known, subject: str = "") -> None:
        self.details, self.known, self.subject = details, known, subject
        self.gettext = translator(known.language).gettext

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
        _ = self.gettext
        words = _(OFFENSE_WORDS[offense]) if offense in OFFENSE_WORDS \
            else offense.replace("_", " ")
        if words:
            return _(" for case %(number)s (%(offense)s)") % {"number": number, "offense": words}
        return _(" for case %(number)s") % {"number": number}

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
            return named + ([self.gettext(PHONE)] if phone else [])
        return []

    def camera(self, otherwise: str) -> str:
        """'your camera Maya's porch', 'your cameras Porch and Gate', or `otherwise`."""
        _ = self.gettext
        names = self.names()
        if len(names) > 1:
            return _("your cameras %(names)s and %(last)s") % {"names": ", ".join(names[:-1]),
                                                               "last": names[-1]}
        if names and names[0] == _(PHONE):
            return names[0]
        if names:
            joined = ", " in names[0] and names[0] not in self.known.cameras.values()
            return (_("your cameras %(names)s") if joined else _("your camera %(name)s")) % {
                "names": names[0], "name": names[0]}
        return otherwise

    def window(self, start: Any, end: Any, lead: str) -> str:
        begins, ends = parse_time(start), parse_time(end)
        if not (begins and ends):
            return ""
        return f"{lead}{span(begins, ends, self.known.zone, self.known.language)}"

    def date(self, key: str, words: str) -> str:
        """`words` with the date the event holds under `key` as %(date)s ('' without one)."""
        moment = parse_time(self.details.get(key))
        if moment is None:
            return ""
        return words % {"date": localtime.date_only(moment, self.known.zone, self.known.language)}

    def count(self, key: str, words: Callable[[int], str]) -> str:
        """' (3 cameras)': the number the event holds under `key`, in `words`."""
        count = self.number(key)
        return "" if count is None else f" ({words(count)})"

    def said(self, key: str, words: str, inside: bool = False) -> str:
        """Words the event holds (a name, a reason) as %(words)s in `words`; `inside` one, 'The
        file holds no video.' reads 'the file holds no video'. A reason recorded as a word and
        a live view's end are the reader's language; other words are as recorded."""
        said = self.text(key)
        if key == "reason" and said in REASONS:
            said = self.gettext(REASONS[said])
        elif key == "until" and said in UNTIL:
            said = self.gettext(said)
        said = said.rstrip(".")
        if inside and said[1:2].islower():
            said = said[0].lower() + said[1:]
        return words % {"words": said} if said else ""


def _size(count: int | None, language: str = "en") -> str:
    """' (48.0 MB)', ' (120 kB)': a file's size, the number as the language writes it."""
    if not count:
        return ""
    value, unit, digits = (count / 1e6, "MB", 1) if count >= 100_000 else (count / 1e3, "kB", 0)
    if normal(language) == "en":
        return f" ({value:.{digits}f} {unit})"
    from babel.numbers import format_decimal

    number = format_decimal(round(value, digits), "#,##0.0" if digits else "#,##0",
                            locale=localtime.babel_locale(language))
    return f" ({number} {unit})"


def facts(details: Mapping[str, Any], who: str, mine: bool, known: Known, subject: str = ""
          ) -> dict[str, str]:
    """Every piece a sentence may use, in the reader's language; each is '' when the event
    does not say."""
    f = _Facts(details, known, subject)
    _, ngettext = f.gettext, translator(known.language).ngettext
    cameras, shown, hidden = f.number("cameras"), f.number("shown"), f.number("hidden")
    minutes, recipients = f.number("minutes") or 0, f.number("recipients") or 0
    start, _slash, end = f.text("window").partition("/")

    def cameras_n(count: int) -> str:
        return ngettext("%(count)s camera", "%(count)s cameras", count) % {"count": count}

    return {
        "who": who, "case": f.case(),
        "camera": f.camera(_("your camera")), "cameras": f.camera(_("your cameras")),
        "yours": (_("one of your cameras") if cameras == 1
                  else _("%(count)s of your cameras") % {"count": cameras}) if cameras
                 else _("some of your cameras"),
        "window": f.window(start, end, ", "),
        "from_to": f.window(f.details.get("from"), f.details.get("to"), ", "),
        "via": _(", from a notification") if f.text("via") == "notification" else "",
        "reason": f.said("reason", ": %(words)s", inside=True),
        "given": f.said("reason", _('. The reason given: "%(words)s"')),
        "size": _size(f.number("bytes"), known.language),
        "deleted_on": f.date("delete_after", _("; it will be deleted on %(date)s")),
        "kept": f.date("due", _(" (kept until %(date)s)")),
        "minutes": ngettext(" for %(count)s minute", " for %(count)s minutes", minutes)
                   % {"count": minutes} if minutes else "",
        "watched": f.said("watched", _(" for %(words)s")),
        "until": f.said("until", _(", until %(words)s")),
        "name": f.said("name", ' "%(words)s"'),
        "role": _(ROLE_WORDS.get(f.text("role"), POLICE_USER)),
        "new_role": _(ROLE_WORDS.get(f.text("to"), NEW_ROLE)).split(" ", 1)[-1],
        "listed": f.count("cameras", cameras_n), "imported": f.count("count", cameras_n),
        "events": f.count("count", lambda count: ngettext(
            "%(count)s event", "%(count)s events", count) % {"count": count}),
        "found": "" if shown is None else ngettext(
            ": %(count)s camera found", ": %(count)s cameras found", shown) % {"count": shown}
                 + (ngettext(", %(count)s more not shown on the map",
                             ", %(count)s more not shown on the map", hidden)
                    % {"count": hidden} if hidden else ""),
        "from_cameras": ngettext(" from %(count)s camera", " from %(count)s cameras", cameras)
                        % {"count": cameras} if cameras else "",
        "found_cameras": f.count("cameras", cameras_n),
        "minutes_n": ngettext("%(count)s minute", "%(count)s minutes", minutes)
                     % {"count": minutes},
        "recipients_n": ngettext("%(count)s person", "%(count)s people", recipients)
                        % {"count": recipients},
        "waiting": _(", waiting for a supervisor") if f.text("state") == "awaiting_approval"
                   else "",
        "refusal": _(REFUSALS.get(f.text("reason"), NOT_ALLOWED)),
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
    """One plain sentence for an event as the reader may read it (audit_views.view), in the
    reader's language (`known.language`)."""
    _ = translator(known.language).gettext
    details = event.get("details")
    details = details if isinstance(details, Mapping) else {}
    action = str(event.get("action", ""))
    subject = str(event.get("subject_id", ""))
    who, mine = who_did_it(event, known.reader_id, known.language)
    words = _template(action, details, mine)
    if words is None:
        return f"{_(ACTION_WORDS[action])}{_Facts(details, known, subject).case()}." \
            if action in ACTION_WORDS else _(UNKNOWN)
    return _(words) % facts(details, who, mine, known, subject)
