"""The parts of an asked window an owner's clip misses, as the owner reads them, and the owner's
two ways on: send another file that covers them (app.services.footage.uploads), or say there is
none.

The clip worker records the gaps (Evidence.gaps, app.core.gaps); until the owner sends a file
that covers them or says they have none, the request is not answered in full and stays open
(app.core.footage.answered_in_full).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core import footage, gaps
from app.core.errors import ConflictError
from app.models.footage import Evidence, FootageRequest, Gap, RequestTarget
from app.models.users import User
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.footage.canvass import close_if_done, evidence_of, request_of, stamp
from app.services.footage.uploads import replacing


@dataclass(frozen=True)
class Missing:
    """What the owner's page says of the parts of the window the clip misses."""

    lines: tuple[str, ...]  # "no video 17:29:30–17:29:50 (America/Chicago, 20 s): …"
    may_send_another: bool  # a file covering them is still welcome
    another_on_its_way: bool  # one is being uploaded (the first clip stays meanwhile)


NONE = Missing((), False, False)


def line(gap: Gap, zone: str) -> str:
    """One gap in the owner's words, with seconds and the program's time zone."""
    return gaps.words(gap.start, gap.end, gap.kind, zone)


def for_owner(target: RequestTarget, evidence: Evidence | None, request: FootageRequest,
              zone: str) -> Missing:
    if target.status != footage.READY or evidence is None or not evidence.gaps:
        return NONE
    ordered = sorted(evidence.gaps, key=lambda g: g.start)
    another = request.state == "open" and replacing(target, evidence)
    return Missing(tuple(line(g, zone) for g in ordered), may_send_another=another,
                   another_on_its_way=another and bool(target.upload_id))


def no_other_file(owner: User, target: RequestTarget, ip: str) -> RequestTarget:
    """The owner has no file covering what the clip misses: the answer is whole as it is."""
    if not replacing(target, evidence_of(target.target_id)):
        raise ConflictError("This clip misses no part of the asked time that another file "
                            "could cover.")
    stamp(target, RequestTarget.no_other_file.set(True))
    audit.record(target.agency_id, Actor(owner.user_id, owner.role, ip),
                 "answer.no_other_file", owner.user_id,
                 {"request_id": target.request_id, "target_id": target.target_id})
    close_if_done(request_of(target))
    return target
