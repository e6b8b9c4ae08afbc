"""Catalogue items and facts in a reply.

The runner never trusts a fact written into a dialogue: it looks the value up through
the catalogue facade (``bot.catalogue.queries``) and checks that the reply carries it.
Each attribute has one way its value shows up in text, lenient about wording (8点半,
08:30; 2小时35分, 155分钟) and strict about the value. A fact the catalogue lacks must be
said to be missing. Replies and names are compared folded (``replies.fold``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from bot.catalogue.items import (
    HOTEL,
    ITEM_KINDS,
    SERVICE,
    SIGHT,
    TOUR,
    Hotel,
    NameMatch,
    Service,
    Sight,
    Tour,
    lowest_price,
)
from bot.catalogue.queries import haversine_km
from bot.dialogue_eval.replies import HONEST_ABSENCE, fold
from bot.dialogue_eval.scripts import HOTEL_ATTRIBUTES, SERVICE_ATTRIBUTES, SIGHT_ATTRIBUTES, TOUR_ATTRIBUTES

Item = Union[Hotel, Sight, Tour, Service]
NEAR_KM = 3.0
NEARBY_LOOKED_AT = 10
OVERLAP_CHARS = 6
NUMBERED_LINE = re.compile(r"^\s*(\d{1,2})\s*[.、)．:]", re.MULTILINE)
CLAUSE_END = "，。,.!?！？;；\n"
NEGATION_BEFORE = "(没有|没|无|不提供|暂无|未提供|不设|不含|不支持|不能)"
NEGATION_AFTER = "(没有|暂无|不提供|无)"
BREAKFAST_NOT_INCLUDED = re.compile(r"(不含早|无早|不带早|早餐[^，。,.!?！？\n]{0,6}(另付|另收|加购|自理))")
CHINESE_DIGITS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
WEEKDAYS = "一二三四五六日"
KIND_ATTRIBUTES = {HOTEL: HOTEL_ATTRIBUTES, SIGHT: SIGHT_ATTRIBUTES, TOUR: TOUR_ATTRIBUTES,
                   SERVICE: SERVICE_ATTRIBUTES}
# The word an attribute question uses → the facility names of the catalogue that answer it.
FACILITY_WORDS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    # attribute: (facilities that mean "yes", words that show it in a reply)
    "停车": (("停车场", "免费停车"), ("停车",)),
    "泳池": (("游泳池",), ("泳池",)),
    "健身房": (("健身房",), ("健身",)),
    "无烟房": (("无烟房",), ("无烟",)),
    "行李寄存": (("行李寄存",), ("寄存",)),
}


class CatalogueLike(Protocol):
    """The part of the catalogue facade (bot.catalogue.queries.Catalogue) the runner reads."""

    def hotel(self, hotel_id: str) -> Optional[Hotel]: ...
    def sight(self, sight_id: str) -> Optional[Sight]: ...
    def tour(self, tour_id: str) -> Optional[Tour]: ...
    def service(self, code: str) -> Optional[Service]: ...
    def named_in(self, text: str, kinds: Sequence[str] = (), city: Optional[str] = None) -> List[NameMatch]: ...
    def landmark(self, name: str, city: Optional[str] = None) -> Optional[Sight]: ...
    def nearby_sights(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Sight, float]]: ...
    def nearby_hotels(self, lat: float, lon: float, city: str, limit: int = 5) -> List[Tuple[Hotel, float]]: ...


def kind_of(item: Item) -> str:
    if isinstance(item, Hotel):
        return HOTEL
    if isinstance(item, Sight):
        return SIGHT
    if isinstance(item, Tour):
        return TOUR
    return SERVICE


def key_of(item: Item) -> Tuple[str, str]:
    return (SERVICE, item.code) if isinstance(item, Service) else (kind_of(item), item.id)


def label(item: Item) -> str:
    return item.code if isinstance(item, Service) else item.name


# --- items in a reply ---------------------------------------------------------------

@dataclass(frozen=True)
class NamedItems:
    """The catalogue items a reply names, in order, and the numbered list among them."""

    items: Tuple[Item, ...]
    listed: Tuple[Item, ...]  # the first item of each numbered line, else ``items``
    numbered: bool = False  # ``listed`` comes from numbered lines


def fetch(catalogue: CatalogueLike, kind: str, item_id: str) -> Optional[Item]:
    getters: Dict[str, Callable[[str], Optional[Any]]] = {
        HOTEL: catalogue.hotel, SIGHT: catalogue.sight, TOUR: catalogue.tour, SERVICE: catalogue.service}
    return getters[kind](item_id) if kind in getters else None


def items_named(catalogue: CatalogueLike, text: str) -> NamedItems:
    """Items named by full name, alias or service code; a name inside a longer one
    (宽窄巷子 in 成都宽窄巷子栖云酒店) is not counted on its own."""
    matches = [m for m in catalogue.named_in(text, kinds=ITEM_KINDS) if m.exact and m.kind in ITEM_KINDS]
    outermost = [m for m in matches
                 if not any(o is not m and o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                            for o in matches)]
    outermost.sort(key=lambda m: m.start)
    found: Dict[Tuple[str, str], Tuple[int, Item]] = {}
    for match in outermost:
        item = fetch(catalogue, match.kind, match.id)
        if item is not None and key_of(item) not in found:
            found[key_of(item)] = (match.start, item)
    ordered = sorted(found.values(), key=lambda pair: pair[0])
    numbered = _numbered(text, ordered)
    return NamedItems(items=tuple(item for _, item in ordered),
                      listed=tuple(numbered or [item for _, item in ordered]), numbered=bool(numbered))


def _numbered(text: str, ordered: Sequence[Tuple[int, Item]]) -> List[Item]:
    starts = [m.start() for m in NUMBERED_LINE.finditer(text)]
    listed: List[Item] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        line_end = text.find("\n", start)
        end = min(end, line_end if line_end != -1 else end)
        first = next((item for position, item in ordered if start <= position < end), None)
        if first is not None and first not in listed:
            listed.append(first)
    return listed


def resolve_name(catalogue: CatalogueLike, name: str) -> Optional[Item]:
    """A catalogue item by its full name, an alias or a service code."""
    service = catalogue.service(name.strip().upper())
    if service is not None:
        return service
    folded = fold(name.strip())
    matches = [m for m in catalogue.named_in(folded, kinds=ITEM_KINDS) if m.kind in ITEM_KINDS]
    matches.sort(key=lambda m: (m.name != folded, not m.exact, -(m.end - m.start)))
    for match in matches:
        item = fetch(catalogue, match.kind, match.id)
        if item is not None:
            return item
    return None


# --- how values show up in text -----------------------------------------------------

def number_pattern(value: Union[Decimal, float, int]) -> str:
    """A number as a reply writes it: 480, 480.0, 1,680 (commas are removed before matching)."""
    number = Decimal(str(value)).normalize()
    integral = number == number.to_integral_value()
    text = str(int(number)) if integral else format(number, "f")
    fraction = r"(?:\.0+)?" if integral else r"0*"
    return rf"(?<![\d.]){re.escape(text)}{fraction}(?![\d])"


def has_number(text: str, value: Union[Decimal, float, int]) -> bool:
    return bool(re.search(number_pattern(value), _plain_numbers(text)))


def _plain_numbers(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)


def _compact(text: str) -> str:
    return re.sub(r"[\s\-–—()（）]", "", text)


def time_pattern(hhmm: str) -> str:
    """08:30 as 08:30, 8:30, 8点30(分), 8点半; 14:00 also as 14点, 下午2点."""
    hour, minute = (int(part) for part in hhmm[:5].split(":"))
    hours = {str(hour), f"{hour:02d}"}
    twelve = hour - 12 if hour > 12 else hour
    spoken_hours = {str(hour), str(twelve), CHINESE_DIGITS.get(twelve, str(twelve))}
    if twelve == 2:
        spoken_hours.add("二")
    forms = [rf"(?<!\d)(?:{'|'.join(sorted(hours))})\s*:\s*{minute:02d}(?!\d)"]
    spoken = "|".join(sorted(spoken_hours))
    if minute == 0:
        forms.append(rf"(?<!\d)(?:{spoken})\s*点(?:整|钟|00)?(?![\d半一二三四五])")
    elif minute == 30:
        forms.append(rf"(?<!\d)(?:{spoken})\s*点\s*(?:半|30)")
    else:
        forms.append(rf"(?<!\d)(?:{spoken})\s*点\s*{minute}(?:分)?")
    return "|".join(f"(?:{form})" for form in forms)


def has_time(text: str, hhmm: str) -> bool:
    return bool(re.search(time_pattern(hhmm), text))


def duration_pattern(minutes: int) -> str:
    """155 minutes as 2小时35分(钟), 2时35分, 155分钟; whole hours as 3小时, 3个小时, 三小时."""
    hours, rest = divmod(minutes, 60)
    forms = [rf"(?<!\d){minutes}\s*分钟"]
    hour_words = [str(hours)] + ([CHINESE_DIGITS[hours]] if hours in CHINESE_DIGITS else [])
    hour_alt = "|".join(hour_words)
    if hours and rest:
        forms.append(rf"(?<!\d)(?:{hour_alt})\s*(?:个)?\s*(?:小时|时|h)\s*{rest}\s*(?:分|min|m)")
        if rest == 30:
            forms.append(rf"(?<!\d)(?:{hour_alt})\s*个半小时|(?<!\d){hours}\.5\s*(?:个)?小时")
    elif hours:
        forms.append(rf"(?<!\d)(?:{hour_alt})\s*(?:个)?\s*(?:小时|h)(?!\s*\d)")
    return "|".join(f"(?:{form})" for form in forms)


def hours_pattern(low: float, high: float) -> str:
    """A suggested stay (2, 3) as 2-3小时, 2到3个小时, 两到三小时; (2, 2) as 2小时."""
    def words(value: float) -> str:
        text = format(Decimal(str(value)).normalize(), "f")
        alternatives = [re.escape(text)]
        if float(value).is_integer() and int(value) in CHINESE_DIGITS:
            alternatives.append(CHINESE_DIGITS[int(value)])
        if int(value) == 2 and float(value).is_integer():
            alternatives.append("二")
        return "|".join(alternatives)

    if low == high:
        return rf"(?<![\d.])(?:{words(low)})\s*(?:个)?\s*小时"
    return rf"(?<![\d.])(?:{words(low)})\s*(?:-|~|到|至|—|–|或)\s*(?:{words(high)})\s*(?:个)?\s*小时"


def weekday_words(day: int) -> str:
    char = WEEKDAYS[day - 1]
    chars = char + ("天" if day == 7 else "")
    return rf"(?:周|星期|礼拜)[{chars}]"


def overlaps(fact: str, text: str, size: int = OVERLAP_CHARS) -> bool:
    """Some ``size``-character run of the fact appears in the reply (the whole of a shorter one)."""
    plain_fact, plain_text = re.sub(r"\s", "", fold(fact)), re.sub(r"\s", "", text)
    if len(plain_fact) <= size:
        return bool(plain_fact) and plain_fact in plain_text
    return any(plain_fact[i:i + size] in plain_text for i in range(len(plain_fact) - size + 1))


def negated(text: str, words: Sequence[str]) -> bool:
    for word in words:
        before = rf"{NEGATION_BEFORE}[^{CLAUSE_END}]{{0,8}}{word}"
        after = rf"{word}[^{CLAUSE_END}]{{0,6}}{NEGATION_AFTER}"
        if re.search(before, text) or re.search(after, text):
            return True
    return False


def says_missing(text: str) -> bool:
    return bool(HONEST_ABSENCE.search(text))


# --- facts ---------------------------------------------------------------------------

Check = Optional[str]  # None when the fact is there, else why not


def check_fact(catalogue: CatalogueLike, item: Item, attribute: str, text: str) -> Check:
    """Whether the reply carries the catalogue's value of ``attribute`` for ``item``."""
    kind = kind_of(item)
    if attribute not in KIND_ATTRIBUTES[kind]:
        return f"{attribute} is not an attribute of a {kind} ({label(item)})"
    checker = FACT_CHECKS.get((kind, attribute)) or FACT_CHECKS.get(("*", attribute))
    if checker is None:  # pragma: no cover - every attribute of the closed set has one
        return f"no check for {attribute}"
    if not isinstance(item, Service):  # 宽窄巷子 in the hotel's name is not its metro station
        name = fold(item.name)
        # ... but a sight's station of its own name (中央大街 at 中央大街) is said besides
        # the name that starts the answer: only that first mention is left out.
        metro = item.metro if isinstance(item, (Hotel, Sight)) else None
        own_station = attribute == "地铁" and metro is not None and fold(metro.station).removesuffix("站") == name
        text = text.replace(name, "\n", 1 if own_station else -1)
    return checker(catalogue, item, text)


def _missing_or(reason: str, text: str) -> Check:
    return None if says_missing(text) else f"the catalogue has no {reason}, and the reply does not say so"


def _address(_: CatalogueLike, item: Any, text: str) -> Check:
    if not item.address:
        return _missing_or("address", text)
    plain = _compact(text)
    address = _compact(item.address)
    candidates = {address, address.removeprefix(_compact(item.city)),
                  address.removeprefix(_compact(item.city)).removeprefix(_compact(item.district))}
    return None if any(c and c in plain for c in candidates) else f"address {item.address!r} not in the reply"


def _phone(_: CatalogueLike, item: Any, text: str) -> Check:
    if not item.phone:
        return _missing_or("phone number", text)
    return None if _compact(item.phone) in _compact(text) else f"phone {item.phone!r} not in the reply"


def _rating(_: CatalogueLike, item: Any, text: str) -> Check:
    if item.rating is None:
        return _missing_or("rating", text)
    forms = {f"{item.rating:.1f}", f"{item.rating:g}"}
    pattern = "|".join(rf"(?<![\d.]){re.escape(form)}(?!\d|\.\d)" for form in forms)
    return None if re.search(pattern, text) else f"rating {item.rating:.1f} not in the reply"


def _metro(_: CatalogueLike, item: Any, text: str) -> Check:
    if item.metro is None or not item.metro.station:
        return _missing_or("metro station", text)
    station = fold(item.metro.station)
    return None if station.removesuffix("站") in text else f"metro station {item.metro.station!r} not in the reply"


def _nearby(catalogue: CatalogueLike, item: Any, text: str) -> Check:
    if item.lat is None or item.lon is None:
        return _missing_or("location", text)
    names = [s.name for s, _ in catalogue.nearby_sights(item.lat, item.lon, item.city, limit=NEARBY_LOOKED_AT)]
    names += [h.name for h, _ in catalogue.nearby_hotels(item.lat, item.lon, item.city, limit=NEARBY_LOOKED_AT)]
    names = [name for name in names if name != item.name]
    if not names:
        return _missing_or("nearby places", text)
    return None if any(fold(name) in text for name in names) else "names none of the nearby places"


def _stars(_: CatalogueLike, item: Hotel, text: str) -> Check:
    if not item.stars:
        return None if (item.grade and item.grade in text) or says_missing(text) else \
            "the hotel has no star rating; the reply gives neither its grade nor says so"
    words = [str(item.stars)] + ([CHINESE_DIGITS[item.stars]] if item.stars in CHINESE_DIGITS else [])
    pattern = rf"(?:{'|'.join(words)})\s*(?:星|钻)"
    return None if re.search(pattern, text) else f"{item.stars} stars not in the reply"


def _hotel_price(_: CatalogueLike, item: Hotel, text: str) -> Check:
    if not item.rooms:
        return _missing_or("room prices", text)
    return None if any(has_number(text, room.price) for room in item.rooms) else \
        f"none of the room prices ({', '.join(str(r.price) for r in item.rooms)}) in the reply"


def _rooms(_: CatalogueLike, item: Hotel, text: str) -> Check:
    if not item.rooms:
        return _missing_or("room types", text)
    return None if any(fold(room.type) in text for room in item.rooms) else "names none of its room types"


def _breakfast(_: CatalogueLike, item: Hotel, text: str) -> Check:
    words = ("早餐", "早饭", "含早")
    mentioned = any(word in text for word in words)
    not_included = negated(text, words) or bool(BREAKFAST_NOT_INCLUDED.search(text))
    if item.breakfast_included:
        return None if mentioned and not not_included else "breakfast is included; the reply does not say so"
    if any(room.breakfast for room in item.rooms) or "早餐" in item.facilities:
        return None if mentioned else "the hotel has breakfast (some rooms or to buy); the reply does not say"
    return None if not_included or says_missing(text) else "no breakfast; the reply does not say so"


def _facility_check(attribute: str) -> Callable[[CatalogueLike, Hotel, str], Check]:
    facilities, words = FACILITY_WORDS[attribute]

    def check(_: CatalogueLike, item: Hotel, text: str) -> Check:
        has = any(facility in item.facilities for facility in facilities)
        mentioned = any(word in text for word in words)
        if has:
            return None if mentioned and not negated(text, words) else f"it has {attribute}; the reply does not say so"
        if mentioned and negated(text, words) or says_missing(text):
            return None
        return f"it has no {attribute}; the reply does not say so"
    return check


def _facilities(_: CatalogueLike, item: Hotel, text: str) -> Check:
    if not item.facilities:
        return _missing_or("facilities", text)
    return None if any(fold(f) in text for f in item.facilities) else "names none of its facilities"


def _clock_time(field: str, what: str) -> Callable[[CatalogueLike, Any, str], Check]:
    def check(_: CatalogueLike, item: Any, text: str) -> Check:
        value = str(getattr(item, field) or "")
        if not value:
            return _missing_or(what, text)
        if value.endswith("+1") and not has_time(text, value) and "次日" not in text and "第二天" not in text:
            return f"{what} {value} (next day) not in the reply"
        return None if has_time(text, value) else f"{what} {value} not in the reply"
    return check


def _tickets(_: CatalogueLike, item: Sight, text: str) -> Check:
    if item.free:
        return None if re.search(r"(免费|免票|不要门票|无需门票|不收门票|不用门票)", text) else \
            "admission is free; the reply does not say so"
    if not item.tickets:
        return _missing_or("ticket prices", text)
    name, price = item.tickets[0]
    return None if has_number(text, price) else f"{name} ¥{price} not in the reply"


def _opening_hours(_: CatalogueLike, item: Sight, text: str) -> Check:
    if not item.opening_hours:
        return _missing_or("opening hours", text)
    times = re.findall(r"\d{1,2}:\d{2}", fold(item.opening_hours))
    if not times:
        return None if overlaps(item.opening_hours, text, 4) else f"opening hours {item.opening_hours!r} not in the reply"
    absent = [t for t in times[:2] if not has_time(text, t)]  # opening and closing
    return None if not absent else f"opening hours {item.opening_hours!r}: {', '.join(absent)} not in the reply"


def _visit_hours(_: CatalogueLike, item: Sight, text: str) -> Check:
    if not item.visit_hours:
        return _missing_or("suggested visit time", text)
    low, high = item.visit_hours
    return None if re.search(hours_pattern(low, high), text) else f"visit time {low}–{high} h not in the reply"


def _overlap_check(field: str, what: str) -> Callable[[CatalogueLike, Any, str], Check]:
    def check(_: CatalogueLike, item: Any, text: str) -> Check:
        value = getattr(item, field)
        value = "".join(value) if isinstance(value, tuple) else str(value or "")
        if not value:
            return _missing_or(what, text)
        lines = getattr(item, field) if isinstance(getattr(item, field), tuple) else (value,)
        return None if any(overlaps(line, text) for line in lines) else f"{what} not in the reply"
    return check


def _suitable(_: CatalogueLike, item: Sight, text: str) -> Check:
    if not item.suitable_for:
        return _missing_or("suitability", text)
    return None if any(word in text for word in item.suitable_for) else \
        f"suitable for {'/'.join(item.suitable_for)}: none in the reply"


def _tour_price(_: CatalogueLike, item: Tour, text: str) -> Check:
    return None if has_number(text, item.price) else f"price ¥{item.price} not in the reply"


def _departure_days(_: CatalogueLike, item: Tour, text: str) -> Check:
    days = sorted(set(item.departure_weekdays))
    if not days:
        return _missing_or("departure days", text)
    if len(days) == 7 and re.search(r"(每天|天天|每日)", text):
        return None
    absent = [d for d in days if not re.search(weekday_words(d), text)]
    return None if not absent else f"departure days {', '.join('周' + WEEKDAYS[d - 1] for d in absent)} not in the reply"


def _tour_days(_: CatalogueLike, item: Tour, text: str) -> Check:
    words = [str(item.days)] + ([CHINESE_DIGITS[item.days]] if item.days in CHINESE_DIGITS else [])
    return None if re.search(rf"(?<!\d)(?:{'|'.join(words)})\s*(?:天|日)", text) else f"{item.days} days not in the reply"


def _duration(_: CatalogueLike, item: Service, text: str) -> Check:
    return None if re.search(duration_pattern(item.duration_minutes), text) else \
        f"duration {item.duration_minutes} min not in the reply"


def _fares(_: CatalogueLike, item: Service, text: str) -> Check:
    return None if any(has_number(text, fare.price) for fare in item.fares) else "none of its fares in the reply"


def _seats(_: CatalogueLike, item: Service, text: str) -> Check:
    """Seats depend on the day's inventory, so any seat count or 有票/无票 for one of its
    classes counts; the class must be named."""
    named = [fare.name for fare in item.fares if fold(fare.name) in text]
    if not named:
        return "names none of its classes"
    availability = r"(\d+\s*(?:张|个|席|座位|位)|有票|无票|余票|售罄|充足|有座|没票|没有票|已满|满了|紧张)"
    return None if re.search(availability, text) else "says nothing about seats left"


def _stations(_: CatalogueLike, item: Service, text: str) -> Check:
    absent = [s for s in (item.from_station, item.to_station) if s and fold(s) not in text]
    return None if not absent else f"{', '.join(absent)} not in the reply"


def _terminals(_: CatalogueLike, item: Service, text: str) -> Check:
    terminals = [t for t in (item.from_terminal, item.to_terminal) if t]
    if not terminals:
        return _missing_or("terminal", text)
    absent = [t for t in terminals if not re.search(rf"(?<![A-Za-z0-9]){re.escape(t)}(?![0-9])", text, re.I)]
    return None if not absent else f"terminal {', '.join(absent)} not in the reply"


FACT_CHECKS: Dict[Tuple[str, str], Callable[[CatalogueLike, Any, str], Check]] = {
    ("*", "地址"): _address, ("*", "电话"): _phone, ("*", "评分"): _rating, ("*", "地铁"): _metro,
    ("*", "周边"): _nearby,
    (HOTEL, "星级"): _stars, (HOTEL, "价格"): _hotel_price, (HOTEL, "房型"): _rooms, (HOTEL, "早餐"): _breakfast,
    (HOTEL, "停车"): _facility_check("停车"), (HOTEL, "泳池"): _facility_check("泳池"),
    (HOTEL, "健身房"): _facility_check("健身房"), (HOTEL, "无烟房"): _facility_check("无烟房"),
    (HOTEL, "行李寄存"): _facility_check("行李寄存"), (HOTEL, "设施"): _facilities,
    (HOTEL, "入住时间"): _clock_time("checkin_time", "check-in time"),
    (HOTEL, "退房时间"): _clock_time("checkout_time", "check-out time"),
    (SIGHT, "票价"): _tickets, (SIGHT, "开放时间"): _opening_hours, (SIGHT, "游玩时长"): _visit_hours,
    (SIGHT, "介绍"): _overlap_check("description", "description"), (SIGHT, "适合人群"): _suitable,
    (TOUR, "价格"): _tour_price, (TOUR, "费用包含"): _overlap_check("includes", "what the price includes"),
    (TOUR, "费用不含"): _overlap_check("excludes", "what the price excludes"),
    (TOUR, "行程"): _overlap_check("itinerary", "itinerary"), (TOUR, "团期"): _departure_days,
    (TOUR, "天数"): _tour_days,
    (SERVICE, "发车时间"): _clock_time("depart", "departure time"),
    (SERVICE, "到达时间"): _clock_time("arrive", "arrival time"), (SERVICE, "时长"): _duration,
    (SERVICE, "票价"): _fares, (SERVICE, "座位"): _seats, (SERVICE, "车站"): _stations,
    (SERVICE, "航站楼"): _terminals,
}


# --- filters on everything shown (all_shown) ----------------------------------------

def distance_km(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    return haversine_km(a[0], a[1], b[0], b[1])



def _has_facility(item: Item, wanted: str) -> bool:
    if not isinstance(item, Hotel):
        return False
    if wanted in FACILITY_WORDS:
        return any(f in item.facilities for f in FACILITY_WORDS[wanted][0])
    if wanted == "早餐":
        return item.breakfast_included or "早餐" in item.facilities or any(r.breakfast for r in item.rooms)
    return any(wanted in facility or facility in wanted for facility in item.facilities)


def filter_failure(catalogue: CatalogueLike, item: Item, key: str, wanted: Any) -> Check:
    """Why ``item`` does not satisfy the ``all_shown`` filter ``key: wanted``, or None."""
    name = label(item)
    if key == "city":
        cities = ((item.origin, item.destination) if isinstance(item, Service) else
                  (item.destination, item.departs_from) if isinstance(item, Tour) else (item.city,))
        return None if wanted in cities else f"{name} is not in {wanted}"
    if key == "district":
        district = getattr(item, "district", "")
        short = wanted.removesuffix("区").removesuffix("新")
        return None if district and (district == wanted or district.startswith(short)) else \
            f"{name} is in {district or 'no district'}, not {wanted}"
    if key == "near":
        return _near_failure(catalogue, item, wanted)
    if key in ("max_price", "min_price"):
        price = lowest_price(item)
        limit = Decimal(str(wanted))
        ok = price <= limit if key == "max_price" else price >= limit
        return None if ok else f"{name} costs ¥{price} ({key} {wanted})"
    if key == "min_rating":
        rating = getattr(item, "rating", None)
        return None if rating is not None and rating >= wanted else f"{name} is rated {rating} (< {wanted})"
    if key == "min_stars":
        stars = getattr(item, "stars", 0)
        return None if stars >= wanted else f"{name} has {stars} stars (< {wanted})"
    if key == "facility":
        absent = [f for f in wanted if not _has_facility(item, f)]
        return None if not absent else f"{name} lacks {', '.join(absent)}"
    if key == "free":
        free = getattr(item, "free", None)
        return None if free is wanted else f"{name} free={free}"
    if key == "type":
        types = {getattr(item, "type", ""), getattr(item, "grade", "")} - {""}
        return None if any(wanted in t or t in wanted for t in types) else f"{name} is {'/'.join(types) or 'untyped'}"
    if key in ("origin", "destination"):
        value = (item.origin if key == "origin" else item.destination) if isinstance(item, Service) else \
            (item.departs_from if key == "origin" else item.destination) if isinstance(item, Tour) else None
        return None if value == wanted else f"{name}: {key} {value}, not {wanted}"
    if isinstance(item, Service):
        return _service_filter_failure(item, key, wanted)
    return f"{key} does not apply to {name}"


def _service_filter_failure(item: Service, key: str, wanted: Any) -> Check:
    if key == "mode":
        return None if item.mode == wanted else f"{item.code} is a {item.mode}"
    if key == "depart_after":
        return None if item.depart >= wanted.zfill(5) else f"{item.code} leaves at {item.depart}"
    if key == "depart_before":
        return None if item.depart < wanted.zfill(5) else f"{item.code} leaves at {item.depart}"
    if key == "fare_class":
        return None if any(f.name == wanted for f in item.fares) else f"{item.code} sells no {wanted}"
    return f"{key} does not apply to {item.code}"  # pragma: no cover - keys are validated


def _near_failure(catalogue: CatalogueLike, item: Item, landmark_name: str) -> Check:
    city = getattr(item, "city", None)
    landmark = catalogue.landmark(fold(landmark_name), city=city) or catalogue.landmark(fold(landmark_name))
    if landmark is None or landmark.lat is None or landmark.lon is None:
        return f"landmark {landmark_name} is not in the catalogue (or has no coordinates)"
    lat, lon = getattr(item, "lat", None), getattr(item, "lon", None)
    if lat is None or lon is None:
        return f"{label(item)} has no coordinates"
    km = distance_km((lat, lon), (landmark.lat, landmark.lon))
    return None if km <= NEAR_KM else f"{label(item)} is {km:.1f} km from {landmark_name} (> {NEAR_KM:g} km)"


def landmark_names(catalogue: CatalogueLike, filters: Mapping[str, Any]) -> Tuple[str, ...]:
    """Names of the ``near`` landmark, which a reply may name without showing it as a result."""
    if "near" not in filters:
        return ()
    landmark = catalogue.landmark(fold(filters["near"]))
    return (landmark.name,) if landmark else ()
