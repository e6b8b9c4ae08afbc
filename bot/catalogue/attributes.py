"""The closed set of things travellers ask about an item, and how they say them.

The NLU's ``attribute`` entity is found here by rule (not learned), so every channel gets
the same canonical names: 在哪/怎么走 → 地址, 几点关门 → 开放时间, 还有票吗 → 座位.
The phrasings are data (``knowledge_base/vocabulary/attributes.yml``) so an operator
adds a colloquial wording without touching code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Pattern, Tuple

import yaml

from bot.catalogue.items import HOTEL, ITEM_KINDS, SERVICE, SIGHT, TOUR
from bot.settings import settings

# The closed set's names, for code that branches on them.
ADDRESS = "地址"
PHONE = "电话"
RATING = "评分"
STARS = "星级"
PRICE = "价格"
ROOMS = "房型"
BREAKFAST = "早餐"
PARKING = "停车"
FACILITIES = "设施"
POOL = "泳池"
GYM = "健身房"
NON_SMOKING = "无烟房"
LUGGAGE = "行李寄存"
CHECKIN = "入住时间"
CHECKOUT = "退房时间"
METRO = "地铁"
NEARBY = "周边"
TICKET = "票价"
HOURS = "开放时间"
VISIT = "游玩时长"
INTRO = "介绍"
SUITABLE = "适合人群"
INCLUDES = "费用包含"
EXCLUDES = "费用不含"
ITINERARY = "行程"
DEPARTURES = "团期"
DAYS = "天数"
DEPART = "发车时间"
ARRIVE = "到达时间"
DURATION = "时长"
SEATS = "座位"
STATIONS = "车站"
TERMINAL = "航站楼"
# A yes/no facility question and the catalogue facilities that answer it (parking is
# either kind of car park).
FACILITY_OF = {
    PARKING: ("免费停车", "停车场"),
    POOL: ("游泳池",),
    GYM: ("健身房",),
    NON_SMOKING: ("无烟房",),
    LUGGAGE: ("行李寄存",),
}
# What to offer when a fact is missing, in this order.
BASICS = (ADDRESS, PHONE, RATING, TICKET, HOURS, PRICE, DEPART, ARRIVE)

HOTEL_ATTRIBUTES = (
    "地址", "电话", "评分", "星级", "价格", "房型", "早餐", "停车", "设施", "泳池", "健身房",
    "无烟房", "行李寄存", "入住时间", "退房时间", "地铁", "周边", "介绍",
)
SIGHT_ATTRIBUTES = ("地址", "电话", "票价", "开放时间", "游玩时长", "地铁", "评分", "周边", "介绍", "适合人群")
TOUR_ATTRIBUTES = ("价格", "费用包含", "费用不含", "行程", "团期", "天数", "介绍")
SERVICE_ATTRIBUTES = ("发车时间", "到达时间", "时长", "票价", "座位", "车站", "航站楼", "介绍")
BY_KIND: Dict[str, Tuple[str, ...]] = {
    HOTEL: HOTEL_ATTRIBUTES,
    SIGHT: SIGHT_ATTRIBUTES,
    TOUR: TOUR_ATTRIBUTES,
    SERVICE: SERVICE_ATTRIBUTES,
}
ATTRIBUTES: Tuple[str, ...] = tuple(dict.fromkeys(a for kind in ITEM_KINDS for a in BY_KIND[kind]))

# The same question means a different fact for another kind of item: "多少钱" is a room
# price for a hotel and a ticket for a sight; "要多久" is a visit for a sight and days for
# a tour. (asked, kind) → what to answer.
KIND_MEANING: Dict[Tuple[str, str], str] = {
    ("票价", HOTEL): "价格",
    ("票价", TOUR): "价格",
    ("价格", SIGHT): "票价",
    ("价格", SERVICE): "票价",
    ("时长", SIGHT): "游玩时长",
    ("时长", TOUR): "天数",
    ("游玩时长", TOUR): "天数",
    ("游玩时长", SERVICE): "时长",
    ("天数", SIGHT): "游玩时长",
    ("天数", SERVICE): "时长",
    ("发车时间", SIGHT): "开放时间",
    ("发车时间", TOUR): "团期",
    ("团期", SERVICE): "发车时间",
    ("车站", HOTEL): "地铁",
    ("车站", SIGHT): "地铁",
    ("地址", SERVICE): "车站",
    ("地铁", SERVICE): "车站",
    ("开放时间", HOTEL): "入住时间",
    ("设施", SIGHT): "介绍",
    ("房型", TOUR): "费用包含",
    ("早餐", TOUR): "费用包含",
    ("适合人群", HOTEL): "介绍",
    ("适合人群", TOUR): "介绍",
    ("行程", SIGHT): "介绍",
    ("评分", TOUR): "介绍",
    ("评分", SERVICE): "时长",
}


@dataclass(frozen=True)
class AttributeMention:
    """A canonical attribute and where the traveller said it."""

    name: str
    start: int
    end: int


class VocabularyError(ValueError):
    """attributes.yml names an attribute outside the closed set or a bad pattern."""


@lru_cache(maxsize=None)
def _phrasings() -> Tuple[Tuple[Pattern[str], str], ...]:
    path = settings.knowledge_base_dir / "vocabulary" / "attributes.yml"
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    compiled: List[Tuple[Pattern[str], str]] = []
    for name, entry in (data.get("attributes") or {}).items():
        if name not in ATTRIBUTES:
            raise VocabularyError(f"{path}: '{name}' is not one of the attributes {ATTRIBUTES}")
        for phrase in [re.escape(name), *((entry or {}).get("phrases") or ())]:
            try:
                compiled.append((re.compile(str(phrase), re.IGNORECASE), name))
            except re.error as error:
                raise VocabularyError(f"{path}: {name}: bad pattern '{phrase}': {error}") from error
    return tuple(compiled)


def attributes_in(text: str) -> List[AttributeMention]:
    """Every attribute asked about in the text, in order, longest wording winning overlaps.

    One message often asks two things ("地址在哪？有停车场吗"): both are returned; the
    same attribute said twice is returned once.
    """
    candidates = [
        AttributeMention(name, match.start(), match.end())
        for pattern, name in _phrasings()
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]
    candidates.sort(key=lambda m: (-(m.end - m.start), m.start))
    chosen: List[AttributeMention] = []
    for mention in candidates:
        if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
            chosen.append(mention)
    seen = set()
    unique = []
    for mention in sorted(chosen, key=lambda m: m.start):
        if mention.name not in seen:
            seen.add(mention.name)
            unique.append(mention)
    return unique


def for_kind(attribute: str, kind: str) -> Optional[str]:
    """What a question means for this kind of item, or None if it has no such fact."""
    meant = KIND_MEANING.get((attribute, kind), attribute)
    return meant if meant in BY_KIND.get(kind, ()) else None


def kinds_of(attribute: str) -> Tuple[str, ...]:
    """The kinds of item that have this attribute, in ITEM_KINDS order."""
    return tuple(kind for kind in ITEM_KINDS if attribute in BY_KIND[kind])


def clear_cache() -> None:
    """Forget the phrasings (tests point the knowledge base elsewhere)."""
    _phrasings.cache_clear()
