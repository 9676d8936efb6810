"""Counting a program's figures from the raw tables (app.services.governance.transparency publishes
them).

Per month (the calendar month in the agency's time zone) and per neighbourhood (the geohash-5
cell, about 5 km x 5 km, of a camera's police place or of a request's search point; never
finer): cameras registered, in total and by tier; footage requests sent and their offense
categories; the cameras asked and how their owners answered; the time each owner took to
answer; live shares and their minutes; and police accesses without the owner's consent,
re-checked against the audit log.

`load` reads, at every call: a Scan of the cameras and of the request targets (filtered to the
agency), Queries on the agency indexes of requests and live shares, and Queries on the audit
log's action index for the few actions counted. That is fine at a program's scale (thousands of
cameras, tens of thousands of requests: a few seconds at most); a much bigger program would keep
running totals instead. Only the attributes the figures need are read: never a nickname, a
street, a name, an email or a camera's exact place. `compute` is pure.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.core import footage, geo
from app.core.cameras import TIER_WORDS, TIERS
from app.models.audit import AuditEvent
from app.models.cameras import Camera
from app.models.footage import FootageRequest, RequestTarget
from app.models.live import LiveShare

ALL = "all"
UNKNOWN = "unknown"  # an access whose camera or share is gone from the tables
AREA_PRECISION = 5
OUTCOMES = {
    **{s: "approved" for s in (footage.APPROVED, footage.UPLOADING, footage.PROCESSING,
                               footage.READY, footage.FAILED, footage.DELETED)},
    footage.DECLINED: "declined", footage.NO_FOOTAGE: "no_footage",
    **{s: "unanswered" for s in (footage.ASKED, footage.SEEN, footage.EXPIRED)},
}
CLIP_ACCESS = ("clip.viewed", "clip.downloaded")
LIVE_ACCESS = "live.viewed"
ANSWERS = ("answer.approved", "answer.declined", "answer.no_footage")
# An access is logged a moment after the check that allowed it: a live view logged within this
# much of the share's start or end still counts as inside it.
LOG_GRACE = timedelta(seconds=5)

Key = tuple[str, str, str]  # (month or ALL, area or ALL, figure)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str = "count"  # count, minutes (rests on `basis`), median, consent (never hidden)
    total: str = ""  # the figure this one is a part of: tiers add up to the cameras
    basis: str = ""


def figures_for(offenses: list[str]) -> list[Figure]:
    return [
        Figure("cameras", "Cameras registered"),
        *(Figure(f"tier:{t}", f"Tier: {TIER_WORDS[t]}", total="cameras") for t in TIERS),
        Figure("requests", "Footage requests sent"),
        *(Figure(f"offense:{o}", f"Offense: {footage.OFFENSE_WORDS.get(o, o)}", total="requests")
          for o in offenses),
        Figure("asked", "Cameras asked"),
        Figure("approved", "Approved by the owner", total="asked"),
        Figure("declined", "Declined by the owner", total="asked"),
        Figure("no_footage", "Owner had no footage", total="asked"),
        Figure("unanswered", "Not answered", total="asked"),
        Figure("median_answer", "Median time to answer", kind="median"),
        Figure("live_shares", "Live shares"),
        Figure("live_minutes", "Live minutes shared", kind="minutes", basis="live_shares"),
        Figure("no_consent", "Accesses without the owner's consent", kind="consent"),
    ]


# ---------------------------------------------------------------- reading the tables


@dataclass
class Raw:
    cameras: list[Camera]
    requests: list[FootageRequest]
    targets: list[RequestTarget]
    shares: list[LiveShare]
    answers: dict[str, datetime]  # target id -> the owner's first answer
    accesses: list[AuditEvent]  # police plays, downloads and live views


def load(agency_id: str) -> Raw:
    events = {action: list(AuditEvent.action_index.query(
        action, filter_condition=AuditEvent.agency_id == agency_id))
        for action in (*CLIP_ACCESS, LIVE_ACCESS, *ANSWERS)}
    answers: dict[str, datetime] = {}
    for action in ANSWERS:
        for event in events[action]:
            target_id = str(json.loads(event.details or "{}").get("target_id", ""))
            moment = datetime.fromisoformat(event.at)
            if target_id and (target_id not in answers or moment < answers[target_id]):
                answers[target_id] = moment
    return Raw(
        cameras=list(Camera.scan(Camera.agency_id == agency_id, attributes_to_get=[
            "camera_id", "t", "geohash", "created_at", "source"])),
        requests=list(FootageRequest.agency_index.query(agency_id, attributes_to_get=[
            "request_id", "offense", "lat", "lon", "created_at"])),
        targets=list(RequestTarget.scan(RequestTarget.agency_id == agency_id, attributes_to_get=[
            "target_id", "request_id", "status", "created_at", "updated_at"])),
        shares=list(LiveShare.agency_index.query(agency_id, attributes_to_get=[
            "share_id", "camera_ids", "camera_aliases", "started_at", "ends_at", "ended_at"])),
        answers=answers,
        accesses=[e for action in (*CLIP_ACCESS, LIVE_ACCESS) for e in events[action]])


# ---------------------------------------------------------------- counting


@dataclass
class Tally:
    values: defaultdict[Key, float] = field(default_factory=lambda: defaultdict(float))
    waits: defaultdict[tuple[str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list))  # minutes to answer
    touched: set[tuple[str, str]] = field(default_factory=set)  # (month, area) with anything
    unverifiable: int = 0  # accesses whose details were erased (the owner left)

    def add(self, month: str, area: str, key: str, amount: float = 1.0) -> None:
        self.touched.add((month, area))
        for m in (month, ALL):
            for a in (area, ALL):
                self.values[(m, a, key)] += amount

    def wait(self, month: str, area: str, minutes: float) -> None:
        for m in (month, ALL):
            for a in (area, ALL):
                self.waits[(m, a)].append(minutes)


def area_of(lat: float, lon: float) -> str:
    return geo.geohash(lat, lon, AREA_PRECISION)


def _share_end(share: LiveShare, now: datetime) -> datetime:
    return min(share.ends_at, share.ended_at or share.ends_at, now)


def _answered_at(target: RequestTarget, answers: dict[str, datetime]) -> datetime | None:
    """The owner's first answer; a decline or "no footage" with no readable answer event (its
    details erased) falls back on the target's last change, which that answer was."""
    if OUTCOMES.get(target.status) not in ("approved", "declined", "no_footage"):
        return None
    found = answers.get(target.target_id)
    if found is None and target.status in (footage.DECLINED, footage.NO_FOOTAGE):
        return target.updated_at
    return found


def compute(raw: Raw, zone: ZoneInfo, now: datetime) -> Tally:
    tally = Tally()

    def month(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m")

    camera_area = {c.camera_id: (c.geohash or "")[:AREA_PRECISION] or UNKNOWN for c in raw.cameras}
    for camera in raw.cameras:
        if camera.source == "agency":  # the department's own cameras are not the program's
            continue
        for key in ("cameras", f"tier:{camera.tier}"):
            tally.add(month(camera.created_at), camera_area[camera.camera_id], key)
    placed: dict[str, tuple[str, str, datetime]] = {}
    for request in raw.requests:
        m, a = month(request.created_at), area_of(float(request.lat), float(request.lon))
        placed[request.request_id] = (m, a, request.created_at)
        for key in ("requests", f"offense:{request.offense}"):
            tally.add(m, a, key)
    targets = _count_targets(tally, raw, placed)
    shares: dict[str, tuple[LiveShare, str]] = {}
    for share in raw.shares:
        area = next((camera_area[c] for c in share.camera_ids if c in camera_area), UNKNOWN)
        shares[share.share_id] = (share, area)
        tally.add(month(share.started_at), area, "live_shares")
        minutes = max(0.0, (_share_end(share, now) - share.started_at).total_seconds() / 60)
        tally.add(month(share.started_at), area, "live_minutes", minutes)
    for event in raw.accesses:
        if event.erased_at:
            tally.unverifiable += 1
            continue
        consented, area = _consented(event, targets, shares, now)
        if not consented:
            tally.add(month(datetime.fromisoformat(event.at)), area, "no_consent")
    return tally


def _count_targets(tally: Tally, raw: Raw, placed: dict[str, tuple[str, str, datetime]]
                   ) -> dict[str, tuple[RequestTarget, str]]:
    """Each asked camera counts where and when its request was made."""
    targets: dict[str, tuple[RequestTarget, str]] = {}
    for target in raw.targets:
        if target.request_id not in placed or target.status not in OUTCOMES:
            continue
        m, a, created = placed[target.request_id]
        targets[target.target_id] = (target, a)
        for key in ("asked", OUTCOMES[target.status]):
            tally.add(m, a, key)
        answered = _answered_at(target, raw.answers)
        if answered is not None:
            tally.wait(m, a, max(0.0, (answered - created).total_seconds() / 60))
    return targets


def _consented(event: AuditEvent, targets: dict[str, tuple[RequestTarget, str]],
               shares: dict[str, tuple[LiveShare, str]], now: datetime) -> tuple[bool, str]:
    """Was this police access one the owner had allowed? And in which area was it?

    A play or download: the asked camera's owner approved (whatever became of the clip since).
    A live view: during the owner's share, of cameras in it.
    """
    details = json.loads(event.details or "{}")
    if event.action in CLIP_ACCESS:
        found = targets.get(str(details.get("target_id", "")))
        if found is None:
            return False, UNKNOWN
        return OUTCOMES.get(found[0].status) == "approved", found[1]
    shared = shares.get(str(details.get("share", "")))
    if shared is None:
        return False, UNKNOWN
    share, area = shared
    at = datetime.fromisoformat(event.at)
    inside = share.started_at - LOG_GRACE <= at <= _share_end(share, now) + LOG_GRACE
    cameras = {str(c) for c in details.get("cameras") or []}
    # Police's events name the cameras by their aliases in the share (older ones by id).
    return inside and cameras <= {*share.camera_ids, *(share.camera_aliases or [])}, area
