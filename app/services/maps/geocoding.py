"""Address search for the incident map: typed text in, a few candidate places out. Audited.

Two geocoders behind one small interface:

- On AWS, an Amazon Location Service place index (`Settings.place_index`, made by the stack):
  SearchPlaceIndexForText, biased to the program's centre and kept to its country. The index
  is made for single use: results are shown, never stored (DEPLOY.md).
- Elsewhere, the program's street list (app.services.maps.basemap): in devstack, the streets its
  registry is seeded on. Never the registry itself: camera addresses are owners' data, and an
  approximate or hidden camera's address would tell police what its owner keeps back
  (docs/privacy.md).

Every lookup is a police query: answered ones are `place.geocoded` events here, refused ones
`place.geocode_refused` (app.web.queries), with the text asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from app.aws import aws_client
from app.config import Settings
from app.core import roles, streets
from app.core.errors import ForbiddenError, UnavailableError, ValidationError
from app.core.streets import Place
from app.core.texts import gettext
from app.models.users import User
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.maps import basemap

MIN_TEXT, MAX_TEXT = 3, 120


class Geocoder(Protocol):
    @property
    def name(self) -> str: ...

    def find(self, text: str, near: tuple[float, float] | None) -> list[Place]: ...


@dataclass(frozen=True)
class PlaceIndex:
    """Amazon Location Service: a place index searched by text."""

    client: Any
    index: str
    country: str
    name: str = "place-index"

    def find(self, text: str, near: tuple[float, float] | None) -> list[Place]:
        ask: dict[str, Any] = {"IndexName": self.index, "Text": text,
                               "FilterCountries": [self.country],
                               "MaxResults": streets.MAX_CANDIDATES}
        if near is not None:
            ask["BiasPosition"] = [near[1], near[0]]  # longitude first, as GeoJSON
        try:
            answer = self.client.search_place_index_for_text(**ask)
        except (ClientError, BotoCoreError) as exc:
            raise UnavailableError("Address search is not answering; try again, or tap the "
                                   "map.") from exc
        places = []
        for result in answer.get("Results", []):
            place = result.get("Place", {})
            lon, lat = place.get("Geometry", {}).get("Point", [None, None])
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                places.append(Place(str(place.get("Label") or text), float(lat), float(lon)))
        return places


@dataclass(frozen=True)
class StreetNames:
    """The program's street list, searched by words."""

    places: list[Place]
    name: str = "street-list"

    def find(self, text: str, near: tuple[float, float] | None) -> list[Place]:
        return streets.find(self.places, text, near)


def geocoder(settings: Settings) -> Geocoder:
    if settings.place_index:
        return PlaceIndex(aws_client(settings, "location"), settings.place_index,
                          settings.geocode_country)
    found = basemap.street_list(settings)
    if found is None:
        raise UnavailableError("Address search is not set up for this program (DEPLOY.md, "
                               "\"Your map\"); tap the map or type the latitude and longitude.")
    return StreetNames(found.places)


def check_text(data: dict[str, Any]) -> str:
    text = " ".join(str(data.get("q") or "").split())
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise ValidationError(gettext("Type an address or two streets that cross."),
                              {"q": gettext("Type %(min)s to %(max)s characters, like "
                                            "\"5th Ave N & Church St\".", min=MIN_TEXT,
                                            max=MAX_TEXT)})
    return text


def look_up(settings: Settings, officer: User, text: str, ip: str) -> list[Place]:
    """Candidate places for what a detective typed, nearest the program's centre first."""
    if officer.role not in (roles.DETECTIVE, roles.SUPERVISOR):
        raise ForbiddenError("Only detectives and supervisors search for places.")
    source = geocoder(settings)
    places = source.find(text, basemap.centre(officer.agency_id))
    audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip), "place.geocoded",
                 "-", {"text": text, "found": len(places), "source": source.name})
    return places
