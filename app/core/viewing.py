"""How long an officer watched a live share, worked out from what the app notes as they watch.

A police player asks for pieces about once a second; the app notes the viewer at most every
NOTE_SECONDS (one write per viewer, not one per ask). What is noted of each viewer (a JSON
object in the share, `app.models.live.LiveShare.viewers`):

    first      when they first opened the share
    opened     when the stretch they are watching now began (absent once they left)
    last       the last ask noted
    watched_s  the length of their stretches already over
    left       when they left (absent while they watch)

A stretch ends when the viewer leaves (their player says so as its page goes away), when the
share ends, or at the last piece they fetched (a tablet that died says nothing), whichever came
first. A viewer not noted for longer than a player's gap between notes (STILL_WATCHING) had
stopped: their stretch ended at their last ask, and asking again starts a new one. The times
are right to within NOTE_SECONDS and one poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

NOTE_SECONDS = 5
NOTE_EVERY = timedelta(seconds=NOTE_SECONDS)
STILL_WATCHING = timedelta(seconds=NOTE_SECONDS + 2)  # a player asks every second

Seen = dict[str, Any]


def _t(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def noted(seen: Seen | None, now: datetime, name: str, role: str) -> Seen:
    """The viewer's entry once they opened the share or asked for pieces at `now`."""
    entry: Seen = dict(seen) if seen else {"first": now.isoformat()}
    entry.setdefault("watched_s", 0.0)
    if "opened" not in entry and "left" not in entry:
        # (noted before stretches were: watching since they first opened it)
        entry["opened"] = entry["first"] if "last" in entry else now.isoformat()
    if "left" in entry:  # back after leaving: a new stretch
        entry.pop("left")
        entry["opened"] = now.isoformat()
    elif now - _t(entry.get("last", now.isoformat())) > STILL_WATCHING:
        # gone quiet without saying so: that stretch ended at their last ask
        entry = {**_ended(entry, _t(entry["last"])), "opened": now.isoformat()}
    entry.update(name=name, role=role, last=now.isoformat())
    return entry


def leaving(seen: Seen, now: datetime) -> Seen:
    """The viewer's entry once they left at `now` (unchanged if they had left already)."""
    if "left" in seen:
        return seen
    last = _t(seen.get("last", now.isoformat()))
    end = now if now - last <= STILL_WATCHING else last
    return {**_ended(seen, end), "left": end.isoformat()}


def _ended(seen: Seen, end: datetime) -> Seen:
    """`seen` with its current stretch closed at `end`."""
    entry = dict(seen)
    opened = _t(entry.pop("opened", entry["first"]))
    entry["watched_s"] = float(entry.get("watched_s", 0.0)) + max(
        (end - opened).total_seconds(), 0.0)
    return entry


@dataclass(frozen=True)
class Session:
    """One viewer's time watching an ended share."""

    start: datetime
    end: datetime
    seconds: float
    until: str  # why it ended, in words: "they left", "the share ended", ...

    def details(self) -> dict[str, Any]:
        """For the live.session audit event (the owner reads it)."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "seconds": round(self.seconds), "watched": duration_words(self.seconds),
                "until": self.until}


def session(seen: Seen, share_ended_at: datetime) -> Session:
    """How long the viewer watched a share that ended at `share_ended_at`."""
    start = _t(seen["first"])
    if "left" in seen:
        end, until = min(_t(seen["left"]), share_ended_at), "they left"
        return Session(start, end, float(seen.get("watched_s", 0.0)), until)
    last = _t(seen.get("last", seen["first"]))
    if share_ended_at - last <= STILL_WATCHING:
        end, until = share_ended_at, "the share ended"
    else:
        end, until = last, "the last piece they fetched"
    return Session(start, end, float(_ended(seen, end)["watched_s"]), until)


def duration_words(seconds: float) -> str:
    """8 s, 2 min 5 s, 1 h 2 min."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
