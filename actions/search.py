"""Hotel, sight, ticket and tour search: what travellers ask for, no needless questions.

One action drives every search because travellers move between them freely ("北京有什么
酒店" right after a train search, "它附近的酒店" after a sight) and refine with words that
do not name the product ("还有便宜点的吗", "一晚500以内", "上午的"). A question about one
item ("第一个的地址在哪") is answered by ``actions.inquiry`` before any search starts.
The search in progress lives in the ``search_*`` slots; the constraints read from the
messages in ``search_wanted``; the catalogue is read through its facade.

Browsing and questions need no date: hotels list their from-price per night, timetables
without a date list every service (with a date, only those running that day). Dates and
party size are asked by the booking form, when the traveller books.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import entities_of, first_entity_value, latest_intent, latest_text, template
from actions.confirmation import confirmed_summary
from actions.contacts import serve_complaint_follow_up
from actions.inquiry import (
    FOCUS_SLOT,
    SEEN_SLOT,
    SHOWN_SLOT,
    Answerer,
    answer_inquiry,
    day_said,
    item_ref,
    load,
    remembered,
    split_ref,
)
from actions.places import Place, nearby_kind, place_label, place_point, resolve_place
from actions.wording import day_text, joined, money, short_day_text
from bot import knowledge
from bot.catalogue.constraints import (
    Constraints,
    Released,
    arrives_in_time,
    constraints_in,
    fare_matches,
    hotel_query,
    released_in,
    service_query,
    sight_query,
    tour_query,
    without_negated,
    without_released,
)
from bot.catalogue.attributes import attributes_in
from bot.catalogue.connections import best_per_hub
from bot.catalogue.items import (
    HOTEL,
    ITEM_KINDS,
    SERVICE,
    SIGHT,
    TOUR,
    Hotel,
    HotelQuery,
    Service,
    Sight,
    SightQuery,
    Tour,
    lowest_price,
)
from bot.catalogue.queries import Catalogue, catalogue, haversine_km
from bot.catalogue.search import clock_in, follow_up_in, ordinal_in, split_route
from bot.faq_search import faq_index
from bot.nlu.dates import business_now, first_day
from bot.settings import settings
from bot.text import SPEECH_PATTERN

logger = logging.getLogger(__name__)

INTENT_TYPES = {"search_hotel": "hotel", "search_ticket": "ticket", "search_tour": "tour"}
PRODUCT_TYPES = {"hotel": "hotel", "tour": "tour", "flight": "ticket", "train": "ticket", "bus": "ticket"}
ITEM_KIND_OF = {"hotel": HOTEL, "ticket": SERVICE, "tour": TOUR, "sight": SIGHT}
# search_tour covers sights and tours: the words say which list is wanted.
TOUR_WORDS = re.compile(r"跟团|团游|旅游团|参团|[一二两三四五六七八九十\d]+日游|线路|旅行团|报团|行程")
SIGHT_WORDS = re.compile(r"景点|景区|好玩|玩什么|哪里玩|玩的|地方|去处|逛|看看|博物馆|公园|古镇|寺|乐园|打卡|免费的|门票")
SECOND_REQUEST = re.compile(r"另外|还有就是|顺便|再帮我|再帮忙|然后帮我|还想问")
HOTEL_WORDS = re.compile(r"酒店|宾馆|住宿|民宿")
NEAR_FOCUS = re.compile(r"附近|周边|旁边|周围")  # "它附近的酒店", "周边还有什么景点": around the focus
MODE_WORDS = {"train": "utter_mode_train", "flight": "utter_mode_flight", "bus": "utter_mode_bus"}
# Only what a list needs; dates and party size are the booking form's questions.
REQUIRED = {
    "hotel": ("city",),
    "sight": ("city",),
    "ticket": ("destination", "origin"),
    "tour": ("city",),
}
WIDER_KM = 10.0  # how far out to look when nothing is within reach of the place
ASKED_AT_MOST = 2  # a slot question is put twice at most, then the bot explains instead
ASK = {
    ("hotel", "city"): "utter_ask_hotel_city",
    ("sight", "city"): "utter_ask_tour_city",
    ("tour", "city"): "utter_ask_tour_city",
    ("ticket", "destination"): "utter_ask_destination",
    ("ticket", "origin"): "utter_ask_origin",
}
STILL_NEED = {"city": "utter_search_still_need_city", "destination": "utter_search_still_need_destination",
              "origin": "utter_search_still_need_origin"}
RESULTS = {"hotel": "utter_hotel_results", "sight": "utter_sight_results", "tour": "utter_tour_results",
           "ticket": "utter_ticket_results"}


def format_date(domain: DomainDict, value: Optional[str]) -> str:
    """ISO value → how a Chinese reply names it: 12月3日（周四）, 12月3日–12月5日 (a time
    said with the day, "明天上午", is a constraint of its own, not part of the day)."""
    if not value:
        return ""
    parts = value.split("/")
    days = [date.fromisoformat(p[:10]) for p in parts]
    if len(days) == 2 and days[0] != days[1]:
        return "–".join(short_day_text(domain, day) for day in days)
    return day_text(domain, days[0])


def nearest_cities(city: str, covered: Sequence[str], limit: int = 8) -> List[str]:
    """Covered cities to offer instead of ``city``: the same province first, then the
    popular ones, never ``city`` itself (a refusal must not list what it refuses)."""
    provinces = {d.name: d.province for d in knowledge.destinations()}
    popular = {d.name for d in knowledge.destinations() if d.popular}
    province = provinces.get(city)
    candidates = [c for c in dict.fromkeys(covered) if c != city]
    candidates.sort(key=lambda c: (provinces.get(c) != province or province is None, c not in popular))
    return candidates[:limit]


UNCOVERED_CITY = {"hotel": "utter_unknown_hotel_city", "sight": "utter_unknown_sight_city",
                  "tour": "utter_unknown_tour_city"}


def refuse_uncovered_city(dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                          search_type: str, city: str) -> bool:
    """Say the catalogue has no hotels/sights/tours for ``city``, with the nearest covered
    cities; False (and nothing said) when it has."""
    known = {"hotel": store.hotel_cities, "sight": store.sight_cities,
             "tour": store.tour_destinations}[search_type]()
    if city in known:
        return False
    if not known:
        # No catalogue at all is the operator's problem, not a city we do not cover.
        logger.error("the catalogue has no %s items: load one with `python -m bot.catalogue import` "
                     "or `make seed` (DATABASE_URL)", search_type)
        dispatcher.utter_message(response="utter_catalogue_unavailable")
        return True
    dispatcher.utter_message(response=UNCOVERED_CITY[search_type], city=city,
                             cities=joined(domain, nearest_cities(city, known)))
    return True


def still_uncovered(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """"真的一家都没有吗？县城里的也行" after a city was refused, not understood as anything
    else: the honest answer is the same refusal, not "please rephrase"."""
    search_type, city = tracker.get_slot("search_type"), tracker.get_slot("search_city")
    if search_type not in UNCOVERED_CITY or not city:
        return False
    return refuse_uncovered_city(dispatcher, domain, catalogue(), str(search_type), str(city))


def search_meant(tracker: Tracker) -> bool:
    """Whether a message the classifier could not place is plainly a search: a product
    with a city ("下周六想从上海飞三亚，请问当天有哪些航班"), or a time or class for the
    timetable in view ("那早上8点那班呢")."""
    text = latest_text(tracker)
    said = constraints_in(text)
    cities = [e for e in entities_of(tracker, "city") if knowledge.canonical_city(str(e.get("value") or ""))]
    if cities and (first_entity_value(tracker, "product_type") or said.modes):
        return True
    return tracker.get_slot("search_type") == "ticket" and bool(tracker.get_slot("search_city")) \
        and (said.times_or_service() or clock_in(text) is not None)


def landmark_in(store: Catalogue, words: str, city: Optional[str]) -> Optional[Sight]:
    """The landmark in the words before "附近": "下周五成都宽窄巷子" → 宽窄巷子 (the words
    reach back to whatever preceded the place)."""
    for start in range(0, max(len(words) - 1, 0)):
        found = store.landmark(words[start:], city)
        if found is not None:
            return found
    return None


# Words before a question that name no particular place.
NOT_A_PLACE = re.compile(r"景点|景区|地方|这里|那里|这儿|那儿|这个|那个|这家|那家|它|酒店|宾馆|民宿|哪|什么|有没有|请问|你好|您好|[想要找住玩订看我们附近便宜]")
PLACE_BEFORE = re.compile(r"(?:^|[的个那去在到，,。？?！!\s])((?:(?![的个那去在到])[\u4e00-\u9fff]){2,8})$")


def unknown_place_asked(store: Catalogue, text: str, cities: Sequence[Tuple[str, int, int]]) -> Optional[str]:
    """The name of a place asked about that the catalogue does not hold ("上海的钟书阁几点
    开门" → 钟书阁), or None when the words before the question name nothing particular."""
    asked = attributes_in(text)
    if not asked or store.named_in(text, kinds=ITEM_KINDS):
        return None
    before = text[:asked[0].start]
    for _, start, end in cities:
        if end <= len(before):
            before = before[:start] + "的" + before[end:]
    found = PLACE_BEFORE.search(before)
    if not found or NOT_A_PLACE.search(found.group(1)):
        return None
    place = SPEECH_PATTERN.split(found.group(1))[-1]  # "咩时候开门", "搭公车要多久": no place
    return place if len(place) >= 2 else None


def unknown_name_said(store: Catalogue, tracker: Tracker) -> Optional[str]:
    """A hotel or sight the traveller named that the catalogue does not hold ("北京星河宾馆"):
    said so before the list, rather than a list that looks like an answer about it."""
    for entity, kinds in (("hotel_name", (HOTEL,)), ("attraction_name", (SIGHT, TOUR))):
        for found in entities_of(tracker, entity):
            name = str(found.get("value") or "")
            cities = city_of_name(name)
            if len(name) >= 2 and not store.named_in(name, kinds=kinds, city=cities[0][0] if cities else None) \
                    and (entity == "hotel_name" or store.landmark(name) is None):
                return name
    return None


def city_of_name(name: Optional[str]) -> List[Tuple[str, int, int]]:
    """The city a hotel's own name begins with (宁波南苑饭店 → 宁波), as a city said."""
    size = knowledge.leading_city(name or "")
    city = knowledge.canonical_city(name[:size]) if name and size else None
    return [(city, 0, 0)] if city else []


def wanted_from_slot(value: Any) -> Constraints:
    """The constraints kept in ``search_wanted`` (money as strings, tuples as lists)."""
    if not isinstance(value, dict):
        return Constraints()
    fields: Dict[str, Any] = {}
    for name, default in asdict(Constraints()).items():
        if name not in value or value[name] is None:
            continue
        raw = value[name]
        if name in ("min_price", "max_price"):
            fields[name] = Decimal(str(raw))
        elif isinstance(default, tuple):
            fields[name] = tuple(raw)
        else:
            fields[name] = raw
    return Constraints(**fields)


def wanted_to_slot(wanted: Constraints) -> Dict[str, Any]:
    return {
        name: (str(value) if isinstance(value, Decimal) else list(value) if isinstance(value, tuple) else value)
        for name, value in asdict(wanted).items()
        if value not in (None, ())
    }


AREA: Tuple[str, ...] = ("district", "near")
BUDGET_STEP = 100  # a budget suggested in whole hundreds (一晚1300以内)
# The conditions a complete list can be widened by, in the order travellers most often
# give way on, each with the response that says how to let it go.
RELAXABLE: Tuple[Tuple[Tuple[str, ...], str], ...] = (
    (("min_price", "max_price"), "utter_relax_price"),
    (AREA, "utter_relax_area"),
    (("min_stars",), "utter_relax_stars"),
    (("min_rating",), "utter_relax_rating"),
    (("breakfast",), "utter_relax_breakfast"),
    (("facilities", "hotel_types", "sight_types", "suitable_for", "free", "fare_class",
      "depart_after", "depart_before", "arrive_before", "days"), "utter_relax_other"),
)


class SearchState:
    """The search slots as one object: read once, changed, written back as events."""

    FIELDS = ("search_type", "search_mode", "search_city", "search_origin", "search_date",
              "search_people", "search_pending", "search_shown", "search_asked", "search_district",
              "search_near", "search_wanted")

    def __init__(self, tracker: Tracker) -> None:
        self.values: Dict[str, Any] = {name: tracker.get_slot(name) for name in self.FIELDS}
        self._original = dict(self.values)
        self.extra: List[Dict[Text, Any]] = []
        self.before: List[Dict[Text, Any]] = []
        self.seen: Optional[List[str]] = tracker.get_slot(SEEN_SLOT)
        self.focus_ref: Optional[str] = tracker.get_slot(FOCUS_SLOT)
        self.unplaced: Optional[str] = None  # a place phrase the catalogue does not know

    def __getattr__(self, name: str) -> Any:
        if name in ("values", "_original", "extra", "before", "seen", "focus_ref", "unplaced"):
            raise AttributeError(name)
        return self.values.get(f"search_{name}")

    def set(self, **changes: Any) -> None:
        for key, value in changes.items():
            self.values[f"search_{key}"] = value

    @property
    def wanted_constraints(self) -> Constraints:
        return wanted_from_slot(self.wanted)

    def events(self) -> List[Dict[Text, Any]]:
        changed = [
            SlotSet(name, value)
            for name, value in self.values.items()
            if value != self._original.get(name)
        ]
        return self.before + changed + self.extra

    def show(self, refs: List[str]) -> None:
        """The listed items become "第N个" for the inquiry answers, and stay resolvable; the
        first listed is remembered last, as the one "那家酒店" means when none was asked about."""
        self.seen = remembered(self.seen, *reversed(refs))
        self.extra += [SlotSet(SHOWN_SLOT, refs), SlotSet(SEEN_SLOT, self.seen)]

    def focus(self, ref: str) -> None:
        self.seen = remembered(self.seen, ref)
        self.extra += [SlotSet(FOCUS_SLOT, ref), SlotSet(SEEN_SLOT, self.seen)]


class ActionSearch(Action):
    def name(self) -> Text:
        return "action_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """The search; or, for a yes to the booking summary with a question besides that a
        rule brought here ("好的没问题，顺便问下含早餐吗"), the booking, which serves it; or,
        for the travellers' names said to the booking form, the form."""
        from actions.book import names_for_the_form  # the booking module imports this one (via forms)

        if serve_complaint_follow_up(dispatcher, tracker):
            return []  # "我叫郑凯，房号1207，能退一部分吗" after a complaint is no search
        back_to_booking = confirmed_summary(tracker) or names_for_the_form(tracker)
        if back_to_booking is not None:
            return back_to_booking
        return self.serve(dispatcher, tracker, domain)

    def serve(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """The search (or the question answered), for this action and for the FAQ and
        fallback actions when the NLU took a timetable refinement for something else."""
        answered = answer_inquiry(dispatcher, tracker, domain)
        text = latest_text(tracker)
        if answered is not None and not self._a_search_too(text):
            return answered
        store = catalogue()
        state = SearchState(tracker)
        state.before = answered or []  # the answer's slots first; the search's win
        cities = self._cities(tracker, store, text)
        unknown_name = unknown_name_said(store, tracker)
        cities = cities or city_of_name(unknown_name)
        product = first_entity_value(tracker, "product_type")
        follow_up = follow_up_in(text)
        said = constraints_in(text)

        if follow_up and state.shown is not None and state.type and not cities and not product \
                and not self._new_place(store, text, said) and not self._new_window(state, follow_up, said) \
                and not self._new_budget(state, said):
            self._follow_up(dispatcher, domain, store, state, follow_up, text)
            return state.events()

        search_type = self._nearby_search_type(state, text) or \
            self._search_type(tracker, state, str(product) if product else None, text, said)
        if search_type is None:
            if follow_up:
                dispatcher.utter_message(response="utter_nothing_to_refine")
                return state.events()
            state.set(pending="type")
            dispatcher.utter_message(response="utter_ask_search_type")
            return state.events()

        if search_type != state.type:
            self._start_new_search(state, search_type)
        if search_type == "ticket":
            modes = said.modes or ((str(product),) if product in ("train", "flight", "bus") else ())
            if modes:
                state.set(mode=modes[0] if len(modes) == 1 else None)  # "航班和高铁": both
        self._update_criteria(tracker, store, state, cities, text, said)

        if state.date and first_day(state.date) < business_now().date():
            dispatcher.utter_message(response="utter_date_in_past", date_text=format_date(domain, state.date))
            state.set(date=None)
            return state.events()

        missing = [field for field in REQUIRED[search_type] if not self._has(state, field)]
        if missing and self._general_question(dispatcher, state, text):
            return state.events()
        if missing:
            self._ask(dispatcher, state, missing[0])
            return state.events()
        if not self._covered(dispatcher, domain, store, state):
            return state.events()

        state.set(pending=None, asked=None)  # every value is in: a later search may ask again
        unknown = unknown_place_asked(store, text, cities) if state.type in ("sight", "hotel") else None
        if unknown_name and state.type in ("sight", "hotel"):
            dispatcher.utter_message(response="utter_name_not_in_catalogue", name=unknown_name, city=state.city)
        elif state.unplaced:
            dispatcher.utter_message(response="utter_place_not_recognised", place=state.unplaced, city=state.city)
        elif unknown:
            # "上海的钟书阁几点开门": not in the catalogue; say so before what the city has.
            dispatcher.utter_message(response="utter_no_results", what=f"{state.city}{unknown}")
        results = self._results(store, state)
        if not results:
            results = self._relaxed(dispatcher, domain, store, state)
        if not results and state.type == "ticket" and state.date:
            self._other_days(dispatcher, domain, store, state)
            return state.events()
        self._present(dispatcher, domain, state, results, fresh=True)
        return state.events()

    def _other_days(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                    state: SearchState) -> None:
        """No service that day: say so, and list the route's services with the days they run."""
        day = state.date
        state.set(date=None)
        found = self._results(store, state)
        if found:
            dispatcher.utter_message(response="utter_no_service_that_day", date_text=format_date(domain, day),
                                     origin=state.origin, destination=state.city)
            self._present(dispatcher, domain, state, found, fresh=True)
        else:
            dispatcher.utter_message(response="utter_no_results", what=self._describe(domain, state))
        state.set(date=day)

    def _relaxed(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                 state: SearchState) -> List[Any]:
        """Nothing matched: say so with every condition, then offer the nearest alternative
        (the whole city instead of the area, then the city without the conditions), keeping
        the traveller's city. Returns nothing when even that is empty."""
        what = self._describe(domain, state)
        farther = self._farther_from_place(store, state)
        if farther:
            reach = HotelQuery.within_km if state.type == "hotel" else SightQuery.within_km
            dispatcher.utter_message(response="utter_no_results_near_widened", what=what, km=f"{reach:.0f}")
            return farther
        if state.district or state.near:
            area = {"district": state.district, "near": state.near}
            state.set(district=None, near=None)
            found = self._results(store, state)
            if found:
                dispatcher.utter_message(response="utter_no_results_in_area", what=what, city=state.city)
                return found
            state.set(**area)
        if state.wanted:
            wanted = state.wanted
            state.set(wanted=None)
            found = self._results(store, state)
            if found:
                dispatcher.utter_message(response="utter_no_results_with_conditions", what=what)
                return found
            state.set(wanted=wanted)
        return []

    @staticmethod
    def _farther_from_place(store: Catalogue, state: SearchState) -> List[Any]:
        """Nothing within reach of the place: the nearest ones a little farther out, with
        the same conditions, nearest first (象鼻山附近 has no hotel within 3 km: the closest
        at 3.4 km beats a city-wide list)."""
        point = place_point(store, state.near)
        if point is None or state.type not in ("hotel", "sight"):
            return []
        wanted = state.wanted_constraints
        if state.type == "hotel":
            query = replace(hotel_query(wanted, state.city, None, point), within_km=WIDER_KM, sort="distance")
            return list(store.find_hotels(query))
        sights = store.find_sights(replace(sight_query(wanted, state.city, None, point), within_km=WIDER_KM,
                                           sort="distance"))
        return [s for s in sights if f"{SIGHT}:{s.id}" != state.near]

    # --- reading the message -------------------------------------------------------

    @staticmethod
    def _a_search_too(text: str) -> bool:
        """"西湖畔云栖酒店有停车场吗？另外明天上午上海到杭州的高铁有哪些": a question, then a
        search in the same message; both are served."""
        parts = SECOND_REQUEST.split(text, maxsplit=1)
        if len(parts) < 2:
            return False
        tail = parts[-1]
        return bool(constraints_in(tail).modes or HOTEL_WORDS.search(tail) or TOUR_WORDS.search(tail)
                    or SIGHT_WORDS.search(tail))

    @staticmethod
    def _search_type(tracker: Tracker, state: SearchState, product: Optional[str], text: str,
                     said: Constraints) -> Optional[str]:
        by_product = PRODUCT_TYPES.get(product or "")
        by_intent = INTENT_TYPES.get(latest_intent(tracker) or "")
        if said.modes and not by_product:
            by_product = "ticket"
        if by_product in (None, "tour") and HOTEL_WORDS.search(text) and not TOUR_WORDS.search(text):
            # "故宫附近的酒店" is a hotel search whatever the intent, and so is "去厦门自由行，
            # 想找环岛路附近的酒店" (自由行 is travelling on one's own, not a tour wanted)
            by_product = "hotel"
        if not by_product and state.type and not (TOUR_WORDS.search(text) or SIGHT_WORDS.search(text)):
            return state.type  # "下午两点那班呢": a follow-up names no product; the search goes on
        if by_product == "tour" or (by_product is None and by_intent == "tour") or \
                (by_product is None and by_intent is None and state.type in ("tour", "sight")):
            if TOUR_WORDS.search(text):
                return "tour"
            if SIGHT_WORDS.search(text) or said.sight_types or said.free or said.suitable_for:
                return "sight"
            return state.type if state.type in ("tour", "sight") else "tour"
        if by_product or by_intent:
            return by_product or by_intent
        if HOTEL_WORDS.search(text):
            return "hotel"
        return state.type or ("sight" if first_entity_value(tracker, "attraction_name") else None)

    @staticmethod
    def _nearby_search_type(state: SearchState, text: str) -> Optional[str]:
        """"栖云酒店附近有什么景点" lists sights and "故宫附近的酒店" hotels, whatever the
        product the message also names or the search in progress."""
        wanted = nearby_kind(text)
        if wanted == "sight" and state.type == "tour" and TOUR_WORDS.search(text):
            return None
        return wanted

    @staticmethod
    def _cities(tracker: Tracker, store: Catalogue, text: str, repeated: bool = False) -> List[Tuple[str, int, int]]:
        """Cities the traveller named: known city names only, and not a fragment of a hotel's
        or sight's name (the NLU labels 成都 in 成都东站小憩酒店, or 东门, as a city).
        ``repeated`` keeps every mention (a route said again: "先飞上海……上海到苏州")."""
        names = [
            (int(e.get("start", 0)), int(e.get("end", 0)))
            for kind in ("hotel_name", "attraction_name")
            for e in entities_of(tracker, kind)
        ]
        names += [(m.start, m.end) for m in store.named_in(text) if m.kind != "district"]
        found: List[Tuple[str, int, int]] = []
        for entity in entities_of(tracker, "city"):
            start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
            name = knowledge.canonical_city(str(entity.get("value") or ""))
            inside_a_name = any(s <= start and end <= e and (e - s) > (end - start) for s, e in names)
            if name and not inside_a_name and (repeated or all(name != f[0] for f in found)):
                found.append((name, start, end))
        return found

    @staticmethod
    def _new_window(state: SearchState, follow_up: str, said: Constraints) -> bool:
        """"我要的是下午的！两点以后！": a timetable asked again with a time, mode or class is
        a new list with that condition, not the next page of the old one."""
        return state.type == "ticket" and follow_up != "detail" and said.times_or_service()

    @staticmethod
    def _new_budget(state: SearchState, said: Constraints) -> bool:
        """"有便宜点的吗 400以内" about hotels, sights or tours: a new list within the budget
        (numbered from 1), not the next page of the old one."""
        return state.type != "ticket" and (said.max_price is not None or said.min_price is not None)

    @staticmethod
    def _new_place(store: Catalogue, text: str, said: Constraints) -> bool:
        return bool(said.near) or any(m.kind == "district" for m in store.named_in(text))

    @staticmethod
    def _general_question(dispatcher: CollectingDispatcher, state: SearchState, text: str) -> bool:
        """"请问饭店几点可以入住" with no hotel, place or list in view asks the policy, not for
        a city: answer it from the FAQ (True), or say nothing (False)."""
        if state.shown or not attributes_in(text):
            return False
        hit = faq_index().best(text, settings.faq_search_min_score)
        if hit is None:
            return False
        dispatcher.utter_message(response="utter_faq", answer=knowledge.faq()[hit.topic].answer)
        return True

    def _ask(self, dispatcher: CollectingDispatcher, state: SearchState, field: str) -> None:
        """Ask for a missing value, at most twice; then say what is needed with an example."""
        asked = list(state.asked or [])
        state.set(pending=field)
        if asked.count(field) >= ASKED_AT_MOST:
            dispatcher.utter_message(response=STILL_NEED[field])
            return
        state.set(asked=asked + [field])
        dispatcher.utter_message(response=ASK[(state.type, field)])

    @staticmethod
    def _start_new_search(state: SearchState, search_type: str) -> None:
        """A new kind of search keeps the trip's city, date and party (never asked again)."""
        if state.type == "ticket" and search_type != "ticket":
            state.set(origin=None)  # the city now is the trip's destination
        state.set(type=search_type, mode=None, shown=None, pending=None, wanted=None, asked=None)

    def _update_criteria(self, tracker: Tracker, store: Catalogue, state: SearchState,
                         cities: Sequence[Tuple[str, int, int]], text: str, said: Constraints) -> None:
        changed = False
        if cities:
            if state.type == "ticket":
                origin, destination = split_route(text, self._cities(tracker, store, text, repeated=True))
                if len(cities) == 1 and state.pending == "origin" and origin is None:
                    origin, destination = destination, None
                if origin:
                    state.set(origin=origin)
                if destination:
                    state.set(city=destination)
            else:
                if cities[-1][0] != state.city:
                    state.set(district=None, near=None)
                state.set(city=cities[-1][0])
            changed = True
        released = released_in(text)
        if state.type != "ticket":
            changed = self._release_place(store, state, released) or changed
            changed = self._place_from_names(tracker, store, state, without_negated(text), said,
                                             bool(cities)) or changed
        date_value = day_said(tracker, text)
        if date_value:
            state.set(date=str(date_value))
            changed = True
        people = first_entity_value(tracker, "number_of_people")
        if people:
            state.set(people=float(people))
        if said.said() or released:
            kept = without_released(state.wanted_constraints, released)
            state.set(wanted=wanted_to_slot(said.merged_into(kept)))
            changed = True
        if changed:
            state.set(shown=None)

    @staticmethod
    def _release_place(store: Catalogue, state: SearchState, released: Released) -> bool:
        """"区域不限", "不用非得南山", "不限秦淮区": the area of the search is let go."""
        named = [m for said in released.words for m in store.named_in(said, city=state.city)
                 if m.kind == "district"]
        if "place" not in released.fields and not named:
            return False
        state.set(district=None, near=None)
        return True

    def _place_from_names(self, tracker: Tracker, store: Catalogue, state: SearchState, text: str,
                          said: Constraints, city_said: bool) -> bool:
        """A place phrase ("人民广场附近", "国贸那边", "鼓浪屿岛上"), a district, a sight named
        in a hotel search ("亚龙湾有私人沙滩的酒店") or "它附近" sets the place, and the city
        with it. A place phrase nothing in the catalogue answers to is remembered in
        ``state.unplaced`` so the reply says so."""
        place = resolve_place(store, said.near, state.city) if said.near else None
        if place is None and said.near and not city_said:
            place = resolve_place(store, said.near, None)
        if place is None and not said.near and state.type == "hotel":
            place = self._sight_named(store, text, state.city)
        if place is not None and (not city_said or place.city == state.city):
            state.set(city=place.city, district=place.district, near=place.near)
            return True
        for match in store.named_in(text, city=state.city):
            if match.kind == "district" and "/" in match.id:
                city, district = match.id.split("/", 1)
                if not city_said or city == state.city:
                    state.set(city=city, district=district, near=None)
                    return True
        if not city_said and NEAR_FOCUS.search(text):
            focus = split_ref(state.focus_ref)
            if focus and focus[0] in (HOTEL, SIGHT):
                item = store.hotel(focus[1]) if focus[0] == HOTEL else store.sight(focus[1])
                if item is not None and item.lat is not None:
                    state.set(city=item.city, district=None, near=f"{focus[0]}:{item.id}")
                    return True
        if said.near and place is None and not knowledge.canonical_city(said.near):  # "杭州那边" is the city
            state.unplaced = said.near
            state.set(district=None, near=None)  # the list is the city's, as the reply says
        attraction = first_entity_value(tracker, "attraction_name")
        if attraction and not state.city:
            sight = store.landmark(str(attraction))
            if sight is not None:
                state.set(city=sight.city)
                return True
        return False

    @staticmethod
    def _sight_named(store: Catalogue, text: str, city: Optional[str]) -> Optional[Place]:
        """A sight named in full in a hotel search, not as part of another name: "三亚亚龙湾
        有带私人沙滩的酒店" is a search near 亚龙湾 (but 宽窄巷子 in 宽窄巷子栖云酒店 is not)."""
        matches = store.named_in(text, city=city)
        for match in matches:
            if match.kind != SIGHT or not match.exact:
                continue
            inside = any(other is not match and other.kind != SIGHT and other.start <= match.start
                         and match.end <= other.end for other in matches)
            sight = None if inside else store.sight(match.id)
            if sight is not None and sight.lat is not None and (not city or sight.city == city):
                return Place(sight.city, near=f"{SIGHT}:{sight.id}")
        return None

    @staticmethod
    def _has(state: SearchState, field: str) -> bool:
        if field == "destination":
            return bool(state.city)
        return bool(getattr(state, field))

    # --- coverage ------------------------------------------------------------------

    def _covered(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                 state: SearchState) -> bool:
        """Say exactly what the catalogue does not cover, with the nearest alternatives.

        The traveller's city stays in focus (wiping it made the bot ask for it again), and
        the alternatives offered never include the refused place.
        """
        if state.type in UNCOVERED_CITY:
            if refuse_uncovered_city(dispatcher, domain, store, state.type, state.city):
                state.set(pending=None, shown=None)
                return False
            return True
        if state.origin == state.city:
            state.set(origin=None)
            self._ask(dispatcher, state, "origin")
            return False
        route = (state.origin, state.city)
        if route in store.routes():
            if state.mode and route not in store.routes((state.mode,)):
                other_modes = [m for m in ("train", "flight", "bus") if route in store.routes((m,))]
                dispatcher.utter_message(
                    response="utter_no_mode_on_route", origin=state.origin, destination=state.city,
                    mode=template(domain, MODE_WORDS[state.mode]),
                    modes=joined(domain, (template(domain, MODE_WORDS[m]) for m in other_modes)),
                )
                state.set(mode=other_modes[0] if len(other_modes) == 1 else None, pending=None)
                return True  # and list what does run
            return True
        if self._connection(dispatcher, domain, store, state):
            return False
        destinations = store.destinations_from(state.origin)
        if destinations:
            dispatcher.utter_message(
                response="utter_unknown_route", origin=state.origin, destination=state.city,
                alternatives=joined(domain, nearest_cities(state.city, destinations)),
            )
        else:
            origins = sorted({a for a, _ in store.routes()} - {state.origin})
            dispatcher.utter_message(
                response="utter_unknown_origin", origin=state.origin, destination=state.city,
                alternatives=joined(domain, nearest_cities(state.origin, origins)),
            )
        state.set(pending=None, shown=None)
        return False

    def _connection(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                    state: SearchState) -> bool:
        """No direct service: say so and offer the best one-change trip through a hub the
        catalogue serves from both ends, in the mode asked for when there is one (False,
        and nothing said, when there is none)."""
        day = first_day(state.date) if state.date else None
        weekday = day.isoweekday() if day else None
        found = []
        for modes in ([(state.mode,)] if state.mode else []) + [()]:
            found = store.connections(state.origin, state.city, weekday, modes, settings.min_change_minutes)
            if found:
                break
        if not found:
            return False
        best = found[0]
        lines = "\n".join(self._line(domain, service, index)
                          for index, service in enumerate((best.first, best.second), start=1))
        others = [c.hub for c in best_per_hub(found, limit=4)[1:]]
        dispatcher.utter_message(
            response="utter_route_connection", origin=state.origin, destination=state.city, hub=best.hub,
            date_text=format_date(domain, state.date), lines=lines,
            wait=self._duration(domain, best.change_minutes), total=self._duration(domain, best.total_minutes),
            other_hubs=template(domain, "utter_route_connection_other_hubs", hubs=joined(domain, others))
            if others else "",
        )
        state.set(pending=None, shown=None)
        state.show([item_ref(SERVICE, best.first.code), item_ref(SERVICE, best.second.code)])
        return True

    @staticmethod
    def _duration(domain: DomainDict, minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        if not hours:
            return template(domain, "utter_duration_minutes", minutes=rest)
        if not rest:
            return template(domain, "utter_duration_hours", hours=hours)
        return template(domain, "utter_duration_hours_minutes", hours=hours, minutes=rest)

    # --- results -------------------------------------------------------------------

    @staticmethod
    def _near_point(store: Catalogue, state: SearchState) -> Optional[Tuple[float, float]]:
        return place_point(store, state.near)

    def _results(self, store: Catalogue, state: SearchState, limit: int = 30) -> List[Any]:
        wanted = state.wanted_constraints
        near = self._near_point(store, state)
        day = first_day(state.date) if state.date else None
        if state.type == "hotel":
            hotels = store.find_hotels(hotel_query(wanted, state.city, state.district, near, limit))
            people = int(state.people or 0)
            return [h for h in hotels if not people or any(r.max_guests >= min(people, 2) for r in h.rooms)]
        if state.type == "sight":
            sights = store.find_sights(sight_query(wanted, state.city, state.district, near, limit))
            near_ref = state.near or ""
            return [s for s in sights if f"{SIGHT}:{s.id}" != near_ref]
        if state.type == "tour":
            weekday = day.isoweekday() if day else None
            return store.find_tours(tour_query(wanted, state.city, weekday, limit=limit))
        weekday = day.isoweekday() if day else None
        # The mode is the state's (a mode that does not run on the route was replaced).
        wanted = replace(wanted, modes=(state.mode,) if state.mode else ())
        services = store.find_services(service_query(wanted, state.origin, state.city, weekday, state.mode))
        return [s for s in services if arrives_in_time(s.arrive, wanted.arrive_before)
                and any(fare_matches(f.name, wanted.fare_class) for f in s.fares)]

    @staticmethod
    def _id(item: Any) -> str:
        return item.code if isinstance(item, Service) else item.id

    def _present(self, dispatcher: CollectingDispatcher, domain: DomainDict, state: SearchState,
                 items: Sequence[Any], fresh: bool) -> None:
        if not items:
            if fresh:
                dispatcher.utter_message(response="utter_no_results", what=self._describe(domain, state))
            else:
                dispatcher.utter_message(response="utter_no_more")
            return
        shown = list(items[: settings.search_results_shown])
        previously_shown = list(state.shown or []) if not fresh else []
        start_index = len(previously_shown) + 1
        point = place_point(catalogue(), state.near) if state.type in ("hotel", "sight") else None
        lines = "\n".join(
            self._line(domain, item, index, state.wanted_constraints.fare_class) + self._distance(domain, point, item)
            for index, item in enumerate(shown, start=start_index)
        )
        ids = previously_shown + [self._id(item) for item in shown]
        state.set(shown=ids)
        state.show([item_ref(ITEM_KIND_OF[state.type], i) for i in ids])
        if len(shown) == 1 and fresh:
            state.focus(item_ref(ITEM_KIND_OF[state.type], ids[0]))
        where = self._where(domain, state)
        dispatcher.utter_message(
            response=RESULTS[state.type], city="" if where.startswith(state.city or "-") else state.city, where=where,
            origin=state.origin, destination=state.city, date_text=format_date(domain, state.date),
            mode_text=template(domain, MODE_WORDS[state.mode]) if state.mode else "",
            conditions=self._conditions(domain, state), lines=lines,
        )

    @staticmethod
    def _distance(domain: DomainDict, point: Optional[Tuple[float, float]], item: Any) -> str:
        """How far a listed hotel or sight is from the place searched around (约1.2公里)."""
        if point is None or getattr(item, "lat", None) is None or getattr(item, "lon", None) is None:
            return ""
        km = haversine_km(point[0], point[1], item.lat, item.lon)
        return template(domain, "utter_line_distance", km=f"{km:.1f}")

    @staticmethod
    def _where(domain: DomainDict, state: SearchState) -> str:
        if state.near:
            label = place_label(catalogue(), state.near)
            if label is not None:
                return template(domain, "utter_where_near", name=label)
        if state.district:
            return state.district
        return ""

    @staticmethod
    def _conditions(domain: DomainDict, state: SearchState) -> str:
        """The constraints the list honours, said back so the traveller can trust it."""
        wanted = state.wanted_constraints
        parts: List[str] = []
        if wanted.max_price is not None and wanted.min_price is not None:
            parts.append(template(domain, "utter_condition_price_range", low=money(wanted.min_price),
                                  high=money(wanted.max_price)))
        elif wanted.max_price is not None:
            parts.append(template(domain, "utter_condition_max_price", price=money(wanted.max_price)))
        elif wanted.min_price is not None:
            parts.append(template(domain, "utter_condition_min_price", price=money(wanted.min_price)))
        if wanted.min_stars and state.type == "hotel":
            parts.append(template(domain, "utter_condition_stars", stars=wanted.min_stars))
        if wanted.min_rating:
            parts.append(template(domain, "utter_condition_rating", rating=wanted.min_rating))
        words = [*(wanted.facilities if state.type == "hotel" else ()),
                 *(wanted.hotel_types if state.type == "hotel" else ()),
                 *(wanted.sight_types if state.type == "sight" else ()),
                 *(wanted.suitable_for if state.type == "sight" else ())]
        if state.type == "hotel" and wanted.breakfast:
            words.append(template(domain, "utter_condition_breakfast"))
        if state.type == "ticket" and wanted.fare_class:
            words.append(wanted.fare_class)
        if state.type == "ticket" and wanted.depart_after and wanted.depart_before:
            words.append(f"{wanted.depart_after}–{wanted.depart_before}")
        elif state.type == "ticket" and wanted.depart_after:
            words.append(template(domain, "utter_condition_after", time=wanted.depart_after))
        elif state.type == "ticket" and wanted.depart_before:
            words.append(template(domain, "utter_condition_before", time=wanted.depart_before))
        if state.type == "ticket" and wanted.arrive_before:
            words.append(template(domain, "utter_condition_arrive_before", time=wanted.arrive_before))
        if state.type == "sight" and wanted.free:
            words.append(template(domain, "utter_condition_free"))
        parts += words
        return template(domain, "utter_conditions", conditions=joined(domain, parts)) if parts else ""

    def _describe(self, domain: DomainDict, state: SearchState) -> str:
        """What found nothing, with every condition, so the traveller sees what to relax."""
        conditions = self._conditions(domain, state)
        if state.type == "ticket":
            return f"{format_date(domain, state.date)}{state.origin}→{state.city}{conditions}"
        return f"{state.city}{self._where(domain, state)}{format_date(domain, state.date)}{conditions}"

    @staticmethod
    def _line(domain: DomainDict, item: Any, index: int, fare_class: Optional[str] = None) -> str:
        if isinstance(item, Hotel):
            stars = template(domain, "utter_stars", stars=item.stars) if item.stars else (item.grade or item.type)
            rating = template(domain, "utter_line_rating", rating=f"{item.rating:.1f}") if item.rating else ""
            return template(domain, "utter_line_hotel", index=index, name=item.name, stars=stars or "—",
                            district=item.district, price=money(item.lowest_price), rating=rating)
        if isinstance(item, Sight):
            ticket = template(domain, "utter_nearby_sight_free") if item.free else (
                template(domain, "utter_nearby_sight_ticket", price=money(item.lowest_ticket)) if item.tickets else "")
            rating = template(domain, "utter_line_rating", rating=f"{item.rating:.1f}") if item.rating else ""
            return template(domain, "utter_line_sight", index=index, name=item.name, type=item.type,
                            district=item.district, ticket=ticket, rating=rating)
        if isinstance(item, Service):
            asked = [f for f in item.fares if fare_class and fare_matches(f.name, fare_class)]
            fare = min(asked or item.fares, key=lambda f: f.price)
            return template(domain, "utter_line_ticket", index=index, code=item.code,
                            from_station=item.from_station + item.from_terminal, depart=item.depart,
                            to_station=item.to_station + item.to_terminal, arrive=item.arrive,
                            fare_class=fare.name, price=money(fare.price))
        tour: Tour = item
        return template(domain, "utter_line_tour", index=index, name=tour.name, days=tour.days,
                        price=money(tour.price))

    # --- follow-ups ----------------------------------------------------------------

    def _follow_up(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                   state: SearchState, kind: str, text: str) -> None:
        items = self._results(store, state, limit=100)
        by_id = {self._id(item): item for item in items}
        shown_ids = list(state.shown or [])
        shown = [by_id[i] for i in shown_ids if i in by_id]
        if kind == "detail":
            position = ordinal_in(text) or 1
            if position > len(shown_ids):
                dispatcher.utter_message(response="utter_no_such_result", count=len(shown_ids))
                return
            kind_of_item = ITEM_KIND_OF[state.type]
            item = load(store, kind_of_item, shown_ids[position - 1])
            if item is not None:
                state.focus(item_ref(kind_of_item, shown_ids[position - 1]))
                Answerer(dispatcher, domain, store).overview(kind_of_item, item)
            return
        remaining = [item for item in items if self._id(item) not in shown_ids]
        if kind == "cheaper":
            floor = min((lowest_price(item) for item in shown), default=None)
            candidates = sorted((i for i in remaining if floor is None or lowest_price(i) < floor), key=lowest_price)
            if not candidates:
                dispatcher.utter_message(response="utter_no_cheaper")
                return
        elif kind in ("earlier", "later") and state.type == "ticket":
            departs = [item.depart for item in shown]
            if kind == "earlier":
                candidates = sorted((i for i in remaining if not departs or i.depart < min(departs)),
                                    key=lambda i: i.depart, reverse=True)
            else:
                candidates = sorted((i for i in remaining if not departs or i.depart > max(departs)),
                                    key=lambda i: i.depart)
            if not candidates:
                dispatcher.utter_message(response="utter_no_earlier" if kind == "earlier" else "utter_no_later")
                return
        else:
            candidates = remaining
            if not candidates and shown:
                self._all_shown(dispatcher, domain, store, state, len(items))
                return
        self._present(dispatcher, domain, state, candidates, fresh=False)

    def _all_shown(self, dispatcher: CollectingDispatcher, domain: DomainDict, store: Catalogue,
                   state: SearchState, count: int) -> None:
        """"只有一家吗", "还有别的吗" when the list was complete: say so instead of showing it
        again, and name the one condition that, let go, finds more (with how to let it go:
        for a budget, one that takes them all in)."""
        dispatcher.utter_message(response="utter_list_complete", count=count, what=self._describe(domain, state))
        limiting = self._limiting_condition(store, state, count)
        if limiting is None:
            dispatcher.utter_message(response="utter_no_more")
            return
        response, found = limiting
        budget = max((lowest_price(item) for item in found), default=Decimal(0))
        dispatcher.utter_message(response=response, more=len(found) - count,
                                 place=place_label(store, state.near) or "",
                                 budget=money(Decimal(math.ceil(budget / BUDGET_STEP)) * BUDGET_STEP))

    def _limiting_condition(self, store: Catalogue, state: SearchState, count: int
                            ) -> Optional[Tuple[str, List[Any]]]:
        """(response naming it, what it finds) for the first condition, in the order
        travellers most often give way on, that finds more than ``count`` when left out."""
        wanted = state.wanted_constraints
        for fields, response in RELAXABLE:
            if fields == AREA:
                if not (state.district or state.near):
                    continue
                area = {"district": state.district, "near": state.near}
                state.set(district=None, near=None)
                found = self._results(store, state, limit=100)
                state.set(**area)
            else:
                if all(getattr(wanted, name) in (None, ()) for name in fields):
                    continue
                kept = state.wanted
                loosened = replace(wanted, **{name: getattr(Constraints(), name) for name in fields})
                state.set(wanted=wanted_to_slot(loosened))
                found = self._results(store, state, limit=100)
                state.set(wanted=kept)
            if len(found) > count:
                return response, found
        return None

