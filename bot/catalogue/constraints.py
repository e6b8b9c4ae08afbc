"""What a traveller wants from a search, read from their own words.

"故宫附近一晚500以内、带停车场的四星以上酒店" becomes a price ceiling, a landmark, a
facility and a star floor; "明天上午的高铁一等座" becomes a mode, a departure window and
a fare class. Pure functions: the action resolves landmark and district names against
the catalogue and builds the facade's query from these fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from bot.catalogue.items import HotelQuery, ServiceQuery, SightQuery, TourQuery
from bot.text import SPEECH_PATTERN

DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
          "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两俩三四五六七八九十百千万]+)"


@dataclass(frozen=True)
class Constraints:
    """Everything a message says about the wanted results; None/empty = not said."""

    min_price: Optional[Decimal] = None
    max_price: Optional[Decimal] = None
    min_rating: Optional[float] = None
    min_stars: Optional[int] = None
    hotel_types: Tuple[str, ...] = ()
    sight_types: Tuple[str, ...] = ()
    facilities: Tuple[str, ...] = ()
    breakfast: Optional[bool] = None
    suitable_for: Tuple[str, ...] = ()
    free: Optional[bool] = None
    max_visit_hours: Optional[float] = None
    days: Optional[int] = None
    modes: Tuple[str, ...] = ()
    fare_class: Optional[str] = None
    depart_after: Optional[str] = None
    depart_before: Optional[str] = None
    arrive_before: Optional[str] = None
    near: Optional[str] = None  # a landmark's words as said: 故宫, 西湖
    sort: Optional[str] = None  # price | price_desc | rating | distance

    def said(self) -> bool:
        """Whether the message constrained anything at all."""
        return self != Constraints()

    def merged_into(self, earlier: "Constraints") -> "Constraints":
        """Earlier constraints refined by these (a later word wins for the same field).

        A departure window is one thing: "两点以后" after "上午的" replaces the morning,
        it does not leave a window that ends before it starts."""
        changes = {name: value for name, value in self.__dict__.items() if value not in (None, ())}
        if self.depart_after or self.depart_before:
            changes.setdefault("depart_after", None)
            changes.setdefault("depart_before", None)
        return replace(earlier, **changes)

    def times_or_service(self) -> bool:
        """Whether the message says when to leave or arrive, how or in which class."""
        return bool(self.depart_after or self.depart_before or self.arrive_before or self.modes
                    or self.fare_class)


def chinese_number(word: str) -> Optional[Decimal]:
    """1200, 五百, 一千二, 三十五 → a number; None if it is not one."""
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return Decimal(word)
    total, current, last_unit = 0, 0, 1
    for char in word:
        if char in DIGITS:
            current = DIGITS[char]
        elif char in UNITS:
            unit = UNITS[char]
            total += (current or 1) * unit
            current, last_unit = 0, unit
        else:
            return None
    if current:
        # 一千二 = 1200, 三百五 = 350: a trailing digit counts one unit below the last.
        total += current * (last_unit // 10 if last_unit >= 100 else 1)
    return Decimal(total) if total or word == "零" else None


# --- prices ----------------------------------------------------------------------

PRICE_RANGE = re.compile(rf"({NUMBER})\s*(?:元|块)?\s*(?:到|至|-|~|—)\s*({NUMBER})\s*(?:元|块)")
PRICE_RANGE_LOOSE = re.compile(rf"(?:价格|预算|一晚|每晚|房价)\s*({NUMBER})\s*(?:到|至|-|~|—)\s*({NUMBER})")
TWO_DIGIT_RANGE = re.compile(r"([一二两三四五六七八九])([二三四五六七八九])(百|千)(?:块|元)?(?:左右|上下)?")
PRICE_CEILING = re.compile(
    rf"(?:不超过|不要超过|唔超过|不高于|别超过|低于|少于|最多|预算|控制在|以内的?|不到)\s*({NUMBER})\s*(?:元|块|蚊)?"
    rf"|({NUMBER})\s*(?:元|块|蚊)?\s*(?:以内|以下|之内|内|左右以内|封顶|以下的)"
)
PRICE_FLOOR = re.compile(rf"({NUMBER})\s*(?:元|块)\s*(?:以上|起)|(?<![不别没勿唔要])(?:高于|超过|不低于)\s*({NUMBER})\s*(?:元|块)")
ABOUT_PRICE = re.compile(rf"({NUMBER})\s*(?:元|块)\s*(?:左右|上下)")
CHEAP = re.compile(r"便宜|实惠|划算|经济|性价比|省钱|不要太贵|别太贵|价格低|平价")
EXPENSIVE = re.compile(r"偏贵|贵一点|贵点|高档|豪华|奢华|高端|好一点的|好点的")


def _price(token: str) -> Optional[Decimal]:
    value = chinese_number(token)
    return value if value is not None and value >= 20 else None


def _prices(text: str) -> Dict[str, object]:
    found: Dict[str, object] = {}
    without_ratings = RATING.sub(" ", STARS.sub(" ", text))
    span = TWO_DIGIT_RANGE.search(without_ratings)
    if span:
        unit = 100 if span.group(3) == "百" else 1000
        found["min_price"] = Decimal(DIGITS[span.group(1)] * unit)
        found["max_price"] = Decimal(DIGITS[span.group(2)] * unit)
        return found
    match = PRICE_RANGE.search(without_ratings) or PRICE_RANGE_LOOSE.search(without_ratings)
    if match:
        low, high = _price(match.group(1)), _price(match.group(2))
        if low is not None and high is not None and low < high:
            return {"min_price": low, "max_price": high}
    match = ABOUT_PRICE.search(without_ratings)
    if match and _price(match.group(1)) is not None:
        middle = _price(match.group(1))
        assert middle is not None
        return {"min_price": (middle * Decimal("0.8")).quantize(Decimal(1)),
                "max_price": (middle * Decimal("1.2")).quantize(Decimal(1))}
    match = PRICE_CEILING.search(without_ratings)
    if match:
        value = _price(match.group(1) or match.group(2))
        if value is not None:
            found["max_price"] = value
    match = PRICE_FLOOR.search(without_ratings)
    if match:
        value = _price(match.group(1) or match.group(2))
        if value is not None:
            found["min_price"] = value
    return found


# --- quality ---------------------------------------------------------------------

RATING = re.compile(r"(?:评分|评价|分数|口碑)?\s*(\d(?:\.\d)?)\s*分\s*(?:以上|及以上|起|往上)?|(?:评分|评价|分数)\s*(?:要|在)?\s*(\d(?:\.\d)?)\s*(?:以上|及以上|往上)")
HIGH_RATING = re.compile(r"评分(?:最)?高|口碑(?:最)?好|评价(?:最)?好|好评多|好评如潮")
STARS = re.compile(r"([二三四五2345])\s*(?:星|钻)级?\s*(以上|及以上|起)?")
STAR_DIGITS = {"二": 2, "三": 3, "四": 4, "五": 5, "2": 2, "3": 3, "4": 4, "5": 5}


def _quality(text: str) -> Dict[str, object]:
    found: Dict[str, object] = {}
    match = RATING.search(text)
    if match:
        value = float(match.group(1) or match.group(2))
        if 0 < value <= 5:
            found["min_rating"] = value
    elif HIGH_RATING.search(text):
        found["sort"] = "rating"
    match = STARS.search(text)
    if match:
        found["min_stars"] = STAR_DIGITS[match.group(1)]
    return found


# --- kinds, facilities, who it suits ---------------------------------------------

HOTEL_TYPES = {
    "民宿": r"民宿|客栈",
    "亲子": r"亲子酒店|亲子房|亲子主题",
    "商务": r"商务酒店|商务型",
    "度假": r"度假酒店|度假村|度假型",
    "精品": r"精品酒店|设计酒店",
    "公寓": r"公寓|可以做饭|能做饭",
    "青旅": r"青旅|青年旅舍|青年旅社|床位",
}
SIGHT_TYPES = {
    "山水": r"山水|爬山|登山|自然风光|风景区|看山|山景",
    "古镇": r"古镇|水乡|古村",
    "博物馆": r"博物馆|展览|纪念馆|美术馆",
    "商圈": r"商圈|购物|逛街|商场",
    "主题乐园": r"主题乐园|游乐园|乐园|迪士尼|欢乐谷",
    "历史古迹": r"历史|古迹|遗址|古建筑",
    "公园": r"公园",
    "寺庙": r"寺庙|寺院|拜佛|烧香",
    "街区": r"老街|街区|胡同|巷子|步行街",
    "海滨": r"海边|海滨|沙滩|看海|海滩",
}
FACILITY_WORDS = {
    "游泳池": r"泳池|游泳",
    "健身房": r"健身",
    "停车场": r"停车|车位|自驾|开车",
    "免费WiFi": r"wifi|无线网|网络",
    "行李寄存": r"寄存|存行李|放行李",
    "无烟房": r"无烟|禁烟",
    "接机服务": r"接机|接送机",
    "温泉": r"温泉",
    "宠物友好": r"宠物|带狗|带猫",
    "充电桩": r"充电桩|电车充电",
    "儿童乐园": r"儿童乐园|儿童游乐",
    "会议室": r"会议室|开会",
    "洗衣服务": r"洗衣",
    "无障碍设施": r"无障碍|轮椅",
}
BREAKFAST = re.compile(r"含早|带早|有早餐|含早餐|包早|送早餐|带早餐")
NO_BREAKFAST = re.compile(r"不含早|不要早餐|无早")
SUITABLE = {
    "亲子": r"带孩子|带娃|带小孩|孩子|小朋友|儿童|亲子|宝宝|一家人",
    "老人": r"老人|长辈|爸妈|父母|老年|腿脚不好",
    "情侣": r"情侣|约会|对象|女朋友|男朋友|蜜月|两口子",
    "学生": r"学生",
    "朋友": r"朋友一起|闺蜜|兄弟们",
}
FREE = re.compile(r"免费(?:的)?(?:景点|景区|参观|地方|开放)|不要门票|不用门票|不收门票|免门票|无需门票|不花钱|不要钱|不收钱")
NEGATED_FACILITY = re.compile(r"(?:不需要|不用|不要|无所谓)\s*$")


def _matching(table: Dict[str, str], text: str) -> Tuple[str, ...]:
    return tuple(name for name, pattern in table.items() if re.search(pattern, text, re.IGNORECASE))


def _facilities(text: str) -> Tuple[str, ...]:
    wanted = []
    for name, pattern in FACILITY_WORDS.items():
        match = re.search(pattern, text, re.IGNORECASE)
        if match and not NEGATED_FACILITY.search(text[max(0, match.start() - 4):match.start()]):
            wanted.append(name)
    return tuple(wanted)


# --- time ------------------------------------------------------------------------

VISIT = re.compile(rf"({NUMBER})\s*(?:个)?\s*(?:小时|钟头)|半天|一两个小时|两三个小时|一天")
TOUR_DAYS = re.compile(rf"({NUMBER})\s*(?:日游|天游|天\d*晚|天的团|天行程)|({NUMBER})\s*天\s*({NUMBER})\s*晚")
MODES = {
    "train": r"高铁|动车|火车|列车|城际|卧铺|硬卧|软卧|一等卧|二等卧|二等座|一等座|商务座|硬座",
    "flight": r"飞机|航班|机票|飞过去|坐飞|经济舱|头等舱|公务舱",
    "bus": r"大巴|客车|汽车票|长途车|巴士|班车",
}
# "不想坐高铁", "高铁太赶了": a mode named to rule it out.
MODE_REFUSED_BEFORE = re.compile(r"(?:不想|不要|不用|不坐|别|不考虑|不喜欢|不愿意|不打算)\s*(?:坐|搭|乘)?\s*$")
MODE_REFUSED_AFTER = re.compile(r"^\s*(?:的话)?\s*(?:太赶|太贵|太累|太早|太晚|不方便|不行|算了|就算了|不要了|没意思|坐够了)")
FARE_CLASSES = ("商务座", "一等座", "二等座", "一等卧", "二等卧", "硬卧", "软卧", "硬座", "无座", "头等舱", "商务舱",
                "公务舱", "经济舱")
FARE_ALIASES = {"公务舱": "商务舱"}
SLEEPER = "卧铺"  # any sleeping berth: 硬卧, 软卧, 一等卧, 二等卧
HOUR = rf"({NUMBER})\s*(?:点|:|：)(半|\d{{2}})?"
AFTER = re.compile(rf"(?:下午|晚上|傍晚)?{HOUR}\s*(?:钟)?\s*(?:以后|之后|后|往后|以后出发|后出发)")
BEFORE = re.compile(rf"(?:上午|早上)?{HOUR}\s*(?:钟)?\s*(?:以前|之前|前)(?!后)(?!\s*(?:要|得|必须|需要|就要|能|可以)?\s*(?:到|抵达))")
ARRIVE_BEFORE = re.compile(
    rf"(?:上午|中午|下午|晚上)?{HOUR}\s*(?:以前|之前|前)\s*(?:要|得|必须|需要|就要|能|可以)?\s*(?:到|抵达|能到)"
    r"|(中午|晚上|天黑)前\s*(?:要|得|必须|需要|就要|能|可以)?\s*(?:到|抵达|能到)"
)
DAY_PART_WORD = r"(凌晨|上午|早上|中午|下午|晚上|傍晚)?"
# "下午两点那班", "早上8点的": one service at about that time, not a window from it on.
AT_CLOCK = re.compile(rf"{DAY_PART_WORD}\s*{HOUR}\s*(?:钟)?\s*(?:左右)?\s*(?:的|那|出发|发车|起飞|走)")
AT_CLOCK_SPREAD = 30  # minutes either side of the time said
# "九点左右", "9点前后": roughly then, so a wider window than one service's time.
AROUND_CLOCK = re.compile(rf"{DAY_PART_WORD}\s*{HOUR}\s*(?:钟)?\s*(?:左右|前后|上下)")
AROUND_SPREAD = 60  # minutes either side of a time said with 左右/前后
# "晚上八点多": within the hour after it.
PAST_THE_HOUR = re.compile(rf"{DAY_PART_WORD}\s*({NUMBER})\s*点\s*多")
# "八点半到九点半之间", "下午两点到四点": a window said with both ends.
CLOCK_RANGE = re.compile(rf"{DAY_PART_WORD}\s*{HOUR}\s*(?:钟)?\s*(?:到|至|~|～|-|—|－)\s*{DAY_PART_WORD}\s*{HOUR}")
DAY_PARTS = (
    (re.compile(r"凌晨"), "00:00", "06:00"),
    (re.compile(r"早上|清早|一大早|早班"), "05:00", "09:00"),
    (re.compile(r"上午"), "06:00", "12:00"),
    (re.compile(r"中午"), "11:00", "14:00"),
    (re.compile(r"下午"), "12:00", "18:00"),
    (re.compile(r"晚上|傍晚|夜里|晚班"), "18:00", "24:00"),
)
AFTERNOON_WORDS = re.compile(r"下午|晚上|傍晚")
MORNING_WORDS = re.compile(r"凌晨|早上|上午|清早|一大早")
ARRIVAL_AFTER = re.compile(r"^\s*(?:就|能|可以|要)?\s*(?:到|抵达|到达|落地)")  # "早上到": when it arrives


def _clock(hour_token: str, minutes: Optional[str], afternoon: bool) -> Optional[str]:
    hour = chinese_number(hour_token)
    if hour is None or hour > 24:
        return None
    value = int(hour)
    if afternoon and value < 12:
        value += 12
    minute = 30 if minutes == "半" else int(minutes) if minutes else 0
    return f"{value:02d}:{minute:02d}"


def _afternoon(said: str, text: str, hour_token: str) -> bool:
    """Whether an hour is after noon: said so next to it, or anywhere in the message ("下午的！
    两点以后"), or 1 to 6 o'clock with no morning word (nobody takes a 2 a.m. train unsaid)."""
    if AFTERNOON_WORDS.match(said):
        return True
    if MORNING_WORDS.match(said) or MORNING_WORDS.search(text) and not AFTERNOON_WORDS.search(text):
        return False
    hour = chinese_number(hour_token)
    return bool(AFTERNOON_WORDS.search(text)) or (hour is not None and 1 <= hour <= 6)


def _shifted(clock: str, minutes: int) -> str:
    hours, mins = divmod(max(0, min(24 * 60, int(clock[:2]) * 60 + int(clock[3:]) + minutes)), 60)
    return f"{hours:02d}:{mins:02d}"


def _clock_window(text: str) -> Optional[Tuple[str, str]]:
    """A departure window the traveller gave both ends of, or roughly one time ("九点左右",
    "八点半到九点半之间", "晚上八点多"); None when they said no such thing."""
    match = CLOCK_RANGE.search(text)
    if match:
        first_part, second_part = match.group(1) or "", match.group(4) or match.group(1) or ""
        start = _clock(match.group(2), match.group(3), _afternoon(first_part, text, match.group(2)))
        end = _clock(match.group(5), match.group(6), _afternoon(second_part, text, match.group(5)))
        if start and end and start < end:
            return start, end
    match = AROUND_CLOCK.search(text)
    if match:
        clock = _clock(match.group(2), match.group(3), _afternoon(match.group(1) or "", text, match.group(2)))
        if clock:
            return _shifted(clock, -AROUND_SPREAD), _shifted(clock, AROUND_SPREAD)
    match = PAST_THE_HOUR.search(text)
    if match:
        clock = _clock(match.group(2), None, _afternoon(match.group(1) or "", text, match.group(2)))
        if clock:
            return clock, _shifted(clock, 60)
    return None


def _times(text: str) -> Dict[str, object]:
    found: Dict[str, object] = {}
    match = ARRIVE_BEFORE.search(text)
    if match:
        if match.group(3):
            found["arrive_before"] = {"中午": "12:00", "晚上": "20:00", "天黑": "18:00"}[match.group(3)]
        else:
            clock = _clock(match.group(1), match.group(2), bool(AFTERNOON_WORDS.match(match.group(0))))
            if clock:
                found["arrive_before"] = clock
        text = text[:match.start()] + text[match.end():]
    window = _clock_window(text)
    if window:
        found["depart_after"], found["depart_before"] = window
        return found
    match = AFTER.search(text)
    if match:
        clock = _clock(match.group(1), match.group(2), _afternoon(match.group(0), text, match.group(1)))
        if clock:
            found["depart_after"] = clock
    match = BEFORE.search(text)
    if match:
        clock = _clock(match.group(1), match.group(2), False)
        if clock:
            found["depart_before"] = clock
    if "depart_after" not in found and "depart_before" not in found:
        match = AT_CLOCK.search(text)
        clock = _clock(match.group(2), match.group(3), _afternoon(match.group(1) or "", text, match.group(2))) \
            if match else None
        if clock:
            found["depart_after"] = _shifted(clock, -AT_CLOCK_SPREAD)
            found["depart_before"] = _shifted(clock, AT_CLOCK_SPREAD)
            return found
        for pattern, start, end in DAY_PARTS:
            if any(not ARRIVAL_AFTER.match(text[m.end():]) for m in pattern.finditer(text)):
                found["depart_after"], found["depart_before"] = start, end
                break
    return found


def _modes(text: str) -> Tuple[str, ...]:
    """The modes wanted; one ruled out ("高铁太赶了，有大巴吗") is not, and ruling out the
    only one named wants the others."""
    wanted, refused = [], []
    for name, pattern in MODES.items():
        matches = list(re.finditer(pattern, text))
        if not matches:
            continue
        if all(MODE_REFUSED_BEFORE.search(text[max(0, m.start() - 6):m.start()])
               or MODE_REFUSED_AFTER.match(text[m.end():]) for m in matches):
            refused.append(name)
        else:
            wanted.append(name)
    if refused and not wanted:
        return tuple(name for name in MODES if name not in refused)
    return tuple(wanted)


def _fare_class(text: str) -> Optional[str]:
    fare = next((name for name in FARE_CLASSES if name in text), None)
    if fare is None and SLEEPER in text:
        return SLEEPER
    return FARE_ALIASES.get(fare or "", fare)


def _visit_hours(text: str) -> Optional[float]:
    match = VISIT.search(text)
    if not match or not re.search(r"玩|逛|游|参观|时间|只有|就|够", text):
        return None
    word = match.group(0)
    if word == "半天":
        return 4.0
    if word == "一天":
        return 8.0
    if word in ("一两个小时", "两三个小时"):
        return 2.0 if word.startswith("一") else 3.0
    hours = chinese_number(match.group(1))
    return float(hours) if hours is not None and 0 < hours <= 12 else None


def _tour_days(text: str) -> Optional[int]:
    match = TOUR_DAYS.search(text)
    if not match:
        return None
    days = chinese_number(match.group(1) or match.group(2))
    return int(days) if days is not None and 0 < days <= 30 else None


# --- places ----------------------------------------------------------------------

NEAR = re.compile(
    r"(?:在|住|离|靠近|挨着|距离)?\s*([\u4e00-\u9fa5A-Za-z0-9]{2,10}?)\s*"
    r"(?:附近|旁边|周边|边上|一带|那边|这边|边(?!上)|周围|近一点|近点|不远|岛上|上面的)"
)
NEAR_BEFORE = re.compile(r"(?:靠近|挨着|离)\s*([\u4e00-\u9fa5A-Za-z0-9]{2,10}?)\s*(?:近|不远|的|比较近|最近)")
PLACE_CUES = re.compile(r"想住|要住|住在|住|在|到|去|离|靠近|找|的|了|以后|之后|我们|我")
NOT_A_PLACE = re.compile(r"^(?:这|那|它|酒店|景点|地铁|车站|火车站|机场|我们|你们|住的|在|就)")
SORT_NEAR = re.compile(r"最近的|离得?最近|距离最近")


def near_in(text: str) -> Optional[str]:
    """The words naming a landmark the traveller wants to be near (故宫附近 → 故宫)."""
    for pattern in (NEAR, NEAR_BEFORE):
        for match in pattern.finditer(text):
            # The words reach back to whatever preceded the place: keep what follows the
            # last cue ("那到了以后想住西湖" → 西湖).
            words = PLACE_CUES.split(match.group(1))[-1]
            # "我哋想喺铜锣湾附近" → 铜锣湾; "佢喺边", "呢度附近": everyday words, no place.
            words = SPEECH_PATTERN.split(words)[-1]
            words = re.sub(r"(?:的|地方)$", "", words)
            if len(words) >= 2 and not NOT_A_PLACE.match(words):
                return words
    return None


# --- conditions let go ------------------------------------------------------------

NEGATED = re.compile(
    r"(?:不用非得|不一定非得|不必非得|不用非要|不一定要|不需要|不一定|不用|不要|不必|没必要|不是|并非|别)"
    r"(?:要|是|找|住|非得|非要)?((?:(?!是|要|想|只|就|但|而|也)[^，,。！!？?；;、\s]){1,8})"
)
INDIFFERENT = re.compile(r"([^，,。！!？?；;、\s]{1,6}?)(?:无所谓|不限|都行|都可以|随便|没关系|不重要|不挑)")
NOT_LIMITED = re.compile(r"不限(?:于)?([^，,。！!？?；;、\s]{1,5})")
REJECTED = re.compile(r"([^，,。！!？?；;、\s]{1,8}?)(?:太远|不方便|不考虑|不合适)")  # "通州海淀不方便"
# "不要超过500块", "不要太贵", "不用门票", "不要早餐": a condition said with a negation, not let go.
NEGATION_KEEPS = re.compile(r"^(?:超过|高于|低于|少于|多于|太|含|门票|钱|花钱|收|到|晚于|早于|早餐)")
RELEASE_WORDS = {
    "min_stars": r"星|几钻",
    "price": r"价格|价钱|预算|多少钱|贵不贵",
    "min_rating": r"评分|分数|口碑",
    "breakfast": r"早餐|含早",
    "place": r"区域|地段|位置|哪个区|区$|在哪|哪里|地方",
}
TYPE_WORDS = {name: rf"{name}|{pattern}" for name, pattern in HOTEL_TYPES.items()}


@dataclass(frozen=True)
class Released:
    """What the traveller let go ("不用五星", "区域不限", "不要民宿"): field names, values of
    list fields ("hotel_types:民宿"), and the negated words themselves (for places)."""

    fields: Tuple[str, ...] = ()
    words: Tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields)


def negated_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, words) of what the message negates or is indifferent to."""
    spans: List[Tuple[int, int, str]] = []
    for match in NEGATED.finditer(text):
        if not NEGATION_KEEPS.match(match.group(1)):
            spans.append((match.start(), match.end(), match.group(1)))
    for pattern in (INDIFFERENT, NOT_LIMITED, REJECTED):
        for match in pattern.finditer(text):
            spans.append((match.start(), match.end(), match.group(1)))
    return spans


def without_negated(text: str) -> str:
    """The message without what it negates: "不是凌晨1点，是下午1点前到" keeps only the
    second clause for reading conditions, so a denied value never becomes one."""
    kept = text
    for start, end, _ in sorted(negated_spans(text), reverse=True):
        kept = kept[:start] + " " * (end - start) + kept[end:]
    return kept


def released_in(text: str) -> Released:
    """The conditions of the search carried across turns that this message lets go."""
    fields: List[str] = []
    words: List[str] = []
    for _, _, said in negated_spans(text):
        words.append(said)
        fields += [name for name, pattern in RELEASE_WORDS.items() if re.search(pattern, said)]
        fields += [f"hotel_types:{name}" for name, pattern in TYPE_WORDS.items() if re.search(pattern, said)]
        fields += [f"facilities:{name}" for name, pattern in FACILITY_WORDS.items()
                   if re.search(pattern, said, re.IGNORECASE)]
        fields += [f"sight_types:{name}" for name, pattern in SIGHT_TYPES.items() if re.search(pattern, said)]
    return Released(tuple(dict.fromkeys(fields)), tuple(words))


def without_released(wanted: Constraints, released: Released) -> Constraints:
    """The carried constraints minus what was let go."""
    changes: Dict[str, Any] = {}
    for field in released.fields:
        name, _, value = field.partition(":")
        if value:
            current = changes.get(name, getattr(wanted, name))
            changes[name] = tuple(v for v in current if v != value)
        elif name == "price":
            changes.update(min_price=None, max_price=None)
        elif name in ("min_stars", "min_rating", "breakfast"):
            changes[name] = None
    return replace(wanted, **changes)


# --- the whole message -----------------------------------------------------------


def constraints_in(text: str) -> Constraints:
    """Every search constraint the message states (what it negates is not one)."""
    near = near_in(text)
    text = without_negated(text)
    fields: Dict[str, object] = {}
    fields.update(_prices(text))
    fields.update(_quality(text))
    if "max_price" not in fields and "min_price" not in fields:
        if CHEAP.search(text):
            fields["sort"] = "price"
        elif EXPENSIVE.search(text):
            fields["sort"] = "price_desc"
    if SORT_NEAR.search(text):
        fields["sort"] = "distance"
    fields["hotel_types"] = _matching(HOTEL_TYPES, text)
    fields["sight_types"] = _matching(SIGHT_TYPES, text)
    fields["facilities"] = _facilities(text)
    if NO_BREAKFAST.search(text):
        fields["breakfast"] = False
    elif BREAKFAST.search(text):
        fields["breakfast"] = True
    fields["suitable_for"] = _matching(SUITABLE, text)
    if FREE.search(text):
        fields["free"] = True
    fields["max_visit_hours"] = _visit_hours(text)
    fields["days"] = _tour_days(text)
    fields["modes"] = _modes(text)
    fields["fare_class"] = _fare_class(text)
    fields.update(_times(text))
    fields["near"] = near
    return Constraints(**fields)  # type: ignore[arg-type]


# --- facade queries --------------------------------------------------------------


def hotel_query(
    wanted: Constraints, city: Optional[str], district: Optional[str] = None,
    near: Optional[Tuple[float, float]] = None, limit: int = 20,
) -> HotelQuery:
    sort = wanted.sort or ("distance" if near else "recommended")
    return HotelQuery(
        city=city, district=district, near=near, min_price=wanted.min_price,
        max_price=wanted.max_price, min_rating=wanted.min_rating, min_stars=wanted.min_stars,
        types=wanted.hotel_types, facilities=wanted.facilities, breakfast=wanted.breakfast,
        sort=sort, limit=limit,
    )


def sight_query(
    wanted: Constraints, city: Optional[str], district: Optional[str] = None,
    near: Optional[Tuple[float, float]] = None, limit: int = 20,
) -> SightQuery:
    sort = {"price": "price", "rating": "rating", "distance": "distance"}.get(wanted.sort or "", "")
    return SightQuery(
        city=city, district=district, near=near, types=wanted.sight_types,
        suitable_for=wanted.suitable_for, free=wanted.free, max_ticket=wanted.max_price,
        max_visit_hours=wanted.max_visit_hours, min_rating=wanted.min_rating,
        sort=sort or ("distance" if near else "recommended"), limit=limit,
    )


def tour_query(wanted: Constraints, destination: Optional[str], weekday: Optional[int] = None,
               attraction: Optional[str] = None, limit: int = 20) -> TourQuery:
    return TourQuery(
        destination=destination, weekday=weekday, days=wanted.days, max_price=wanted.max_price,
        attraction=attraction, sort="price" if wanted.sort == "price" else "recommended", limit=limit,
    )


def service_query(wanted: Constraints, origin: Optional[str], destination: Optional[str],
                  weekday: Optional[int] = None, mode: Optional[str] = None, limit: int = 50) -> ServiceQuery:
    modes = wanted.modes or ((mode,) if mode else ())
    sort = {"price": "price"}.get(wanted.sort or "", "depart")
    return ServiceQuery(
        origin=origin, destination=destination, modes=modes, weekday=weekday,
        depart_after=wanted.depart_after, depart_before=wanted.depart_before,
        fare_class=None if wanted.fare_class == SLEEPER else wanted.fare_class, max_price=wanted.max_price,
        sort=sort, limit=limit,
    )


def fare_matches(fare_name: str, wanted: Optional[str]) -> bool:
    """Whether a fare class is the one asked for ("卧铺" is any berth)."""
    if wanted == SLEEPER:
        return "卧" in fare_name
    return not wanted or fare_name == wanted


def arrives_in_time(arrive: str, before: Optional[str]) -> bool:
    """Whether a service's arrival ("HH:MM", "+1" for next day) is before a wanted time."""
    if not before:
        return True
    return "+" not in arrive and arrive[:5] <= before


def listed(values: List[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(values))
