"""The catalogue facade: one method per question the dialogue asks of the catalogue.

Every method is an indexed query on the catalogue tables (``bot.catalogue.models``) of
the booking database (``DATABASE_URL``, SQLite by default), returning the frozen values
of ``bot.catalogue.items``. Synchronous: actions call it from a worker thread.

CONTRACT SKELETON: the signatures below are what the dialogue layer codes against;
the implementation replaces the ``NotImplementedError`` bodies.
"""
from __future__ import annotations

from datetime import date
from typing import List, Optional, Sequence, Tuple

from bot.catalogue.items import (
    District,
    Hotel,
    HotelQuery,
    NameMatch,
    Service,
    ServiceQuery,
    Sight,
    SightQuery,
    Tour,
    TourQuery,
)


class Catalogue:
    """Reads the catalogue tables. ``Catalogue()`` uses ``DATABASE_URL``."""

    def __init__(self, url: Optional[str] = None) -> None:
        raise NotImplementedError

    # --- coverage ------------------------------------------------------------------

    def hotel_cities(self) -> List[str]:
        """Cities with at least one hotel, sorted."""
        raise NotImplementedError

    def sight_cities(self) -> List[str]:
        raise NotImplementedError

    def tour_destinations(self) -> List[str]:
        """Cities a tour goes to or departs from."""
        raise NotImplementedError

    def routes(self, modes: Sequence[str] = ()) -> List[Tuple[str, str]]:
        """(origin, destination) pairs with at least one service of those modes."""
        raise NotImplementedError

    def destinations_from(self, origin: str, modes: Sequence[str] = ()) -> List[str]:
        """Where services go from ``origin`` (for "no 上海→拉萨 flight; we fly to ...")."""
        raise NotImplementedError

    def districts(self, city: str) -> List[District]:
        raise NotImplementedError

    def district_named(self, text: str) -> Optional[District]:
        """A district by name or alias (浦东 → 上海 浦东新区); None if unknown or ambiguous
        without a city."""
        raise NotImplementedError

    # --- items by id ---------------------------------------------------------------

    def hotel(self, hotel_id: str) -> Optional[Hotel]:
        raise NotImplementedError

    def sight(self, sight_id: str) -> Optional[Sight]:
        raise NotImplementedError

    def tour(self, tour_id: str) -> Optional[Tour]:
        raise NotImplementedError

    def service(self, code: str) -> Optional[Service]:
        raise NotImplementedError

    def item_kind(self, item_id: str) -> Optional[str]:
        """hotel / sight / tour / service for an id or service code; None if unknown."""
        raise NotImplementedError

    # --- names in a message --------------------------------------------------------

    def named_in(self, text: str, kinds: Sequence[str] = (), city: Optional[str] = None) -> List[NameMatch]:
        """Items and districts named in ``text`` (already normalised to Simplified):
        full names, aliases, distinctive parts (栖云酒店 for 成都宽窄巷子栖云酒店) and
        pinyin-equal typos (如佳 for 如家). Longest, exact matches first; ``city``
        prefers items there when a part-name is ambiguous."""
        raise NotImplementedError

    def landmark(self, name: str, city: Optional[str] = None) -> Optional[Sight]:
        """A sight usable as "near X" (故宫附近): by name or alias."""
        raise NotImplementedError

    # --- searches ------------------------------------------------------------------

    def find_hotels(self, query: HotelQuery) -> List[Hotel]:
        raise NotImplementedError

    def count_hotels(self, query: HotelQuery) -> int:
        raise NotImplementedError

    def find_sights(self, query: SightQuery) -> List[Sight]:
        raise NotImplementedError

    def find_tours(self, query: TourQuery) -> List[Tour]:
        raise NotImplementedError

    def find_services(self, query: ServiceQuery) -> List[Service]:
        raise NotImplementedError

    def nearby_sights(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Sight, float]]:
        """Sights around a point with their distance in km, nearest first."""
        raise NotImplementedError

    def nearby_hotels(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Hotel, float]]:
        raise NotImplementedError

    def seats_left(self, code: str, fare_class: str, day: date) -> int:
        """Seats of that class still on sale on that day (the booking store's inventory)."""
        raise NotImplementedError


def catalogue() -> Catalogue:
    """The process's catalogue facade (one connection pool per process)."""
    raise NotImplementedError
