"""Cancel a booking: quote the refund from the policy, confirm, cancel exactly once."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import re

from actions.common import latest_text, reset
from actions.confirmation import (
    confirm_if_still_quoted,
    confirmation_key,
    quote_from_slot,
    quote_terms,
    quote_to_slot,
    said_no,
    said_yes,
    stopped_at_confirmation,
)
from actions.faq import answer_general_part
from actions.forms import BookingFormValidation
from actions.order_or_product import served_elsewhere
from actions.store_access import (
    STORE,
    OutcomeUnknown,
    StoreUnavailable,
    say_still_processing,
    say_store_unavailable,
)
from actions.wording import when_text, yuan
from bot import contacts
from bot.booking import policy as rules
from bot.booking.payments import payment_settings
from bot.booking.store import CANCELLABLE, BookingView, NotCancellable, QuoteChanged

FLOW_SLOTS = ("cancel_confirm", "cancel_quote", "flow_stopped")
# "如果12月7日退，手续费多少", "退掉要扣多少钱": what cancelling would cost, not a wish to cancel.
ASKS_WHAT_IT_COSTS = re.compile(r"手续费|扣多少|退多少|扣.{0,3}钱|多少钱|怎么算|收多少|几个点|百分之|%")


def asks_what_it_costs(tracker: Tracker) -> bool:
    """The message asks what a cancellation would cost: it gets the quote, and is never
    taken for the yes that cancels."""
    return ASKS_WHAT_IT_COSTS.search(latest_text(tracker)) is not None


def refusal_response(rule: str) -> str:
    """Why the policy says no, in the words of the matching response."""
    if rule.startswith("flight") or rule.startswith("train") or rule.startswith("bus"):
        return "utter_cancel_not_allowed_departed"
    return "utter_cancel_not_allowed"


class ValidateCancelBookingForm(BookingFormValidation):
    product_talk_leaves = True
    flow_slots = ("cancel_confirm",)

    def name(self) -> Text:
        return "validate_cancel_booking_form"

    async def booking_fits(self, booking: BookingView, dispatcher: CollectingDispatcher,
                           tracker: Tracker) -> bool:
        if booking.status == "cancelled":
            dispatcher.utter_message(response="utter_already_cancelled", reference=booking.reference)
            return False
        if booking.status not in CANCELLABLE:
            dispatcher.utter_message(response="utter_cannot_cancel_completed",
                                     reference=booking.reference, hotline=contacts.hotline())
            return False
        if not await STORE.is_owner(tracker, booking):
            dispatcher.utter_message(response="utter_cancel_needs_owner", reference=booking.reference,
                                     hotline=contacts.hotline())
            return False
        quote = await STORE.quote_cancellation(booking)
        if not quote.allowed:
            dispatcher.utter_message(response=refusal_response(quote.rule),
                                     reference=booking.reference, hotline=contacts.hotline())
            return False
        return True

    async def extract_cancel_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "cancel_confirm":
            return {}
        if said_yes(tracker, "cancel") and not asks_what_it_costs(tracker):
            return {"cancel_confirm": True}
        return {"cancel_confirm": False} if said_no(tracker, "cancel") else {}

    async def validate_cancel_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """Confirming binds to the quote shown; if it no longer holds, quote again."""
        async def fresh_quote() -> Optional[rules.Quote]:
            booking = await STORE.accessible(tracker, tracker.get_slot("order_ref"))
            return await STORE.quote_cancellation(booking) if booking else None

        if value is False:
            return stopped_at_confirmation(dispatcher, "utter_cancel_stopped", "cancel_confirm")
        return await confirm_if_still_quoted(value, dispatcher, tracker, "cancel_confirm",
                                             "cancel_quote", fresh_quote)


class ActionAskCancelConfirm(Action):
    """Shows the refund quote and asks for an explicit yes."""

    def name(self) -> Text:
        return "action_ask_cancel_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        try:
            booking = await STORE.accessible(tracker, tracker.get_slot("order_ref"))
            quote = await STORE.quote_cancellation(booking) if booking else None
        except (StoreUnavailable, NotCancellable):
            say_store_unavailable(dispatcher)
            return []
        if booking is None or quote is None:
            dispatcher.utter_message(response="utter_need_verification")
            return []
        dispatcher.utter_message(
            response=self._quote_response(tracker, booking),
            reference=booking.reference,
            product=booking.product.name, when=when_text(domain, booking), paid=yuan(booking.paid_fen),
            fee=yuan(quote.fee_fen), refund=yuan(quote.refund_fen))
        if asks_what_it_costs(tracker):
            answer_general_part(dispatcher, tracker)
        return [SlotSet("cancel_quote", quote_to_slot(quote))]

    @staticmethod
    def _quote_response(tracker: Tracker, booking: BookingView) -> str:
        """A question about the fee gets the quote as an answer (nothing cancelled, the
        yes still to come); a wish to cancel gets it with the confirmation question."""
        if asks_what_it_costs(tracker):
            return "utter_cancel_fee_quote"
        return "utter_cancel_quote" if booking.paid_fen else "utter_cancel_quote_unpaid"


class ActionCancelBooking(Action):
    """Cancels under the confirmed quote; checks the confirmation again itself."""

    def name(self) -> Text:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        shown = tracker.get_slot("cancel_quote")
        if tracker.get_slot("cancel_confirm") is not True or not shown:
            elsewhere = await served_elsewhere(dispatcher, tracker, domain) if tracker.get_slot("flow_stopped") else None
            return [*reset(*FLOW_SLOTS), *(elsewhere or [])]
        reference = tracker.get_slot("order_ref")
        try:
            booking = await STORE.owned(tracker, reference)
            if booking is None:
                self._refuse(dispatcher, await STORE.accessible(tracker, reference))
                return reset(*FLOW_SLOTS)
            result = await STORE.cancel(booking, quote_from_slot(shown),
                                        confirmation_key("cancel", tracker.sender_id, quote_terms(shown)),
                                        conversation_id=tracker.sender_id)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return reset(*FLOW_SLOTS)
        except OutcomeUnknown:
            say_still_processing(dispatcher)
            return reset(*FLOW_SLOTS)
        except QuoteChanged:
            dispatcher.utter_message(response="utter_quote_changed")
            return [*reset(*FLOW_SLOTS), FollowupAction("cancel_booking_form")]
        except NotCancellable:
            dispatcher.utter_message(response="utter_already_cancelled", reference=reference)
            return reset(*FLOW_SLOTS)
        method = await STORE.method_of(booking, "succeeded")
        if result.refund_fen:
            dispatcher.utter_message(response="utter_cancel_done_refund", reference=result.reference,
                                     refund=yuan(result.refund_fen), fee=yuan(result.fee_fen),
                                     arrival=payment_settings().arrival_for(method))
        else:
            dispatcher.utter_message(response="utter_cancel_done_no_refund",
                                     reference=result.reference)
        return reset(*FLOW_SLOTS)

    @staticmethod
    def _refuse(dispatcher: CollectingDispatcher, verified: Optional[BookingView]) -> None:
        """Only the booking's own account cancels (the refund is money); a conversation
        that merely verified the phone digits is told where to go instead."""
        if verified is None:
            dispatcher.utter_message(response="utter_need_verification")
        else:
            dispatcher.utter_message(response="utter_cancel_needs_owner", reference=verified.reference,
                                     hotline=contacts.hotline())
