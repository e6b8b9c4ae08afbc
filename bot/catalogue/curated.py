"""The curated YAML catalogue (knowledge_base/catalogue/{hotels,tours,transport}.yml) as
import rows, until the generated demo folder replaces it.

The same ids, names and prices; the districts are those the hotels name; seats per day
are the ones the seed used before inventory was made on demand.
"""
from __future__ import annotations

from typing import Any, Dict, List

from bot import knowledge
from bot.catalogue.files import PARSERS, Parsed, Row, RowError

SEATS = {"train": 80, "flight": 40, "bus": 45}


def _add(parsed: Parsed, kind: str, where: str, record: Dict[str, Any]) -> None:
    try:
        parsed.rows.setdefault(kind, []).append(Row(kind, where, PARSERS[kind](record)))
    except RowError as error:
        parsed.errors.append(f"{where}: {error}")


def curated_rows() -> Parsed:
    """Districts, hotels, rooms, tours and services of the curated YAML files."""
    parsed = Parsed(rows={}, errors=[])
    districts = sorted({(h.city, h.district) for h in knowledge.hotels() if h.district})
    for city, name in districts:
        _add(parsed, "districts", f"hotels.yml {city}/{name}", dict(city=city, name=name))
    for hotel in knowledge.hotels():
        where = f"hotels.yml {hotel.id}"
        _add(parsed, "hotels", where, dict(
            id=hotel.id, name=hotel.name, city=hotel.city, district=hotel.district,
            address=hotel.address, stars=hotel.stars, rating=hotel.rating, brand=hotel.brand,
            tags=list(hotel.tags), breakfast_included=hotel.breakfast_included, demo=True))
        for room in hotel.rooms:
            _add(parsed, "rooms", where, dict(hotel_id=hotel.id, type=room.type, price=room.price,
                                              max_guests=room.max_guests, bed=room.bed,
                                              breakfast=hotel.breakfast_included))
    for tour in knowledge.tours():
        _add(parsed, "tours", f"tours.yml {tour.id}", dict(
            id=tour.id, name=tour.name, destination=tour.destination,
            departs_from=tour.departs_from, days=tour.days, price=tour.price,
            child_price=tour.child_price, departure_weekdays=list(tour.departure_weekdays),
            attractions=list(tour.attractions), highlights=tour.highlights,
            includes=tour.includes, group_size=tour.group_size, demo=True))
    for service in knowledge.services():
        fares: List[Dict[str, Any]] = [dict(name=n, price=p, seats=SEATS[service.mode])
                                       for n, p in service.fares]
        _add(parsed, "services", f"transport.yml {service.code}", dict(
            code=service.code, mode=service.mode, operator=service.operator,
            origin=service.origin, destination=service.destination,
            from_station=service.from_station, to_station=service.to_station,
            depart=service.depart, arrive=service.arrive, weekdays=list(service.weekdays),
            fares=fares, demo=True))
    return parsed
