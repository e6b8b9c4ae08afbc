"""The catalogue: what the business sells and the facts travellers ask about.

Items (hotels with rooms, sights, tours, transport services) live in the database
(`bot.catalogue.models`), are loaded by `python -m bot.catalogue import FILE`
(`bot.catalogue.importer`) and read through one facade (`bot.catalogue.queries`).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT
from bot.catalogue import items
from bot.catalogue.queries import catalogue
from bot.catalogue.search import (  # noqa: F401 - re-exported for the dialogue layer
    follow_up_in,
    ordinal_in,
    split_route,
)

# The booking store's product kind of each kind of catalogue item.
PRODUCT_KIND = {items.HOTEL: HOTEL_ROOM, items.TOUR: TOUR, items.SERVICE: TRANSPORT}


def item_kind(item_id: str) -> str:
    """The product kind of a catalogue item (a hotel, a tour, a service code)."""
    return PRODUCT_KIND.get(catalogue().item_kind(item_id) or items.SERVICE, TRANSPORT)


def item_name(item_id: str) -> str:
    """A catalogue item's name: the hotel, the tour, or a service's code and route."""
    facade = catalogue()
    kind = facade.item_kind(item_id)
    if kind == items.HOTEL:
        hotel = facade.hotel(item_id)
        return hotel.name if hotel else item_id
    if kind == items.TOUR:
        tour = facade.tour(item_id)
        return tour.name if tour else item_id
    service = facade.service(item_id) if kind == items.SERVICE else None
    return f"{service.code} {service.from_station}→{service.to_station}" if service else item_id


def product_code(item_id: str, variant: Optional[str] = None) -> str:
    """The store's code of a bookable product: the item, and its room type or fare if any."""
    return f"{item_id}/{variant}" if variant else item_id


def product_name(item_id: str, variant: str = "") -> str:
    """The stored name of a bookable product: the item's name and its room type or fare."""
    return f"{item_name(item_id)} {variant}" if variant else item_name(item_id)


def hotel_cities() -> List[str]:
    """Cities with at least one hotel."""
    return catalogue().hotel_cities()


def tour_destinations() -> List[str]:
    """Cities a tour goes to or departs from."""
    return catalogue().tour_destinations()


def ticket_routes() -> List[Tuple[str, str]]:
    """(origin, destination) pairs with at least one service."""
    return catalogue().routes()
