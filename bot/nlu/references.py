"""How travellers point at a listed item without its exact name: part of its name
("东站小憩那家"), its airline's short name ("南航"), its departure time ("11点40那班",
"下午两点那班"), a room type without its last character ("大床")."""
from __future__ import annotations

import re
from typing import Iterable, List, Optional

from bot.numerals import parse_number

# Short airline names travellers use, and the operator names the catalogue uses.
AIRLINES = {"南航": "南方航空", "东航": "东方航空", "国航": "中国国航", "海航": "海南航空",
            "川航": "四川航空", "厦航": "厦门航空", "深航": "深圳航空", "山航": "山东航空"}
CLOCK = re.compile(r"(\d{1,2})\s*(?:[:：点])\s*(\d{1,2}|半)?")
CHINESE_HOUR = re.compile(r"[零一二两三四五六七八九十]+(?=\s*[点:：])")
AFTERNOON = re.compile(r"下午|晚上|傍晚")
MORNING = re.compile(r"凌晨|早上|早晨|上午|清早|中午")
HALF = re.compile(r"半")
GENERIC_NAME_PARTS = re.compile(r"(?:大?酒店|宾馆|客栈|民宿|度假村|公寓)$")
# "大床房" → "大床", "二等座" → "二等", "经济舱" → "经济": a room or class without its ending.
ROOM_SUFFIX = re.compile(r"[房座舱]$")


def airline_in(text: str) -> Optional[str]:
    """The operator name of an airline the text names, short or in full."""
    return next((full for short, full in AIRLINES.items() if short in text or full in text), None)


def departure_in(text: str) -> Optional[str]:
    """A clock time said as HH:MM ("11点40", "9点05", "下午两点", "十点半")."""
    digits = CHINESE_HOUR.sub(lambda m: str(parse_number(m.group(0)) or m.group(0)), text)
    match = CLOCK.search(digits)
    if not match:
        return None
    hour = int(match.group(1))
    minute = match.group(2)
    minutes = 30 if minute and HALF.match(minute) else int(minute or 0)
    if hour < 12 and AFTERNOON.search(text):
        hour += 12
    return f"{hour:02d}:{minutes:02d}" if hour < 24 and minutes < 60 else None


def departures_meant(text: str) -> List[str]:
    """The clock times a time said without a part of the day may mean, in order: "3点那趟"
    is 03:00 or 15:00, whichever the list in view has; "下午两点" is only 14:00."""
    said = departure_in(text)
    if said is None:
        return []
    if int(said[:2]) == 0 or int(said[:2]) >= 12 or AFTERNOON.search(text) or MORNING.search(text):
        return [said]
    return [said, f"{int(said[:2]) + 12:02d}{said[2:]}"]


def name_overlap(name: str, text: str, cities: Iterable[str] = ()) -> int:
    """The length of the longest part of an item's distinctive name (without its city
    and its "酒店"-like ending) that the message repeats; 0 below two characters."""
    core = GENERIC_NAME_PARTS.sub("", name)
    city = next((c for c in cities if core.startswith(c)), "")
    core = core[len(city):] or core  # the city names every listed hotel alike
    for size in range(len(core), 1, -1):
        if any(core[i:i + size] in text for i in range(len(core) - size + 1)):
            return size
    return 0


def room_type_stem(variant: str) -> str:
    """"大床房" → "大床", "二等座" → "二等": what travellers often type for a room type or class."""
    return ROOM_SUFFIX.sub("", variant)
