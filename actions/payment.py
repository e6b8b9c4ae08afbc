"""Payment problems: a failed payment gets a retry link; being charged twice opens a
refund for the duplicate payment, found in the store (not taken on the traveller's word)."""
from __future__ import annotations

import re
from typing import List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import reset
from actions.forms import OwnBookingsFormValidation, bookings_in_question
from actions.store_access import (
    STORE,
    OutcomeUnknown,
    StoreUnavailable,
    say_still_processing,
    say_store_unavailable,
)
from actions.wording import yuan
from bot import contacts
from bot.booking.payments import payment_settings
from bot.booking.store import BookingView, CancelResult

CHARGED_TWICE = re.compile(r"(扣|付|收|交|刷|支付|扣款|扣费)[了过]?(两|2|二|多)(次|遍|笔|回)|重复(扣|支付|付|收|交)|"
                           r"多扣|多付|多收|扣重|付重|charged twice|double charge|duplicate", re.I)
INVOICE = re.compile(r"发票|invoice|报销", re.I)


def problem_in(text: str) -> str:
    """Which payment problem the traveller describes: duplicate, invoice or failed."""
    if CHARGED_TWICE.search(text):
        return "duplicate"
    if INVOICE.search(text):
        return "invoice"
    return "failed"


class ValidatePaymentForm(OwnBookingsFormValidation):
    def name(self) -> Text:
        return "validate_payment_form"


class ActionPaymentIssue(Action):
    def name(self) -> Text:
        return "action_payment_issue"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("flow_stopped"):
            return reset("flow_stopped")
        problem = problem_in(self._problem_text(tracker))
        try:
            bookings = await bookings_in_question(tracker)
            if not bookings and tracker.get_slot("order_ref"):
                dispatcher.utter_message(response="utter_need_verification")
            elif problem == "invoice":
                dispatcher.utter_message(response="utter_payment_invoice", hotline=contacts.hotline())
            elif problem == "duplicate":
                await self._refund_duplicates(dispatcher, tracker, bookings)
            else:
                await self._retry_links(dispatcher, tracker, bookings)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
        except OutcomeUnknown:
            say_still_processing(dispatcher)
        return []

    @staticmethod
    def _problem_text(tracker: Tracker) -> str:
        """The message that raised the problem, not the reference typed afterwards."""
        for event in reversed(tracker.events):
            if event.get("event") == "user" and (event.get("parse_data") or {}).get(
                    "intent", {}).get("name") == "payment_issue":
                return str(event.get("text") or "")
        return ""

    @staticmethod
    async def _refund_duplicates(dispatcher: CollectingDispatcher, tracker: Tracker,
                                 bookings: List[BookingView]) -> None:
        found: List[Tuple[BookingView, CancelResult, str]] = []
        for booking in bookings:
            refunds = await STORE.refund_duplicate_payments(booking, conversation_id=tracker.sender_id)
            method = await STORE.method_of(booking, "refunded") if refunds else ""
            found.extend((booking, r, method) for r in refunds)
        if not found:
            ActionPaymentIssue._no_duplicate_left(dispatcher, bookings)
            return
        for booking, refund, method in found:
            dispatcher.utter_message(response="utter_duplicate_refund_opened",
                                     reference=booking.reference, amount=yuan(refund.refund_fen),
                                     arrival=payment_settings().arrival_for(method))

    @staticmethod
    def _no_duplicate_left(dispatcher: CollectingDispatcher, bookings: List[BookingView]) -> None:
        """Nothing more to refund: either there was no extra charge, or it already went
        back inside another refund (a cancellation), which the traveller should hear."""
        returned = [b for b in bookings
                    if b.received_fen > b.total_fen + b.change_fees_fen and b.refunded_fen]
        for booking in returned:
            dispatcher.utter_message(response="utter_duplicate_already_returned",
                                     reference=booking.reference, paid=yuan(booking.received_fen),
                                     refunded=yuan(booking.refunded_fen))
        if not returned:
            dispatcher.utter_message(response="utter_no_duplicate_payment", hotline=contacts.hotline())

    @staticmethod
    async def _retry_links(dispatcher: CollectingDispatcher, tracker: Tracker,
                           bookings: List[BookingView]) -> None:
        unpaid = [b for b in bookings if b.status == "pending_payment"]
        if not unpaid:
            dispatcher.utter_message(response="utter_no_unpaid_booking", hotline=contacts.hotline())
            return
        for booking in unpaid:
            payment = await STORE.open_payment(booking, payment_settings().default_method,
                                               conversation_id=tracker.sender_id)
            dispatcher.utter_message(response="utter_payment_retry", reference=booking.reference,
                                     product=booking.product.name, amount=yuan(payment.amount_fen),
                                     link=payment_settings().link_for(booking.reference))



