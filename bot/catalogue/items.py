"""What the catalogue facade hands out: frozen values, never ORM rows.

The dialogue layer reads these without a session, so a conversation can keep an item in
focus across turns and the action server never lazy-loads from a closed session. Money is
``Decimal`` yuan (the store keeps integer fen); times are business-local ``"HH:MM"``.
Facts the operator did not give are ``None`` or empty, so the bot can say precisely
"we have no phone number for this hotel" rather than invent one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional, Tuple

# Kinds of catalogue item; a shown or focused item is referred to as (kind, id).
HOTEL = "hotel"
SIGHT = "sight"
TOUR = "tour"
SERVICE = "service"
ITEM_KINDS = (HOTEL, SIGHT, TOUR, SERVICE)
TRANSPORT_MODES = ("train", "flight", "bus")


@dataclass(frozen=True)
class Metro:
    """The nearest metro station and how far it is on foot."""

    station: str
    line: str = ""
    distance_m: Optional[int] = None


@dataclass(frozen=True)
class Room:
    type: str
    price: Decimal  # per room per night
    max_guests: int
    bed: str = ""
    breakfast: bool = False
    area_m2: Optional[int] = None
    smoking: bool = False


@dataclass(frozen=True)
class Hotel:
    id: str
    name: str
    city: str
    district: str
    address: str
    rooms: Tuple[Room, ...]
    phone: str = ""
    stars: int = 0  # 0 = unrated
    grade: str = ""  # 经济型 / 舒适型 / 高档型 / 豪华型
    type: str = ""  # 商务 / 度假 / 精品 / 民宿 / 公寓 / 青旅 / 亲子
    rating: Optional[float] = None  # guests' score out of 5
    brand: str = ""
    facilities: Tuple[str, ...] = ()  # closed set, see FACILITIES
    breakfast_included: bool = False
    checkin_time: str = ""
    checkout_time: str = ""
    metro: Optional[Metro] = None
    lat: Optional[float] = None
    lon: Optional[float] = None
    aliases: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ()
    description: str = ""
    demo: bool = False

    @property
    def lowest_price(self) -> Decimal:
        return min(room.price for room in self.rooms)


# Facilities a hotel may list; importers reject any other word so searches stay exact.
FACILITIES = (
    "免费停车", "停车场", "免费WiFi", "早餐", "游泳池", "健身房", "行李寄存", "无烟房",
    "接机服务", "洗衣服务", "会议室", "餐厅", "充电桩", "宠物友好", "儿童乐园", "温泉",
    "无障碍设施", "24小时前台", "电梯", "空调",
)


@dataclass(frozen=True)
class Sight:
    id: str
    name: str
    city: str
    district: str
    address: str
    type: str  # 山水 / 古镇 / 博物馆 / 商圈 / 主题乐园 / 历史古迹 / 公园 / 寺庙 / 街区 / 海滨 ...
    tickets: Tuple[Tuple[str, Decimal], ...] = ()  # (成人票, 60), (学生票, 30); () with free=True
    free: bool = False
    phone: str = ""
    opening_hours: str = ""  # as a traveller reads it: "08:30-17:00（16:00停止入园），周一闭馆"
    visit_hours: Optional[Tuple[float, float]] = None  # suggested stay, (2, 3) = 2–3 hours
    rating: Optional[float] = None
    suitable_for: Tuple[str, ...] = ()  # 亲子 / 情侣 / 老人 / 朋友 / 学生
    metro: Optional[Metro] = None
    lat: Optional[float] = None
    lon: Optional[float] = None
    aliases: Tuple[str, ...] = ()
    description: str = ""
    demo: bool = False

    @property
    def lowest_ticket(self) -> Decimal:
        return min((price for _, price in self.tickets), default=Decimal(0))


@dataclass(frozen=True)
class Tour:
    id: str
    name: str
    destination: str
    departs_from: str
    days: int
    price: Decimal  # per adult
    departure_weekdays: Tuple[int, ...]  # ISO, 1 = Monday
    attractions: Tuple[str, ...] = ()
    highlights: str = ""
    includes: str = ""
    excludes: str = ""
    itinerary: Tuple[str, ...] = ()  # one line per day
    child_price: Optional[Decimal] = None
    group_size: str = ""
    aliases: Tuple[str, ...] = ()
    demo: bool = False


@dataclass(frozen=True)
class Fare:
    name: str  # 二等座 / 一等座 / 商务座 / 硬卧 / 经济舱 / 头等舱 / 普通座 ...
    price: Decimal
    seats: int  # seats of this class on each running day


@dataclass(frozen=True)
class Service:
    code: str  # G7, MU5101, a bus line's code
    mode: str  # train | flight | bus
    operator: str
    origin: str  # city
    destination: str  # city
    from_station: str
    to_station: str
    depart: str  # "HH:MM"
    arrive: str  # "HH:MM", with "+1" when it arrives the next day
    duration_minutes: int
    weekdays: Tuple[int, ...]
    fares: Tuple[Fare, ...]
    from_terminal: str = ""  # T2 for flights
    to_terminal: str = ""
    demo: bool = False

    @property
    def lowest_fare(self) -> Decimal:
        return min(fare.price for fare in self.fares)


@dataclass(frozen=True)
class District:
    city: str
    name: str  # 朝阳区, 浦东新区
    aliases: Tuple[str, ...] = ()  # 朝阳, 浦东
    lat: Optional[float] = None
    lon: Optional[float] = None


@dataclass(frozen=True)
class NameMatch:
    """A catalogue item named in a traveller's message, and how surely."""

    kind: str  # one of ITEM_KINDS, or "district"
    id: str  # item id, service code, or "city/district"
    name: str  # the catalogue's own name
    start: int  # span in the normalised text
    end: int
    exact: bool  # the full name or an alias; False for a part of the name or a typo


@dataclass(frozen=True)
class HotelQuery:
    city: Optional[str] = None
    district: Optional[str] = None
    near: Optional[Tuple[float, float]] = None  # (lat, lon) of a landmark
    within_km: float = 3.0
    min_price: Optional[Decimal] = None  # per room per night, cheapest room
    max_price: Optional[Decimal] = None
    min_rating: Optional[float] = None
    min_stars: Optional[int] = None
    types: Tuple[str, ...] = ()
    facilities: Tuple[str, ...] = ()  # all of them
    breakfast: Optional[bool] = None
    sort: str = "recommended"  # recommended | price | price_desc | rating | distance
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SightQuery:
    city: Optional[str] = None
    district: Optional[str] = None
    near: Optional[Tuple[float, float]] = None
    within_km: float = 5.0
    types: Tuple[str, ...] = ()
    suitable_for: Tuple[str, ...] = ()
    free: Optional[bool] = None
    max_ticket: Optional[Decimal] = None
    max_visit_hours: Optional[float] = None
    min_rating: Optional[float] = None
    sort: str = "recommended"  # recommended | rating | price | distance
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class TourQuery:
    destination: Optional[str] = None  # a tour to or from this city
    weekday: Optional[int] = None  # departs on this ISO weekday
    days: Optional[int] = None  # exactly this many days
    max_price: Optional[Decimal] = None
    attraction: Optional[str] = None  # visits this sight
    sort: str = "recommended"  # recommended | price
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class ServiceQuery:
    origin: Optional[str] = None
    destination: Optional[str] = None
    modes: Tuple[str, ...] = ()  # empty = all
    weekday: Optional[int] = None
    depart_after: Optional[str] = None  # "HH:MM", inclusive
    depart_before: Optional[str] = None  # "HH:MM", exclusive
    fare_class: Optional[str] = None  # only services selling it
    max_price: Optional[Decimal] = None
    sort: str = "depart"  # depart | price | duration
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class ImportReport:
    """What an import changed, per file kind: counts, and the errors that stopped it."""

    added: dict = field(default_factory=dict)
    changed: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    removed: dict = field(default_factory=dict)
    errors: Tuple[str, ...] = ()  # "hotels.csv:17: rating '6.2' must be between 0 and 5"
    notes: Tuple[str, ...] = ()  # what --prune kept because it has bookings


def lowest_price(item: "Hotel | Sight | Tour | Service") -> Decimal:
    """What an item costs at least: a hotel's cheapest room, a sight's cheapest ticket (0 when
    free), a tour's adult price, a service's cheapest fare; one order for "便宜点" everywhere."""
    if isinstance(item, Hotel):
        return item.lowest_price
    if isinstance(item, Sight):
        return item.lowest_ticket
    if isinstance(item, Tour):
        return item.price
    return item.lowest_fare
