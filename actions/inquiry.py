"""Answering what a traveller asks about a hotel, sight, tour or train/flight/bus.

"第一个的地址在哪？有停车场吗", "它几点开门", "G7几点到，还有票吗": the item is the one
named in the message, the N-th one shown, or the one in focus; every attribute asked is
answered in the same turn from the catalogue. A fact the catalogue lacks is said to be
missing, with what is known offered instead. No date is needed to talk about a place.

The item in focus and the items last shown live in the ``inquiry_*`` slots as
``"kind:id"`` references so they survive domain switches (hotel → nearby sights → "它附近
的酒店").
"""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Union

from rasa_sdk import Action, Tracker
from sqlalchemy.exc import SQLAlchemyError
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import first_entity_value, latest_text, template, understood_message
from actions.places import nearby_kind
from actions.wording import WEEKDAY_RESPONSES, amount, day_text, joined, money
from bot.catalogue.constraints import constraints_in
from bot.catalogue.attributes import (
    BASICS,
    FACILITY_OF,
    ADDRESS,
    ARRIVE,
    BREAKFAST,
    CHECKIN,
    CHECKOUT,
    DAYS,
    DEPART,
    DEPARTURES,
    DURATION,
    EXCLUDES,
    FACILITIES,
    HOURS,
    INCLUDES,
    INTRO,
    ITINERARY,
    METRO,
    NEARBY,
    NON_SMOKING,
    PHONE,
    PRICE,
    RATING,
    ROOMS,
    SEATS,
    STARS,
    STATIONS,
    SUITABLE,
    TERMINAL,
    TICKET,
    VISIT,
    attributes_in,
    for_kind,
)
from bot import knowledge
from bot.catalogue.items import HOTEL, ITEM_KINDS, SERVICE, SIGHT, TOUR, Hotel, NameMatch, Service, Sight, Tour
from bot.catalogue.queries import Catalogue, catalogue
from bot.catalogue.search import clock_in, operator_named, ordinal_in
from bot.faq_search import faq_index
from bot.nlu.dates import first_day
from bot.booking.policy import to_fen
from bot.nlu.people import extract_people
from bot.numerals import parse_number
from bot.text import normalize

logger = logging.getLogger(__name__)

Item = Union[Hotel, Sight, Tour, Service]
FOCUS_SLOT = "inquiry_focus"
SHOWN_SLOT = "inquiry_shown"
SEEN_SLOT = "inquiry_seen"
ASKED_SLOT = "inquiry_asked"
SEEN_KEPT = 30
# "天坛呢", "那拙政园呢？": the last questions, about another item.
SAME_QUESTION = re.compile(r"^\s*(?:那|那么)?\s*(.{2,24}?)\s*(?:呢|又如何|又怎么样)\s*[?？。!！]?\s*$")

# Words that point at the item in focus rather than name one.
FOCUS_WORDS = re.compile(
    r"这个|那个|这家|那家|这间|那间|这趟|那趟|这班|那班|这条|那条|这座|那座|这里|那里|这儿|那儿|它|该酒店|该景点|该线路|该车次|该航班|"
    r"刚才(?:那|说的|的|问的)|之前(?:那|说的|的|问的)|"
    r"佢|呢间|呢个|呢家|呢度|个度|(?:嗰|𠮶)(?:间|个|家|度)"  # Cantonese: 它, 这间, 那个, 这里 (嗰 reads 𠮶)
)
# The kind of item a pointer names ("那个酒店", "刚才那个景点", "这趟车"): the last one of that
# kind talked about is meant, even when another kind was discussed since.
POINTED_KIND = (
    (HOTEL, re.compile(r"(?:这|那|该|呢|嗰|𠮶|刚才的?|之前的?)(?:个|家|间)?(?:酒店|宾馆|饭店|民宿|客栈|旅馆)|这家|那家|这间|那间|"
                       r"呢间|呢家|(?:嗰|𠮶)(?:间|家)")),
    (SIGHT, re.compile(r"(?:这|那|该|呢|嗰|𠮶|刚才的?|之前的?)(?:个|座|处)?(?:景点|景区|公园|博物馆|博物院)|这座|那座")),
    (SERVICE, re.compile(r"(?:这|那|该|刚才的?|之前的?)(?:趟|班|个)?(?:车次|航班|高铁|动车|火车|飞机|大巴|班车|车(?!站))|这趟|那趟|这班|那班")),
    (TOUR, re.compile(r"(?:这|那|该|刚才的?|之前的?)(?:个|条)?(?:团|跟团游|线路|行程)|这条|那条")),
)
# A request for a list, not a question about one item: "有带停车场的酒店吗".
SEARCH_WORDS = re.compile(
    r"推荐|找(?:一)?(?:家|个|些)|有(?:什么|哪些|没有)[^，。？?！!]{0,12}(?:酒店|宾馆|民宿|景点|地方|车|航班|团|线路)|"
    r"(?:的|些)(?:酒店|宾馆|民宿|景点|景区)(?:吗|呢|$|[，,。.？?！!])"
)
NUMBERED_DAY = re.compile(r"^\s*(?:第|D|Day)\s*\d")  # an itinerary line already numbered
ROOM_KINDS = re.compile(r"大床房|双床房|家庭房|亲子房|套房|单人间|三人间|标准间|床位")
NEAR_WORDS = re.compile(r"附近|周边|旁边|周围|边上|一带")
NEARBY_HOTELS = re.compile(r"酒店|宾馆|住|民宿")
NEARBY_SIGHTS = re.compile(r"景点|好玩|玩的|逛|景区|看的")
# "高铁呢？", "坐大巴的话": the same timetable asked for another mode.
TIMETABLE_AGAIN = re.compile(r"呢\s*[?？。!！]?\s*$|的话\s*[?？。!！]?\s*$|有哪些|有几班|几班")
BREAKFAST_HOURS = re.compile(r"(?:早餐|早饭)[^，,。？?]{0,3}(?:几点|什么时候|时间)|(?:几点|什么时候)[^，,。？?]{0,4}(?:早餐|早饭)")
BOOKING_REQUEST = re.compile(r"(?:要|就|帮我|给我|那就|我想|想|再)(?:预)?[订定]|订(?:一|两|三|[0-9])间|报名|下单|预订")
BOOKING_QUESTION = re.compile(r"[吗么?？]|多少|几|怎么|能不能|可不可以|可以.{0,4}[订定]")
LODGING_WORD = re.compile(r"酒店|宾馆|饭店|客栈|民宿|旅馆|公寓|度假村")
# "离洪崖洞走路多远", "离拙政园远不远": the place named is where the distance is measured
# from, not what the question is about.
REFERENCE_POINT = re.compile(r"(?:离|距离|距|到)([^，,。？?！!\s]{2,12}?)(?:走路|步行|开车|打车|坐车)?(?:有)?(?:多远|远不远|近不近|远吗|近吗|多少公里|几公里)")
# "丽枫酒店扬州瘦西湖店", "瘦西湖两日游": what follows a sight's name makes it part of the name
# of a hotel's branch or of a tour, which is not the sight.
NAME_GOES_ON = re.compile(r"分?店|[一二两三四五六七八九十\d]+日游|[一二两三四五六七八九十\d]+天[一二两三四五六七八九十\d]*晚|深度游|跟团游")
# Rules and times the catalogue keeps no field for, though the question uses an attribute
# word (儿童价 reads as a price, 几点 as opening hours): the age or height a child fare
# holds to, a show's start. Said to be missing, never answered with the field the word names.
CHILD_RULE = re.compile(
    r"(?:儿童|小孩|孩子)价?[^，,。？?！!]{0,6}?(?:多大|几岁|年龄|身高|多高|以内|以下)|"
    r"按儿童价?算|算不算儿童|算儿童|(?:多大|几岁|年龄|身高)[^，,。？?！!]{0,6}(?:儿童|小孩|孩子|免票|半价)")
SHOW_TIME = re.compile(r"(?:演出|表演|秀|夜场)[^，,。？?！!]{0,4}(?:几点|什么时候|时间|开始|几时)")
UNKEPT_FACTS = {TOUR: (CHILD_RULE,), SIGHT: (CHILD_RULE, SHOW_TIME), SERVICE: (CHILD_RULE,)}
# "价格我知道了": a clause saying what is known already asks nothing.
KNOWN_ALREADY = re.compile(r"[^，,。？?！!]*(?:知道了|了解了|清楚了|明白了|看到了)[^，,。？?！!]*")
# "有没有三人能住的", "一家四口住得下吗": a room for that many, which the room types answer.
PARTY_ROOM = re.compile(r"(?P<count>[一二两三四五六七八九十\d]+)\s*(?:个|位)?人[^，,。？?！!]{0,3}"
                        r"(?:能住|可以住|可住|住得下|住的下|住下|住的房|的房|间)|"
                        r"一家(?P<family>[三四五六])口")
# "两段加起来多少钱", "去程回程一共多少", "飞机加高铁一共大概多少钱": the sum over the legs.
TOTAL_ASKED = re.compile(r"(?:一共|总共|加起来|合计|总计|总价|共计|加在一起|一起)[^，,。？?！!]{0,8}(?:多少|几多|几钱|价|钱)|"
                         r"(?:多少|几多)钱?[^，,。？?！!]{0,4}(?:一共|总共|合计)")
# A bare question right after a list ("地址", "电话呢", "几点退房"): about the first listed.
BARE_QUESTION_FILLER = re.compile(r"[\s呢吗嘛啊呀哈啦？?！!。，,的是多少啥什么哪几请问一下给我下那它]")


def item_ref(kind: str, item_id: str) -> str:
    return f"{kind}:{item_id}"


def split_ref(ref: Any) -> Optional[Tuple[str, str]]:
    kind, _, item_id = str(ref or "").partition(":")
    return (kind, item_id) if kind in ITEM_KINDS and item_id else None


def item_id(kind: str, item: Item) -> str:
    return item.code if isinstance(item, Service) else item.id


def item_name(item: Item) -> str:
    return item.code if isinstance(item, Service) else item.name


def load(store: Catalogue, kind: str, key: str) -> Optional[Item]:
    loaders = {HOTEL: store.hotel, SIGHT: store.sight, TOUR: store.tour, SERVICE: store.service}
    return loaders[kind](key)


# --- which item ------------------------------------------------------------------


def named_items(store: Catalogue, text: str, slots: Dict[str, Any], city: Optional[str]) -> List[NameMatch]:
    """Items named in the message, surest first; never the words of the question itself
    (地址 sounds like 地质 and would name 黄山地质公园 as a typo)."""
    asked = [(m.start, m.end) for m in attributes_in(text)]
    named = store.named_in(text, kinds=ITEM_KINDS, city=city)
    hotel_ends = {m.end for m in named if m.kind == HOTEL}
    if any(match.end() not in hotel_ends for match in LODGING_WORD.finditer(text)):
        named += store.lodging_misspelt(text, city)  # "西湖畔云溪酒店": one character off
    points = [(m.start(1), m.end(1)) for m in REFERENCE_POINT.finditer(text)]
    matches = [
        m for m in named
        if m.kind in ITEM_KINDS and all(m.end <= s or m.start >= e for s, e in asked)
        and not any(s <= m.start and m.end <= e for s, e in points)
        and not (m.kind == SIGHT and NAME_GOES_ON.match(text, m.end))
    ]
    seen = set(slots.get(SEEN_SLOT) or [])
    # A part-name shared by several items means the one talked about before.
    matches.sort(key=lambda m: (not m.exact, item_ref(m.kind, m.id) not in seen))
    return matches


def referenced_item(
    store: Catalogue, text: str, slots: Dict[str, Any], city: Optional[str] = None
) -> Optional[Tuple[str, Item, bool]]:
    """The item a message is about: (kind, item, explicit).

    A full name or alias wins, then "第N个" among the last shown, then a part of a name or
    a near-spelling, then the item in focus ("它", "这家", or nothing at all).
    ``explicit`` is False for the silent focus.
    """
    matches = named_items(store, text, slots, city)
    loose = [m for m in matches if not m.exact]
    # "西湖畔云溪酒店" (a typo of a hotel's name) names the hotel, not the 西湖 inside it.
    exact = [m for m in matches if m.exact and not any(
        o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start) for o in loose)]
    loose.sort(key=lambda m: -(m.end - m.start))
    exact = exact + [m for m in loose if any(
        m.start <= e.start and e.end <= m.end for e in matches if e.exact and e not in exact)]
    loose = [m for m in loose if m not in exact]
    for match in exact:
        item = load(store, match.kind, match.id)
        if item is not None:
            return match.kind, item, True
    position = ordinal_in(text)
    shown = [ref for ref in (split_ref(r) for r in slots.get(SHOWN_SLOT) or []) if ref]
    if position and shown:
        if position > len(shown):
            return None
        kind, key = shown[position - 1]
        item = load(store, kind, key)
        return (kind, item, True) if item is not None else None
    by_time = shown_service_at(store, text, shown)
    if by_time is not None:
        return SERVICE, by_time, True
    listed = shown_named(store, loose, shown, slots)
    if listed is not None:
        return listed  # "雲棲嗰間", "那解放碑云景酒店呢，它…": the name said beats the pointer
    focus = split_ref(slots.get(FOCUS_SLOT))
    pointed = last_pointed_at(store, text, slots)
    if pointed is not None:
        return pointed[0], pointed[1], True  # "那个酒店有停车场吗" after a sight: the hotel
    if focus and FOCUS_WORDS.search(text):
        item = load(store, *focus)
        if item is not None:
            return focus[0], item, True  # "它能寄存行李吗": 它 beats a near-spelling elsewhere
    for match in loose:
        item = load(store, match.kind, match.id)
        if item is not None:
            return match.kind, item, True
    focus = split_ref(slots.get(FOCUS_SLOT))
    if focus:
        item = load(store, *focus)
        if item is not None:
            return focus[0], item, bool(FOCUS_WORDS.search(text))
    if shown and (FOCUS_WORDS.search(text) or is_bare_question(text) or shown[0][0] == SERVICE):
        # "它几点到" or just "地址" right after a list, nothing in focus yet: the first one
        # listed (the one asked for with 最早/最便宜, or the bot's first recommendation); after
        # a timetable, "在哪个客运站上车" asks the same of the first service.
        item = load(store, *shown[0])
        return (shown[0][0], item, bool(FOCUS_WORDS.search(text))) if item is not None else None
    return None


def shown_named(store: Catalogue, loose: Sequence[NameMatch], shown: Sequence[Tuple[str, str]],
                slots: Dict[str, Any]) -> Optional[Tuple[str, Item, bool]]:
    """The item of the last list, or one talked about, named by a part of its name: what a
    pointer word beside it ("云栖嗰间", "云景这家") points at, whatever is in focus."""
    talked_about = set(shown) | {ref for ref in (split_ref(r) for r in slots.get(SEEN_SLOT) or []) if ref}
    for match in loose:
        if (match.kind, match.id) in talked_about:
            item = load(store, match.kind, match.id)
            if item is not None:
                return match.kind, item, True
    return None


def pointed_kind(text: str) -> Optional[str]:
    """The kind of item the pointer in the text names ("刚才那个景点" → sight), if any."""
    return next((kind for kind, words in POINTED_KIND if words.search(text)), None)


def last_pointed_at(store: Catalogue, text: str, slots: Dict[str, Any]) -> Optional[Tuple[str, Item]]:
    """"那个酒店", "刚才那个景点" when the item in focus is of another kind: the last item of
    the kind named that was talked about (named, answered about or first on a list shown),
    or None when the focus is of that kind already or none was."""
    kind = pointed_kind(text) if FOCUS_WORDS.search(text) else None
    focus = split_ref(slots.get(FOCUS_SLOT))
    if kind is None or (focus is not None and focus[0] == kind):
        return None
    for ref in reversed(slots.get(SEEN_SLOT) or []):
        seen = split_ref(ref)
        if seen is not None and seen[0] == kind:
            item = load(store, *seen)
            if item is not None:
                return kind, item
    return None


def is_bare_question(text: str) -> bool:
    """Only attribute words and particles ("地址", "电话呢", "几点退房？"): nothing else to
    point at, so it is about what the traveller was just shown."""
    rest = text
    for mention in sorted(attributes_in(text), key=lambda m: -m.start):
        rest = rest[:mention.start] + rest[mention.end:]
    return bool(attributes_in(text)) and not BARE_QUESTION_FILLER.sub("", rest)


def shown_service_at(store: Catalogue, text: str, shown: Sequence[Tuple[str, str]]) -> Optional[Service]:
    """"南航11点40那班", "下午两点那趟": the listed service leaving at that time (and run
    by that airline or operator when several leave then)."""
    clock = clock_in(text)
    if clock is None:
        return None
    services = [store.service(key) for kind, key in shown if kind == SERVICE]
    at = [s for s in services if s is not None and s.depart == clock]
    if len(at) > 1:
        named = [s for s in at if operator_named(text, s.operator)]
        at = named or at
    return at[0] if at else None


def asked_attributes(text: str, kind: str) -> List[str]:
    """The attributes asked, as this kind of item has them, each once; one the item does
    not have is kept (and said to be missing) unless its own clause asks one it has."""
    mentions = attributes_in(text)
    clauses = [(c.start(), c.end()) for c in CLAUSE.finditer(text)]

    def clause_of(start: int) -> int:
        return next((i for i, (s, e) in enumerate(clauses) if s <= start < e), -1)

    fitting_clauses = {clause_of(m.start) for m in mentions if for_kind(m.name, kind)}
    # "含不含早餐" about a hotel: the breakfast, not a tour's inclusions; but "有停车场吗"
    # after "故宫门票多少" is asked too, and answered as missing.
    meant = [for_kind(m.name, kind) or m.name for m in mentions
             if for_kind(m.name, kind) or clause_of(m.start) not in fitting_clauses]
    raw = {m.name for m in attributes_in(text)}
    if kind == TOUR and TICKET in raw and PRICE not in raw and (INCLUDES in meant or EXCLUDES in meant):
        meant.remove(PRICE)  # "包含门票吗": 门票 is what is asked to be included, not a price
    if INTRO in meant and len(meant) > 1:
        meant.remove(INTRO)  # "评分怎么样": 怎么样 asks about the rating, not for an overview
    if PRICE in meant and ROOMS in meant:
        meant.remove(ROOMS)  # "双床房多少钱": one answer lists the rooms with their prices
    return list(dict.fromkeys(meant))


def is_a_booking_request(text: str) -> bool:
    """"那就订江景双床房", "我要报名，下周六出发": a booking, not a question, even though it
    names a room type; "能订吗" or "订的话多少钱" still ask."""
    return bool(BOOKING_REQUEST.search(text)) and not BOOKING_QUESTION.search(text)


def tour_only_question(text: str) -> bool:
    """Asks only what a tour has (费用包含, 行程, 团期 ...), whatever place it names."""
    asked = attributes_in(text)
    return bool(asked) and all(for_kind(m.name, TOUR) and not any(
        for_kind(m.name, other) for other in (HOTEL, SIGHT, SERVICE)) for m in asked)


def is_question_about_item(text: str, explicit: bool) -> bool:
    """A question about one item, not a new search that happens to use an attribute word
    or name a landmark ("外滩附近评分高的酒店" is a search; "它评分多少" is a question)."""
    if not attributes_in(text):
        return False
    pointed = bool(FOCUS_WORDS.search(text)) or ordinal_in(text) is not None
    return pointed or not SEARCH_WORDS.search(text)


PRODUCT_KINDS = {"hotel": (HOTEL,), "tour": (TOUR, SIGHT), "train": (SERVICE,), "flight": (SERVICE,),
                 "bus": (SERVICE,)}


def is_a_search_instead(text: str, kind: str, by_name: bool) -> bool:
    """A list wanted rather than a fact: "宽窄巷子附近的酒店，一晚600以内" or "亚龙湾附近有泳池
    的五星酒店" name a sight but search around it; "它附近有什么酒店，要含早的" is a nearby
    search with a condition the search honours. "它附近的酒店" stays a question."""
    asked = {m.name for m in attributes_in(text)}
    said = constraints_in(text)
    conditions = bool(said.max_price or said.min_price or said.min_stars or said.min_rating or said.hotel_types
                      or said.breakfast is not None or said.sight_types or said.suitable_for or said.free)
    if NEARBY in asked and (conditions or said.facilities):
        return True
    if by_name and not any(for_kind(name, kind) for name in asked):
        return True  # nothing asked is a fact of the item named: its name is a place
    return by_name and kind == SIGHT and bool(NEARBY_HOTELS.search(text)) and bool(NEAR_WORDS.search(text))


CLAUSE = re.compile(r"[^？?。！!；;，,]+[？?]?")
CLOSING_MARKS = re.compile(r"[\s？?。！!；;，,]+$")
LEADING_FILLER = re.compile(r"^(?:请问|问一下|想问一下|我想问|你好|您好|那么|那|的|[\s，,])+")
QUESTION_END = re.compile(r"(?:[?？]|(?:吗|么|嘛|不|没有|没)[?？]?)$")
# "房间有浴缸吗", "能租轮椅吗", "导游会说英语吗": what is asked to be there or possible.
UNLISTED_ASK = re.compile(
    r"(?:有没有|能不能|可不可以|会不会|是否(?:有|能|可以|提供|需要)?|需不需要|要不要|用不用|需要|可以|能|会|有|提供|带|要)"
    r"(?P<what>(?:(?![吗么嘛呢不没])[\u4e00-\u9fffA-Za-z]){1,8}?)(?:吗|么|嘛|不|没有|没)?[?？]?$")
# Questions for other flows (refunds, orders, invoices, booking, a person, a search).
NOT_A_FACT = re.compile(r"退|改签|取消|订单|发票|支付|付款|预订|订|报名|会员|积分|投诉|人工|客服|优惠|便宜|推荐|附近|周边|还有")
# A question that points at nothing still concerns the item in focus when it names a
# part of that kind of product ("导游会说英语吗" after a tour).
KIND_WORDS = {
    HOTEL: re.compile(r"房间|房里|酒店里|前台|床|卫生间|浴室"),
    TOUR: re.compile(r"导游|领队|团里|车上|行程里"),
    SIGHT: re.compile(r"景区|园里|馆内|里面|里边|园内"),
}


def names_part_of(item: Item, what: str) -> bool:
    """Whether the thing asked shares a word with the item's rooms or facilities, which
    the answer already shows."""
    words = [room.type for room in item.rooms] + list(item.facilities) if isinstance(item, Hotel) else []
    return any(what[i:i + 2] in word for word in words for i in range(len(what) - 1))


def clause_at(text: str, index: int) -> str:
    """The clause of the text that holds position ``index``."""
    return next((c.group(0) for c in CLAUSE.finditer(text) if c.start() <= index < c.end()), text)


def unlisted_questions(text: str) -> List[Tuple[str, str]]:
    """(clause, thing asked) for each clause that asks about something outside the closed
    set of attributes ("房间有浴缸吗" → 浴缸), so it is said to be missing, not ignored."""
    found = []
    for clause in CLAUSE.finditer(text):
        part = clause.group(0).strip()
        if attributes_in(part) or NOT_A_FACT.search(part) or not QUESTION_END.search(part):
            continue
        asked = UNLISTED_ASK.search(part)
        if asked:
            found.append((part, asked.group("what").rstrip("的")))
    return [(clause, what) for clause, what in found if what]


DAY_WORDS = re.compile(r"[日号天周月今明后昨]|星期|礼拜|\d+[/.-]\d+")
DURATION_AFTER = re.compile(r"[游晚]")  # 三日游, 两天一晚


def day_said(tracker: Tracker, text: str) -> Optional[str]:
    """The day the traveller named; a time of day alone ("下午的", "下午两点那班") keeps the
    day already known, and a tour's length ("三日游") is not the 3rd of the month."""
    for entity in understood_message(tracker).get("entities") or []:
        if entity.get("entity") != "date":
            continue
        start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
        if DAY_WORDS.search(text[start:end]) and not DURATION_AFTER.match(text[end:end + 1]):
            return str(entity.get("value"))
    return None


def places_of(item: Item) -> Tuple[str, ...]:
    if isinstance(item, Service):
        return item.origin, item.destination
    return (item_city(item) or "",)


def silent_focus_meant(tracker: Tracker, kind: str, item: Item, text: str) -> bool:
    """Whether a question that points at nothing is about the item in focus: not when it
    names another city or another kind of product ("北京到上海的高铁几点发车" after a
    hotel), nor when nothing asked is a fact that item has. Its own city ("从北京哪个站
    上车" about a train from 北京) does not count."""
    own = places_of(item)
    for entity in understood_message(tracker).get("entities") or []:
        city = knowledge.canonical_city(str(entity.get("value") or "")) if entity.get("entity") == "city" else None
        if city and city not in own:
            return False
    products = [str(e.get("value")) for e in understood_message(tracker).get("entities") or []
                if e.get("entity") == "product_type"]
    other_kinds = {k for product in products if kind not in PRODUCT_KINDS.get(product, (kind,))
                   for k in PRODUCT_KINDS.get(product, ())}
    # "包含机票吗" about a tour: the flight is what is included, not a product asked about.
    if any(for_kind(m.name, other) for m in attributes_in(text) for other in other_kinds):
        return False
    if another_mode_named(item, text):
        return False
    return any(for_kind(m.name, kind) for m in attributes_in(text))


def another_mode_wanted(tracker: Tracker, text: str) -> bool:
    """"坐高铁的话要多久" after the flights of a route: that route's trains are wanted,
    whatever intent the NLU gave the message. A rule asked about another mode ("高铁可以
    带宠物吗") stays the FAQ's: only a timetable fact or a bare "高铁呢" counts."""
    mode = tracker.get_slot("search_mode")
    if tracker.get_slot("search_type") != "ticket" or not tracker.get_slot("search_city") or not mode:
        return False
    modes = constraints_in(text).modes
    if not modes or mode in modes:
        return False
    return any(for_kind(m.name, SERVICE) for m in attributes_in(text)) or bool(TIMETABLE_AGAIN.search(text))


def another_mode_named(item: Item, text: str) -> bool:
    """"坐高铁的话要多久" with a flight in focus asks about the trains, not that flight."""
    modes = constraints_in(text).modes
    return isinstance(item, Service) and bool(modes) and item.mode not in modes


# --- answers ---------------------------------------------------------------------


class Answerer:
    """Renders one item's facts as response calls; says precisely what is missing."""

    def __init__(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                 day: Optional[date] = None) -> None:
        self.dispatcher = dispatcher
        self.domain = domain
        self.store = store
        self.day = day
        self.listed: List[str] = []  # "kind:id" of items listed (nearby), for "第N个" next
        self.search: Dict[str, Any] = {}  # the search slots a nearby list stands for
        self.asked: Sequence[str] = ()  # this turn's questions: not offered instead of a missing fact

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)

    def missing(self, item: Item, attribute: str, kind: str) -> None:
        available = [a for a in BASICS
                     if for_kind(a, kind) == a and a != attribute and a not in self.asked and self._has(item, a)]
        self.say("utter_attr_missing", name=item_name(item), attribute=attribute,
                 available=joined(self.domain, available[:3]) or template(self.domain, "utter_attr_basics"))

    def unlisted(self, item: Item, question: str, kind: str) -> None:
        """A question outside the closed set ("房间有浴缸吗", "能带狗吗"): the catalogue cannot
        say, and the reply says so in the traveller's own words (never as an attribute
        made of them: 暂无…的很挤信息), then gives the general rule when an FAQ covers
        it, else the item's main facts when nothing else was asked."""
        name = item_name(item)
        words = LEADING_FILLER.sub("", CLOSING_MARKS.sub("", question).replace(name, ""))
        self.say("utter_attr_not_covered", name=name, question=words or question)
        topic = faq_index().topic_named(question)
        if topic is not None:
            self.say("utter_faq", answer=knowledge.faq()[topic].answer)
        elif not self.asked:
            self.say("utter_attr_here_is_summary", name=item_name(item))
            self.overview(kind, item)

    @staticmethod
    def _has(item: Item, attribute: str) -> bool:
        field = {ADDRESS: "address", PHONE: "phone", RATING: "rating", HOURS: "opening_hours"}.get(attribute)
        return bool(getattr(item, field, None)) if field else True

    def overview(self, kind: str, item: Item) -> None:
        """What "第二个" or "这个怎么样" wants: the item's main facts in one message."""
        if isinstance(item, Hotel):
            self._hotel_summary(item)
        elif isinstance(item, Sight):
            ticket = template(self.domain, "utter_nearby_sight_free") if item.free else (
                template(self.domain, "utter_nearby_sight_ticket", price=money(item.lowest_ticket))
                if item.tickets else "")
            self.say("utter_attr_sight_summary", name=item.name, type=item.type, city=item.city,
                     district=item.district, address=item.address or "—", ticket=ticket,
                     hours=item.opening_hours or "—", description=item.description)
        elif isinstance(item, Tour):
            self._tour(item, INTRO, "")
        else:
            for attribute in (STATIONS, DURATION, TICKET):
                self._service(item, attribute, "")

    def answer(self, kind: str, item: Item, attribute: str, text: str) -> None:
        if for_kind(attribute, kind) is None:
            self.missing(item, attribute, kind)
            return
        handler = getattr(self, f"_{kind}", None)
        if handler is None or not handler(item, attribute, text):
            self.missing(item, attribute, kind)

    # Each returns False when the catalogue lacks the fact.

    def _common(self, item: Union[Hotel, Sight], attribute: str, text: str) -> bool:
        name = item.name
        if attribute == ADDRESS:
            if not item.address:
                return False
            self.say("utter_attr_address", name=name, city=item.city, district=item.district, address=item.address)
        elif attribute == PHONE:
            if not item.phone:
                return False
            self.say("utter_attr_phone", name=name, phone=item.phone)
        elif attribute == RATING:
            if item.rating is None:
                return False
            self.say("utter_attr_rating", name=name, rating=f"{item.rating:.1f}")
        elif attribute == METRO:
            if item.metro is None:
                return False
            distance = template(self.domain, "utter_attr_metro_distance", metres=item.metro.distance_m) \
                if item.metro.distance_m else ""
            self.say("utter_attr_metro", name=name, station=item.metro.station, line=item.metro.line,
                     distance=distance)
        elif attribute == NEARBY:
            return self._nearby(item, text)
        elif attribute == INTRO:
            if not item.description:
                return False
            self.say("utter_attr_intro", name=name, description=item.description)
        else:
            return False
        return True

    def _nearby(self, item: Union[Hotel, Sight], text: str) -> bool:
        if item.lat is None or item.lon is None:
            return False
        wanted = nearby_kind(text)  # "不是找酒店，是问周边景点": what follows 附近 decides
        want_hotels = wanted == "hotel" if wanted else \
            bool(NEARBY_HOTELS.search(text)) or (isinstance(item, Sight) and not NEARBY_SIGHTS.search(text))
        found: Sequence[Tuple[Any, float]]
        if want_hotels:
            found = self.store.nearby_hotels(item.lat, item.lon, item.city, limit=6)
            kind = HOTEL
        else:
            found = self.store.nearby_sights(item.lat, item.lon, item.city, limit=6)
            kind = SIGHT
        found = [(other, km) for other, km in found if other.id != item.id][:5]
        if not found:
            return False
        lines = "\n".join(
            template(self.domain, "utter_line_nearby", index=index, name=other.name, km=f"{km:.1f}",
                     extra=self._nearby_extra(other))
            for index, (other, km) in enumerate(found, start=1)
        )
        self.listed = [item_ref(kind, other.id) for other, _ in found]
        # The list is a search around the item: "还有便宜点的吗" refines it next.
        self.search = {"search_type": "hotel" if want_hotels else "sight", "search_city": item.city,
                       "search_district": None, "search_near": item_ref(HOTEL if isinstance(item, Hotel) else SIGHT, item.id),
                       "search_shown": [other.id for other, _ in found], "search_wanted": None,
                       "search_pending": None}
        self.say("utter_attr_nearby_hotels" if want_hotels else "utter_attr_nearby_sights", name=item.name, lines=lines)
        return True

    def _nearby_extra(self, other: Any) -> str:
        if isinstance(other, Hotel) and other.rooms:
            return template(self.domain, "utter_nearby_hotel_price", price=money(other.lowest_price))
        if isinstance(other, Sight):
            if other.free:
                return template(self.domain, "utter_nearby_sight_free")
            if other.tickets:
                return template(self.domain, "utter_nearby_sight_ticket", price=money(other.lowest_ticket))
        return ""

    def _hotel(self, hotel: Hotel, attribute: str, text: str) -> bool:
        name = hotel.name
        if attribute in FACILITY_OF:
            options = FACILITY_OF[attribute]
            has = [f for f in options if f in hotel.facilities]
            if attribute == NON_SMOKING and not has and any(not room.smoking for room in hotel.rooms):
                has = [NON_SMOKING]
            response = "utter_attr_facility_yes" if has else "utter_attr_facility_no"
            self.say(response, name=name, facility=has[0] if has else options[-1])
            return True
        if attribute == BREAKFAST:
            hours = BREAKFAST_HOURS.search(text)
            if hours:  # "早餐几点开始": hours the catalogue does not keep
                self.unlisted(hotel, clause_at(text, hours.start()), HOTEL)
                return True
            with_breakfast = [room.type for room in hotel.rooms if room.breakfast]
            if hotel.breakfast_included or len(with_breakfast) == len(hotel.rooms):
                self.say("utter_attr_breakfast_all", name=name)
            elif with_breakfast:
                self.say("utter_attr_breakfast_some", name=name, rooms=joined(self.domain, with_breakfast))
            else:
                self.say("utter_attr_breakfast_none", name=name)
            return True
        if attribute in (PRICE, ROOMS):
            if not hotel.rooms:
                return False
            self._say_rooms(hotel, self._rooms_asked(hotel, text))
            return True
        if attribute == STARS:
            if not hotel.stars and not hotel.grade:
                return False
            stars = template(self.domain, "utter_stars", stars=hotel.stars) if hotel.stars else ""
            self.say("utter_attr_stars", name=name, stars=stars, grade=hotel.grade)
            return True
        if attribute == FACILITIES:
            if not hotel.facilities:
                return False
            self.say("utter_attr_facilities", name=name, facilities=joined(self.domain, hotel.facilities))
            return True
        if attribute == CHECKIN:
            if not hotel.checkin_time:
                return False
            self.say("utter_attr_checkin", name=name, time=hotel.checkin_time)
            return True
        if attribute == CHECKOUT:
            if not hotel.checkout_time:
                return False
            self.say("utter_attr_checkout", name=name, time=hotel.checkout_time)
            return True
        if attribute == INTRO:
            self._hotel_summary(hotel)
            return True
        return self._common(hotel, attribute, text)

    def _say_rooms(self, hotel: Hotel, rooms: Sequence[Any]) -> None:
        lines = "\n".join(
            template(self.domain, "utter_attr_room_line", type=room.type, bed=room.bed or "—",
                     max_guests=room.max_guests, price=money(room.price),
                     breakfast=template(self.domain, "utter_room_breakfast") if room.breakfast else "")
            for room in rooms
        )
        self.say("utter_attr_rooms", name=hotel.name, rooms=lines)

    def rooms_for(self, hotel: Hotel, people: int) -> None:
        """The room types that take ``people``, or that none does and how many the largest takes."""
        fitting = [room for room in hotel.rooms if room.max_guests >= people]
        if fitting:
            self._say_rooms(hotel, fitting)
        elif hotel.rooms:
            largest = max(hotel.rooms, key=lambda room: room.max_guests)
            self.say("utter_attr_no_room_for", name=hotel.name, people=people, room=largest.type,
                     max_guests=largest.max_guests)

    @staticmethod
    def _rooms_asked(hotel: Hotel, text: str) -> Sequence[Any]:
        named = [room for room in hotel.rooms if room.type and room.type in text]
        if not named:
            # "双床房" asks for 豪华双床房 and 高级双床房: the kind of room, at any grade.
            kinds = ROOM_KINDS.findall(text)
            named = [room for room in hotel.rooms if any(word in room.type for word in kinds)]
        return named or hotel.rooms

    def _hotel_summary(self, hotel: Hotel) -> None:
        """Stars, rating, address, from-price, and the description when there is one."""
        stars = template(self.domain, "utter_stars", stars=hotel.stars) if hotel.stars else hotel.grade
        self.say("utter_attr_hotel_summary", name=hotel.name, stars=stars or "—",
                 rating=f"{hotel.rating:.1f}" if hotel.rating is not None else "—",
                 district=hotel.district, address=hotel.address, price=money(hotel.lowest_price),
                 description=hotel.description)

    def _sight(self, sight: Sight, attribute: str, text: str) -> bool:
        name = sight.name
        if attribute == TICKET:
            if sight.free:
                self.say("utter_attr_free", name=name)
            elif sight.tickets:
                tickets = template(self.domain, "utter_clause_separator").join(
                    template(self.domain, "utter_fare", fare=kind, price=money(price)) for kind, price in sight.tickets)
                self.say("utter_attr_tickets", name=name, tickets=tickets)
            else:
                return False
            return True
        if attribute == HOURS:
            if not sight.opening_hours:
                return False
            self.say("utter_attr_hours", name=name, hours=sight.opening_hours)
            return True
        if attribute == VISIT:
            if not sight.visit_hours:
                return False
            low, high = sight.visit_hours
            hours = f"{low:g}" if low == high else f"{low:g}–{high:g}"
            self.say("utter_attr_visit", name=name, hours=hours)
            return True
        if attribute == INTRO:
            self.overview(SIGHT, sight)
            return True
        if attribute == SUITABLE:
            if not sight.suitable_for:
                return False
            self.say("utter_attr_suitable", name=name, who=joined(self.domain, sight.suitable_for))
            return True
        return self._common(sight, attribute, text)

    def _tour(self, tour: Tour, attribute: str, text: str) -> bool:
        name = tour.name
        if attribute == PRICE:
            child = template(self.domain, "utter_tour_child_price", price=money(tour.child_price)) \
                if tour.child_price else ""
            self.say("utter_attr_tour_price", name=name, price=money(tour.price), child_price=child)
        elif attribute == INCLUDES:
            if not tour.includes:
                return False
            self.say("utter_attr_includes", name=name, includes=tour.includes)
        elif attribute == EXCLUDES:
            if not tour.excludes:
                return False
            self.say("utter_attr_excludes", name=name, excludes=tour.excludes)
        elif attribute == ITINERARY:
            if not tour.itinerary and not tour.attractions:
                return False
            days = "\n".join(
                plan if NUMBERED_DAY.match(plan) else template(self.domain, "utter_attr_itinerary_day", day=index, plan=plan)
                for index, plan in enumerate(tour.itinerary, start=1)
            ) or joined(self.domain, tour.attractions)
            self.say("utter_attr_itinerary", name=name, days=days)
        elif attribute == DEPARTURES:
            weekdays = joined(self.domain, (template(self.domain, WEEKDAY_RESPONSES[d - 1]) for d in tour.departure_weekdays))
            self.say("utter_attr_departures", name=name, departs_from=tour.departs_from, weekdays=weekdays)
        elif attribute == DAYS:
            self.say("utter_attr_days", name=name, days=tour.days)
        elif attribute == INTRO:
            self.say("utter_attr_tour_intro", name=name, days=tour.days, departs_from=tour.departs_from,
                     highlights=tour.highlights or joined(self.domain, tour.attractions), price=money(tour.price))
        else:
            return False
        return True

    def _service(self, service: Service, attribute: str, text: str) -> bool:
        code = service.code
        if attribute == DEPART:
            self.say("utter_attr_depart", code=code, depart=service.depart,
                     station=service.from_station + service.from_terminal)
        elif attribute == ARRIVE:
            arrive = service.arrive.replace("+1", template(self.domain, "utter_next_day"))
            self.say("utter_attr_arrive", code=code, arrive=arrive, station=service.to_station + service.to_terminal)
        elif attribute == DURATION:
            hours, minutes = divmod(service.duration_minutes, 60)
            self.say("utter_attr_duration", code=code, hours=hours, minutes=minutes,
                     depart=service.depart, arrive=service.arrive)
        elif attribute == TICKET:
            fares = template(self.domain, "utter_clause_separator").join(
                template(self.domain, "utter_fare", fare=fare.name, price=money(fare.price)) for fare in service.fares)
            self.say("utter_attr_fares", code=code, fares=fares)
        elif attribute == SEATS:
            self._seats(service)
        elif attribute == INTRO:
            self.overview(SERVICE, service)
        elif attribute == STATIONS:
            self.say("utter_attr_stations", code=code, from_station=service.from_station + service.from_terminal,
                     to_station=service.to_station + service.to_terminal)
        elif attribute == TERMINAL:
            if service.mode != "flight" or not (service.from_terminal or service.to_terminal):
                return False
            self.say("utter_attr_terminals", code=code, from_station=service.from_station,
                     from_terminal=service.from_terminal or "—", to_station=service.to_station,
                     to_terminal=service.to_terminal or "—")
        else:
            return False
        return True

    def _seats(self, service: Service) -> None:
        if self.day is None:
            self.say("utter_attr_seats_need_date", code=service.code)
            return
        date_text = day_text(self.domain, self.day)
        if self.day.isoweekday() not in service.weekdays:
            self.say("utter_attr_not_running", code=service.code, date_text=date_text)
            return
        seats = template(self.domain, "utter_clause_separator").join(
            template(self.domain, "utter_fare_seats", fare=fare.name, price=money(fare.price),
                     seats=self.store.seats_left(service.code, fare.name, self.day))
            for fare in service.fares
        )
        self.say("utter_attr_seats", code=service.code, date_text=date_text, seats=seats)


# --- the action ------------------------------------------------------------------


def inquiry_slots(tracker: Tracker) -> Dict[str, Any]:
    names = (FOCUS_SLOT, SHOWN_SLOT, SEEN_SLOT, ASKED_SLOT, "search_date", "search_city")
    return {name: tracker.get_slot(name) for name in names}


def remembered(seen: Optional[List[str]], *refs: str) -> List[str]:
    """Items talked about, most recent last, so an earlier place stays resolvable."""
    kept = [ref for ref in (seen or []) if ref not in refs] + list(refs)
    return kept[-SEEN_KEPT:]


def answer_inquiry(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, store: Optional[Catalogue] = None
) -> Optional[List[Dict[Text, Any]]]:
    """Answer an attribute question about an item, or None when the message is not one."""
    text = latest_text(tracker)
    slots = inquiry_slots(tracker)
    if is_a_booking_request(text):
        return None  # "就订这家的双床房，入住人王磊": 双床房 is what is booked, not asked about
    store = store or catalogue()
    legs = legs_talked_about(store, slots) if TOTAL_ASKED.search(text) else []
    if legs:
        return answer_total(dispatcher, tracker, domain, legs)
    again = SAME_QUESTION.match(text) if slots.get(ASKED_SLOT) else None
    unlisted = unlisted_questions(text)
    party = party_in(text)
    if not attributes_in(text) and not again and not unlisted and not party:
        return None
    if again:
        answered = same_question_about(dispatcher, domain, store, slots, again.group(1))
        if answered is not None or not attributes_in(text):
            return answered
    found = referenced_item(store, text, slots, city=slots.get("search_city"))
    if found is None:
        return None
    kind, item, explicit = found
    focus = split_ref(slots.get(FOCUS_SLOT))
    if focus and focus[0] == TOUR and kind != TOUR and tour_only_question(text):
        # "漂漓江的竹筏包含在里面吗": 漓江 is what is asked to be included in the tour.
        tour = load(store, *focus)
        if tour is not None:
            kind, item, explicit = TOUR, tour, True
    if not attributes_in(text):
        if not explicit and not any(KIND_WORDS[kind].search(clause) for clause, _ in unlisted
                                    if kind in KIND_WORDS) and not (kind == HOTEL and party):
            return None
    else:
        if not is_question_about_item(text, explicit):
            return None
        if not explicit and not silent_focus_meant(tracker, kind, item, text):
            return None
        if is_a_search_instead(text, kind, by_name=explicit and not FOCUS_WORDS.search(text)
                               and ordinal_in(text) is None):
            return None
    unkept = unkept_spans(text, kind)
    said_day = day_said(tracker, text)
    day_value = said_day or slots.get("search_date")
    day = first_day(day_value) if day_value else None
    answerer = Answerer(dispatcher, domain, store, day)
    said_before = len(dispatcher.messages)
    asking = blanked(text, unkept + known_spans(text))
    asked = asked_attributes(asking, kind)
    answerer.asked = asked
    for attribute in asked:
        answerer.answer(kind, item, attribute, asking)
    if unkept:  # one "not in our data" for all of them, in the traveller's words
        separator = template(domain, "utter_clause_separator")
        answerer.unlisted(item, separator.join(dict.fromkeys(text[start:end] for start, end in unkept)), kind)
    rooms_shown = bool(asked)
    if isinstance(item, Hotel) and party and not {PRICE, ROOMS} & set(asked):
        answerer.rooms_for(item, party)  # "有没有三人能住的": the rooms that take three
        rooms_shown = True
    for clause, what in unlisted:
        if isinstance(item, Hotel) and party_in(clause):
            continue
        if not names_part_of(item, what):
            answerer.unlisted(item, clause, kind)
        elif not rooms_shown:  # "能看到江景吗" of a hotel with 江景 rooms: its rooms answer it
            answerer.answer(kind, item, "房型", text)
            rooms_shown = True
    if len(dispatcher.messages) == said_before:
        return None  # nothing to say about the item: the search or the fallback answers
    if repeats_last_reply(tracker, domain, dispatcher.messages[said_before:]):
        # Asked again in other words, about to say the same again: what we have is this, and
        # if something else was meant the catalogue lacks it (a person can find out).
        again_said = dispatcher.messages[said_before:]
        del dispatcher.messages[said_before:]
        answerer.say("utter_attr_same_answer", name=item_name(item))
        dispatcher.messages.extend(again_said)
    ref = item_ref(kind, item_id(kind, item))
    events = [SlotSet(FOCUS_SLOT, ref), SlotSet(SEEN_SLOT, remembered(slots.get(SEEN_SLOT), ref)),
              SlotSet(ASKED_SLOT, asked)]
    if said_day:
        events.append(SlotSet("search_date", said_day))
    people = first_entity_value(tracker, "number_of_people")
    if people:  # "还有房吗？我们两个人": the booking that follows does not ask again
        events.append(SlotSet("search_people", float(people)))
    if answerer.listed:
        events.append(SlotSet(SHOWN_SLOT, answerer.listed))
    events += [SlotSet(name, value) for name, value in answerer.search.items()]
    city = item_city(item)
    if city and not answerer.search and city != tracker.get_slot("search_city") \
            and tracker.get_slot("search_type") != "ticket":
        # The place talked about is where the trip is now: "附近的酒店" asks no city.
        events += [SlotSet("search_city", city), SlotSet("search_district", None), SlotSet("search_near", None)]
    return events


def legs_talked_about(store: Catalogue, slots: Dict[str, Any]) -> List[Service]:
    """The two services of one trip the traveller has been shown or asked about: the legs
    of a connection (the second leaves from where the first arrives) or an outbound and
    its return; the last list first, then the services talked about, most recent last."""
    shown = [ref for ref in (split_ref(r) for r in slots.get(SHOWN_SLOT) or []) if ref and ref[0] == SERVICE]
    seen = [ref for ref in (split_ref(r) for r in slots.get(SEEN_SLOT) or []) if ref and ref[0] == SERVICE]
    for refs in (shown, seen[-2:]):
        if len(refs) != 2:
            continue
        legs = [store.service(key) for _, key in refs]
        first, second = legs
        if first is None or second is None:
            continue
        if first.destination != second.origin and second.destination == first.origin:
            first, second = second, first  # asked about the second leg first
        if first.destination == second.origin:
            return [first, second]
    return []


def party_size(tracker: Tracker, text: str) -> int:
    """How many travel: said now ("我们两个人"), else said before, else one."""
    said = extract_people(text)
    if said:
        return said[0].value
    known = tracker.get_slot("search_people")
    return int(known) if known else 1


def answer_total(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                 legs: Sequence[Service]) -> List[Dict[Text, Any]]:
    """Each leg's lowest fare (or the class wanted) times the party, and the sum, in fen."""
    people = party_size(tracker, latest_text(tracker))
    kept = tracker.get_slot("search_wanted")
    wanted = kept.get("fare_class") if isinstance(kept, dict) else None
    lines, total = [], 0
    for leg in legs:
        fares = [f for f in leg.fares if wanted and wanted in f.name] or list(leg.fares)
        fare = min(fares, key=lambda f: f.price)
        fen = to_fen(fare.price) * people
        total += fen
        lines.append(template(domain, "utter_leg_fare_line", code=leg.code, from_station=leg.from_station,
                              to_station=leg.to_station, fare=fare.name, price=money(fare.price),
                              people=people, subtotal=amount(fen)))
    dispatcher.utter_message(response="utter_legs_total", lines="\n".join(lines), people=people,
                             total=amount(total))
    events: List[Dict[Text, Any]] = [SlotSet(ASKED_SLOT, [PRICE])]
    if people > 1:
        events.append(SlotSet("search_people", float(people)))
    return events


def unkept_spans(text: str, kind: str) -> List[Tuple[int, int]]:
    """Where the text asks a fact the catalogue keeps no field for (see UNKEPT_FACTS)."""
    return [(m.start(), m.end()) for pattern in UNKEPT_FACTS.get(kind, ()) for m in pattern.finditer(text)]


def known_spans(text: str) -> List[Tuple[int, int]]:
    """The clauses saying what is known already ("价格我知道了"): they ask nothing."""
    return [(m.start(), m.end()) for m in KNOWN_ALREADY.finditer(text) if m.group(0).strip()]


def blanked(text: str, spans: Sequence[Tuple[int, int]]) -> str:
    """The text with ``spans`` blanked out, positions kept."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def party_in(text: str) -> int:
    """How many people a room is asked for ("三人能住", "一家四口"), or 0."""
    match = PARTY_ROOM.search(text)
    if not match:
        return 0
    return parse_number(match.group("count") or match.group("family")) or 0


def repeats_last_reply(tracker: Tracker, domain: DomainDict, messages: Sequence[Dict[str, Any]]) -> bool:
    """Whether these replies say word for word what the bot said last, to a question worded
    differently (the same question asked again may get the same answer)."""
    before, asked_before = last_exchange(tracker)
    if not before or not asked_before or normalize(asked_before).text == latest_text(tracker):
        return False
    said = [filled(domain, message) for message in messages]
    return [normalize(t).text for t in said] == [normalize(t).text for t in before]


def filled(domain: DomainDict, message: Dict[str, Any]) -> str:
    """A reply's text as the traveller reads it (Simplified)."""
    if not message.get("response"):
        return str(message.get("text") or "")
    values = {key: value for key, value in message.items() if value is not None and key != "response"}
    try:
        return template(domain, str(message["response"]), **values)
    except (KeyError, IndexError, ValueError):
        return ""


def last_exchange(tracker: Tracker) -> Tuple[List[str], str]:
    """The bot's texts after the traveller's previous message, and that message."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(users) < 2:
        return [], ""
    previous, current = users[-2], users[-1]
    replies = [str(e.get("text") or "") for e in tracker.events[previous + 1:current]
               if e.get("event") == "bot" and e.get("text")]
    return replies, str(tracker.events[previous].get("text") or "")


def same_question_about(dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                        slots: Dict[str, Any], words: str) -> Optional[List[Dict[Text, Any]]]:
    """"天坛呢" after "故宫周一开门吗？门票多少钱": the same questions about the item named."""
    matches = [m for m in named_items(store, words, slots, slots.get("search_city")) if m.exact]
    found = (matches[0].kind, load(store, matches[0].kind, matches[0].id)) if matches else shown_at(store, words, slots)
    kind, item = found or ("", None)
    if item is None:
        return None
    asked = [name for name in (for_kind(a, kind) for a in slots.get(ASKED_SLOT) or []) if name]
    only_named = bool(matches) and words.strip() == words[matches[0].start:matches[0].end]
    if not asked and not only_named:
        return None
    answerer = Answerer(dispatcher, domain, store)
    if not asked:  # "那故宫呢" after a hotel's parking: another kind of item, its main facts
        answerer.overview(kind, item)
    for attribute in dict.fromkeys(asked):
        answerer.answer(kind, item, attribute, words)
    ref = item_ref(kind, item_id(kind, item))
    return [SlotSet(FOCUS_SLOT, ref), SlotSet(SEEN_SLOT, remembered(slots.get(SEEN_SLOT), ref))]


def shown_at(store: Catalogue, words: str, slots: Dict[str, Any]) -> Optional[Tuple[str, Optional[Item]]]:
    """"第二个" of the last list: (kind, item), or None when nothing is at that position."""
    position = ordinal_in(words)
    shown = [ref for ref in (split_ref(r) for r in slots.get(SHOWN_SLOT) or []) if ref]
    if not position or position > len(shown):
        return None
    kind, key = shown[position - 1]
    return kind, load(store, kind, key)


def item_city(item: Item) -> Optional[str]:
    if isinstance(item, (Hotel, Sight)):
        return item.city
    if isinstance(item, Tour):
        return item.destination
    return None


def answer_inquiry_besides(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> Optional[List[Dict[Text, Any]]]:
    """:func:`answer_inquiry` for actions that have an answer of their own (FAQ, fallback):
    a catalogue that cannot be read leaves them to it instead of failing the turn."""
    try:
        if another_mode_wanted(tracker, latest_text(tracker)):
            from actions.search import ActionSearch  # the search module imports this one

            return ActionSearch().serve(dispatcher, tracker, domain)
        return answer_inquiry(dispatcher, tracker, domain)
    except SQLAlchemyError:
        logger.exception("catalogue unreadable; answering without it")
        return None


class ActionAnswerInquiry(Action):
    """Answers attribute questions; the fallback and FAQ actions call the same function
    when the NLU missed the intent but an item and an attribute are in the message."""

    def name(self) -> Text:
        return "action_answer_inquiry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        from actions.contacts import serve_complaint_follow_up  # imports this module (via faq)

        if serve_complaint_follow_up(dispatcher, tracker):
            return []  # "我已经住在那家酒店1207了" after a complaint asks for no room list
        events = answer_inquiry(dispatcher, tracker, domain)
        if events is None:
            dispatcher.utter_message(response="utter_which_item")
            return []
        return events
