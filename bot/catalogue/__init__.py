"""The catalogue: what the business sells and the facts travellers ask about.

Items (hotels with rooms, sights, tours, transport services) live in the database
(`bot.catalogue.models`), are loaded by `python -m bot.catalogue import FILE`
(`bot.catalogue.importer`) and read through one facade (`bot.catalogue.queries`).
"""
from __future__ import annotations

from typing import Optional

from bot import knowledge
from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT
from bot.catalogue.search import (  # noqa: F401 - re-exported for the dialogue layer
    TICKET_MODES,
    HotelOffer,
    TicketOffer,
    TourOffer,
    follow_up_in,
    hotel_cities,
    ordinal_in,
    search_hotels,
    search_tickets,
    search_tours,
    split_route,
    ticket_routes,
    tour_destinations,
    tours_with_attraction,
)


def item_kind(item_id: str) -> str:
    """The product kind of a catalogue item (a hotel, a tour, a service code)."""
    if any(h.id == item_id for h in knowledge.hotels()):
        return HOTEL_ROOM
    if any(t.id == item_id for t in knowledge.tours()):
        return TOUR
    return TRANSPORT


def item_name(item_id: str) -> str:
    """A catalogue item's name: the hotel, the tour, or a service's code and route."""
    for hotel in knowledge.hotels():
        if hotel.id == item_id:
            return hotel.name
    for tour in knowledge.tours():
        if tour.id == item_id:
            return tour.name
    service = next((s for s in knowledge.services() if s.code == item_id), None)
    return f"{service.code} {service.from_station}→{service.to_station}" if service else item_id


def product_code(item_id: str, variant: Optional[str] = None) -> str:
    """The store's code of a bookable product: the item, and its room type or fare if any."""
    return f"{item_id}/{variant}" if variant else item_id


def product_name(item_id: str, variant: str = "") -> str:
    """The stored name of a bookable product: the item's name and its room type or fare."""
    return f"{item_name(item_id)} {variant}" if variant else item_name(item_id)
