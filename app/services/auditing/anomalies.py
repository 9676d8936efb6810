"""Anomaly flags for auditors: patterns in police reads that deserve a second look.

A flag is not a finding of misconduct. It names the pattern in plain words, gives the numbers,
and lists the events behind it, so that an auditor can open them and ask. The rules are pure
functions over lists of events (`Seen`), tested without a database; `review` loads a program's
chain for a period and runs them.

The thresholds, each a named constant below:

- **Searches without a later request**: a registry search whose case number no footage request
  (by anyone in the program) names from REQUEST_LOOKBACK before the search to FOLLOW_UP after
  it. A request made earlier for the same case counts: a detective who searches again to add
  cameras to a case is following it up. Flagged per person at UNFOLLOWED_MIN such searches.
- **Off-hours bursts**: BURST_MIN or more searches, map views or clip plays by one person
  between OFF_HOURS (00:00 to 05:00, the program's time zone) within any BURST_WINDOW.
- **Repeated searches around one place**: SAME_PLACE_MIN or more searches by one person whose
  centres all lie within SAME_PLACE_M of each other, on more than one day or under more than
  one case number (one search refined a few times for one case is ordinary). Refused searches
  and refused footage requests count too: a probe that was refused still looked at the place.
- **Live access after a share ended**: AFTER_END_VIEWS_MIN live view of a share later than its
  end (the system should make that impossible), or AFTER_END_ATTEMPTS_MIN refused attempts to
  open a share that had ended (one or two are what a detective whose page was open when the
  share ended does).
- **Reading far more than peers**: a police user's reads (searches, map views, registry
  exports, clip plays, package downloads, live views, and refused queries of these kinds)
  above PEER_FACTOR times the median of the *other* police users who read anything in the
  period, and at least PEER_READS_MIN. The person is left out of their own median, so that one
  heavy reader among two is still seen.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core import geo, roles
from app.core.audit_words import words_for
from app.models.audit import AuditEvent
from app.services import clock
from app.services.auditing import audit
from app.services.governance.policy import policy_for
from app.services.realtime.police import SHARE_ENDED

FOLLOW_UP = timedelta(days=7)
REQUEST_LOOKBACK = timedelta(days=30)
UNFOLLOWED_MIN = 3
OFF_HOURS = (0, 5)  # local hours, [start, end)
BURST_WINDOW = timedelta(hours=2)
BURST_MIN = 10
SAME_PLACE_M = 100.0
SAME_PLACE_MIN = 3
AFTER_END_VIEWS_MIN = 1
AFTER_END_ATTEMPTS_MIN = 3
PEER_FACTOR = 3
PEER_READS_MIN = 20

SEARCHED = "registry.searched"
REQUESTED = "request.created"
# Refused police queries (app.web.queries): what was asked is under details["asked"].
SEARCH_REFUSED, REQUEST_REFUSED = "registry.search_refused", "request.create_refused"
REFUSED_QUERIES = frozenset({SEARCH_REFUSED, REQUEST_REFUSED, "registry.view_refused",
                             "registry.export_refused"})
PLACE_ACTIONS = frozenset({SEARCHED, SEARCH_REFUSED, REQUEST_REFUSED})
LIVE_VIEWED, LIVE_REFUSED, LIVE_ENDED = "live.viewed", "live.refused", "live.ended"
# A refused live view of a share that had ended records this reason; earlier versions recorded
# the second, and the log keeps every event as it was written.
ENDED_REASONS = frozenset({SHARE_ENDED, "ended or another agency"})
OFF_HOURS_ACTIONS = frozenset({SEARCHED, "registry.viewed", "clip.viewed", SEARCH_REFUSED,
                               "registry.view_refused"})
READ_ACTIONS = frozenset({SEARCHED, "registry.viewed", "registry.exported", "clip.viewed",
                          "clip.downloaded", LIVE_VIEWED, *REFUSED_QUERIES})
# Read from before the period too: a search is matched against earlier requests, and a view
# against the end of its share.
CONTEXT_ACTIONS = (REQUESTED, LIVE_ENDED)

PERIODS = {"24h": ("the last 24 hours", timedelta(hours=24)),
           "7d": ("the last 7 days", timedelta(days=7)),
           "30d": ("the last 30 days", timedelta(days=30))}
DEFAULT_PERIOD = "7d"


@dataclass(frozen=True, eq=False)
class Seen:
    """One audit event, as the rules read it."""

    chain: str
    seq: int
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    subject_id: str = "-"
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> tuple[str, int]:
        return self.chain, self.seq

    @property
    def asked(self) -> Mapping[str, Any]:
        """What a refused query asked (app.web.queries), or nothing."""
        asked = self.details.get("asked")
        return asked if isinstance(asked, dict) else {}

    @property
    def case(self) -> str:
        return str(self.details.get("case") or self.asked.get("case_number") or "").strip()

    def place(self) -> tuple[float, float] | None:
        source = self.details if "lat" in self.details else self.asked
        lat, lon = source.get("lat"), source.get("lon")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return float(lat), float(lon)
        return None

    @classmethod
    def of(cls, event: AuditEvent) -> Seen:
        try:
            details = json.loads(event.details or "{}")
        except ValueError:
            details = {}
        return cls(event.chain, int(event.seq), datetime.fromisoformat(event.at), event.actor_id,
                   event.actor_role, event.action, event.subject_id,
                   details if isinstance(details, dict) else {})


@dataclass(frozen=True)
class Flag:
    kind: str
    title: str
    actor_id: str
    reason: str
    events: tuple[Seen, ...]

    @property
    def refs(self) -> list[tuple[str, int]]:
        return [e.ref for e in self.events]


@dataclass(frozen=True)
class Check:
    kind: str
    title: str
    rule: str


CHECKS = (
    Check("unfollowed", "Searches without a later footage request",
          f"{UNFOLLOWED_MIN} or more registry searches by one person under case numbers that no "
          f"footage request named, from {REQUEST_LOOKBACK.days} days before a search to "
          f"{FOLLOW_UP.days} days after it."),
    Check("off_hours", "Burst of reads at night",
          f"{BURST_MIN} or more searches, map views or clip plays by one person between "
          f"{OFF_HOURS[0]:02d}:00 and {OFF_HOURS[1]:02d}:00 (the program's time zone) within "
          f"{BURST_WINDOW.seconds // 3600} hours."),
    Check("same_place", "Repeated searches around one place",
          f"{SAME_PLACE_MIN} or more searches (refused ones and refused footage requests too) by "
          f"one person centred within {SAME_PLACE_M:g} m of each other, on more than one day or "
          "under more than one case number."),
    Check("after_end", "Live video opened after the share ended",
          f"A live view of a share after it ended, or {AFTER_END_ATTEMPTS_MIN} or more refused "
          "attempts by one person to open shares that had ended."),
    Check("heavy_reader", "Reading far more than peers",
          f"More than {PEER_FACTOR} times the median reads of the other police users who read "
          f"anything in the period, and at least {PEER_READS_MIN} reads."),
)
TITLES = {c.kind: c.title for c in CHECKS}


def _by_actor(events: Iterable[Seen]) -> dict[str, list[Seen]]:
    grouped: dict[str, list[Seen]] = defaultdict(list)
    for event in events:
        grouped[event.actor_id].append(event)
    return {k: sorted(v, key=lambda e: e.at) for k, v in grouped.items()}


def _flag(kind: str, actor_id: str, reason: str, events: Iterable[Seen]) -> Flag:
    return Flag(kind, TITLES[kind], actor_id, reason,
                tuple(sorted(events, key=lambda e: (e.at, e.seq))))


def _listed(values: Iterable[str], most: int = 5) -> str:
    items = sorted({v or "(none)" for v in values})
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")


# ---------------------------------------------------------------- the rules


def unfollowed_searches(events: Sequence[Seen], since: datetime, now: datetime) -> list[Flag]:
    asked: dict[str, list[datetime]] = defaultdict(list)
    for event in events:
        if event.action == REQUESTED and event.case:
            asked[event.case.casefold()].append(event.at)

    def followed(search: Seen) -> bool:
        return any(search.at - REQUEST_LOOKBACK <= at <= search.at + FOLLOW_UP
                   for at in asked.get(search.case.casefold(), ()))

    flags = []
    searches = (e for e in events if e.action == SEARCHED and e.at >= since)
    for actor_id, mine in _by_actor(searches).items():
        missing = [s for s in mine if not followed(s)]
        if len(missing) < UNFOLLOWED_MIN:
            continue
        young = sum(1 for s in missing if now - s.at < FOLLOW_UP)
        reason = (f"{len(missing)} of {len(mine)} registry searches were under case numbers "
                  f"that no footage request named ({_listed(s.case for s in missing)}).")
        if young:
            reason += (f" {young} of them are less than {FOLLOW_UP.days} days old, so a "
                       "request may still follow.")
        flags.append(_flag("unfollowed", actor_id, reason, missing))
    return flags


def _bursts(times: Sequence[datetime]) -> list[tuple[int, int, int]]:
    """(first, last, peak) index ranges of events in bursts: BURST_MIN or more within any
    BURST_WINDOW; peak is the most seen within one window."""
    marked, peak = [False] * len(times), [0] * len(times)
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] > BURST_WINDOW:
            start += 1
        if end - start + 1 >= BURST_MIN:
            for i in range(start, end + 1):
                marked[i] = True
                peak[i] = max(peak[i], end - start + 1)
    found: list[tuple[int, int, int]] = []
    for i in (i for i, hit in enumerate(marked) if hit):
        if found and found[-1][1] == i - 1 and times[i] - times[i - 1] <= BURST_WINDOW:
            first, _last, top = found[-1]
            found[-1] = (first, i, max(top, peak[i]))
        else:
            found.append((i, i, peak[i]))
    return found


def off_hours_bursts(events: Sequence[Seen], zone: tzinfo, since: datetime) -> list[Flag]:
    def at_night(event: Seen) -> bool:
        return OFF_HOURS[0] <= event.at.astimezone(zone).hour < OFF_HOURS[1]

    reads = (e for e in events
             if e.action in OFF_HOURS_ACTIONS and e.at >= since and at_night(e))
    flags = []
    for actor_id, mine in _by_actor(reads).items():
        for first, last, peak in _bursts([e.at for e in mine]):
            burst = mine[first:last + 1]
            start, end = burst[0].at.astimezone(zone), burst[-1].at.astimezone(zone)
            reason = (f"{len(burst)} searches, map views or clip plays between {start:%H:%M} "
                      f"and {end:%H:%M} on {start:%a %d %b %Y} ({zone} time); {peak} of "
                      f"them within {BURST_WINDOW.seconds // 3600} hours.")
            flags.append(_flag("off_hours", actor_id, reason, burst))
    return flags


def _near(a: Seen, b: Seen) -> bool:
    pa, pb = a.place(), b.place()
    return pa is not None and pb is not None and geo.distance_m(*pa, *pb) <= SAME_PLACE_M


def repeated_places(events: Sequence[Seen], zone: tzinfo, since: datetime) -> list[Flag]:
    searches = (e for e in events if e.action in PLACE_ACTIONS and e.at >= since and e.place())
    flags = []
    for actor_id, mine in _by_actor(searches).items():
        used: set[tuple[str, int]] = set()
        for anchor in mine:
            if anchor.ref in used:
                continue
            group = [anchor]
            for other in mine:
                if other.ref not in used and other is not anchor and all(
                        _near(other, g) for g in group):
                    group.append(other)
            days = {e.at.astimezone(zone).date() for e in group}
            cases = {e.case.casefold() for e in group}
            if len(group) < SAME_PLACE_MIN or (len(days) < 2 and len(cases) < 2):
                continue
            used.update(e.ref for e in group)
            lat, lon = anchor.place() or (0.0, 0.0)
            reason = (f"{len(group)} searches centred within {SAME_PLACE_M:g} m of each other "
                      f"(around {lat:.5f}, {lon:.5f}) on {len(days)} day(s) under "
                      f"{len(cases)} case number(s): {_listed(e.case for e in group)}.")
            flags.append(_flag("same_place", actor_id, reason, group))
    return flags


def access_after_end(events: Sequence[Seen], since: datetime) -> list[Flag]:
    ended: dict[str, Seen] = {}
    for event in sorted(events, key=lambda e: e.at):
        share = str(event.details.get("share") or "")
        if event.action == LIVE_ENDED and share:
            ended.setdefault(share, event)
    views: dict[str, list[Seen]] = defaultdict(list)
    tries: dict[str, list[Seen]] = defaultdict(list)
    for event in events:
        if event.at < since:
            continue
        end = ended.get(str(event.details.get("share") or ""))
        if event.action == LIVE_VIEWED and end is not None and event.at > end.at:
            views[event.actor_id].append(event)
        elif event.action == LIVE_REFUSED and str(event.details.get("reason")) in ENDED_REASONS:
            tries[event.actor_id].append(event)
    flags = []
    for actor_id in sorted(set(views) | set(tries)):
        seen, refused = views.get(actor_id, []), tries.get(actor_id, [])
        if len(seen) < AFTER_END_VIEWS_MIN and len(refused) < AFTER_END_ATTEMPTS_MIN:
            continue
        parts = []
        if seen:
            parts.append(f"{len(seen)} live view(s) of a share after it had ended")
        if refused:
            parts.append(f"{len(refused)} refused attempt(s) to open a share that had ended")
        shares = {str(e.details.get("share")) for e in seen + refused}
        ends = [ended[s] for s in sorted(shares) if s in ended]
        reason = "; ".join(parts) + f" ({len(shares)} share(s))."
        flags.append(_flag("after_end", actor_id, reason, [*seen, *refused, *ends]))
    return flags


def heavy_readers(events: Sequence[Seen], since: datetime) -> list[Flag]:
    reads = [e for e in events if e.action in READ_ACTIONS and e.at >= since
             and e.actor_role in roles.POLICE_ROLES]
    counts = Counter(e.actor_id for e in reads)
    flags = []
    for actor_id, mine in _by_actor(reads).items():
        peers = [n for other, n in counts.items() if other != actor_id]
        if not peers or len(mine) < PEER_READS_MIN:
            continue
        median = statistics.median(peers)
        if len(mine) <= PEER_FACTOR * median:
            continue
        kinds = Counter(e.action for e in mine)
        reason = (f"{len(mine)} reads in the period ({_kinds(kinds)}); the {len(peers)} other "
                  f"police user(s) who read anything read a median of {median:g}.")
        flags.append(_flag("heavy_reader", actor_id, reason, mine))
    return flags


def _kinds(kinds: Counter[str]) -> str:
    return ", ".join(f"{n} × {words_for(a).lower()}" for a, n in kinds.most_common())


def find(events: Sequence[Seen], zone: tzinfo, since: datetime, now: datetime) -> list[Flag]:
    """Every flag over the events (those before `since` are context only), in CHECKS order."""
    return [*unfollowed_searches(events, since, now), *off_hours_bursts(events, zone, since),
            *repeated_places(events, zone, since), *access_after_end(events, since),
            *heavy_readers(events, since)]


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class Review:
    period: str
    label: str
    since: datetime
    until: datetime
    zone: str
    checked: int  # events of the period read
    flags: list[Flag]


def zone_of(agency_id: str) -> tzinfo:
    try:
        return ZoneInfo(policy_for(agency_id).timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _period_events(chain: str, since: str) -> list[Seen]:
    found = []
    for event in AuditEvent.query(chain, scan_index_forward=False):
        if event.at < since:
            break
        found.append(Seen.of(event))
    return found[::-1]


def _context_events(chain: str, since: datetime) -> list[Seen]:
    window = AuditEvent.at.between(clock.iso(since - REQUEST_LOOKBACK), clock.iso(since))
    return [Seen.of(e) for action in CONTEXT_ACTIONS
            for e in AuditEvent.action_index.query(action, window)
            if e.chain == chain and e.at < clock.iso(since)]


def review(agency_id: str, period: str = DEFAULT_PERIOD, now: datetime | None = None
           ) -> Review:
    """Run every rule over one program's events of the period."""
    now = now or clock.now()
    label, span = PERIODS[period]
    since = now - span
    chain = audit.chain_for(agency_id)
    events = _period_events(chain, clock.iso(since))
    zone = zone_of(agency_id)
    flags = find([*_context_events(chain, since), *events], zone, since, now)
    return Review(period, label, since, now, str(zone), len(events), flags)
