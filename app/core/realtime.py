"""What police may do with a camera during an incident in progress, in plain words. Pure: no I/O.

Every answer comes from the owner's rules through `app.core.sharing.live_decision` (the one
gate for live video); this module only adds what the operator's screen needs around it: which
way the camera is from the scene, and what can be had from it now:

- **live now**: the owner shares it now (their own share), or it is an "always" camera inside
  its schedule whose bridge is online: police open it themselves;
- **live on the owner's tap**: an "on alert" camera (or an "always" one outside its schedule):
  police may ask the owner, whose phone asks them to share; nothing opens without their tap;
- **ask for footage later**: anything else (shared on request, paused, its bridge offline): a
  footage request, as after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.roles import N_
from app.core.sharing import Decision, Rules, live_decision
from app.core.texts import gettext

LIVE_NOW, ON_TAP, LATER = "live", "ask", "later"
# English, marked with N_: translated where shown (gettext).
WORDS = {LIVE_NOW: N_("Live now"), ON_TAP: N_("Live on the owner's tap"),
         LATER: N_("Ask for footage later")}
COMPASS = (N_("north"), N_("north-east"), N_("east"), N_("south-east"), N_("south"),
           N_("south-west"), N_("west"), N_("north-west"))


def compass(bearing_deg: float) -> str:
    """A bearing in words: the nearest of the eight compass points."""
    return COMPASS[int(((bearing_deg % 360) + 22.5) // 45) % 8]


def where_from_scene(distance_m: int, bearing_deg: float) -> str:
    """"120 m north-east" (of the scene); "at the scene" within a few metres (in the
    request's language)."""
    if distance_m < 5:
        return gettext("at the scene")
    return gettext("%(distance)s m %(direction)s", distance=distance_m,
                   direction=gettext(compass(bearing_deg)))


@dataclass(frozen=True)
class Availability:
    kind: str  # LIVE_NOW, ON_TAP or LATER
    reason: str  # plain words: why, from the owner's rules

    @property
    def words(self) -> str:
        return WORDS[self.kind]


def police_view(rules: Rules, viewer_agency: str, moment: datetime, zone: str,
                bridge_online: bool) -> Decision:
    """May police open this camera live themselves, now (no share of the owner's)? Only an
    "always" camera inside its schedule, whose bridge is there to send the video."""
    decision = live_decision(rules, viewer_agency, moment, zone)
    if decision.allowed and not bridge_online:
        return Decision(False, "The owner's bridge for this camera is offline.")
    return decision


def availability(rules: Rules, viewer_agency: str, moment: datetime, zone: str, *,
                 bridge_online: bool, owner_sharing_until: datetime | None) -> Availability:
    """What the operator's screen says of one camera now."""
    if owner_sharing_until is not None and owner_sharing_until > moment:
        shared = live_decision(rules, viewer_agency, moment, zone,
                               alert_ends_at=owner_sharing_until)
        if shared.allowed:
            return Availability(LIVE_NOW, shared.reason)
    opened = police_view(rules, viewer_agency, moment, zone, bridge_online)
    if opened.allowed:
        return Availability(LIVE_NOW, opened.reason)
    if rules.agency_id == viewer_agency and not rules.paused and rules.tier in (
            "on_alert", "always"):
        return Availability(ON_TAP, opened.reason)
    return Availability(LATER, opened.reason)
