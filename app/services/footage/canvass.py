"""Footage requests: detectives ask, supervisors approve, owners answer. Every step audited.

Owners are told by the push worker (never inside the request), police never learn an owner's
contact details, and a hidden camera's owner stays anonymous unless they send footage.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from app.aws import aws_client
from app.config import Settings
from app.core import footage, gaps, localtime, roles
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.core.footage import RequestSpec
from app.core.texts import gettext
from app.models.base import MAX_ID, condition_failed
from app.models.cameras import Camera
from app.models.footage import Evidence, FootageRequest, Gap, RequestTarget
from app.models.users import User
from app.services import clock
from app.services.auditing import audit, notices
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.footage import legal_holds
from app.services.governance.policy import policy_for
from app.services.people import single_use

POLICE_ASKERS = (roles.DETECTIVE,)
POLICE_READERS = (roles.DETECTIVE, roles.SUPERVISOR)


def local_window(request: FootageRequest, timezone: str) -> str:
    """"19:40:00–20:10:30 on Sat 21 Nov, Chicago time": the program's zone, named, to the second."""
    return localtime.window(request.window_start, request.window_end, timezone)


# ---------------------------------------------------------------- asking


def create(settings: Settings, detective: User, data: dict[str, Any], ip: str
           ) -> FootageRequest:
    """Ask the chosen cameras' owners, and (with a hidden radius) the hidden cameras of the
    cells around the place; skip owners who refuse this offense category.

    The request is checked whole before any camera is read, so a refusal never depends on
    which cameras exist; the hidden cameras asked are a function of ~1 km cells only
    (registry.hidden_in_area), like the hidden count of a search (docs/privacy.md)."""
    if detective.role not in POLICE_ASKERS:
        raise ForbiddenError("Only detectives send footage requests.")
    policy = policy_for(detective.agency_id)
    now = clock.now()
    spec = footage.parse_request(data, policy, now, registry.max_radius(detective.agency_id))
    chosen = _chosen(detective, spec)
    hidden = registry.hidden_in_area(detective.agency_id, spec.lat, spec.lon,
                                     spec.hidden_radius_m) if spec.hidden_radius_m else []
    if len(hidden) > footage.MAX_HIDDEN:
        hidden = secrets.SystemRandom().sample(hidden, footage.MAX_HIDDEN)
    cameras = [*chosen, *(c for c in hidden if c.camera_id not in spec.camera_ids)]
    if not cameras:
        raise ValidationError(
            gettext("No camera can be asked: none was chosen, and no camera hidden from the map "
                    "is in this area."), {"camera_ids": gettext("nothing to ask here")})
    asked = [c for c in cameras if spec.offense not in (c.refused_offenses or [])]
    skipped = len(cameras) - len(asked)
    if not asked:
        raise ValidationError(
            gettext("None of these cameras can be asked: their owners do not share footage for "
                    "%(offense)s.",
                    offense=gettext(footage.OFFENSE_WORDS.get(spec.offense, spec.offense))),
            {"camera_ids": gettext("every owner refuses this offense category")})
    state = "awaiting_approval" if policy.needs_supervisor else "open"
    request = FootageRequest(
        request_id=uuid.uuid4().hex, agency_id=detective.agency_id,
        detective_id=detective.user_id, detective_name=detective.display_name,
        case_number=spec.case_number, offense=spec.offense, window_start=spec.window_start,
        window_end=spec.window_end, lat=spec.lat, lon=spec.lon, message=spec.message,
        state=state, created_at=now, expires_at=now + timedelta(days=policy.expire_days),
        skipped_refusing=skipped,
    )
    request.save()
    with RequestTarget.batch_write() as batch:
        for camera in asked:
            batch.save(RequestTarget(
                target_id=uuid.uuid4().hex, request_id=request.request_id,
                agency_id=detective.agency_id, owner_id=camera.owner_id,
                camera_id=camera.camera_id, nickname=camera.nickname,
                visibility=camera.visibility, tier=camera.tier, status=footage.ASKED,
                created_at=now, updated_at=now))
    actor = Actor(detective.user_id, detective.role, ip)
    audit.record(detective.agency_id, actor, "request.created", request.request_id, {
        "case": spec.case_number, "offense": spec.offense, "cameras": len(asked),
        "hidden_radius_m": spec.hidden_radius_m,
        "hidden": sum(1 for c in asked if c.visibility == "hidden"),
        "skipped_refusing": skipped, "window_start": spec.window_start.isoformat(),
        "window_end": spec.window_end.isoformat(), "state": state})
    if state == "open":
        _send(settings, request, actor)
    return request


def _chosen(officer: User, spec: RequestSpec) -> list[Camera]:
    """The cameras the detective picked (from the search or the map), not paused. A hidden
    camera's id is "unknown", as an id that names nothing: police never hold one, and one
    that leaked must not confirm anything or reach its owner by id."""
    if not spec.camera_ids:
        return []
    found = registry.named_by_police(officer, spec.camera_ids)
    problems = [cid for cid in spec.camera_ids if cid not in found]
    if problems:
        raise ValidationError(gettext("Some of the chosen cameras are not in this program any "
                                      "more."),
                              {"camera_ids": gettext("unknown or withdrawn: %(ids)s",
                                                     ids=", ".join(problems[:5]))})
    paused = [c.nickname for c in found.values() if c.paused]
    if len(paused) == len(found):
        raise ValidationError(gettext("Every chosen camera is paused by its owner."),
                              {"camera_ids": gettext("all paused")})
    return [found[cid] for cid in spec.camera_ids if not found[cid].paused]


def _send(settings: Settings, request: FootageRequest, actor: Actor,
          reminder: bool = False) -> None:
    """Hand the owners' notifications to the push worker, and tell each owner in their log."""
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.push_queue_url,
        MessageBody=json.dumps({"request_id": request.request_id, "reminder": reminder}))
    targets = [t for t in targets_of(request.request_id) if t.status in footage.WAITING]
    per_owner: dict[str, dict[str, Any]] = {}
    for target in targets:
        entry = per_owner.setdefault(target.owner_id, {
            "case": request.case_number, "offense": request.offense,
            "window": f"{request.window_start.isoformat()}/{request.window_end.isoformat()}",
            "request_id": request.request_id, "cameras": ""})
        entry["cameras"] = ", ".join(filter(None, [entry["cameras"], target.nickname]))
    notices.enqueue(settings, request.agency_id, actor,
                    "request.reminded" if reminder else "request.received", per_owner)


def decide(settings: Settings, supervisor: User, request_id: str, approve: bool, ip: str
           ) -> FootageRequest:
    if supervisor.role != roles.SUPERVISOR:
        raise ForbiddenError("Only supervisors approve footage requests.")
    request = _agency_request(supervisor, request_id)
    if request.state != "awaiting_approval":
        raise ConflictError("This request is not waiting for approval.")
    request.state = "open" if approve else "refused"
    request.approved_by = supervisor.user_id
    request.save()
    actor = Actor(supervisor.user_id, supervisor.role, ip)
    audit.record(supervisor.agency_id, actor,
                 "request.approved" if approve else "request.refused", request.request_id,
                 {"case": request.case_number})
    if approve:
        _send(settings, request, actor)
    return request


def _agency_request(officer: User, request_id: str) -> FootageRequest:
    """A request of the officer's program; another program's is "not found", as none."""
    request = FootageRequest.find(request_id)
    if request is None or request.agency_id != officer.agency_id:
        raise NotFoundError("No such request.")
    return request


def readable_request(officer: User, request_id: str) -> FootageRequest:
    """The detective who asked, and the agency's supervisors, follow a request."""
    if officer.role not in POLICE_READERS:
        raise ForbiddenError("Only detectives and supervisors follow footage requests.")
    request = _agency_request(officer, request_id)
    if officer.role == roles.DETECTIVE and request.detective_id != officer.user_id:
        raise NotFoundError("No such request.")
    return request


def requests_for(officer: User) -> list[FootageRequest]:
    if officer.role not in POLICE_READERS:
        raise ForbiddenError("Only detectives and supervisors follow footage requests.")
    found = FootageRequest.agency_index.query(officer.agency_id, scan_index_forward=False,
                                              limit=200)
    return [r for r in found
            if officer.role == roles.SUPERVISOR or r.detective_id == officer.user_id]


def targets_of(request_id: str) -> list[RequestTarget]:
    return list(RequestTarget.request_index.query(request_id))


def evidence_of(target_id: str) -> Evidence | None:
    return Evidence.find(target_id)


def offered(officer: User, camera_ids: list[str]) -> list[footage.Offered]:
    """The cameras a search or the map passed on to the new-case form, as police may see
    them (`app.core.footage.offered`); an id police may not name offers nothing."""
    wanted = list(dict.fromkeys(i for i in camera_ids if i and len(i) <= MAX_ID))
    wanted = wanted[:footage.MAX_CAMERAS]
    found = registry.named_by_police(officer, wanted)
    shown = (footage.offered(c.camera_id, c.nickname, c.visibility, c.tier, bool(c.paused))
             for c in (found[i] for i in wanted if i in found))
    return [o for o in shown if o is not None]


def board(officer: User, request_id: str) -> dict[str, Any]:
    """The detective's status board: one row per asked camera, owners never named. A ready
    clip says its delivered length, every part of the window it has no video for (in the
    program's time zone), and whether its evidence package is made yet (it follows the clip)."""
    request = readable_request(officer, request_id)
    zone = policy_for(request.agency_id).timezone
    rows = []
    for target in sorted(targets_of(request_id), key=lambda t: t.created_at):
        evidence = evidence_of(target.target_id) if target.status == footage.READY else None
        rows.append({
            "id": target.target_id,
            "camera": footage.police_label(target.nickname, target.visibility, target.status),
            "tier": target.tier, "status": target.status,
            "status_words": gettext(footage.STATUS_WORDS.get(target.status, target.status)),
            # why a video failed, or why the owner's bridge had none (an owner's own decline
            # reason stays with the owner)
            "reason": (target.reason if target.status in (footage.FAILED, footage.NO_FOOTAGE)
                       else ""),
            "updated_at": target.updated_at.isoformat(),
            "clip": None if evidence is None else {
                "seconds": float(evidence.clip_seconds), "method": evidence.method,
                "truncated": bool(evidence.truncated),
                "gaps": [gap_json(gap, zone) for gap in evidence.gaps or []],
                "package_ready": bool(evidence.package_key),
                "delete_after": evidence.delete_after.isoformat(),
                "legal_hold": bool(evidence.legal_hold),
                "masked": bool(evidence.mask_ids)},
        })
    return {"id": request.request_id, "case_number": request.case_number,
            "offense": request.offense, "state": request.state,
            "state_words": gettext(footage.REQUEST_STATE_WORDS.get(request.state,
                                                                   request.state)),
            "window_start": request.window_start.isoformat(),
            "window_end": request.window_end.isoformat(),
            "expires_at": request.expires_at.isoformat(),
            "skipped_refusing": int(request.skipped_refusing or 0), "targets": rows}


def gap_json(gap: Gap, zone: str) -> dict[str, Any]:
    """A part of the window with no video, as the board says it (app.core.gaps)."""
    return {"start": gap.start.isoformat(), "end": gap.end.isoformat(), "kind": gap.kind,
            "words": gaps.words(gap.start, gap.end, gap.kind, zone)}


# ---------------------------------------------------------------- owners answer


def owner_target(owner: User, target_id: str) -> RequestTarget:
    """The owner's asked camera; somebody else's is "not found"."""
    return target_owned_by(owner.user_id, target_id)


def target_owned_by(owner_id: str, target_id: str) -> RequestTarget:
    """An asked camera of this owner (their phone or their bridge asks); any other is "not
    found", as one that does not exist."""
    target = RequestTarget.find(target_id)
    if target is None or target.owner_id != owner_id:
        raise NotFoundError("No such footage request.")
    return target


def request_of(target: RequestTarget) -> FootageRequest:
    return FootageRequest.get(target.request_id)


def targets_for_owner(owner: User) -> list[RequestTarget]:
    return list(RequestTarget.owner_index.query(owner.user_id, scan_index_forward=False,
                                                limit=200))


def move(target: RequestTarget, to: str, **changes: Any) -> RequestTarget:
    """Move an asked camera to a new status, or refuse if the move is not allowed from here.

    The version attribute refuses a write over a change made meanwhile (another answer, the
    push worker noting its notification); the move then re-reads the row and tries again if it
    is still allowed from the new state.
    """
    for _ in range(4):
        if not footage.can_move(target.status, to):
            raise ConflictError(f"This request is already {footage.STATUS_WORDS[target.status]}.")
        target.status = to
        target.updated_at = clock.now()
        for name, value in changes.items():
            setattr(target, name, value)
        try:
            target.save()
            return target
        except (PutError, UpdateError) as exc:
            if not condition_failed(exc):
                raise
            target.refresh(consistent_read=True)
    raise ConflictError("This request changed meanwhile; reload and try again.")


def stamp(target: RequestTarget, *actions: Any) -> None:
    """Update a few attributes (not the status) of a row others may be writing too."""
    for _ in range(4):
        try:
            target.update(actions=list(actions))
            return
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            target.refresh(consistent_read=True)
    raise ConflictError("This request changed meanwhile; try again.")


def _owner_actor(owner_id: str, ip: str) -> Actor:
    return Actor(owner_id, roles.OWNER, ip)


def mark_seen(owner: User, target: RequestTarget, ip: str) -> None:
    if target.status != footage.ASKED:
        return
    move(target, footage.SEEN, seen_at=clock.now())
    audit.record(target.agency_id, _owner_actor(owner.user_id, ip), "answer.seen",
                 owner.user_id, {"request_id": target.request_id, "target_id": target.target_id})


def answer(owner_id: str, target: RequestTarget, action: str, reason: str, ip: str,
           via: str = "app", key: str = "") -> RequestTarget:
    """decline, no_footage or approve (approve then waits for the upload).

    With an idempotency `key` (an answer the phone kept offline and may send more than once),
    a second send of the answer already taken changes nothing and is not an error."""
    if key and target.answer_key == key:
        return target
    request = request_of(target)
    if request.state not in ("open",):
        raise ConflictError("This request is closed.")
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ValidationError(gettext("Keep the reason under 300 characters."),
                              {"reason": gettext("too long")})
    to = {"approve": footage.APPROVED, "decline": footage.DECLINED,
          "no_footage": footage.NO_FOOTAGE}.get(action)
    if to is None:
        raise ValidationError(gettext("Answer approve, decline or no_footage."),
                              {"action": gettext("unknown")})
    try:
        move(target, to, reason=reason if to == footage.DECLINED else "", answer_key=key or None)
    except ConflictError:
        if key and target.answer_key == key:  # the same answer, sent twice at once
            return target
        raise
    audit.record(target.agency_id, _owner_actor(owner_id, ip), f"answer.{to}", owner_id, {
        "request_id": target.request_id, "target_id": target.target_id,
        "case": request.case_number, "via": via})
    close_if_done(request)
    return target


def answer_by_token(settings: Settings, token: str, ip: str) -> RequestTarget:
    """A notification button: the signed, single-use token stands in for the session."""
    parsed = footage.read_answer_token(settings.secret_key, token, clock.now().timestamp())
    single_use.take(token, "answer")  # single use: the stored digest is marked used
    target = RequestTarget.find(parsed.target_id)  # the signed token stands for its owner
    if target is None:
        raise NotFoundError("No such footage request.")
    # Every device got both buttons: a Decline left on the tablet must not undo an Approve
    # made on the phone. A button answers only a request still waiting for its owner.
    if target.status not in footage.WAITING:
        raise ConflictError(f"This request is already {footage.STATUS_WORDS[target.status]}.")
    return answer(target.owner_id, target, parsed.action, "", ip, via="notification")


def close_if_done(request: FootageRequest) -> None:
    """Closed once every asked camera is answered in full: a clip that misses part of the
    window because the owner's file started late or ended early keeps the request open while
    its owner may still send a file covering it (app.core.footage.answered_in_full)."""
    if all(answered_in_full(t) for t in targets_of(request.request_id)):
        request.state = "closed"
        try:
            request.save()
        except (PutError, UpdateError) as exc:
            if not condition_failed(exc):
                raise
            # another answer closed it meanwhile


def answered_in_full(target: RequestTarget) -> bool:
    """Whether this asked camera's answer is final and whole (footage.answered_in_full)."""
    evidence = evidence_of(target.target_id) if target.status == footage.READY else None
    kinds = [g.kind for g in evidence.gaps or []] if evidence is not None else []
    return footage.answered_in_full(target.status, kinds, bool(target.no_other_file),
                                  replacing=target.status == footage.READY
                                  and bool(target.upload_id))


# ---------------------------------------------------------------- evidence for police


def readable_target(officer: User, target_id: str) -> tuple[RequestTarget, FootageRequest]:
    """An asked camera (and its request) of a request the officer follows
    (`readable_request`); another program's or another detective's is "not found", as one
    that does not exist."""
    target = RequestTarget.find(target_id)
    if target is not None:
        try:
            return target, readable_request(officer, target.request_id)
        except NotFoundError:
            pass  # another program's or another detective's clip: as if there were none
    raise NotFoundError("No such clip.")


def agency_evidence(officer: User, target_id: str) -> Evidence:
    """The evidence of an asked camera of the officer's program; another program's is "not
    found", as evidence that does not exist."""
    evidence = evidence_of(target_id)
    if evidence is None or evidence.agency_id != officer.agency_id:
        raise NotFoundError("No such clip.")
    return evidence


def evidence_link(settings: Settings, officer: User, target_id: str, kind: str, ip: str
                  ) -> str:
    """A short-lived link to a clip, its poster or its package; plays and downloads audited."""
    target, request = readable_target(officer, target_id)
    evidence = evidence_of(target.target_id)
    if evidence is None or target.status != footage.READY:
        raise NotFoundError("This clip is not ready, or was deleted.")
    keys = {"clip": evidence.clip_key, "poster": evidence.poster_key,
            "sheet": evidence.sheet_key, "package": evidence.package_key}
    if kind not in keys:
        raise NotFoundError("No such file.")
    if not keys[kind]:  # the package follows the clip (lambdas/clip_cutter/handler.py)
        raise ConflictError("The evidence package is being prepared: the clip can be played "
                            "now, and the package follows within minutes.")
    params: dict[str, Any] = {"Bucket": settings.clips_bucket, "Key": keys[kind]}
    if kind == "package":
        params["ResponseContentDisposition"] = (
            f'attachment; filename="{_safe(request.case_number)}-{target.target_id[:8]}.zip"')
    if kind in ("clip", "package"):
        audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip),
                     "clip.viewed" if kind == "clip" else "clip.downloaded", target.owner_id,
                     {"request_id": request.request_id, "target_id": target.target_id,
                      "case": request.case_number})
    return str(aws_client(settings, "s3").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=LINK_SECONDS))


LINK_SECONDS = 300


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)[:40] or "case"


def hold(settings: Settings, supervisor: User, target_id: str, on: bool, reason: str, ip: str
         ) -> Evidence:
    """A legal hold keeps a clip past its deletion date until a supervisor lifts it, and S3
    refuses to delete its files meanwhile, whoever asks (app.services.footage.legal_holds)."""
    if supervisor.role != roles.SUPERVISOR:
        raise ForbiddenError("Only supervisors place or lift legal holds.")
    evidence = agency_evidence(supervisor, target_id)
    reason = (reason or "").strip()
    if on and not reason:
        raise ValidationError(gettext("Say why the clip is held (a court order, an open "
                                      "case)."), {"reason": gettext("required")})
    if len(reason) > 300:
        raise ValidationError(gettext("Keep the reason under 300 characters."),
                              {"reason": gettext("too long")})
    actor = Actor(supervisor.user_id, supervisor.role, ip)
    details = {"request_id": evidence.request_id, "target_id": target_id, "reason": reason}
    # S3's hold is what protects the files; the item's flag is what Porchlight claims. Placing
    # writes S3 first, then the item; lifting writes the item first, then S3. A failure between
    # the two writes leaves S3 holding more than the item claims (the files are kept until a
    # supervisor places and lifts the hold again), never less: Porchlight never claims a hold
    # that S3 does not enforce. The audit event follows the item's write in both cases.
    with legal_holds.one_change_at_a_time(evidence):
        if on:
            legal_holds.place(settings, evidence)
            legal_holds.note(evidence, True, reason)
            audit.record(supervisor.agency_id, actor, "clip.held", evidence.owner_id, details)
        else:
            legal_holds.note(evidence, False, reason)
            audit.record(supervisor.agency_id, actor, "clip.released", evidence.owner_id,
                         details)
            legal_holds.lift(settings, evidence)
    return evidence

