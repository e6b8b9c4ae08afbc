"""Searching the catalogue: hotels, tickets, tours, and reading follow-ups and routes.

Pure functions over the knowledge base so the dialogue layer only decides what to
ask and what to show. Prices stay `Decimal` throughout.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import List, Optional, Sequence, Tuple

from bot import knowledge
from bot.knowledge import Hotel, Room, Service, Tour

TICKET_MODES = ("train", "flight", "bus")


@dataclass(frozen=True)
class HotelOffer:
    hotel: Hotel
    room: Room
    rooms_needed: int

    @property
    def id(self) -> str:
        return self.hotel.id

    @property
    def price(self) -> Decimal:
        """Price per night for the whole party."""
        return self.room.price * self.rooms_needed


@dataclass(frozen=True)
class TicketOffer:
    service: Service
    fare_class: str
    fare: Decimal

    @property
    def id(self) -> str:
        return self.service.code

    @property
    def price(self) -> Decimal:
        return self.fare


@dataclass(frozen=True)
class TourOffer:
    tour: Tour

    @property
    def id(self) -> str:
        return self.tour.id

    @property
    def price(self) -> Decimal:
        return self.tour.price


def hotel_cities() -> List[str]:
    return sorted({hotel.city for hotel in knowledge.hotels()})


def tour_destinations() -> List[str]:
    return sorted({tour.destination for tour in knowledge.tours()})


def ticket_routes() -> List[Tuple[str, str]]:
    return sorted({(s.origin, s.destination) for s in knowledge.services()})


def _best_room(hotel: Hotel, people: int) -> Optional[Tuple[Room, int]]:
    options = [
        (room.price * math.ceil(people / max(room.max_guests, 1)), room, math.ceil(people / max(room.max_guests, 1)))
        for room in hotel.rooms
    ]
    if not options:
        return None
    _, room, needed = min(options, key=lambda option: (option[0], option[2]))
    return room, needed


def search_hotels(city: str, people: int = 2, sort_by_price: bool = False) -> List[HotelOffer]:
    """Hotels in a city, each with its cheapest way to house the party.

    Recommended order is guest rating, then price; "cheapest first" on request.
    """
    offers = []
    for hotel in knowledge.hotels():
        if hotel.city != city:
            continue
        best = _best_room(hotel, max(people, 1))
        if best:
            offers.append(HotelOffer(hotel, best[0], best[1]))
    if sort_by_price:
        return sorted(offers, key=lambda o: (o.price, -o.hotel.rating))
    return sorted(offers, key=lambda o: (-o.hotel.rating, o.price))


def search_tickets(
    origin: str, destination: str, day: Optional[date] = None, mode: Optional[str] = None
) -> List[TicketOffer]:
    """Services on the route that run on that day, in departure order."""
    offers = []
    for service in knowledge.services():
        if service.origin != origin or service.destination != destination:
            continue
        if mode and service.mode != mode:
            continue
        if day and day.isoweekday() not in service.weekdays:
            continue
        fare_class, fare = min(service.fares, key=lambda item: item[1])
        offers.append(TicketOffer(service, fare_class, fare))
    return sorted(offers, key=lambda o: o.service.depart)


def search_tours(destination: str, day: Optional[date] = None) -> List[TourOffer]:
    """Tours to a destination that depart on that day, best value first."""
    offers = [
        TourOffer(tour)
        for tour in knowledge.tours()
        if (tour.destination == destination or tour.departs_from == destination)
        and (day is None or day.isoweekday() in tour.departure_weekdays)
    ]
    return sorted(offers, key=lambda o: (o.tour.price, o.tour.days))


def tours_with_attraction(attraction: str) -> List[TourOffer]:
    return [TourOffer(t) for t in knowledge.tours() if attraction in t.attractions]


# --- follow-ups on shown results --------------------------------------------------

ORDINAL = re.compile(r"第\s*([一二两三四五六七八九十\d]{1,2})\s*(?:个|家|条|班|趟|种|款|项|间|号)?")
CHEAPER = re.compile(r"便宜|实惠|划算|低一点|低点|低价|预算不够|太贵|贵了|省钱|经济")
EARLIER = re.compile(r"早一点|早点|更早|早些|最早|提前一点")
LATER = re.compile(r"晚一点|晚点|更晚|晚些|最晚|下午的|晚上的")
MORE = re.compile(r"还有别的|还有其他|别的|其他的|换一批|更多|再看看|还有吗|还有没有|下一页")
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def ordinal_in(text: str) -> Optional[int]:
    """1-based position named in the text (第二个 → 2), or None."""
    match = ORDINAL.search(text)
    if not match:
        return None
    token = match.group(1)
    if token.isdigit():
        return int(token)
    if token in CHINESE_DIGITS:
        return CHINESE_DIGITS[token]
    if token.startswith("十") and len(token) == 2:
        return 10 + CHINESE_DIGITS.get(token[1], 0)
    return None


def follow_up_in(text: str) -> Optional[str]:
    """Which refinement of earlier results the traveller asks for, if any."""
    if ordinal_in(text):
        return "detail"
    if CHEAPER.search(text):
        return "cheaper"
    if EARLIER.search(text):
        return "earlier"
    if LATER.search(text):
        return "later"
    if MORE.search(text):
        return "more"
    return None


# --- origin and destination of a trip --------------------------------------------

ORIGIN_BEFORE = re.compile(r"(?:从|由|自)\s*$")
ORIGIN_AFTER = re.compile(r"^\s*(?:出发|始发|走|上车|起飞|发车)")
DESTINATION_BEFORE = re.compile(r"(?:到|去|往|至|飞|回|抵达|前往|->|-|—|→|~)\s*$")


def split_route(text: str, cities: Sequence[Tuple[str, int, int]]) -> Tuple[Optional[str], Optional[str]]:
    """Origin and destination from city mentions (name, start, end) and their cue words.

    从杭州出发 → origin; 去成都 / 到成都 → destination; 上海到北京 → both. With two
    cities and no cue the first is the origin, as travellers say it.
    """
    origin: Optional[str] = None
    destination: Optional[str] = None
    undecided: List[str] = []
    for name, start, end in cities:
        before, after = text[max(0, start - 3):start], text[end:end + 3]
        if ORIGIN_BEFORE.search(before) or ORIGIN_AFTER.search(after):
            origin = origin or name
        elif DESTINATION_BEFORE.search(before):
            destination = name
        else:
            undecided.append(name)
    for name in undecided:
        if origin is None and (destination is not None or len(undecided) > 1):
            origin = name
        elif destination is None:
            destination = name
        elif origin is None:
            origin = name
    return origin, destination


# --- a service by when it leaves and who runs it ----------------------------------

CLOCK = re.compile(r"(上午|早上|中午|下午|晚上|傍晚)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:点|:|：)\s*(半|\d{2})?\s*(?:分)?\s*(?:的|那|出发|发车|起飞)")
OPERATOR_SHORT = {
    "南航": "南方航空", "东航": "东方航空", "国航": "中国国际航空", "海航": "海南航空", "川航": "四川航空",
    "厦航": "厦门航空", "深航": "深圳航空", "山航": "山东航空", "春秋": "春秋航空", "吉祥": "吉祥航空",
}


def clock_in(text: str) -> Optional[str]:
    """"11点40那班" → "11:40", "下午两点的" → "14:00"; None without a time said of a service."""
    match = CLOCK.search(text)
    if not match:
        return None
    token = match.group(2)
    hour = int(token) if token.isdigit() else _chinese_hour(token)
    if hour is None or hour > 24:
        return None
    if match.group(1) in ("下午", "晚上", "傍晚") and hour < 12:
        hour += 12
    elif match.group(1) is None and 1 <= hour <= 6:
        hour += 12  # "三点半出发的": nobody means 03:30 without saying 凌晨
    minutes = match.group(3)
    minute = 30 if minutes == "半" else int(minutes) if minutes else 0
    return f"{hour:02d}:{minute:02d}"


def _chinese_hour(token: str) -> Optional[int]:
    if token in CHINESE_DIGITS:
        return CHINESE_DIGITS[token]
    if token.startswith("十") and len(token) == 2:
        return 10 + CHINESE_DIGITS.get(token[1], 0)
    return None


def operator_named(text: str, operator: str) -> bool:
    """Whether the text names this airline or operator, in full or by its short name."""
    if operator and operator in text:
        return True
    return any(short in text and full in operator for short, full in OPERATOR_SHORT.items())
