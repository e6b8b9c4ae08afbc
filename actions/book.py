"""Book a hotel room, a tour or a ticket: product, dates, people, names, phone, a summary
with the total, an explicit yes, then the booking and how to pay. The party's children
pay a tour's child fare and a hotel booking takes the rooms asked for, both heard at any
step and shown on the summary."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    entities_of,
    first_entity_value,
    latest_text,
    question_asked_last,
    reset,
    template,
    today,
)
from actions.confirmation import (
    NOT_NOW,
    QUESTION,
    REAL_NO,
    confirmation_key,
    said_no,
    said_yes,
    side_request_of,
    stopped_at_confirmation,
)
from actions.forms import TripDeskForm
from actions.store_access import (
    STORE,
    OutcomeUnknown,
    StoreUnavailable,
    booking_store,
    say_still_processing,
    say_store_unavailable,
)
from actions.wording import day_text, departure_text, joined, stay_text, yuan
from actions.inquiry import answer_inquiry_besides, split_ref
from actions.names import CHILDREN_GROUP, WHAT_WAS_WRONG, Named, named_in
from bot import catalogue, contacts
from bot.booking.holds import deadline_text, hold_minutes
from bot.booking.kinds import HOTEL_ROOM, TOUR, nights, per_room, rooms_needed, stay_end
from bot.booking.payments import payment_settings
from bot.catalogue import item_kind, item_name
from bot.catalogue.items import HOTEL, SERVICE, TOUR as TOUR_ITEM, ServiceQuery
from bot.identifiers import is_mobile, mobiles_in
from bot.nlu.dates import names_a_day
from bot.nlu.people import NUMBER, children_in, extract_people
from bot.nlu.references import airline_in, departures_meant, name_overlap, room_type_stem
from bot.numerals import parse_number
from bot.booking.store import (
    CANCELLABLE,
    BookingQuote,
    BookingView,
    CustomerRef,
    InvalidRequest,
    PriceChanged,
    ProductView,
    SoldOut,
    TooManyUnpaid,
    UnknownProduct,
    price_fen,
)

log = logging.getLogger(__name__)

BOOK_SLOTS = ("book_product", "book_variant", "book_date", "book_nights", "book_people",
              "guest_names", "contact_phone", "book_confirm")
# Heard at every step, never asked: the rooms a hotel booking takes ("只要一间房") and the
# children of the party ("两大一小"), who pay the child fare where the product has one.
PARTY_SLOTS = ("book_rooms", "book_children")
FLOW_SLOTS = (*BOOK_SLOTS, *PARTY_SLOTS, "book_quote", "flow_stopped")
# What the summary shows, compared before and after a message to tell a change from a repeat.
TERM_SLOTS = ("book_product", "book_variant", "book_date", "book_nights", "book_people",
              "guest_names", "contact_phone", "book_rooms")
NIGHTS = re.compile(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:个)?(?:晚|夜)")
# "多少钱一晚", "一晚1000以内", "一晚上什么价": a price per night, not a count of nights.
PRICE_BEFORE_NIGHT = re.compile(r"(?:钱|价|价格|房费|元|块|蚊)\s*[/每]?\s*$")
PRICE_AFTER_NIGHT = re.compile(
    r"^\s*上?\s*(?:多少|几多|几钱|要多少|大概|大约|约|\d|[百千]|价|的价|什么价|收费|以内|以下|不超过|唔超过|左右|贵|便宜)"
)
STAY_BEFORE_NIGHT = re.compile(r"(?:住|订|待|呆|玩|入住|连住|续住)\s*$")
# "只要一间房", "开两间", "两间大床房", "订2间房就行" (not 第二间, not 一间安静的酒店).
ROOMS = re.compile(rf"(?<![第\d一二两三四五六七八九十])(?P<n>{NUMBER})\s*间"
                   r"(?=[^,，。.!！?？\s]{0,6}房|[,，。.!！~～?？\s]|$|就|吧|够|即可|好)")
# A bare answer to the question asked ("3", "两位", "三晚"); rooms are not people or nights.
BARE_NUMBER = re.compile(r"^\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:个|位|晚|天|人)?\s*[。.!！]?\s*$")
SERVICE_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\d{1,4})(?![0-9])")
MAX_PEOPLE = 20
SERVICE_MODES = ("train", "flight", "bus")
# The catalogue kinds that can be booked (a sight cannot).
BOOKABLE = (HOTEL, TOUR_ITEM, SERVICE)
# "最便宜的那种": the cheapest room type or fare class.
CHEAPEST = re.compile(r"最便宜|最实惠|最低价|价格最低|便宜的那种")
# A kind of room without its grade (高级/豪华…): 大床房, 双床房, 家庭房.
ROOM_KIND = re.compile(r"大床|双床|(?:单人|家庭|亲子|套)(?=房)")
# "改成住三晚", "换成一等座": a correction of the summary, not an answer to it.
CORRECTS = re.compile(r"改成|换成|改为|改到|换到|换个|改住")
# Who a booking is under, said before the question for it ("乘客陈晨，手机…").
# Words, not names, after such a label ("联系人电话改成…", "姓名要写全吗").
NOT_IN_NAMES = re.compile(r"电话|手机|号码|改|换|订|要|吗|呢|么|吧|写|填")
# (系: Cantonese 係, "入住人係陳嘉欣", after Traditional → Simplified)
NAMED_AS = re.compile(r"(?P<label>入住人|住客|客人|乘客|乘机人|出行人|联系人|联络人|旅客|游客|姓名|名字)[是为叫系：:\s]*[^，,。；;！!？?]+")
# "联系人郭宇" names who is called, not who travels: it adds no guest to names given.
CONTACT_LABELS = ("联系人", "联络人")
NAMED_AS_LABEL = re.compile(r"^(?:入住人|住客|客人|乘客|乘机人|出行人|联系人|联络人|旅客|游客|姓名|名字)")
# "入住人少了三个，应该是……", "名字写错了，是……": the names come after what was wrong.
CORRECTED_AS = re.compile(r"[，,。\s]*(?:应该是|应该为|正确的?是|改成|改为|换成|是)?[：:\s]*")


# --- the catalogue item the traveller means ------------------------------------------

def variants_of(item_id: str) -> List[Tuple[str, int]]:
    """(variant, price in fen) choices: room types, fare classes; none for tours."""
    facade = catalogue.catalogue()
    hotel = facade.hotel(item_id)
    if hotel is not None:
        return [(r.type, int(r.price * 100)) for r in hotel.rooms]
    service = facade.service(item_id)
    return [(fare.name, int(fare.price * 100)) for fare in service.fares] if service else []


def product_code(item_id: str, variant: Optional[str]) -> str:
    """The product booked: "-" is the form's answer for an item without variants."""
    return catalogue.product_code(item_id, None if variant == "-" else variant)


DAY_OF_MONTH = re.compile(r"\d{1,2}\s*[号日]|[一二三四五六七八九十]{1,3}\s*[号日]")
MONTH = re.compile(r"月")
EARLIER_TURNS = 8


def item_in(tracker: Tracker) -> Optional[str]:
    """The product the latest message points at: "第二个", a listed item by part of its
    name ("东站小憩那家", "南航11点40那班", "9点05那趟"), a full hotel name, "G7", a tour.

    Once a product is chosen, a part of a name must be longer to change it, so that an
    answer such as "亲子房" does not switch to the listed "熊猫亲子酒店"."""
    text = latest_text(tracker)
    shown = list(tracker.get_slot("search_shown") or [])
    position = catalogue.ordinal_in(text)
    if position and 0 < position <= len(shown):
        return shown[position - 1]
    facade = catalogue.catalogue()
    code = next((c for c in SERVICE_CODE.findall(text.upper()) if facade.service(c)), None)
    if code:
        return code
    listed = shown_item_named(text, shown, 3 if tracker.get_slot("book_product") else 2)
    if listed:
        return listed
    by_route = service_by_route_and_time(tracker)
    if by_route:
        return by_route
    city = tracker.get_slot("search_city")
    exact = [m for m in facade.named_in(text, kinds=("hotel", "tour"), city=city) if m.exact]
    if exact:
        return exact[0].id
    hotel_name = first_entity_value(tracker, "hotel_name")
    if hotel_name:
        named = facade.named_in(str(hotel_name), kinds=("hotel",), city=city)
        if named:
            return named[0].id
    return None


def service_by_route_and_time(tracker: Tracker) -> Optional[str]:
    """The one service from the first city named to the second at the time said
    ("明天早上7点20广州南到深圳北那班高铁"), when the message names both and a time."""
    cities = [str(e.get("value")) for e in entities_of(tracker, "city")]
    timed = [str(e.get("value")) for e in entities_of(tracker, "date") if "T" in str(e.get("value"))]
    if len(cities) < 2 or cities[0] == cities[1] or not timed:
        return None
    moment = datetime.fromisoformat(timed[0].split("/")[0])
    product = first_entity_value(tracker, "product_type")
    query = ServiceQuery(origin=cities[0], destination=cities[1],
                         modes=(str(product),) if product in SERVICE_MODES else (),
                         weekday=moment.isoweekday(), depart_after=moment.strftime("%H:%M"),
                         depart_before=(moment + timedelta(minutes=1)).strftime("%H:%M"))
    found = catalogue.catalogue().find_services(query)
    return found[0].code if len(found) == 1 else None


def shown_item_named(text: str, shown: List[str], least_overlap: int = 2) -> Optional[str]:
    """The one listed item the message names by part of its name or, for a service,
    by its airline and departure time; None when that is not exactly one."""
    airline = airline_in(text)
    facade = catalogue.catalogue()
    services = {code: service for code in shown if (service := facade.service(code)) is not None}
    times: List[Optional[str]] = [*departures_meant(text)] or ([None] if airline else [])
    for departs in times:
        fitting = [code for code, s in services.items()
                   if (departs is None or s.depart == departs) and (airline is None or s.operator == airline)]
        if len(fitting) == 1:
            return fitting[0]
        if fitting:
            break  # the time the list has is the one meant; several leave then
    cities = catalogue.hotel_cities()
    scores = {item: name_overlap(item_name(item), text, cities) for item in shown if item not in services}
    best = max(scores.values(), default=0)
    winners = [item for item, score in scores.items() if score == best]
    return winners[0] if best >= least_overlap and len(winners) == 1 else None


def bookable(item: Optional[str]) -> bool:
    return bool(item) and catalogue.catalogue().item_kind(str(item)) in BOOKABLE


def item_in_focus(tracker: Tracker) -> Optional[str]:
    """What "订这家", "就它了", "我要报名" mean when the message names nothing: the item
    the conversation was just about (its inquiry focus), else the only one listed, else
    the one the traveller named earlier. A sight is never it: sights are not booked."""
    focus = split_ref(tracker.get_slot("inquiry_focus"))
    if focus and bookable(focus[1]):
        return focus[1]
    shown = [item for item in tracker.get_slot("search_shown") or [] if bookable(item)]
    return shown[0] if len(shown) == 1 else item_named_before(tracker)


def item_named_before(tracker: Tracker) -> Optional[str]:
    """The hotel or tour the traveller named in a recent message, in full or in part
    ("外滩云景酒店12月18号还有房吗" … "那就订江景双床房"), when that message names just one."""
    facade = catalogue.catalogue()
    city = tracker.get_slot("search_city")
    for text in earlier_texts(tracker):
        named = {m.id for m in facade.named_in(text, kinds=("hotel", "tour"), city=city)}
        if len(named) == 1:
            return named.pop()
    return None


def earlier_texts(tracker: Tracker) -> List[str]:
    """The traveller's recent messages before the latest, newest first: what they
    already said (住两晚, 海景双床房) is never asked again."""
    texts = [str((e.get("parse_data") or {}).get("text") or e.get("text") or "")
             for e in tracker.events if e.get("event") == "user"]
    return list(reversed(texts[:-1]))[:EARLIER_TURNS]


def variant_named(item: str, text: str) -> Optional[str]:
    """The room type or fare class the text names, in full or without "房" (大床)."""
    names = sorted((v for v, _ in variants_of(item)), key=len, reverse=True)
    found = next((v for v in names if v in text), None)
    if found is None:
        stems = [v for v in names if len(room_type_stem(v)) >= 2 and room_type_stem(v) in text]
        found = stems[0] if len(stems) == 1 else None
    return found or plainest_of_kind(item, text)


def plainest_of_kind(item: str, text: str) -> Optional[str]:
    """"双床房", "订一间大床房": a kind of room said without its grade means the plainest
    (cheapest) room of that kind; the summary names it before anything is booked."""
    kind = ROOM_KIND.search(text)
    if kind is None:
        return None
    fitting = [(price, variant) for variant, price in variants_of(item) if kind.group(0) in variant]
    return min(fitting)[1] if fitting else None


def cheapest_if_asked(item: str, text: str) -> Optional[str]:
    """"房型要最便宜的那种": the lowest-priced room type or fare class."""
    if not CHEAPEST.search(text):
        return None
    return min(variants_of(item), key=lambda choice: choice[1], default=(None, 0))[0]


def nights_in(text: str) -> Optional[int]:
    """The nights of a stay said in the text ("住两晚", "三晚"); "多少钱一晚" is a price."""
    for match in NIGHTS.finditer(text):
        if not is_price_per_night(text, match):
            return parse_number(match.group(1))
    return None


def is_price_per_night(text: str, match: "re.Match[str]") -> bool:
    """Whether a "一晚" is the unit of a price ("江景双床房多少钱一晚", "一晚500以内") rather
    than one night's stay ("住一晚"): only one night can be a unit."""
    if parse_number(match.group(1)) != 1 or STAY_BEFORE_NIGHT.search(text[:match.start()]):
        return False
    return bool(PRICE_BEFORE_NIGHT.search(text[:match.start()]) or PRICE_AFTER_NIGHT.match(text[match.end():]))


def rooms_in(text: str) -> Optional[int]:
    match = ROOMS.search(text)
    return parse_number(match.group("n")) if match else None


def is_hotel(item: Optional[str]) -> bool:
    return bool(item) and item_kind(str(item)) == HOTEL_ROOM


def rooms_now(tracker: Tracker) -> Optional[int]:
    """The rooms of the booking: those asked for, else those the summary on screen shows."""
    rooms = tracker.get_slot("book_rooms") or (tracker.get_slot("book_quote") or {}).get("rooms")
    return int(rooms) if rooms else None


def children_said(tracker: Tracker) -> Optional[int]:
    """The children of the party as the traveller last said them, in this message or an
    earlier one ("两大一小想报个三日游" while searching); None if never said."""
    texts = [latest_text(tracker), *earlier_texts(tracker)]
    return next((count for count in map(children_in, texts) if count is not None), None)


def repeats_current_terms(tracker: Tracker) -> bool:
    """Whether the message names the class or room, the day, the party size, its children
    or the rooms the booking already has."""
    text = latest_text(tracker)
    item = tracker.get_slot("book_product")
    variant = tracker.get_slot("book_variant")
    if item and variant and variant_named(item, text) == variant:
        return True
    people = first_entity_value(tracker, "number_of_people")
    if people and tracker.get_slot("book_people") and float(people) == float(tracker.get_slot("book_people")):
        return True
    children = children_in(text)
    if children is not None and tracker.get_slot("book_children") is not None \
            and children == int(tracker.get_slot("book_children")):
        return True
    rooms = rooms_in(text)
    if rooms and is_hotel(item) and rooms == rooms_now(tracker):
        return True
    day = first_entity_value(tracker, "date")
    return bool(day and tracker.get_slot("book_date") and str(day)[:10] == str(tracker.get_slot("book_date"))[:10])


def restates_terms(tracker: Tracker) -> bool:
    """Whether the message says again what the booking already has ("座位改成二等座" with
    二等座 taken, a family's "两大一小" once more): a statement, neither a question nor a
    no ("不订了，我们两个人再商量下" stops the booking)."""
    text = latest_text(tracker)
    if QUESTION.search(text) or REAL_NO.search(text) or NOT_NOW.search(text):
        return False
    return repeats_current_terms(tracker)


def says_new_party(tracker: Tracker) -> bool:
    """"订2间房就行" under a summary of 3 rooms, "对，两大一小" under one of three adults:
    new terms for the summary, not a yes to the one on screen."""
    text = latest_text(tracker)
    rooms = rooms_in(text)
    if rooms and is_hotel(tracker.get_slot("book_product")) and rooms != rooms_now(tracker):
        return True
    children = children_in(text)
    return children is not None and children != int(tracker.get_slot("book_children") or 0)


def term_values(slots: Mapping[str, Any]) -> Dict[str, Any]:
    """The terms a summary shows, comparable across turns (a day without its time, counts
    as whole numbers)."""
    values: Dict[str, Any] = {slot: slots.get(slot) for slot in TERM_SLOTS}
    values["book_date"] = str(values["book_date"])[:10] if values["book_date"] else None
    for count in ("book_nights", "book_people", "book_rooms"):
        values[count] = int(values[count]) if values[count] else None
    return values


def say_chosen(dispatcher: CollectingDispatcher, domain: DomainDict, item: str, variant: str) -> None:
    """Name what is being booked, so the traveller sees the right item was understood."""
    variant_text = template(domain, "utter_book_variant_named", variant=variant) if variant != "-" else ""
    dispatcher.utter_message(response="utter_book_chosen", name=item_name(item), variant=variant_text)


def labelled_names(text: str, names_known: bool = False) -> Named:
    """Names said under a label (入住人, 乘客, 联系人…) anywhere in a longer message, or
    after what was wrong with them ("入住人少了三个，应该是张伟、李娜…"). With the names
    already known, a contact named ("13911000009，联系人郭宇") replaces none of them."""
    for label in NAMED_AS.finditer(text):
        if names_known and label.group("label") in CONTACT_LABELS:
            continue
        named = named_in(label.group(0))
        if not named.names and says_names_wrong(label.group(0)):
            rest = text[label.end():]
            corrected = CORRECTED_AS.match(rest)
            named = named_in(rest[corrected.end() if corrected else 0:])
        if named.names and not any(NOT_IN_NAMES.search(name) for name in named.names):
            return named
    return Named()


# The steps where a list of everyone's names with its children answers the question
# ("几位出行？" → "张伟、李娜、王芳，还有两个孩子 张小明 张小红").
NAMES_STEPS = ("book_people", "guest_names")


def names_for_the_form(tracker: Tracker) -> Optional[List[EventType]]:
    """The travellers' names said to the booking form's question for the party or the
    names, which a rule took elsewhere ("张伟、李娜、王芳，还有两个孩子 张小明 张小红" heard as
    a search): the events that give the message back to the form; None otherwise."""
    asked = question_asked_last(tracker)
    if asked not in NAMES_STEPS or not named_in(latest_text(tracker)).names:
        return None
    return [ActiveLoop("book_form"), SlotSet("requested_slot", asked), FollowupAction("book_form")]


def children_named(text: str) -> Named:
    """Names with a group of children among them ("……，还有两个孩子 张小明 张小红"); none
    for names without one (their count, if said, is the party's)."""
    named = named_in(text)
    return named if named.children and CHILDREN_GROUP.search(text) else Named()


def names_with_the_count(text: str) -> Named:
    """Names said to the question for the party ("1位，赵敏", "两位，陈嘉欣同梁俊杰", "张伟、李娜，
    还有两个孩子 张小明 张小红"); a count that reads like a name ("两大一小", "一家三口") is none."""
    named = named_in(text)
    counts = [m.text for m in extract_people(text)]
    return Named() if any(count in name for count in counts for name in named.names) else named


def says_names_wrong(labelled: str) -> bool:
    """"入住人少了三个", "名字写错了", "乘客不对": the names given were wrong."""
    return bool(WHAT_WAS_WRONG.search(NAMED_AS_LABEL.sub("", labelled)))


# "不对…我要的是下周日", "周六有事，能不能改成下周日": the day said is not the one meant.
NOT_THAT_DAY = re.compile(r"不对|不是|不行|错了|有事")


def day_meant(text: str, mentions: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Of the days a message names, the one it books: the day after 改成/换成; else, when it
    says another day is wrong, the last one ("5号是这周六啊，我要的是下周日，就是12月13号");
    else the first."""
    for change in CORRECTS.finditer(text):
        after = [m for m in mentions if int(m.get("start", 0)) >= change.end()]
        if after:
            return after[0]
    return mentions[-1] if NOT_THAT_DAY.search(text) else mentions[0]


class ValidateBookForm(TripDeskForm):
    """Fills the booking step by step; a correction at any step updates its slot and
    invalidates the summary, so the traveller always confirms what will be booked."""

    def name(self) -> Text:
        return "validate_book_form"

    def heard_slots(self) -> Tuple[str, ...]:
        return (*BOOK_SLOTS, *PARTY_SLOTS)

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """A message that only repeats a value the booking already has ("座席改成二等座" once
        二等座 was taken, "两大一小" again) keeps the form: :meth:`run` says it is already so
        and the question or the summary comes again, instead of the hint that nothing was
        understood (rasa-sdk returns only required slots; the yes, still unsaid, is the
        one that can be set again harmlessly)."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        if not events and restates_terms(tracker):
            return [SlotSet("book_confirm", None)]
        return events

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """rasa-sdk validates only the slots a form asks for; the rooms and the children
        are heard, never asked, so they are validated here, and the party is checked
        against them whenever one of them, the party or the room type changed."""
        heard = {slot: value for slot, value in tracker.slots_to_validate().items()
                 if slot in PARTY_SLOTS and value is not None}
        events = await super().get_validation_events(dispatcher, tracker, domain)
        found: Dict[Text, Any] = {}
        for slot, value in heard.items():
            result = await getattr(self, f"validate_{slot}")(value, dispatcher, tracker, domain)
            found.update(result)
            tracker.slots.update(result)
        validated = {e.get("name") for e in events}
        if heard or validated & {"book_product", "book_variant", "book_people"}:
            found.update(await self._party_fits(dispatcher, tracker))
        return [*events, *[SlotSet(slot, value) for slot, value in found.items()]]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        """The form's step, then a word on what it did: the product just chosen is named
        ("我要订G7" is answered with G7) unless the summary follows at once; a change of
        the terms on the summary is acknowledged before the summary is shown again; a
        message that only repeats the terms is told they already are so."""
        summary_shown = tracker.get_slot("book_quote") is not None
        repeated = restates_terms(tracker)
        before = dict(tracker.slots)
        events = await super().run(dispatcher, tracker, domain)
        chosen = {e.get("name"): e.get("value") for e in events if e.get("event") == "slot"}
        if chosen.get("flow_stopped") or (summary_shown and chosen.get("book_confirm")):
            return events
        if chosen.get("book_product") and chosen.get("requested_slot") != "book_confirm":  # the summary names it
            variant = chosen["book_variant"] if "book_variant" in chosen else tracker.get_slot("book_variant")
            if variant:
                say_chosen(dispatcher, domain, str(chosen["book_product"]), str(variant))
        elif await self._terms_changed(before, {**before, **chosen}):
            if summary_shown:
                dispatcher.utter_message(response="utter_book_updated")
        elif repeated:
            dispatcher.utter_message(response="utter_book_already_so")
        return events

    @staticmethod
    async def _terms_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
        """Whether the summary would now say something else: a term it shows, or the
        children where the product charges them a child fare."""
        if term_values(before) != term_values(after):
            return True
        if int(before.get("book_children") or 0) == int(after.get("book_children") or 0):
            return False
        product = await product_of(after)
        return product is not None and has_child_fare(product)

    async def _party_fits(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """A party with an adult in it, in enough rooms; otherwise say why and take the
        nearest terms that hold (no children, the fewest rooms the store books)."""
        fixes: Dict[Text, Any] = {}
        people = int(tracker.slots.get("book_people") or 0)
        children = int(tracker.slots.get("book_children") or 0)
        if people and children >= people:
            dispatcher.utter_message(response="utter_book_children_need_adult", people=people, most=people - 1)
            fixes.update({"book_children": 0.0, **self._stale_summary()})
        rooms = tracker.slots.get("book_rooms")
        product = await product_of(tracker.slots) if rooms and people else None
        if rooms and product is not None and per_room(product.kind):
            needed = rooms_needed(people, product.max_guests)
            if int(rooms) < needed:
                dispatcher.utter_message(response="utter_book_rooms_too_few", people=people, rooms=int(rooms),
                                         needed=needed, most=product.max_guests or 2, variant=product.variant)
                fixes.update({"book_rooms": float(needed), **self._stale_summary()})
        tracker.slots.update(fixes)
        return fixes

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        item = tracker.get_slot("book_product")
        slots = ["book_product"]
        if item and len(variants_of(item)) > 1:
            slots.append("book_variant")
        slots.append("book_date")
        if item and item_kind(item) == HOTEL_ROOM:
            slots.append("book_nights")
        return slots + ["book_people", "guest_names", "contact_phone", "book_confirm"]

    # --- extraction: only what the latest message says ---------------------------

    @staticmethod
    def _changed(tracker: Tracker, slot: str, value: Any) -> Dict[Text, Any]:
        return {slot: value} if value is not None and value != tracker.get_slot(slot) else {}

    async def extract_book_product(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        item = item_in(tracker)
        if item is None and tracker.get_slot("requested_slot") is None and not tracker.get_slot("book_product"):
            item = item_in_focus(tracker)
        return self._changed(tracker, "book_product", item)

    async def extract_book_variant(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        item = tracker.get_slot("book_product")
        if not item:
            return {}
        text = latest_text(tracker)
        names = [v for v, _ in variants_of(item)]
        found = variant_named(item, text) or cheapest_if_asked(item, text)
        if found is None and tracker.get_slot("requested_slot") == "book_variant":
            position = catalogue.ordinal_in(text) or parse_number(text.strip()) if text.strip() else None
            if position and 0 < position <= len(names):
                found = names[position - 1]
        return self._changed(tracker, "book_variant", found)

    async def extract_book_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        """A day said now; a time alone ("下午两点那班") picks a service and keeps the day."""
        found = entities_of(tracker, "date")
        if not found:
            return {}
        text = latest_text(tracker)
        mention = day_meant(text, found)
        said = text[int(mention.get("start", 0)):int(mention.get("end", 0))]
        known = tracker.get_slot("book_date") or tracker.get_slot("search_date")
        time_only = "T" in str(mention.get("value")) and not names_a_day(said)
        if known and (time_only or self._repeats_day(said, str(mention.get("value")), str(known))):
            return {}
        return self._changed(tracker, "book_date", mention.get("value"))

    @staticmethod
    def _repeats_day(said: str, value: str, known: str) -> bool:
        """"1号到5号" after 1月1日 was agreed: the day again without its month, not the 1st
        of this month (the summary said today)."""
        if MONTH.search(said) or not DAY_OF_MONTH.search(said):
            return False
        return date.fromisoformat(value.split("/")[0][:10]).day == date.fromisoformat(known.split("/")[0][:10]).day

    async def extract_book_nights(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        text = latest_text(tracker)
        count = nights_in(text)
        if count is None and tracker.get_slot("requested_slot") == "book_nights":
            match = BARE_NUMBER.match(text)
            count = parse_number(match.group(1)) if match else None
        return self._changed(tracker, "book_nights", float(count) if count else None)

    async def extract_book_people(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        """The party said; with the names, everyone named ("张伟、李娜、王芳，还有两个孩子
        张小明 张小红" is five, not the two children counted)."""
        named = children_named(latest_text(tracker)) if tracker.get_slot("requested_slot") in NAMES_STEPS \
            else Named()
        people = len(named.names) if named.names else first_entity_value(tracker, "number_of_people")
        if people is None and tracker.get_slot("requested_slot") == "book_people":
            match = BARE_NUMBER.match(latest_text(tracker))
            people = parse_number(match.group(1)) if match else None
        return self._changed(tracker, "book_people", float(people) if people else None)

    async def extract_guest_names(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        """The names given; those noted as children ("王小宇（小孩）", "小孩王小宇") count
        the party's children unless the traveller said how many ("两大一小")."""
        text = latest_text(tracker)
        if tracker.get_slot("requested_slot") != "guest_names":
            # "乘客陈晨，手机…" said before being asked; "入住人少了三个，应该是……" at the summary
            named = labelled_names(text, names_known=bool(tracker.get_slot("guest_names")))
            if not named.names and tracker.get_slot("requested_slot") in NAMES_STEPS:
                named = names_with_the_count(text)  # "几位？" answered "1位，赵敏" or with everyone's names
        elif first_entity_value(tracker, "date") or first_entity_value(tracker, "number_of_people"):
            # "不对，是后天" / "改成三个人" are corrections, not names; "还有两个孩子 张小明…" names children
            named = labelled_names(text)
            named = named if named.names else children_named(text)
        else:
            named = named_in(text)
        found = self._changed(tracker, "guest_names", list(named.names) if named.names else None)
        if named.children and children_said(tracker) is None:
            found.update(self._changed(tracker, "book_children", float(named.children)))
        return found

    async def extract_contact_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        phone = first_entity_value(tracker, "phone")
        if phone is None and tracker.get_slot("requested_slot") == "contact_phone":
            text = latest_text(tracker)
            found = mobiles_in(text) or mobiles_in(re.sub(r"(?<=\d)[\s-]+(?=\d)", "", text))
            attempt = re.search(r"\d{5,}", re.sub(r"[\s-]", "", text))  # a wrong number is explained, not ignored
            phone = found[0] if found else (attempt.group(0) if attempt else None)
        return self._changed(tracker, "contact_phone", str(phone) if phone else None)

    async def extract_book_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "book_confirm":
            return {}
        if CORRECTS.search(latest_text(tracker)) or says_new_party(tracker):
            return {}  # "等下，改成住三晚吧", "订2间房就行": the new terms get a new summary
        if said_yes(tracker, "book"):
            return {"book_confirm": True}
        return {"book_confirm": False} if said_no(tracker, "book") else {}

    async def extract_book_rooms(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        """"只要一间房", "开两间", "订2间房就行" at any step of a hotel booking (said
        before, they are taken when the hotel is chosen: :meth:`_said_before`)."""
        rooms = rooms_in(latest_text(tracker))
        if rooms is None or not is_hotel(tracker.get_slot("book_product")) or rooms == rooms_now(tracker):
            return {}
        return {"book_rooms": float(rooms)}

    async def extract_book_children(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        """The children of the party said now: "两大一小", "其中一个是小孩", "都是大人"
        (said before, they are taken when the product is chosen: :meth:`_said_before`)."""
        count = children_in(latest_text(tracker))
        return self._changed(tracker, "book_children", float(count) if count is not None else None)

    # --- validation -------------------------------------------------------------------

    @staticmethod
    def _stale_summary() -> Dict[Text, Any]:
        return {"book_confirm": None, "book_quote": None}

    async def validate_book_product(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """A new product: its own variant; the search's date and party carry over."""
        result: Dict[Text, Any] = {"book_product": value, "book_variant": None, **self._stale_summary()}
        variants = variants_of(value)
        if len(variants) == 1:
            result["book_variant"] = variants[0][0]
        elif not variants:
            result["book_variant"] = "-"
        if tracker.get_slot("book_date") is None and tracker.get_slot("search_date"):
            result.update(self._date_slots(str(tracker.get_slot("search_date")), item_kind(value)))
        if tracker.get_slot("book_people") is None and tracker.get_slot("search_people"):
            result["book_people"] = float(tracker.get_slot("search_people"))
        result.update(self._said_before(tracker, value, result))
        return result

    @staticmethod
    def _said_before(tracker: Tracker, item: str, chosen: Dict[Text, Any]) -> Dict[Text, Any]:
        """The room type, nights, rooms and party the traveller gave while searching
        ("订第2个" after "海景双床房，住4晚", "就订这个" after "我们两大一小想去迪士尼"), so
        the form does not ask them again."""
        found: Dict[Text, Any] = {}
        texts = [latest_text(tracker), *earlier_texts(tracker)]
        if chosen.get("book_variant") is None:
            found["book_variant"] = next((v for v in (variant_named(item, t) for t in texts) if v), None)
        if item_kind(item) == HOTEL_ROOM and tracker.get_slot("book_nights") is None \
                and "book_nights" not in chosen:
            count = next((n for n in (nights_in(t) for t in texts) if n), None)
            if count:
                found["book_nights"] = float(count)
        if item_kind(item) == HOTEL_ROOM and tracker.get_slot("book_rooms") is None:
            rooms = next((n for n in (rooms_in(t) for t in texts) if n), None)
            if rooms:
                found["book_rooms"] = float(rooms)
        if tracker.get_slot("book_people") is None and "book_people" not in chosen:
            party = next((said[0].value for said in map(extract_people, texts) if said), None)
            if party and party <= MAX_PEOPLE:
                found["book_people"] = float(party)
        if tracker.get_slot("book_children") is None:
            children = children_said(tracker)
            found["book_children"] = float(children) if children is not None else None
        return {slot: value for slot, value in found.items() if value is not None}

    async def validate_book_variant(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"book_variant": value, **self._stale_summary()}

    @staticmethod
    def _date_slots(value: str, kind: str) -> Dict[Text, Any]:
        """A range for a hotel is check-in to check-out: it also says the nights."""
        parts = [date.fromisoformat(p[:10]) for p in value.split("/")]
        slots: Dict[Text, Any] = {"book_date": parts[0].isoformat()}
        if kind == HOTEL_ROOM and len(parts) == 2 and parts[1] > parts[0]:
            slots["book_nights"] = float(nights(parts[0], parts[1]))
        return slots

    async def validate_book_date(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        day = date.fromisoformat(str(value)[:10])
        if day < today():
            return self.bad_answer(dispatcher, tracker, domain, "book_date", "utter_date_in_past_book",
                                   date_text=day_text(domain, day))
        if (day - today()).days >= booking_store().policy.booking_window_days:
            return self.bad_answer(dispatcher, tracker, domain, "book_date", "utter_date_too_far")
        item = tracker.get_slot("book_product")
        return {**self._date_slots(str(value), item_kind(item) if item else ""), **self._stale_summary()}

    async def validate_book_nights(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not 1 <= int(value) <= 30:
            return self.bad_answer(dispatcher, tracker, domain, "book_nights", "utter_nights_out_of_range")
        return {"book_nights": value, **self._stale_summary()}

    async def validate_book_people(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not 1 <= int(value) <= MAX_PEOPLE:
            return self.bad_answer(dispatcher, tracker, domain, "book_people", "utter_people_out_of_range",
                                   most=MAX_PEOPLE, hotline=contacts.hotline())
        result: Dict[Text, Any] = {"book_people": value, **self._stale_summary()}
        names = tracker.get_slot("guest_names")
        if names and not self._names_fit(names, int(value), tracker.get_slot("book_product")):
            result["guest_names"] = None  # "改成三个人": ask the names again
        return result

    @staticmethod
    def _names_fit(names: List[str], people: int, item: Optional[str]) -> bool:
        """Tickets are in each passenger's name; a room or a tour needs at least one
        name (the guest or the contact), never more than the party."""
        if item and item_kind(item) in (HOTEL_ROOM, TOUR):
            return 1 <= len(names) <= people
        return len(names) == people

    async def validate_guest_names(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        people = int(tracker.get_slot("book_people") or len(value))
        item = tracker.get_slot("book_product")
        if not self._names_fit(list(value), people, item):
            response = "utter_names_count_hotel" if item and item_kind(item) == HOTEL_ROOM else "utter_names_count"
            return self.bad_answer(dispatcher, tracker, domain, "guest_names", response, count=people)
        result: Dict[Text, Any] = {"guest_names": list(value), **self._stale_summary()}
        if tracker.get_slot("book_people") is None and item and item_kind(item) not in (HOTEL_ROOM, TOUR):
            result["book_people"] = float(len(value))  # "乘客陈晨": one ticket per passenger named
        return result

    async def validate_book_rooms(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"book_rooms": float(value), **self._stale_summary()}

    async def validate_book_children(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"book_children": float(value), **self._stale_summary()}

    async def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not is_mobile(str(value)):
            return self.bad_answer(dispatcher, tracker, domain, "contact_phone", "utter_invalid_phone")
        return {"contact_phone": str(value), **self._stale_summary()}

    async def validate_book_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """A yes counts only for the summary on screen, and only while it still holds."""
        if value is False:
            return stopped_at_confirmation(dispatcher, "utter_book_stopped", "book_confirm")
        shown = tracker.get_slot("book_quote")
        if value is not True or not shown:
            return {"book_confirm": None}
        try:
            fresh = await quote_from_slots(tracker)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"book_confirm": None, "requested_slot": None, "flow_stopped": True}
        if fresh is None or not fresh.quote.available or fresh.quote.total_fen != shown.get("total_fen"):
            dispatcher.utter_message(response="utter_quote_changed")
            return self._stale_summary()
        return {"book_confirm": True}


def booking_dates(tracker: Tracker) -> Any:
    item = tracker.get_slot("book_product")
    start = date.fromisoformat(str(tracker.get_slot("book_date"))[:10])
    if item_kind(item) == HOTEL_ROOM:
        return start, stay_end(start, int(tracker.get_slot("book_nights") or 1))
    return start


@dataclass(frozen=True)
class Quoted:
    """The price a summary shows: the store's quote, the product it prices, and how many
    of the places are at the product's child fare."""

    quote: BookingQuote
    product: ProductView
    children: int


def has_child_fare(product: ProductView) -> bool:
    """Whether children pay less: a tour with a child fare; a hotel room is priced per
    room, and a ticket here at the fare booked whoever travels."""
    return product.child_price_fen is not None and not per_room(product.kind)


async def product_of(slots: Mapping[str, Any]) -> Optional[ProductView]:
    """The product the booking's slots name, once its room type or class is known."""
    item = slots.get("book_product")
    variant = slots.get("book_variant")
    if not item or (variant is None and len(variants_of(str(item))) > 1):
        return None
    try:
        return await STORE.product(product_code(str(item), variant))
    except (UnknownProduct, StoreUnavailable):
        return None


async def quote_from_slots(tracker: Tracker) -> Optional[Quoted]:
    item = tracker.get_slot("book_product")
    if not item or not tracker.get_slot("book_date"):
        return None
    code = product_code(item, tracker.get_slot("book_variant"))
    try:
        product = await STORE.product(code)
        children = int(tracker.get_slot("book_children") or 0) if has_child_fare(product) else 0
        rooms = tracker.get_slot("book_rooms") if per_room(product.kind) else None
        quote = await STORE.quote_booking(code, booking_dates(tracker), int(tracker.get_slot("book_people") or 1),
                                          rooms=int(rooms) if rooms else None, children=children)
    except (InvalidRequest, UnknownProduct):
        return None
    return Quoted(quote, product, children)


class ActionAskBookProduct(Action):
    def name(self) -> Text:
        return "action_ask_book_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        shown = tracker.get_slot("search_shown") or []
        if shown:
            buttons = [{"title": template(domain, "utter_button_book_shown", index=i, name=item_name(item)),
                        "payload": pick_shown_payload(i)}
                       for i, item in enumerate(shown[:6], start=1)]
            dispatcher.utter_message(response="utter_ask_book_product_shown", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_book_product")
        return []


class ActionAskBookVariant(Action):
    def name(self) -> Text:
        return "action_ask_book_variant"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        item = tracker.get_slot("book_product")
        variants = variants_of(item) if item else []
        line = "utter_line_variant_night" if item and item_kind(item) == HOTEL_ROOM else "utter_line_variant_person"
        lines = "\n".join(template(domain, line, index=i, variant=v, price=yuan(price))
                          for i, (v, price) in enumerate(variants, start=1))
        dispatcher.utter_message(response="utter_ask_book_variant", name=item_name(item or ""),
                                 lines=lines, buttons=[{"title": v, "payload": v} for v, _ in variants])
        return []


class ActionAskBookConfirm(Action):
    """The summary: what, when, who, the total; checks availability before asking."""

    def name(self) -> Text:
        return "action_ask_book_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        try:
            quoted = await quote_from_slots(tracker)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return []
        if quoted is None or not quoted.quote.available:
            dispatcher.utter_message(response="utter_book_sold_out", hotline=contacts.hotline())
            return [SlotSet("book_date", None), SlotSet("book_quote", None),
                    SlotSet("requested_slot", "book_date")]
        quote = quoted.quote
        item = tracker.get_slot("book_product")
        dispatcher.utter_message(
            response="utter_book_summary", name=item_name(item),
            variant=self._variant_text(domain, tracker), when=self._when(domain, quote, item),
            quantity=self._quantity_text(domain, quoted, item),
            guests=joined(domain, tracker.get_slot("guest_names") or []),
            phone=tracker.get_slot("contact_phone"), total=yuan(quote.total_fen),
            payment=template(domain, PAYMENT_LABELS[payment_method(item)]))
        shown = {"product": quote.product_code, "start": quote.start.isoformat(),
                 "end": quote.end.isoformat(), "total_fen": quote.total_fen,
                 "guests": list(tracker.get_slot("guest_names") or []),
                 "phone": tracker.get_slot("contact_phone"), "policy_version": quote.policy_version,
                 "children": quoted.children}
        if item_kind(item) in (HOTEL_ROOM, TOUR):
            shown["rooms"] = quote.quantity  # for the party, though fewer names may be given
        return [SlotSet("book_quote", shown)]

    @staticmethod
    def _variant_text(domain: DomainDict, tracker: Tracker) -> str:
        variant = tracker.get_slot("book_variant")
        return template(domain, "utter_book_variant_named", variant=variant) if variant and variant != "-" else ""

    @staticmethod
    def _when(domain: DomainDict, quote: BookingQuote, item: str) -> str:
        if item_kind(item) == HOTEL_ROOM:
            return stay_text(domain, quote.start, quote.end)
        if item_kind(item) == TOUR:
            return departure_text(domain, quote.start)
        service = catalogue.catalogue().service(item)
        return departure_text(domain, quote.start, service.depart if service else None)

    @staticmethod
    def _quantity_text(domain: DomainDict, quoted: Quoted, item: str) -> str:
        """Rooms, or places; with children, the adults and children each at their fare."""
        quote, product = quoted.quote, quoted.product
        if item_kind(item) == HOTEL_ROOM:
            return template(domain, "utter_quantity_rooms", count=quote.quantity)
        if not quoted.children:
            return template(domain, "utter_quantity_people", count=quote.quantity)
        return template(domain, "utter_quantity_people_children", count=quote.quantity,
                        adults=quote.quantity - quoted.children, children=quoted.children,
                        adult_price=yuan(price_fen(product, 1, 0, quote.units)),
                        child_price=yuan(price_fen(product, 1, 1, quote.units)))


# Actions that answer a message before the form takes it (the rules for an FAQ, a message
# not understood, membership): what the message asked besides its yes is answered already.
ANSWERED_BEFORE_THE_FORM = ("action_answer_faq", "action_handle_fallback", "action_membership")


def answered_before_the_form(tracker: Tracker) -> bool:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") in ANSWERED_BEFORE_THE_FORM:
            return True
    return False


def about_the_booked_item(tracker: Tracker, item: str) -> Tracker:
    """The tracker with the item just booked in focus: "含早餐吗" said with the yes asks
    about it."""
    kind = catalogue.catalogue().item_kind(item)
    focused = tracker.copy()
    if kind in BOOKABLE:
        focused.slots = {**tracker.slots, "inquiry_focus": f"{kind}:{item}"}
    return focused


def serve_side_request(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                       item: str) -> List[EventType]:
    """What the traveller asked besides the yes that booked ("确认。另外第二段……能一起订吗",
    "好的没问题，顺便问下含早餐吗"), served after the booking is made: answered from the
    catalogue when it can be, a search for a route or place named, or else named back so
    it is not lost."""
    side = side_request_of(tracker)
    if side is None or answered_before_the_form(tracker):
        return []
    focused = about_the_booked_item(tracker, item)
    answered = answer_inquiry_besides(dispatcher, focused, domain)
    if answered is None and entities_of(tracker, "city"):  # "另外第二段北京南到天津的高铁能一起订吗"
        from actions.search import ActionSearch  # the search module imports this one

        answered = ActionSearch().serve(dispatcher, tracker, domain)
    if answered is None:
        dispatcher.utter_message(response="utter_book_side_request", question=side)
        return []
    return answered


def pick_shown_payload(position: int) -> str:
    """What a button picking a listed product says for the traveller: the words
    ``extract_book_product`` reads (an ordinal), not the button's title."""
    return f"订第{position}个"


# How a booking is paid, as the code the store records (payments.method), and the
# response that names it in the summary.
PAY_AT_PROPERTY = "pay_at_property"
PAY_ONLINE = "link"
PAYMENT_LABELS = {PAY_AT_PROPERTY: "utter_payment_label_pay_at_property",
                  PAY_ONLINE: "utter_payment_label_online"}


def payment_method(item: str) -> str:
    """Hotels are paid at the property when payments.yml says so; everything else online."""
    if item_kind(item) == HOTEL_ROOM and payment_settings().hotel_payment == "pay_at_property":
        return PAY_AT_PROPERTY
    return PAY_ONLINE


class ActionBook(Action):
    """Creates the booking under the summary the traveller confirmed, exactly once."""

    def name(self) -> Text:
        return "action_book"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        shown = tracker.get_slot("book_quote")
        if tracker.get_slot("flow_stopped") or tracker.get_slot("book_confirm") is not True or not shown:
            return reset(*FLOW_SLOTS)
        item = tracker.get_slot("book_product")
        names = list(tracker.get_slot("guest_names") or [])
        phone = str(tracker.get_slot("contact_phone") or "")
        if (names, phone) != (shown.get("guests"), shown.get("phone")):
            dispatcher.utter_message(response="utter_quote_changed")
            return [SlotSet("book_confirm", None), SlotSet("book_quote", None), FollowupAction("book_form")]
        method = payment_method(item)
        try:
            booking = await self._book_once(tracker, shown, names, phone, holds=method != PAY_AT_PROPERTY)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return reset(*FLOW_SLOTS)
        except OutcomeUnknown:
            say_still_processing(dispatcher)
            return reset(*FLOW_SLOTS)
        except SoldOut:
            dispatcher.utter_message(response="utter_book_sold_out", hotline=contacts.hotline())
            return [SlotSet("book_date", None), SlotSet("book_confirm", None), SlotSet("book_quote", None),
                    FollowupAction("book_form")]
        except PriceChanged:
            dispatcher.utter_message(response="utter_quote_changed")
            return [SlotSet("book_confirm", None), SlotSet("book_quote", None), FollowupAction("book_form")]
        except TooManyUnpaid as refused:
            dispatcher.utter_message(response="utter_book_too_many_unpaid", count=len(refused.references),
                                     references=joined(domain, refused.references), limit=refused.limit)
            return reset(*FLOW_SLOTS)
        except InvalidRequest:
            dispatcher.utter_message(response="utter_book_invalid", hotline=contacts.hotline())
            return reset(*FLOW_SLOTS)
        await self._open_payment(booking, method, tracker)
        self._say_booked(dispatcher, booking, method)
        return [*reset(*FLOW_SLOTS), *serve_side_request(dispatcher, tracker, domain, item)]

    @staticmethod
    def _say_booked(dispatcher: CollectingDispatcher, booking: BookingView, method: str) -> None:
        if method == PAY_AT_PROPERTY:
            dispatcher.utter_message(response="utter_book_done_pay_at_property", reference=booking.reference,
                                     total=yuan(booking.total_fen))
        else:
            expires = booking.hold_expires_at or booking.created_at
            dispatcher.utter_message(response="utter_book_done", reference=booking.reference,
                                     total=yuan(booking.total_fen),
                                     link=payment_settings().link_for(booking.reference),
                                     hold_minutes=hold_minutes(booking.created_at, expires),
                                     hold_until=deadline_text(expires, booking_store().policy.timezone))

    @staticmethod
    async def _book_once(tracker: Tracker, shown: Dict[str, Any], names: List[str], phone: str,
                         holds: bool) -> BookingView:
        """The booking under the confirmed summary, made once per conversation and terms.

        The key comes from the summary, so a retried or repeated yes finds the booking
        already made. Only if that booking has since ended (cancelled, expired) do the
        same terms book anew, under a key that names the ended one.
        """
        customer: CustomerRef = await STORE.caller(tracker)
        key = confirmation_key("book", tracker.sender_id, shown)
        for _generation in range(5):
            booking = await STORE.book(customer, shown["product"], booking_dates(tracker), names, phone, key,
                                       conversation_id=tracker.sender_id,
                                       expected_total_fen=int(shown["total_fen"]), hold_expires=holds,
                                       rooms=shown.get("rooms"), children=int(shown.get("children") or 0))
            if booking.status in CANCELLABLE:
                return booking
            key = confirmation_key("book", tracker.sender_id, {**shown, "after": booking.reference})
        raise InvalidRequest("the same terms were booked and ended too often in one conversation")

    @staticmethod
    async def _open_payment(booking: BookingView, method: str, tracker: Tracker) -> None:
        """The booking stands whatever happens here: its payment link is by reference, and
        a payment left unopened is opened by the payment flow when the traveller pays."""
        try:
            await STORE.open_payment(booking, method, conversation_id=tracker.sender_id)
        except (StoreUnavailable, OutcomeUnknown):
            log.warning("payment for booking %s not opened yet", booking.reference)
