"""My activity's sentences (app.core.activity_words), without a database: every action an owner
can read becomes a plain sentence in the owner's words, with no action code and no hex id."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.core.activity_words import UNKNOWN, Case, Known, by_day, day_heading, sentence
from app.core.audit_words import ACTION_WORDS, words_for
from app.core.language import translator

OWNER, DETECTIVE, SUPERVISOR = "0a1b2c3d" * 4, "9f8e7d6c" * 4, "5e5e5e5e" * 4
REQUEST, TARGET, CAMERA, SHARE, DEVICE = "1234abcd" * 4, "feedbeef" * 4, "c0ffee00" * 4, \
    "5ba7e000" * 4, "de71ce00" * 4
ALIAS = "st-4f2a"
ZONE = "America/Chicago"
KNOWN = Known(OWNER, ZONE, cameras={TARGET: "Maya's porch", CAMERA: "Maya's porch",
                                    ALIAS: "Maya's porch"},
              cases={REQUEST: Case("26-004417", "burglary")})
HEX = re.compile(r"[0-9a-f]{8,}")
CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b|_")
NOTICE = {"by": DETECTIVE, "by_role": "detective"}
REQUEST_ROW = {"request_id": REQUEST, "target_id": TARGET}
WINDOW = "2026-12-04T23:30:30+00:00/2026-12-04T23:30:50+00:00"
SYSTEM = ("system", "system")
POLICE = (DETECTIVE, "detective")
SUPERVISING = (SUPERVISOR, "supervisor")
OWN = (OWNER, "owner")

# Every action whose events an owner reads in My activity: recorded with the owner as subject
# (the notices of app.services.auditing.notices, the request's, clip's and live share's events in
# app/services and lambdas/) or with the owner as actor (their cameras, answers, account).
# Each: (actor, role), details.
OWNER_EVENTS: dict[str, tuple[tuple[str, str], dict[str, Any]]] = {
    "registry.camera_found": (SYSTEM, {"case": "26-004417", "cameras": "Maya's porch",
                                       **NOTICE}),
    "registry.camera_viewed": (SYSTEM, {"cameras": 2, **NOTICE}),
    "registry.camera_exported": (SYSTEM, {"cameras": 1, "by": SUPERVISOR,
                                          "by_role": "agency_admin"}),
    "request.received": (SYSTEM, {"case": "26-004417", "offense": "burglary", "window": WINDOW,
                                  "request_id": REQUEST, "cameras": "Maya's porch", **NOTICE}),
    "request.reminded": (SYSTEM, {"case": "26-004417", "offense": "burglary", "window": WINDOW,
                                  "request_id": REQUEST, "cameras": "Maya's porch",
                                  "by": "system", "by_role": "system"}),
    "request.expired": (SYSTEM, REQUEST_ROW),
    "answer.seen": (OWN, REQUEST_ROW),
    "answer.approved": (OWN, {**REQUEST_ROW, "case": "26-004417", "via": "app"}),
    "answer.declined": (OWN, {**REQUEST_ROW, "case": "26-004417", "via": "notification"}),
    "answer.no_footage": (OWN, {**REQUEST_ROW, "via": "bridge",
                                "reason": "the bridge holds no video of that time"}),
    "answer.no_other_file": (OWN, REQUEST_ROW),
    "upload.started": (OWN, {**REQUEST_ROW, "bytes": 48_000_000, "clock_offset_s": 2220.0}),
    "upload.completed": (OWN, {**REQUEST_ROW, "bytes": 48_000_000, "via": "bridge"}),
    "clip.ready": (SYSTEM, {**REQUEST_ROW, "clip_sha256": "ab" * 32, "original_sha256": "cd" * 32,
                            "method": "smart cut", "delete_after": "2027-01-03T10:00:00+00:00"}),
    "clip.failed": (SYSTEM, {**REQUEST_ROW, "reason": "The file holds no video."}),
    "clip.viewed": (POLICE, {**REQUEST_ROW, "case": "26-004417"}),
    "clip.downloaded": (POLICE, {**REQUEST_ROW, "case": "26-004417"}),
    "clip.held": (SUPERVISING, {**REQUEST_ROW, "reason": "Court order 12"}),
    "clip.released": (SUPERVISING, {**REQUEST_ROW, "reason": ""}),
    "clip.deleted": (SYSTEM, {**REQUEST_ROW, "due": "2027-01-03T10:00:00+00:00"}),
    "live.started": (OWN, {"share": SHARE, "cameras": [CAMERA], "aliases": {CAMERA: ALIAS},
                           "minutes": 30, "source": "app", "phone": True}),
    "live.ended": (SYSTEM, {"share": SHARE, "by": "time"}),
    "live.viewed": (POLICE, {"share": SHARE, "cameras": [ALIAS]}),
    "live.refused": (POLICE, {"share": SHARE, "camera": ALIAS,
                              "reason": "outside the owner's schedule"}),
    "live.session": (POLICE, {"share": SHARE, "viewer": "Test detective",
                              "cameras": [ALIAS, "phone"], "from": "2026-12-04T23:30:30+00:00",
                              "to": "2026-12-04T23:32:35+00:00", "seconds": 125,
                              "watched": "2 min 5 s", "until": "they left"}),
    "live.phone_started": (OWN, {"share": SHARE}),
    "camera.registered": (OWN, {"camera": CAMERA, "nickname": "Maya's porch", "tier": "on_request",
                                "visibility": "exact"}),
    "camera.updated": (OWN, {"camera": CAMERA, "nickname": "Maya's porch",
                             "before": {"nickname": "Porch"}}),
    "camera.masks_changed": (OWN, {"camera": CAMERA, "nickname": "Maya's porch",
                                   "added": ["m1"], "changed": [], "removed": [], "masks": 1}),
    "camera.paused": (OWN, {"camera": CAMERA, "nickname": "Maya's porch"}),
    "camera.resumed": (OWN, {"camera": CAMERA, "nickname": "Maya's porch"}),
    "camera.confirmed": (OWN, {"camera": CAMERA, "nickname": "Maya's porch"}),
    "camera.withdrawn": (OWN, {"camera": "77777777" * 4, "nickname": "Old gate"}),
    "camera.photo_added": (OWN, {"camera": CAMERA}),
    "camera.imported": ((OWNER, "org_admin"), {"count": 12, "source": "csv"}),
    "camera.handed_over": ((OWNER, "org_admin"), {"camera": CAMERA, "nickname": "Maya's porch",
                                                  "org": "0rg0rg00" * 4, "from": OWNER,
                                                  "to": DETECTIVE}),
    "camera.received": (("4d4d4d4d" * 4, "org_admin"), {"camera": "66666666" * 4,
                                                        "nickname": "Shop door"}),
    "org.created": ((OWNER, "org_admin"), {"org": "0a0a0a0a" * 4, "name": "Elm St shops",
                                           "role": "org_admin"}),
    "org.invited": ((OWNER, "org_admin"), {"org": "0a0a0a0a" * 4, "email": "m@example.org"}),
    "org.joined": (("4d4d4d4d" * 4, "owner"), {"org": "0a0a0a0a" * 4, "member": "4d4d4d4d" * 4}),
    "bridge.code_shown": (OWN, {}),
    "bridge.paired": (OWN, {"device": DEVICE, "name": "Garage box"}),
    "bridge.revoked": (OWN, {"device": DEVICE, "name": "Garage box"}),
    "receipts.changed": (OWN, {"receipts": "both"}),
    "push.subscribed": (OWN, {"device": "Phone", "service": "push.example.net"}),
    "push.unsubscribed": (SYSTEM, {"device": "Phone", "reason": "another account turned "
                                   "notifications on in this browser"}),
    "account.signed_up": (OWN, {"role": "owner"}),
    "account.seeded": (SYSTEM, {"role": "owner"}),
    "account.locked": (SYSTEM, {"minutes": 15}),
    "account.left": (OWN, {"cameras": 2, "requests": 1, "evidence_deleted": 1,
                           "evidence_held": 0}),
    "login.succeeded": (OWN, {"session": "5e55" * 8, "mfa": "not required"}),
    "login.failed": (("anonymous", "anonymous"), {"reason": "wrong password"}),
    "logout": (OWN, {"session": "5e55" * 8}),
    "session.revoked": (OWN, {"session": "5e55" * 8}),
    "session.expired": (SYSTEM, {"session": "5e55" * 8, "reason": "idle"}),
    "password.reset_requested": (OWN, {}),
    "password.reset": (OWN, {"sessions_revoked": 2, "asked_at": "2026-12-04T23:30:30Z"}),
    "program.feedback": (OWN, {"admins_told": 2}),
}


def event(action: str, actor: str, role: str, subject: str = OWNER, /, **details: Any
          ) -> dict[str, Any]:
    """An event as app.core.audit_views.view gives it to its reader."""
    return {"chain": "agency#demo", "seq": 57, "event_id": "e0" * 16,
            "at": "2026-12-04T23:31:02.000Z", "actor_id": actor, "actor_role": role,
            "action": action, "subject_id": subject, "hash": "ab" * 32, "details": details}


def owner_reads(action: str) -> str:
    (actor, role), details = OWNER_EVENTS[action]
    return sentence(event(action, actor, role, **details), KNOWN)


def plain(text: str) -> None:
    """A sentence a resident can read: no code, no id, nothing left unfilled."""
    assert not HEX.search(text), text
    assert not CODE.search(text), text
    assert "{" not in text and "%(" not in text and "  " not in text and " ." not in text, text
    assert text[0].isupper() and text.endswith("."), text
    assert text != UNKNOWN


@pytest.mark.parametrize("action", sorted(OWNER_EVENTS))
def test_every_action_an_owner_reads_is_a_plain_sentence(action: str) -> None:
    plain(owner_reads(action))


@pytest.mark.parametrize("action", sorted(OWNER_EVENTS))
def test_an_event_with_no_details_still_reads(action: str) -> None:
    """Erased or older events lack details: the sentence says less, never a code."""
    (actor, role), _ = OWNER_EVENTS[action]
    plain(sentence(event(action, actor, role), Known(OWNER, ZONE)))


def test_every_known_action_reads_for_owners_and_police() -> None:
    for action in ACTION_WORDS:
        for reader, actor, role in ((OWNER, DETECTIVE, "detective"),
                                    (DETECTIVE, DETECTIVE, "detective")):
            said = sentence(event(action, actor, role, request_id=REQUEST, target_id=TARGET,
                                  case="26-1"), Known(reader, ZONE))
            assert not HEX.search(said) and action not in said, (action, said)


def test_an_unknown_action_never_shows_its_code() -> None:
    said = sentence(event("widget.spun_round", OWNER, "owner", request_id=REQUEST), KNOWN)
    assert said == UNKNOWN and "widget" not in said


@pytest.mark.parametrize(("action", "expected"), [
    ("registry.camera_found",
     "A detective searched near your camera Maya's porch for case 26-004417."),
    ("request.received",
     "A detective asked for footage from your camera Maya's porch for case 26-004417 "
     "(burglary), 17:30:30–17:30:50 on Fri 4 Dec."),
    ("request.reminded", "Porchlight reminded you of the request for footage from your camera "
                         "Maya's porch for case 26-004417 (burglary)."),
    ("answer.approved", "You approved the request for footage from your camera Maya's porch "
                        "for case 26-004417 (burglary)."),
    ("answer.declined", "You declined the request for footage from your camera Maya's porch "
                        "for case 26-004417 (burglary), from a notification."),
    ("answer.no_footage", "Your bridge said there is no footage from your camera Maya's porch "
                          "for case 26-004417 (burglary): the bridge holds no video of that "
                          "time."),
    ("upload.completed", "Your bridge finished sending the video from your camera Maya's porch "
                         "for case 26-004417 (burglary) (48.0 MB)."),
    ("clip.viewed",
     "A detective played the clip from your camera Maya's porch for case 26-004417 (burglary)."),
    ("clip.ready", "The clip from your camera Maya's porch for case 26-004417 (burglary) is "
                   "ready for police; it will be deleted on Sun 3 Jan 2027."),
    ("clip.deleted", "The clip from your camera Maya's porch for case 26-004417 (burglary) was "
                     "deleted, with the video you sent (kept until Sun 3 Jan 2027)."),
    ("clip.held", "A supervisor placed a legal hold on the clip from your camera Maya's porch "
                  "for case 26-004417 (burglary): it is kept past its deletion date until the "
                  'hold is lifted. The reason given: "Court order 12".'),
    ("live.started", "You started a live share of your cameras Maya's porch and your phone's "
                     "camera for 30 minutes."),
    ("live.session", "A detective watched your live share for 2 min 5 s, 17:30:30–17:32:35 on "
                     "Fri 4 Dec, until they left."),
    ("live.ended", "Your live share ended at the time you chose."),
    ("registry.camera_viewed", "A detective opened the police map, which showed 2 of your "
                               "cameras."),
    ("camera.withdrawn", "You withdrew your camera Old gate: it is deleted."),
    ("camera.received", "An organisation admin handed your camera Shop door over to you."),
    ("login.failed", "Someone tried to sign in to your account with a wrong password."),
])
def test_sentences_in_the_owners_words(action: str, expected: str) -> None:
    assert owner_reads(action) == expected


def test_police_read_their_own_acts_without_the_owners_camera() -> None:
    """An officer's own play of a clip: the case, never the camera (the owner's name for it)
    nor the owner, whatever the event names (app.core.audit_views withholds them first)."""
    known = Known(DETECTIVE, ZONE, cases={REQUEST: Case("26-004417", "burglary")})
    played = event("clip.viewed", DETECTIVE, "detective", "withheld", **REQUEST_ROW,
                   case="26-004417")
    assert sentence(played, known) == "You played a clip for case 26-004417 (burglary)."
    searched = event("registry.searched", DETECTIVE, "detective", "-", case="26-1", shown=3,
                     hidden=1, lat=36.1, lon=-86.7, radius_m=100)
    assert sentence(searched, known) == \
        "You searched for cameras for case 26-1: 3 cameras found, 1 more not shown on the map."
    approved = event("request.approved", SUPERVISOR, "supervisor", REQUEST, case="26-004417")
    assert sentence(approved, Known(SUPERVISOR, ZONE, cases=known.cases)) == \
        "You approved the request for footage for case 26-004417 (burglary)."
    refused = event("registry.search_refused", DETECTIVE, "detective", "-",
                    reason="validation-error", route="POST /api/search")
    assert sentence(refused, known) == "Your search for cameras was refused: it was not valid."


def test_a_notice_says_who_by_role_only() -> None:
    """The owner learns the officer's role from the sentence; the id stays in the proof."""
    said = owner_reads("request.received")
    assert said.startswith("A detective ") and DETECTIVE[:8] not in said


def test_several_cameras_in_one_notice() -> None:
    notice = event("registry.camera_found", "system", "system", case="26-1",
                   cameras="Porch, Back gate", **NOTICE)
    assert sentence(notice, Known(OWNER, ZONE)) == \
        "A detective searched near your cameras Porch, Back gate for case 26-1."


def test_day_headings_in_the_programs_zone() -> None:
    today = date(2026, 12, 5)
    # 03:10 on 5 Dec in UTC is 21:10 on 4 Dec in Chicago.
    assert day_heading(datetime(2026, 12, 5, 3, 10, tzinfo=UTC), today, ZONE) == "Yesterday"
    assert day_heading(datetime(2026, 12, 5, 18, 0, tzinfo=UTC), today, ZONE) == "Today"
    assert day_heading(datetime(2026, 12, 2, 18, 0, tzinfo=UTC), today, ZONE) == \
        "Wednesday 2 December"
    assert day_heading(datetime(2025, 12, 2, 18, 0, tzinfo=UTC), today, ZONE) == \
        "Tuesday 2 December 2025"


def test_events_are_grouped_under_their_day_in_order() -> None:
    today = date(2026, 12, 5)
    items = [(datetime(2026, 12, 5, 18, 0, tzinfo=UTC), "a"),
             (datetime(2026, 12, 5, 17, 0, tzinfo=UTC), "b"),
             (datetime(2026, 12, 5, 3, 0, tzinfo=UTC), "c"),
             (datetime(2026, 12, 2, 18, 0, tzinfo=UTC), "d")]
    assert by_day(items, today, ZONE) == [("Today", ["a", "b"]), ("Yesterday", ["c"]),
                                          ("Wednesday 2 December", ["d"])]


# The page's language (app/account/routes.py passes it): the same sentences from the catalogue.
SPANISH = replace(KNOWN, language="es")


@pytest.mark.parametrize("action", sorted(OWNER_EVENTS))
def test_every_action_an_owner_reads_is_a_plain_sentence_in_spanish(action: str) -> None:
    (actor, role), details = OWNER_EVENTS[action]
    plain(sentence(event(action, actor, role, **details), SPANISH))
    plain(sentence(event(action, actor, role), replace(SPANISH, cameras={}, cases={})))


def test_the_owners_sentences_in_spanish_come_from_the_catalogue() -> None:
    """Needs the Spanish catalogue compiled with these texts (`make messages`, the Spanish
    filled, `make translations`)."""
    _, ngettext = translator("es").gettext, translator("es").ngettext
    found = sentence(event("registry.camera_found", *SYSTEM, case="26-004417",
                           cameras="Maya's porch", **NOTICE), SPANISH)
    assert found == _("%(who)s searched near %(camera)s%(case)s.") % {
        "who": _("a detective").capitalize(),
        "camera": _("your camera %(name)s") % {"name": "Maya's porch"},
        "case": _(" for case %(number)s") % {"number": "26-004417"}}
    assert found != owner_reads("registry.camera_found")  # translated, not English
    started = sentence(event("live.started", *OWN, share=SHARE, cameras=[CAMERA], minutes=30),
                       SPANISH)
    assert started == _("%(who)s started a live share of %(cameras)s%(minutes)s.") % {
        "who": _("You"), "cameras": _("your camera %(name)s") % {"name": "Maya's porch"},
        "minutes": ngettext(" for %(count)s minute", " for %(count)s minutes", 30)
        % {"count": 30}}
    received = sentence(event("request.received", *SYSTEM, case="26-004417", offense="burglary",
                              window=WINDOW, request_id=REQUEST, cameras="Maya's porch",
                              **NOTICE), SPANISH)
    assert "vie 4 dic" in received and _("burglary") in received
    assert words_for("clip.viewed", "es") == _("Police played your clip") != \
        words_for("clip.viewed")
    assert words_for("widget.spun", "es") == "Widget: spun"  # no words: its code, readable


def test_day_headings_in_spanish() -> None:
    _ = translator("es").gettext
    today = date(2026, 12, 5)
    assert day_heading(datetime(2026, 12, 5, 3, 10, tzinfo=UTC), today, ZONE, "es") == \
        _("Yesterday")
    assert day_heading(datetime(2026, 12, 5, 18, 0, tzinfo=UTC), today, ZONE, "es") == _("Today")
    assert day_heading(datetime(2026, 12, 2, 18, 0, tzinfo=UTC), today, ZONE, "es") == \
        "Miércoles, 2 de diciembre"
    assert day_heading(datetime(2025, 12, 2, 18, 0, tzinfo=UTC), today, ZONE, "es") == \
        "Martes, 2 de diciembre de 2025"
