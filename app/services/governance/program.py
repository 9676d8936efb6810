"""The program's public page (policy and FAQ, with every version kept) and feedback to its admins.

The agency admin writes the page; each save is a new version with a note of what changed, so
anyone can read how the program's promises moved over time (/program/history). Feedback comes
from anyone, signed in or not, reaches every agency admin by email, and is listed for them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError

from app.config import Settings
from app.core import roles
from app.core.errors import ConflictError, NotFoundError, ValidationError
from app.core.texts import gettext
from app.models.base import ITEM_LIMIT_BYTES, ItemTooLarge, condition_failed, kb
from app.models.program import Feedback, ProgramPage
from app.models.users import User
from app.services import clock, mail
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.people import accounts, throttle

MAX_POLICY = 20_000
MAX_FAQ = 30
MAX_FEEDBACK = 2_000
KEEP_FEEDBACK = timedelta(days=730)
STARTER_FAQ = [
    {"q": "Can police watch my camera whenever they like?",
     "a": "No. Police see only what you choose: that the camera exists, footage you approve one "
          "request at a time, or live video while you share it. Every police access is listed in "
          "your activity."},
    {"q": "Does the program use facial recognition?", "a": "No, never."},
    {"q": "How do I leave?",
     "a": "Under My activity, choose 'leave the program': every camera is withdrawn and your "
          "personal data deleted."},
]


def latest(agency_id: str) -> ProgramPage | None:
    for page in ProgramPage.query(agency_id, scan_index_forward=False, limit=1,
                                  consistent_read=True):
        return page
    return None


def history(agency_id: str) -> list[ProgramPage]:
    return list(ProgramPage.query(agency_id, scan_index_forward=False))


def version(agency_id: str, number: int) -> ProgramPage:
    try:
        return ProgramPage.get(agency_id, number)
    except ProgramPage.DoesNotExist as exc:
        raise NotFoundError("No such version of the program page.") from exc


def faq_of(page: ProgramPage | None) -> list[dict[str, str]]:
    if page is None:
        return STARTER_FAQ
    items: list[dict[str, str]] = json.loads(page.faq or "[]")
    return items


def parse_faq(questions: list[str], answers: list[str]) -> list[dict[str, str]]:
    pairs = [{"q": q.strip(), "a": a.strip()} for q, a in zip(questions, answers, strict=False)
             if q.strip() or a.strip()]
    if len(pairs) > MAX_FAQ:
        raise ValidationError(gettext("Keep the FAQ to %(max)s questions.", max=MAX_FAQ),
                              {"faq": gettext("too many")})
    if any(not p["q"] or not p["a"] for p in pairs):
        raise ValidationError(gettext("Every question needs an answer, and every answer a "
                                      "question."),
                              {"faq": gettext("a question or an answer is empty")})
    if any(len(p["q"]) > 300 or len(p["a"]) > 3000 for p in pairs):
        raise ValidationError(gettext("Keep each question under 300 and each answer under "
                                      "3,000 characters."), {"faq": gettext("too long")})
    return pairs


def save(admin: User, policy_text: str, faq: list[dict[str, str]], note: str, ip: str,
         expected_version: int) -> ProgramPage:
    """A new version of the page; refused when someone saved another one meanwhile."""
    if admin.role != roles.AGENCY_ADMIN:
        raise ValidationError(gettext("Only the agency's admin edits the program page."))
    policy_text = (policy_text or "").strip()
    if not policy_text:
        raise ValidationError(gettext("Write the program's policy: what police may and may not "
                                      "do."), {"policy_text": gettext("required")})
    if len(policy_text) > MAX_POLICY:
        raise ValidationError(gettext("Keep the policy under %(max)s characters.",
                                      max=format(MAX_POLICY, ",")),
                              {"policy_text": gettext("too long")})
    current = latest(admin.agency_id)
    number = (int(current.version) if current else 0) + 1
    if number != expected_version + 1:
        raise ConflictError("Someone saved the page while you were editing it. Reload it, "
                            "then make your change again.")
    page = ProgramPage(admin.agency_id, number, policy_text=policy_text,
                       faq=json.dumps(faq, ensure_ascii=False), note=(note or "").strip()[:300],
                       edited_by=admin.display_name, edited_at=clock.now())
    try:
        page.save(condition=ProgramPage.version.does_not_exist())
    except ItemTooLarge as exc:
        policy, faq_size = exc.sizes.get("policy_text", 0), exc.sizes.get("faq", 0)
        raise ValidationError(
            gettext("The page is too big to save: %(size)s, and a page holds at most "
                    "%(limit)s. The policy takes %(policy)s and the questions and answers "
                    "%(faq)s: shorten them (letters outside English, and emoji, take two to "
                    "four times the room of plain letters).", size=kb(sum(exc.sizes.values())),
                    limit=kb(ITEM_LIMIT_BYTES), policy=kb(policy), faq=kb(faq_size)),
            {"policy_text": gettext("%(size)s of the page", size=kb(policy)),
             "faq": gettext("%(size)s of the page", size=kb(faq_size))},
        ) from exc
    except PutError as exc:
        if not condition_failed(exc):
            raise
        raise ConflictError("Someone saved the page at the same moment. Reload it.") from exc
    audit.record(admin.agency_id, Actor(admin.user_id, admin.role, ip), "program.page_changed",
                 "-", {"version": number, "note": page.note})
    return page


def send_feedback(settings: Settings, agency_id: str, message: str, reply_to: str,
                  user: User | None, ip: str) -> Feedback:
    throttle.count_request(settings, "feedback", ip)
    message = (message or "").strip()
    if not message:
        raise ValidationError(gettext("Write your message."), {"message": gettext("required")})
    if len(message) > MAX_FEEDBACK:
        raise ValidationError(gettext("Keep it under %(max)s characters.",
                                      max=format(MAX_FEEDBACK, ",")),
                              {"message": gettext("too long")})
    reply_to = (reply_to or "").strip()
    if reply_to:
        reply_to = accounts.check_email(reply_to)
    accounts.get_agency(agency_id)
    now = clock.now()
    item = Feedback(agency_id, now, message=message, reply_to=reply_to or None,
                    user_id=user.user_id if user else None,
                    expires_epoch=int((now + KEEP_FEEDBACK).timestamp()))
    item.save()
    admins = [u for u in accounts.agency_users(agency_id) if u.role == roles.AGENCY_ADMIN]
    for admin in admins:
        mail.enqueue(settings, admin.email, "Feedback about the camera program", "\n".join([
            "Someone wrote to the program through its feedback form:", "", message, "",
            f"Reply to: {reply_to}" if reply_to else "They left no address to reply to.",
            "", "All feedback: /admin/feedback"]))
    actor = Actor(user.user_id, user.role, ip) if user else Actor("anonymous", "public", ip)
    audit.record(agency_id, actor, "program.feedback", "-", {"admins_told": len(admins)})
    return item


def feedback_for(admin: User) -> list[Feedback]:
    return list(Feedback.query(admin.agency_id, scan_index_forward=False, limit=200))


def page_view(page: ProgramPage | None) -> dict[str, Any]:
    return {"page": page, "faq": faq_of(page),
            "paragraphs": [p for p in (page.policy_text.split("\n\n") if page else []) if p]}
