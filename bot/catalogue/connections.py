"""One-change connections when a route has no direct service ("九江到杭州" with no train,
flight or bus between them): a first leg to a hub the catalogue serves and an onward leg
that leaves the hub after the first one arrives, on a day both run.

Pure functions over the services the facade reads (``Catalogue.connections``), so the
pairing rule is tested without a database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from bot.catalogue.items import Service

NEXT_DAY = "+1"
# Getting from one station to another across the hub (a train station to the airport), or
# checking in for an onward flight, takes longer than changing platforms.
STATION_CHANGE_MINUTES = 60


@dataclass(frozen=True)
class Connection:
    """Two services that make one trip: ``first`` to ``hub``, then ``second`` onward."""

    first: Service
    second: Service
    change_minutes: int

    @property
    def hub(self) -> str:
        return self.first.destination

    @property
    def total_minutes(self) -> int:
        return minutes_of(self.second.arrive) - minutes_of(self.first.depart)


def minutes_of(clock: str) -> int:
    """"HH:MM" (with "+1" for the next day) as minutes after midnight of the first day."""
    next_day = clock.endswith(NEXT_DAY)
    hours, _, minutes = clock.removesuffix(NEXT_DAY).partition(":")
    return int(hours) * 60 + int(minutes or 0) + (24 * 60 if next_day else 0)


def common_day(first: Service, second: Service, weekday: Optional[int]) -> bool:
    """Both legs run on the day asked for, or (no day said) on at least one same weekday."""
    if weekday is not None:
        return weekday in first.weekdays and weekday in second.weekdays
    return bool(set(first.weekdays) & set(second.weekdays))


def change_needed(first: Service, second: Service, min_change_minutes: int) -> int:
    """The least time at the hub between the two legs: more when the onward leg leaves
    from another station or is a flight."""
    across = first.to_station != second.from_station or second.mode == "flight"
    return min_change_minutes + (STATION_CHANGE_MINUTES if across else 0)


def pair_legs(first_legs: Iterable[Service], onward_legs: Sequence[Service], min_change_minutes: int,
              weekday: Optional[int] = None) -> List[Connection]:
    """Every same-day pair whose onward leg leaves the hub at least ``min_change_minutes``
    (at the same station; more across the hub, :func:`change_needed`) after the first leg
    arrives there; earliest arrival first, then the shortest trip."""
    found = []
    for first in first_legs:
        if first.arrive.endswith(NEXT_DAY):
            continue  # an overnight first leg would need a second day's timetable
        arrives = minutes_of(first.arrive)
        for second in onward_legs:
            if second.origin != first.destination:
                continue
            change = minutes_of(second.depart) - arrives
            if change >= change_needed(first, second, min_change_minutes) and common_day(first, second, weekday):
                found.append(Connection(first, second, change))
    found.sort(key=arrival_order)
    return found


def arrival_order(connection: Connection) -> Tuple[int, int, str, str]:
    """Earliest arrival first, then the shortest trip (hub and code keep the order stable)."""
    return (minutes_of(connection.second.arrive), connection.total_minutes, connection.hub,
            connection.first.code)


def best_per_hub(connections: Sequence[Connection], limit: int) -> List[Connection]:
    """The best connection through each hub, best hubs first, at most ``limit``."""
    chosen: List[Connection] = []
    for connection in connections:
        if all(c.hub != connection.hub for c in chosen):
            chosen.append(connection)
    return chosen[:limit]
