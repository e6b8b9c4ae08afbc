"""Catalogue tables, on the booking store's declarative ``Base``.

Sharing the booking store's metadata means one Alembic history (migration 0004) creates
and upgrades both, and a product row can be checked against its catalogue item in one
database. Why these shapes:

* Money is integer fen, as in the booking store; ``min_price_fen`` / ``min_ticket_fen`` /
  ``min_fare_fen`` keep each item's cheapest price next to its city so that "上海 ¥500以下"
  is one range scan of ``(city, min_price_fen)``.
* What searches filter on is indexed: city, city+district, city+price, city+rating,
  metro station (+city, 0005), origin+destination+mode, departure time; facilities are an association table indexed
  by facility, so "免费停车" is an index probe, not a JSON scan.
* Lists that are only shown (aliases, tags, itinerary, tickets) are JSON columns.
* ``catalogue_names`` maps every key a traveller may write (full name, alias, distinctive
  part, and their pinyin) to an item: naming is one indexed ``key IN (...)`` probe of the
  message's substrings instead of a scan of every name.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)

from bot.booking.models import Base


class CatalogueDistrict(Base):
    """A district of a city (朝阳区), with the short names people use (朝阳)."""

    __tablename__ = "catalogue_districts"

    city = Column(String(32), primary_key=True)
    name = Column(String(32), primary_key=True)
    aliases = Column(JSON, nullable=False, default=list)
    lat = Column(Float, nullable=True)
    lon = Column(Float, nullable=True)


class CatalogueHotel(Base):
    """A hotel; its rooms and facilities are child rows."""

    __tablename__ = "catalogue_hotels"

    id = Column(String(32), primary_key=True)
    name = Column(String(128), nullable=False)
    city = Column(String(32), nullable=False)
    district = Column(String(32), nullable=False)
    address = Column(String(200), nullable=False)
    phone = Column(String(32), nullable=False, default="")
    stars = Column(Integer, nullable=False, default=0)
    grade = Column(String(16), nullable=False, default="")
    type = Column(String(16), nullable=False, default="")
    rating = Column(Float, nullable=True)
    brand = Column(String(32), nullable=False, default="")
    breakfast_included = Column(Boolean, nullable=False, default=False)
    checkin_time = Column(String(5), nullable=False, default="")
    checkout_time = Column(String(5), nullable=False, default="")
    metro_station = Column(String(64), nullable=False, default="")
    metro_line = Column(String(32), nullable=False, default="")
    metro_distance_m = Column(Integer, nullable=True)
    lat = Column(Float, nullable=True)
    lon = Column(Float, nullable=True)
    aliases = Column(JSON, nullable=False, default=list)
    tags = Column(JSON, nullable=False, default=list)
    description = Column(Text, nullable=False, default="")
    demo = Column(Boolean, nullable=False, default=False)
    min_price_fen = Column(Integer, nullable=False, default=0)  # the cheapest room

    __table_args__ = (
        Index("ix_catalogue_hotels_city_district", "city", "district"),
        Index("ix_catalogue_hotels_city_min_price_fen", "city", "min_price_fen"),
        Index("ix_catalogue_hotels_city_rating", "city", "rating"),
        Index("ix_catalogue_hotels_metro_station_city", "metro_station", "city"),
    )


class CatalogueRoom(Base):
    """A room type of a hotel; ``rooms_per_day`` is the inventory's daily capacity."""

    __tablename__ = "catalogue_rooms"

    hotel_id = Column(ForeignKey("catalogue_hotels.id", ondelete="CASCADE"), primary_key=True)
    type = Column(String(32), primary_key=True)
    price_fen = Column(Integer, nullable=False)
    max_guests = Column(Integer, nullable=False)
    bed = Column(String(64), nullable=False, default="")
    breakfast = Column(Boolean, nullable=False, default=False)
    area_m2 = Column(Integer, nullable=True)
    smoking = Column(Boolean, nullable=False, default=False)
    rooms_per_day = Column(Integer, nullable=False, default=8)


class CatalogueHotelFacility(Base):
    """One facility of one hotel; indexed by facility for "有停车场的酒店"."""

    __tablename__ = "catalogue_hotel_facilities"

    hotel_id = Column(ForeignKey("catalogue_hotels.id", ondelete="CASCADE"), primary_key=True)
    facility = Column(String(16), primary_key=True)

    __table_args__ = (Index("ix_catalogue_hotel_facilities_facility", "facility", "hotel_id"),)


class CatalogueSight(Base):
    """A sight: tickets are ``[[name, fen], ...]``; ``min_ticket_fen`` is 0 when free."""

    __tablename__ = "catalogue_sights"

    id = Column(String(32), primary_key=True)
    name = Column(String(128), nullable=False)
    city = Column(String(32), nullable=False)
    district = Column(String(32), nullable=False)
    address = Column(String(200), nullable=False)
    type = Column(String(16), nullable=False)
    tickets = Column(JSON, nullable=False, default=list)
    free = Column(Boolean, nullable=False, default=False)
    min_ticket_fen = Column(Integer, nullable=False, default=0)
    phone = Column(String(32), nullable=False, default="")
    opening_hours = Column(String(200), nullable=False, default="")
    visit_hours_min = Column(Float, nullable=True)
    visit_hours_max = Column(Float, nullable=True)
    rating = Column(Float, nullable=True)
    suitable_for = Column(JSON, nullable=False, default=list)
    metro_station = Column(String(64), nullable=False, default="")
    metro_line = Column(String(32), nullable=False, default="")
    metro_distance_m = Column(Integer, nullable=True)
    lat = Column(Float, nullable=True)
    lon = Column(Float, nullable=True)
    aliases = Column(JSON, nullable=False, default=list)
    description = Column(Text, nullable=False, default="")
    demo = Column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("ix_catalogue_sights_city_district", "city", "district"),
        Index("ix_catalogue_sights_city_rating", "city", "rating"),
        Index("ix_catalogue_sights_city_type", "city", "type"),
        Index("ix_catalogue_sights_metro_station_city", "metro_station", "city"),
    )


class CatalogueTour(Base):
    """A tour; ``departure_weekdays`` is ISO digits ("1357"), ``seats`` per departure."""

    __tablename__ = "catalogue_tours"

    id = Column(String(32), primary_key=True)
    name = Column(String(128), nullable=False)
    destination = Column(String(32), nullable=False, index=True)
    departs_from = Column(String(32), nullable=False, index=True)
    days = Column(Integer, nullable=False)
    price_fen = Column(Integer, nullable=False)
    child_price_fen = Column(Integer, nullable=True)
    departure_weekdays = Column(String(7), nullable=False)
    attractions = Column(JSON, nullable=False, default=list)
    highlights = Column(Text, nullable=False, default="")
    includes = Column(Text, nullable=False, default="")
    excludes = Column(Text, nullable=False, default="")
    itinerary = Column(JSON, nullable=False, default=list)
    group_size = Column(String(32), nullable=False, default="")
    seats = Column(Integer, nullable=False, default=30)
    aliases = Column(JSON, nullable=False, default=list)
    demo = Column(Boolean, nullable=False, default=False)


class CatalogueService(Base):
    """A train, flight or bus; ``weekdays`` is ISO digits, fares are child rows."""

    __tablename__ = "catalogue_services"

    code = Column(String(16), primary_key=True)
    mode = Column(String(8), nullable=False)
    operator = Column(String(32), nullable=False)
    origin = Column(String(32), nullable=False)
    destination = Column(String(32), nullable=False)
    from_station = Column(String(64), nullable=False)
    to_station = Column(String(64), nullable=False)
    from_terminal = Column(String(8), nullable=False, default="")
    to_terminal = Column(String(8), nullable=False, default="")
    depart = Column(String(5), nullable=False, index=True)
    arrive = Column(String(7), nullable=False)
    duration_minutes = Column(Integer, nullable=False)
    weekdays = Column(String(7), nullable=False)
    min_fare_fen = Column(Integer, nullable=False, default=0)
    demo = Column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("ix_catalogue_services_origin_destination_mode", "origin", "destination", "mode"),
    )


class CatalogueFare(Base):
    """A class of a service with its price and seats on each running day."""

    __tablename__ = "catalogue_fares"

    service_code = Column(ForeignKey("catalogue_services.code", ondelete="CASCADE"),
                          primary_key=True)
    name = Column(String(16), primary_key=True)
    price_fen = Column(Integer, nullable=False)
    seats = Column(Integer, nullable=False)


class CatalogueName(Base):
    """A key a traveller may write for an item: name, alias, distinctive part, pinyin.

    ``exact``: the full name or an alias (a part or a pinyin-equal typo is not).
    ``pinyin``: ``key`` is toneless pinyin ("ru jia"), matched against the message's.
    """

    __tablename__ = "catalogue_names"

    id = Column(Integer, primary_key=True)
    key = Column(String(128), nullable=False)
    pinyin = Column(Boolean, nullable=False, default=False)
    kind = Column(String(8), nullable=False)
    item_id = Column(String(64), nullable=False)
    name = Column(String(128), nullable=False)
    city = Column(String(32), nullable=False, default="")
    exact = Column(Boolean, nullable=False, default=True)

    __table_args__ = (Index("ix_catalogue_names_key", "key", "pinyin"),)


__all__ = [
    "CatalogueDistrict", "CatalogueHotel", "CatalogueRoom", "CatalogueHotelFacility",
    "CatalogueSight", "CatalogueTour", "CatalogueService", "CatalogueFare", "CatalogueName",
]
