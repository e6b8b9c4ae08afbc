"""Reading what a traveller says about results and trips: "第二个", "还有便宜点的吗",
"有早一点的吗", "从杭州到上海", "南航11点40那班".

Pure functions: the searches themselves are the catalogue facade's (``queries``), the
constraints of a search are read by ``constraints``, the questions by ``attributes``.
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple


# --- follow-ups on shown results --------------------------------------------------

ORDINAL = re.compile(r"第\s*([一二两三四五六七八九十\d]{1,2})\s*(?:个|家|条|班|趟|种|款|项|间|号)?")
CHEAPER = re.compile(r"便宜|实惠|划算|低一点|低点|低价|预算不够|太贵|贵了|省钱|经济")
EARLIER = re.compile(r"早一点|早点|更早|早些|最早|提前一点")
LATER = re.compile(r"晚一点|晚点|更晚|晚些|最晚|下午的|晚上的")
MORE = re.compile(
    r"还有别的|还有其他|别的|其他的|换一批|更多|再看看|还有吗|还有没有|下一页|"
    r"只有(?:这|那)?(?:一|几|些)?(?:家|个|间|趟|班|条|种|款|些)?\s*(?:吗|么|嘛|啊|呀|[?？])|"  # 只有一家吗
    r"就(?:这|这些|这几)(?:家|个|间|趟|班|条)?\s*(?:吗|么|了吗)|"  # 就这几家吗
    r"有冇(?:其他|别|第二)|仲有(?:冇|无)?(?:其他|别)|仲有冇\s*(?:[?？呀啊]|$)|(?<!没)(?<!没有)(?<!冇)(?<!无)其他\s*(?:吗|呢|[?？]|$)"  # Cantonese: 有冇其他, 仲有冇
)
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
# "上海到苏州": two cities joined by nothing but a route word are origin and destination.
ROUTE_JOIN = re.compile(r"^\s*(?:到|去|往|至|飞|飞往|开往|回|->|-|—|→|~)\s*$")


def split_route(text: str, cities: Sequence[Tuple[str, int, int]]) -> Tuple[Optional[str], Optional[str]]:
    """Origin and destination from city mentions (name, start, end) and their cue words.

    从杭州出发 → origin; 去成都 / 到成都 → destination; 上海到北京 → both, and such a
    pair wins over cue words elsewhere in the message. With two cities and no cue the first
    is the origin, as travellers say it.
    """
    pairs = [(a[0], b[0]) for a, b in zip(cities, cities[1:], strict=False)
             if a[0] != b[0] and ROUTE_JOIN.match(text[a[2]:b[1]])]
    if pairs:
        return pairs[-1]  # "先飞上海，再坐高铁去苏州。上海到苏州下午的": the route stated last
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
        if name in (origin, destination):
            continue  # "到苏州还是苏州北": the same city again is neither end
        if origin is None and (destination is not None or len(undecided) > 1):
            origin = name
        elif destination is None:
            destination = name
        elif origin is None:
            origin = name
    return origin, destination


# --- a service by when it leaves and who runs it ----------------------------------

CLOCK = re.compile(r"(上午|早上|中午|下午|晚上|傍晚)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:点|:|：)\s*(半|\d{2})?\s*(?:分)?\s*(?:的|那|这|出发|发车|起飞)")
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
