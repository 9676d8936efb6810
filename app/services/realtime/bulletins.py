"""Bulletins: an operator sends responding officers a still and a description for an incident.

The operator freezes a frame of a tile on the wall, writes "male, red hoodie, northbound on 2nd
Ave", picks who gets it (responding officers, and detectives or supervisors), and sends. Each
recipient's phone gets a push; the bulletin's page shows the still, the words and the
incident's place on a map. Responding officers (`roles.OFFICER`) see bulletins sent to them
and nothing else: no registry, no map of cameras, no live video.

Only what the operator could watch can be sent: a still names the tile it was frozen from (a
share and its stream), and the operator must be allowed to watch that camera now, under its
owner's rules (`live.decision`). The camera's owner reads that a still of their camera was sent,
and to how many people (their activity and receipts). A still is a JPEG the app checks by its
header (`app.core.images`) and never decodes; it is stored under the uploads bucket's `live/`
prefix, which expires within a day, like the bulletin itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import timedelta
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core import images, roles
from app.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from app.core.texts import gettext
from app.models.incident import Bulletin, Incident
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.governance.policy import policy_for
from app.services.people import accounts
from app.services.realtime import live, police

MAX_TEXT = 500
MAX_RECIPIENTS = 50
MAX_STILL_BYTES = 600 * 1024  # a 1080p JPEG frame at quality 0.85 is ~200-400 KB
KEEP = timedelta(days=1)
RECIPIENT_ROLES = (roles.OFFICER, roles.DETECTIVE, roles.SUPERVISOR)
READERS = RECIPIENT_ROLES  # who reads bulletins: those who may be sent them
URL_SECONDS = 60
PREFIX = "live/bulletins/"


def recipients_of(officer: User) -> list[User]:
    """Whom an operator may send a bulletin to: the program's responding officers,
    detectives and supervisors, by name."""
    return sorted((u for u in accounts.agency_users(officer.agency_id)
                   if u.role in RECIPIENT_ROLES and u.user_id != officer.user_id),
                  key=lambda u: (u.role != roles.OFFICER, u.display_name.lower()))


def _still(raw: Any, errors: dict[str, str]) -> bytes | None:
    """The still, from a `data:image/jpeg;base64,...` URL (what a canvas gives) or bare
    base64; None when none was sent."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        errors["still"] = gettext("a JPEG picture as a data URL")
        return None
    text = raw.split(",", 1)[1] if raw.startswith("data:") else raw
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        errors["still"] = gettext("a JPEG picture as a data URL (it could not be read)")
        return None
    if len(data) > MAX_STILL_BYTES:
        errors["still"] = gettext("the picture is larger than %(max)s KB",
                                  max=MAX_STILL_BYTES // 1024)
        return None
    picture = images.sniff(data[:images.HEAD_BYTES])
    if picture is None or picture.content_type != "image/jpeg" or picture.too_large:
        errors["still"] = gettext("not a JPEG picture")
        return None
    return data


def _source(officer: User, raw: Any, errors: dict[str, str]) -> tuple[str, str, str] | None:
    """The tile a still was frozen from: (share id, camera id, its owner), checked against the
    owner's rules now. None when no still names one."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("share_id"), str) or not isinstance(
            raw.get("stream"), str):
        errors["source"] = gettext("the tile's share_id and stream")
        return None
    share = live.police_share(officer, raw["share_id"])
    camera_id = live.camera_of(share, raw["stream"])
    cameras = police.registered([camera_id]) if camera_id else {}
    now = clock.now()
    if camera_id is None or camera_id not in cameras or not live.is_active(share, now):
        raise ForbiddenError("That tile is not playing any more: freeze a frame of a tile "
                             "that plays.")
    zone = policy_for(share.agency_id).timezone
    if not live.decision(share, cameras[camera_id], officer.agency_id, now, zone).allowed:
        raise ForbiddenError("The owner's rules do not allow watching that camera now.")
    return share.share_id, camera_id, share.owner_id


def send(settings: Settings, officer: User, incident: Incident, data: dict[str, Any], ip: str
         ) -> Bulletin:
    """Send a bulletin for this incident (the officer's program's: `incidents.incident_of`)."""
    if incident.closed_at is not None:
        raise ConflictError("This incident is closed.")
    errors: dict[str, str] = {}
    text = data.get("text")
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_TEXT:
        errors["text"] = gettext("say what officers should look for (1 to %(max)s "
                                 "characters)", max=MAX_TEXT)
        text = ""
    wanted = data.get("recipients")
    allowed = {u.user_id: u for u in recipients_of(officer)}
    if not isinstance(wanted, list) or not 1 <= len(wanted) <= MAX_RECIPIENTS or any(
            not isinstance(w, str) or w not in allowed for w in wanted):
        errors["recipients"] = gettext("choose 1 to %(max)s officers of this program from "
                                       "the list", max=MAX_RECIPIENTS)
        wanted = []
    still = _still(data.get("still"), errors)
    if still is None and data.get("source") is not None:
        errors.setdefault("source", gettext("a tile is named only with its still"))
    if errors:
        raise ValidationError(gettext("The bulletin cannot be sent."), errors)
    source = _source(officer, data.get("source"), errors) if still is not None else None
    if errors:
        raise ValidationError(gettext("The bulletin cannot be sent."), errors)
    now = clock.now()
    bulletin_id = uuid.uuid4().hex
    key = None
    if still is not None:
        key = f"{PREFIX}{incident.agency_id}/{bulletin_id}.jpg"
        aws_client(settings, "s3").put_object(Bucket=settings.uploads_bucket, Key=key,
                                              Body=still, ContentType="image/jpeg")
    recipients = list(dict.fromkeys(str(w) for w in wanted))
    bulletin = Bulletin(
        bulletin_id=bulletin_id, agency_id=incident.agency_id, incident_id=incident.incident_id,
        sent_by=officer.user_id, sent_by_name=officer.display_name, sent_at=now,
        text=str(text).strip(), recipients=recipients, still_key=key,
        source_share=source[0] if source else None, source_camera=source[1] if source else None,
        expires_epoch=int((now + KEEP).timestamp()))
    bulletin.save()
    actor = Actor(officer.user_id, officer.role, ip)
    audit.record(officer.agency_id, actor, "bulletin.sent", "-", {
        "bulletin": bulletin_id, "incident": incident.incident_id, "case": incident.case_number,
        "recipients": len(recipients), "still": key is not None})
    if source is not None:
        # The owner reads this: a still of their camera went to this many people.
        audit.record(officer.agency_id, actor, "live.still_sent", source[2], {
            "bulletin": bulletin_id, "incident": incident.incident_id,
            "case": incident.case_number, "camera": source[1], "share": source[0],
            "recipients": len(recipients)})
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.push_queue_url, MessageBody=json.dumps({"bulletin_id": bulletin_id}))
    return bulletin


def readable(reader: User, bulletin_id: str) -> Bulletin:
    """A bulletin the reader was sent, or sent: any other is "not found"."""
    if reader.role not in READERS:
        raise ForbiddenError("Only police read bulletins.")
    bulletin = Bulletin.find(bulletin_id)
    if bulletin is None or bulletin.agency_id != reader.agency_id or bulletin.expires_epoch <= \
            clock.now().timestamp() or reader.user_id not in (*bulletin.recipients,
                                                               bulletin.sent_by):
        raise NotFoundError("No such bulletin (they last a day).")
    return bulletin


def open_bulletin(reader: User, bulletin_id: str, ip: str) -> Bulletin:
    bulletin = readable(reader, bulletin_id)
    audit.record(reader.agency_id, Actor(reader.user_id, reader.role, ip), "bulletin.read",
                 "-", {"bulletin": bulletin_id, "incident": bulletin.incident_id})
    return bulletin


def for_reader(reader: User) -> list[Bulletin]:
    """The bulletins sent to (or by) the reader in the last day, newest first."""
    if reader.role not in READERS:
        raise ForbiddenError("Only police read bulletins.")
    since = clock.now() - KEEP
    return [b for b in Bulletin.agency_index.query(
        reader.agency_id, Bulletin.sent_at >= since, scan_index_forward=False)
        if reader.user_id in (*b.recipients, b.sent_by)]


def still_url(settings: Settings, reader: User, bulletin_id: str) -> str:
    bulletin = readable(reader, bulletin_id)
    if not bulletin.still_key:
        raise NotFoundError("This bulletin has no picture.")
    url: str = aws_client(settings, "s3").generate_presigned_url(
        "get_object", ExpiresIn=URL_SECONDS,
        Params={"Bucket": settings.uploads_bucket, "Key": bulletin.still_key})
    return url


def bulletin_json(bulletin: Bulletin, incident: Incident | None) -> dict[str, Any]:
    return {"bulletin_id": bulletin.bulletin_id, "incident_id": bulletin.incident_id,
            "label": incident.label if incident else "",
            "lat": float(incident.lat) if incident else None,
            "lon": float(incident.lon) if incident else None,
            "text": bulletin.text, "sent_by": bulletin.sent_by_name,
            "sent_at": bulletin.sent_at.isoformat(), "still": bool(bulletin.still_key),
            "recipients": len(bulletin.recipients)}


def push_payload(bulletin: Bulletin) -> dict[str, Any]:
    incident = Incident.find(bulletin.incident_id)
    label = incident.label if incident else "an incident"
    return {"kind": "bulletin", "title": f"Bulletin: {label}"[:120],
            "body": bulletin.text[:200], "url": f"/bulletins/{bulletin.bulletin_id}",
            "tag": f"bulletin-{bulletin.bulletin_id}", "actions": []}
