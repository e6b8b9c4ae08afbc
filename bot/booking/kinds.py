"""Product kinds and the days a booking of each kind spans: defined here once.

The store (inventory held, prices), the seed (past demo trips), the policy (which rule
applies) and the dialogue (dates asked for, the stay shown) all follow these rules, so
a hotel stay means the same number of nights everywhere.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import List, Optional, Tuple

HOTEL_ROOM = "hotel_room"
TOUR = "tour"
TRANSPORT = "transport"
PRODUCT_KINDS = (HOTEL_ROOM, TOUR, TRANSPORT)


def nights(start: date, end: date) -> int:
    """Nights of a hotel stay from check-in to check-out."""
    return (end - start).days


def stay_end(start: date, nights_: int) -> date:
    """The check-out day of a stay of ``nights_`` nights from ``start``."""
    return start + timedelta(days=nights_)


def span(kind: str, duration_days: int, start: date, end: Optional[date] = None) -> Tuple[date, date]:
    """(first, last) day of a booking: a stay runs to its check-out ``end``, a tour lasts
    ``duration_days``, a ticket is its departure day. ``end`` is used for stays only."""
    if kind == HOTEL_ROOM:
        if end is None or end <= start:
            raise ValueError("a hotel stay needs a check-out date after check-in")
        return start, end
    if kind == TOUR:
        return start, start + timedelta(days=duration_days - 1)
    return start, start


def held_days(kind: str, start: date, end: date) -> List[date]:
    """The inventory days a booking occupies: each night for hotels, the departure otherwise."""
    if kind == HOTEL_ROOM:
        return [start + timedelta(days=n) for n in range(nights(start, end))]
    return [start]


def priced_units(kind: str, start: date, end: date) -> int:
    """How many times the unit price is charged: per night for stays, once otherwise."""
    return len(held_days(kind, start, end))


def per_room(kind: str) -> bool:
    """Whether a booking of ``kind`` is counted in rooms rather than in travellers."""
    return kind == HOTEL_ROOM


def rooms_needed(guests: int, max_guests: Optional[int]) -> int:
    """The fewest rooms that sleep ``guests`` when each room sleeps ``max_guests`` (2 when
    the catalogue does not say): the store books no fewer, the dialogue explains why."""
    return math.ceil(guests / (max_guests or 2))
