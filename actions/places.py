"""Where a traveller wants to be: the place phrase of a search resolved against the catalogue.

"人民广场附近", "国贸那边", "鼓浪屿岛上", "汉口站旁边" name sights, metro stations, districts
and stations of the timetable, not only the sights the landmark lookup knew; each is tried
in that order, so a search is centred where the traveller said or, when nothing in the
catalogue answers to the words, the traveller is told (never a silent city-wide list).

A place near which to search is kept in ``search_near`` as a reference: ``sight:ID`` or
``hotel:ID`` for an item, ``metro:CITY/STATION`` for a metro station (its point is the
centroid of the catalogue's items at that station).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional, Tuple

from bot import knowledge
from bot.catalogue.items import HOTEL, SIGHT
from bot.catalogue.queries import Catalogue

METRO = "metro"
PLACE_NOISE = re.compile(r"(?:地铁站|地铁口|地铁)$")  # 人民广场地铁站 → 人民广场; 武汉站 stays
NEARBY_KIND_WORDS = re.compile(r"附近|周边|旁边|周围|边上|一带")
SIGHTS_WANTED = re.compile(r"景点|景区|好玩|玩的|可以逛|逛逛|去处|打卡|走走|转转|看看")
HOTELS_WANTED = re.compile(r"酒店|宾馆|住宿|民宿|饭店|住的")
NOT_THIS = re.compile(r"不是(?:找|要|问)?(?:酒店|宾馆|住宿)")


@dataclass(frozen=True)
class Place:
    """A resolved place: the city it is in, and a point reference or a district."""

    city: str
    near: Optional[str] = None
    district: Optional[str] = None


def suffixes(words: str) -> Iterator[str]:
    """The words, then ever shorter tails ("去北京国贸" → … "国贸"): the phrase reaches back
    to whatever preceded the place."""
    for start in range(0, max(len(words) - 1, 0)):
        yield words[start:]


def resolve_place(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    """The place the words name: a sight, a hotel named in full, a metro station, a
    district, then a station or airport of the timetable; None when none of them."""
    city = city or _city_said_first(words)
    for resolver in (_sight, _hotel, _metro, _district, _hub):
        for tail in suffixes(words):
            found = resolver(store, tail, city)
            if found is not None:
                return found
    return None


def _city_said_first(words: str) -> Optional[str]:
    """"广州北京路": the city in front of the place settles which city's 北京路 is meant."""
    for end in range(len(words) - 1, 1, -1):
        city = knowledge.canonical_city(words[:end])
        if city:
            return city
    return None


def _sight(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    sight = store.landmark(words, city)
    if sight is None or (city and sight.city != city):
        return None
    return Place(sight.city, near=f"{SIGHT}:{sight.id}")


def _hotel(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    matches = [m for m in store.named_in(words, kinds=(HOTEL,), city=city)
               if m.start == 0 and m.end == len(words)]
    if len(matches) != 1:
        return None
    hotel = store.hotel(matches[0].id)
    if hotel is None or hotel.lat is None or (city and hotel.city != city):
        return None
    return Place(hotel.city, near=f"{HOTEL}:{hotel.id}")


def _metro(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    station = PLACE_NOISE.sub("", words) or words
    if len(station) < 2:
        return None
    found = store.metro_station_point(station, city)
    if found is None:
        return None
    return Place(found[0], near=f"{METRO}:{found[0]}/{station}")


def _district(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    district = store.district_named(words)
    if district is None or (city and district.city != city):
        return None
    return Place(district.city, district=district.name)


def _hub(store: Catalogue, words: str, city: Optional[str]) -> Optional[Place]:
    if len(words) < 3 or not re.search(r"站|机场|车站", words):
        return None
    found = store.transport_hub_city(words, city)
    if found is None:
        return None
    hub_city, station = found
    metro = _metro(store, station, hub_city) or _metro(store, words, hub_city)
    return metro or Place(hub_city)


def place_point(store: Catalogue, near: Optional[str]) -> Optional[Tuple[float, float]]:
    """The point a ``search_near`` reference stands for, or None."""
    kind, _, ref = str(near or "").partition(":")
    if kind == METRO:
        city, _, station = ref.partition("/")
        found = store.metro_station_point(station, city or None)
        return (found[1], found[2]) if found else None
    item = store.hotel(ref) if kind == HOTEL else store.sight(ref) if kind == SIGHT else None
    if item is None or item.lat is None or item.lon is None:
        return None
    return item.lat, item.lon


def place_label(store: Catalogue, near: Optional[str]) -> Optional[str]:
    """What the reply calls the place: the item's name or the station's."""
    kind, _, ref = str(near or "").partition(":")
    if kind == METRO:
        return ref.partition("/")[2] or None
    item = store.hotel(ref) if kind == HOTEL else store.sight(ref) if kind == SIGHT else None
    return item.name if item is not None else None


def nearby_kind(text: str) -> Optional[str]:
    """What is wanted around a place: "栖云酒店附近有什么景点" asks for sights although it
    names a hotel, "故宫附近的酒店" for hotels; the words after the last "附近" decide (and
    "不是找酒店，是问周边景点" is about sights)."""
    matches = list(NEARBY_KIND_WORDS.finditer(text))
    if not matches:
        return None
    after = text[matches[-1].end():]
    if SIGHTS_WANTED.search(after) or (NOT_THIS.search(text) and SIGHTS_WANTED.search(text)):
        return "sight"
    if HOTELS_WANTED.search(after):
        return "hotel"
    return None
