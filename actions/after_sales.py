"""What every after-sales flow shares: the store, the caller, the booking they mean and
proof that they may see it.

Authorization lives here and in the store, never in slots: a booking is shown, changed
or cancelled only if it belongs to the caller's customer record, or if the store has a
``verified`` event for this very conversation (last 4 digits of the contact phone).
"""
from __future__ import annotations

import asyncio
import logging
import re
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict
from datetime import date
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import first_entity_value, latest_text
from bot import contacts
from bot.booking import policy as rules
from bot.booking.store import CANCELLABLE, BookingError, BookingStore, BookingView, CustomerRef
from bot.nlu.dates import business_now
from bot.settings import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

WEEKDAYS = "一二三四五六日"
STATUS_TEXT = {
    "pending_payment": "待支付",
    "confirmed": "已确认",
    "cancelled": "已取消",
    "completed": "已完成",
    "expired": "已过期（未按时付款，已自动取消）",
}
KIND_TEXT = {"hotel_room": "酒店", "tour": "跟团游", "transport": "车票/机票"}
CANCELLABLE_STATUSES = CANCELLABLE
ORDER_SLOTS = ("order_ref", "order_verified", "verify_last4", "verify_failures")
YES = re.compile(r"确认|确定|是的|好的|好啊|可以|没问题|对的|^对$|^是$|^嗯|行|ok|yes|sure|OK|Yes", re.I)
NO = re.compile(r"不|别|算了|先等等|再想想|no\b|取消吧", re.I)
FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")

_store: Optional[BookingStore] = None


class StoreUnavailable(Exception):
    """The booking database did not answer in time; the traveller gets a polite retry."""


def booking_store() -> BookingStore:
    """One store per action-server process (it owns the connection pool)."""
    global _store
    if _store is None:
        _store = BookingStore()
    return _store


async def in_db(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking store call in a worker thread, with a short timeout.

    The action server's event loop serves every conversation; a slow database must
    not stall them all, and a traveller should hear back within seconds.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(partial(function, *args, **kwargs)),
                                      timeout=settings.db_timeout_seconds)
    except asyncio.TimeoutError as error:
        log.error("booking store call %s timed out", getattr(function, "__name__", function))
        raise StoreUnavailable from error
    except SQLAlchemyError as error:
        log.exception("booking store call failed")
        raise StoreUnavailable from error


def say_store_unavailable(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_store_unavailable", hotline=contacts.hotline())


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


async def caller(tracker: Tracker) -> CustomerRef:
    """The customer behind this sender on this channel (created on first contact)."""
    return await in_db(booking_store().customer_for, channel_of(tracker), tracker.sender_id)


async def accessible_booking(tracker: Tracker, reference: Optional[str]) -> Optional[BookingView]:
    """The booking if the caller owns it or verified it in this conversation."""
    if not reference:
        return None
    customer = await caller(tracker)
    return await in_db(booking_store().accessible, reference, customer, tracker.sender_id)


def yuan(fen: int) -> str:
    """Integer fen → how a reply shows money: 1280元, 12.50元."""
    whole, cents = divmod(abs(int(fen)), 100)
    sign = "-" if fen < 0 else ""
    return f"{sign}{whole}元" if not cents else f"{sign}{whole}.{cents:02d}元"


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.isoweekday() - 1]}）"


def when_text(booking: BookingView) -> str:
    """Dates as a traveller reads them: a stay, a tour's days, a departure time."""
    product = booking.product
    if product.kind == "hotel_room":
        nights = (booking.end_date - booking.start_date).days
        return f"{day_text(booking.start_date)}入住，{day_text(booking.end_date)}离店，共{nights}晚"
    if product.kind == "tour":
        return f"{day_text(booking.start_date)}出发，{product.duration_days}天"
    return f"{day_text(booking.start_date)} {product.departs_at or ''}出发".replace(" 出发", "出发")


def booking_line(booking: BookingView) -> str:
    """One line per booking in a list: reference, what, when, status."""
    return (f"{booking.reference}｜{booking.product.name}｜{when_text(booking)}｜"
            f"{STATUS_TEXT.get(booking.status, booking.status)}")


def today() -> date:
    return business_now().date()


def reset(*names: str) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


def said_yes(tracker: Tracker) -> bool:
    """An explicit yes to the question just asked: the affirm intent, or a plain yes
    such as "确认取消" that the classifier may file under the flow's own intent."""
    text = latest_text(tracker).strip()
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "deny" or NO.search(text.replace("确认取消", "确认").replace("确定取消", "确定")):
        return False
    return intent == "affirm" or bool(YES.search(text))


# --- binding a yes to the quote shown ---------------------------------------------------

def quote_to_slot(quote: rules.Quote) -> Dict[str, Any]:
    """The exact terms shown, plus an id that makes the confirmation idempotent."""
    return {**asdict(quote), "id": uuid.uuid4().hex}


def quote_from_slot(value: Dict[str, Any]) -> rules.Quote:
    fields = {k: v for k, v in value.items() if k != "id"}
    return rules.Quote(**fields)


def same_terms(shown: Optional[Dict[str, Any]], fresh: rules.Quote) -> bool:
    if not shown:
        return False
    keys = ("reference", "amount_fen", "fee_fen", "refund_fen", "difference_fen", "rule",
            "policy_version", "allowed")
    return all(shown.get(k) == getattr(fresh, k) for k in keys)


async def confirm_if_still_quoted(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, confirm_slot: str,
    quote_slot: str, fresh_quote: Callable[[], Awaitable[Optional[rules.Quote]]],
) -> Dict[Text, Any]:
    """A yes counts only for the quote on screen, and only while the policy still gives
    those terms; otherwise the quote is dropped so the form shows the new one."""
    if value is not True:
        return {confirm_slot: None}
    try:
        fresh = await fresh_quote()
    except StoreUnavailable:
        say_store_unavailable(dispatcher)
        return {confirm_slot: None, "requested_slot": None, "flow_stopped": True}
    except BookingError:
        fresh = None
    if fresh is None or not same_terms(tracker.get_slot(quote_slot), fresh):
        dispatcher.utter_message(response="utter_quote_changed")
        return {confirm_slot: None, quote_slot: None}
    return {confirm_slot: True}


def booking_ref_in(tracker: Tracker) -> Optional[str]:
    value = first_entity_value(tracker, "booking_ref")
    return str(value).upper() if value else None


def stale_stop_flag(tracker: Tracker) -> Dict[str, Any]:
    """A form starting afresh forgets that an earlier one was stopped early."""
    if tracker.get_slot("requested_slot") is None and tracker.get_slot("flow_stopped"):
        tracker.slots["flow_stopped"] = None
        return {"flow_stopped": None}
    return {}


async def next_slot_or_stop(form: FormValidationAction, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Optional[EventType]:
    """The first required slot still empty; none when a validator stopped the form.

    rasa-sdk would otherwise append its own ``requested_slot`` after a validator's
    ``requested_slot: None`` and the form would go on asking.
    """
    if tracker.get_slot("flow_stopped"):
        return None
    required = await form.required_slots(form.domain_slots(domain), dispatcher, tracker, domain)
    return SlotSet("requested_slot", next((s for s in required if tracker.slots.get(s) is None), None))


class BookingFormValidation(FormValidationAction, ABC):
    """Validation shared by the forms that work on one existing booking.

    Required slots: ``order_ref``; then ``verify_last4`` when the caller does not own
    the booking; then the flow's own ``flow_slots``. ``order_verified`` is a hint for
    the dialogue only; the submit actions ask the store again.
    """

    flow_slots: Tuple[str, ...] = ()
    max_verify_failures = 3

    @abstractmethod
    def name(self) -> Text:
        """Abstract so that rasa-sdk registers only the concrete forms' validators."""

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = ["order_ref"]
        if tracker.get_slot("order_ref") and not tracker.get_slot("order_verified"):
            slots.append("verify_last4")
        return slots + list(self.flow_slots)

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Optional[EventType]:
        return await next_slot_or_stop(self, dispatcher, tracker, domain)

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Extract every slot the flow knows, not only the ones still required, so a
        correction ("不对，是TD…") is heard at any step."""
        found: Dict[str, Any] = stale_stop_flag(tracker)
        for slot in ("order_ref", "verify_last4", *self.flow_slots):
            method = getattr(self, f"extract_{slot}", None)
            if method is None:
                continue
            value = await method(dispatcher, tracker, domain)
            found.update(value)
            tracker.slots.update(value)
        return [SlotSet(slot, value) for slot, value in found.items()]

    async def extract_order_ref(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        """The booking the message names: its reference, or one of the caller's open
        bookings by what it is ("退掉G7那张票"), or the only one they have.

        Naming another booking than the one in hand starts the flow over for it.
        """
        current = tracker.get_slot("order_ref")
        starting = tracker.get_slot("requested_slot") is None
        reference = booking_ref_in(tracker) or await self._own_booking_named(tracker, starting)
        if reference is None and current is None and starting:
            reference = await self._only_open_booking(tracker)
        if reference is None or reference == current:
            return {}
        found: Dict[str, Any] = {"order_ref": reference}
        if current is not None:
            found.update({slot: None for slot in self.flow_slots})
            found.update(order_verified=None, verify_last4=None)
        return found

    async def _open_bookings(self, tracker: Tracker) -> List[BookingView]:
        try:
            customer = await caller(tracker)
            bookings = await in_db(booking_store().bookings_for, customer)
        except StoreUnavailable:
            return []
        return [b for b in bookings if b.status in ("pending_payment", "confirmed")]

    async def _only_open_booking(self, tracker: Tracker) -> Optional[str]:
        """A caller with exactly one open booking means that one."""
        open_ones = await self._open_bookings(tracker)
        return open_ones[0].reference if len(open_ones) == 1 else None

    async def _own_booking_named(self, tracker: Tracker, starting: bool) -> Optional[str]:
        """One of the caller's open bookings whose train/flight number or hotel/tour name
        the message mentions; only when a flow starts, so answers are not misread."""
        if not starting:
            return None
        text = latest_text(tracker).upper()
        named = [b for b in await self._open_bookings(tracker)
                 if b.product.code.split("/")[0].upper() in text
                 or b.product.name.split(" ")[0] in text]
        return named[0].reference if len(named) == 1 else None

    async def validate_order_ref(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """Whether the caller may work on this booking, and whether the flow fits it."""
        if value is None:
            return {}
        try:
            booking = await accessible_booking(tracker, str(value))
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"order_ref": None, "requested_slot": None, "flow_stopped": True}
        if booking is None:
            return {"order_ref": value, "order_verified": False, "verify_last4": None}
        if not await self.booking_fits(booking, dispatcher, tracker):
            return {"order_ref": None, "order_verified": None, "requested_slot": None, "flow_stopped": True}
        return {"order_ref": value, "order_verified": True}

    async def extract_verify_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "verify_last4":
            return {}
        phone = first_entity_value(tracker, "phone")
        if phone:
            return {"verify_last4": str(phone)[-4:]}
        found = FOUR_DIGITS.findall(latest_text(tracker))
        return {"verify_last4": found[-1]} if found else {}

    async def validate_verify_last4(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        reference = tracker.get_slot("order_ref")
        if not reference or value == "verified":
            return {}
        try:
            result = await in_db(booking_store().verify_contact, reference, str(value),
                                 tracker.sender_id)
            booking = await accessible_booking(tracker, reference) if result.ok else None
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"verify_last4": None, "requested_slot": None, "flow_stopped": True}
        if booking is not None:
            if not await self.booking_fits(booking, dispatcher, tracker):
                return {"verify_last4": "verified", "order_verified": True, "order_ref": None,
                        "requested_slot": None, "flow_stopped": True}
            return {"verify_last4": "verified", "order_verified": True, "verify_failures": None}
        # A booking the store has locked answers like wrong digits: telling the two
        # apart would tell a prober which references exist.
        failures = int(tracker.get_slot("verify_failures") or 0) + 1
        if failures >= self.max_verify_failures:
            dispatcher.utter_message(response="utter_verify_locked", hotline=contacts.hotline())
            return {"verify_last4": None, "order_ref": None, "order_verified": None,
                    "verify_failures": None, "requested_slot": None, "flow_stopped": True}
        dispatcher.utter_message(response="utter_verify_failed",
                                 left=self.max_verify_failures - failures)
        return {"verify_last4": None, "verify_failures": float(failures)}

    async def booking_fits(self, booking: BookingView, dispatcher: CollectingDispatcher,
                           tracker: Tracker) -> bool:
        """Whether the flow can go on with this booking (e.g. not already cancelled);
        a subclass that says no also tells the traveller why and what they can do."""
        return True


async def order_ref_buttons(tracker: Tracker, statuses: Sequence[str]) -> List[Dict[str, str]]:
    """The caller's bookings as buttons, so they can pick one instead of typing it."""
    try:
        customer = await caller(tracker)
        bookings = await in_db(booking_store().bookings_for, customer)
    except StoreUnavailable:
        return []
    return [
        {"title": f"{b.reference} {b.product.name}",
         "payload": f'/inform{{"booking_ref":"{b.reference}"}}'}
        for b in bookings if b.status in statuses
    ][:5]


class OwnBookingsFormValidation(BookingFormValidation):
    """For questions about "my bookings": a caller with bookings of their own needs no
    reference (the answer covers them all); anyone else gives one and verifies.

    A booking already under discussion stays the subject ("退款什么时候到账" right after
    cancelling it), except where a fresh question means the whole list.
    """

    fresh_question_means_all = False

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("order_ref") is None and booking_ref_in(tracker) is None:
            if await self._has_bookings(tracker):
                return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    async def extract_order_ref(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        reference = booking_ref_in(tracker)
        if reference and reference != tracker.get_slot("order_ref"):
            return {"order_ref": reference}
        starting = tracker.get_slot("requested_slot") is None
        if starting and reference is None and tracker.get_slot("order_ref") and self.fresh_question_means_all:
            if await self._has_bookings(tracker):
                return {"order_ref": None}  # "我的订单" again means all of them
        return {}

    @staticmethod
    async def _has_bookings(tracker: Tracker) -> bool:
        try:
            customer = await caller(tracker)
            return bool(await in_db(booking_store().bookings_for, customer, 1))
        except StoreUnavailable:
            return False


async def bookings_in_question(tracker: Tracker) -> List[BookingView]:
    """The booking named in the conversation (if accessible), else the caller's own."""
    reference = tracker.get_slot("order_ref")
    if reference:
        booking = await accessible_booking(tracker, reference)
        return [booking] if booking else []
    customer = await caller(tracker)
    return await in_db(booking_store().bookings_for, customer, 10)
