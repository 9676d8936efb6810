"""Access receipts: an owner who opted in gets a real Web Push naming who accessed which camera
for which case, within one pass of the receipts worker; the daily digest emails the day's
accesses; an owner who did not opt in gets nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.core import localtime
from app.core.language import translator
from app.models.audit import ReceiptCursor
from app.models.users import User
from app.services import clock
from app.services.auditing import receipts
from tests.builders.cameras import SCENE, camera_body
from tests.builders.push import Device, PushService, subscribe
from tests.support import form_token, wait_for_mail


def choose(owner: Any, choice: str) -> None:
    page = owner.get("/account/activity")
    assert "Tell me when police access my cameras" in page.text
    saved = owner.post_form("/account/receipts", {"receipts": choice},
                            token=form_token(page.text))
    assert saved.status_code == 302, saved.text



def search_and_send_receipts(detective: Any, devstack: Any, settings: Any) -> str:
    """A detective's search near the scene, then each worker when the test says: the
    audit-fanout worker appends the search's per-owner events, the receipts pass (a schedule,
    every minute on AWS) queues the receipt, and the push worker sends it. The case number."""
    case = f"24-{uuid.uuid4().int % 10**6:06d}"
    with devstack.loop.paused("audit-fanout", "push"):
        found = detective.send_json("POST", "/api/search", {
            "lat": SCENE[0], "lon": SCENE[1], "radius_m": 60, "case_number": case,
            "incident_at": (clock.now() - timedelta(minutes=30)).isoformat()})
        assert found.status_code == 200, found.text
        assert devstack.loop.drain("audit-fanout") >= 1
        receipts.run_once(settings)
        assert devstack.loop.drain("push") >= 1
    return case

def test_a_police_search_and_a_played_clip_become_receipts(
        signed_in: Any, settings: Any, push_service: PushService, devstack: Any) -> None:
    receipts.run_once(settings)  # every chain known to the worker starts at its head now
    owner, account = signed_in("owner")
    quiet_owner, quiet = signed_in("owner")
    detective, officer = signed_in("detective")
    nickname = f"Front door {uuid.uuid4().hex[:4]}"
    owner.send_json("POST", "/api/cameras", camera_body(nickname=nickname))
    quiet_owner.send_json("POST", "/api/cameras", camera_body(nickname="Quiet yard"))
    choose(owner, "both")
    device = Device.new(push_service.endpoint("receipts"))
    subscribe(owner, device)
    quiet_device = Device.new(push_service.endpoint("quiet"))
    subscribe(quiet_owner, quiet_device)

    case = search_and_send_receipts(detective, devstack, settings)
    [payload] = [device.read(m) for m in push_service.received
                 if m.path.endswith(device.endpoint.rsplit("/", 1)[1])]
    assert payload["kind"] == "receipt" and payload["url"] == "/account/activity"
    assert officer.user.display_name in payload["body"] and "(detective)" in payload["body"]
    assert nickname in payload["body"] and case in payload["body"]
    # The other owner's camera was found too, but they did not ask for receipts.
    assert not [m for m in push_service.received
                if m.path.endswith(quiet_device.endpoint.rsplit("/", 1)[1])]
    assert User.get(quiet.user.user_id).receipts is None

    # The daily digest: the owner who chose it gets the day's accesses by email.
    cursor = ReceiptCursor.get("digest")
    cursor.at = clock.iso(clock.now() - timedelta(hours=25))
    cursor.save()
    done = receipts.run_once(settings)
    assert done.digests >= 1
    mail = wait_for_mail(account.email, "Police accessed your cameras")
    assert officer.user.display_name in mail.text
    assert "Chicago time: " in mail.text and " UTC" not in mail.text  # the program's clock


def test_only_owners_choose_and_a_bad_choice_is_refused(signed_in: Any) -> None:
    owner, _ = signed_in("owner")
    page = owner.get("/account/activity")
    bad = owner.post_form("/account/receipts", {"receipts": "sometimes"},
                          token=form_token(page.text))
    assert bad.status_code == 422 and "Choose off" in bad.text
    detective, _ = signed_in("detective")
    assert "Tell me when police access" not in detective.get("/account/activity").text


def test_an_owner_who_chose_spanish_gets_receipts_and_the_digest_in_spanish(
        signed_in: Any, settings: Any, push_service: PushService, devstack: Any) -> None:
    """The language the owner chose in the app (kept on the account) is the receipt's and the
    digest's: the expected words are read from the compiled catalogue (needs the Spanish of
    app/services/auditing/receipts.py in it)."""
    _, ngettext = translator("es").gettext, translator("es").ngettext
    receipts.run_once(settings)
    owner, account = signed_in("owner")
    detective, officer = signed_in("detective")
    nickname = f"Puerta {uuid.uuid4().hex[:4]}"
    owner.send_json("POST", "/api/cameras", camera_body(nickname=nickname))
    choose(owner, "both")
    owner.post_form("/language", {"language": "es"}, token=form_token(owner.get("/").text))
    assert User.get(account.user.user_id).language == "es"
    device = Device.new(push_service.endpoint("recibos"))
    subscribe(owner, device)

    case = search_and_send_receipts(detective, devstack, settings)
    said = _("%(who)s found your camera %(cameras)s in a search%(case)s.") % {
        "who": f"{officer.user.display_name} ({_('Detective').lower()})", "cameras": nickname,
        "case": _(" for case %(case)s") % {"case": case}}
    assert said != f"{officer.user.display_name} (detective) found your camera {nickname} " \
                   f"in a search for case {case}."  # the catalogue has the Spanish
    [payload] = [device.read(m) for m in push_service.received
                 if m.path.endswith(device.endpoint.rsplit("/", 1)[1])]
    assert payload["title"] == _("Police access to your camera") and payload["body"] == said

    cursor = ReceiptCursor.get("digest")
    cursor.at = clock.iso(clock.now() - timedelta(hours=25))
    cursor.save()
    assert receipts.run_once(settings).digests >= 1
    subject = ngettext("Police accessed your cameras %(count)s time(s) in the last day",
                       "Police accessed your cameras %(count)s time(s) in the last day", 1
                       ) % {"count": 1}
    mail = wait_for_mail(account.email, subject)
    assert mail.subject == subject
    assert mail.text.startswith(_("Hello %(name)s,") % {"name": account.user.display_name})
    assert _("Every police access to your cameras since yesterday:") in mail.text
    assert f" {localtime.zone_label('America/Chicago', 'es')}: {said}" in mail.text
