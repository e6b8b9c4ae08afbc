"""Whether a message the classifier filed under an order flow (check, change, cancel) is
really about a product or a new booking, and serving it there instead.

The classifier reads 改, 订 or 几多 as order talk, so "那我改哪天去比较好？学生票多少钱？",
"全程要幾多分鐘？" or "那重新订吧：人民广场悦途酒店双床房" started an order lookup, and a
traveller without any booking was asked for an order number turn after turn. A traveller
with no booking who gives no order reference and asks about a product, or wants to book,
is served by the search or the booking form, and so is any message without order words
while the conversation is about products; everyone else keeps the order flows.
"""
from __future__ import annotations

import re
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import first_entity_value, latest_text
from actions.search import ActionSearch
from actions.store_access import STORE, StoreUnavailable

# "我没订单", "我还没下单呢", "我没说不订，那重新订吧": the traveller says there is no order.
NO_ORDER = re.compile(r"没有?(?:订单|下(?:过)?单|订过|预订过)|还没(?:有)?订|没说不订|不是不订|新订|重新订|另订|再订一")
# Words that point at an order already made.
ORDER_WORDS = re.compile(r"订单|单号|我的订|我订的|订了|订的|订好的|已经订|已订|订过|之前订|刚才订|刚订|上次订|下的单|"
                         r"改签|退票|退订|退款|退掉|退了|取消")
BOOKING_VERB = re.compile(r"预订|预定|订|下单")
NEW_BOOKING = re.compile(r"新订|重新订|另订")
PRODUCT_WORDS = re.compile(r"酒店|宾馆|民宿|房|景点|景区|门票|票价|学生票|儿童票|多少钱|价格|几多|多久|多长时间|"
                           r"分钟|小时|几点|开放|怎么去|怎么走|地铁|号线|高铁|动车|火车|航班|机票|跟团|[一二两三四五\d]日游|"
                           r"行程|车次|班次")
PRODUCT_ENTITIES = ("city", "attraction_name", "product_type", "attribute", "hotel_name")
# What the conversation is about: a list shown, an item in focus, a booking being made.
PRODUCT_CONTEXT = ("search_shown", "inquiry_focus", "book_product")


def names_no_order(text: str) -> bool:
    """No order reference and no order words, or the traveller says outright there is none."""
    if NO_ORDER.search(text):
        return True
    return not ORDER_WORDS.search(text)


def product_talk(tracker: Tracker) -> bool:
    """The message asks about a product or wants to book one: it names a place, an item,
    a product type or an attribute, uses product words, or a booking verb."""
    text = latest_text(tracker)
    if any(first_entity_value(tracker, name) for name in PRODUCT_ENTITIES):
        return True
    return bool(PRODUCT_WORDS.search(text) or BOOKING_VERB.search(text))


def in_product_context(tracker: Tracker) -> bool:
    """The conversation is about products: "日期改成下周四" or "换成G14那趟" right after a
    list refers to it, not to an order the traveller does not have."""
    return any(tracker.get_slot(name) for name in PRODUCT_CONTEXT)


def wants_to_book(text: str) -> bool:
    """A booking verb that is not about an order already made."""
    return bool(BOOKING_VERB.search(NO_ORDER.sub("", text)) or NEW_BOOKING.search(text))


async def has_no_bookings(tracker: Tracker) -> bool:
    """Whether the caller has no booking at all; an unreachable store says nothing."""
    try:
        return not await STORE.bookings_of(tracker, 1)
    except StoreUnavailable:
        return False


async def not_about_an_order(tracker: Tracker) -> bool:
    """A message filed under an order flow that is really about a product or a new
    booking, from a traveller without bookings who gave no order reference."""
    if first_entity_value(tracker, "booking_ref") or tracker.get_slot("order_ref"):
        return False
    text = latest_text(tracker)
    if not names_no_order(text) or not (product_talk(tracker) or in_product_context(tracker)):
        return False
    return await has_no_bookings(tracker)


def said_nothing_yet(tracker: Tracker) -> bool:
    """Nothing has been said since the traveller's message (an FAQ or a fallback that
    answered it already is not answered twice)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "bot":
            return False
    return True


async def served_elsewhere(dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Optional[List[EventType]]:
    """An order flow that stopped because the message was not about an order: a wish to
    book starts the booking form, anything else is a search or a question about a
    product. None when the message was about an order after all."""
    if not said_nothing_yet(tracker) or not await not_about_an_order(tracker):
        return None
    if wants_to_book(latest_text(tracker)):
        return [FollowupAction("book_form")]
    events: List[EventType] = list(await ActionSearch().run(dispatcher, tracker, domain))
    return events

