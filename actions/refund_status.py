"""Where is my refund: each refund with amount, status and expected arrival."""
from __future__ import annotations

from datetime import date, datetime
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import reset, template
from actions.forms import OwnBookingsFormValidation, bookings_in_question
from actions.store_access import STORE, StoreUnavailable, say_store_unavailable
from actions.wording import day_text, yuan
from bot import contacts
from bot.booking.payments import payment_settings
from bot.booking.store import BookingView, CancelResult, PaymentView
from bot.settings import settings

STATUS_RESPONSES = {
    "pending": "utter_refund_status_pending",
    "processing": "utter_refund_status_processing",
    "succeeded": "utter_refund_status_succeeded",
    "not_required": "utter_refund_status_not_required",
    "failed": "utter_refund_status_failed",
}
# Why the money goes back, by the rule the store recorded; anything else is a cancellation.
REASON_RESPONSES = {"payment.duplicate": "utter_refund_reason_duplicate",
                    "change.price_difference": "utter_refund_reason_price_difference"}
OPEN_STATUSES = ("pending", "processing")


class ValidateRefundStatusForm(OwnBookingsFormValidation):
    def name(self) -> Text:
        return "validate_refund_status_form"


def business_day(moment: datetime) -> date:
    """The day a stored (UTC) moment falls on where the business and its travellers are."""
    return moment.astimezone(settings.business_timezone).date()


def refund_line(domain: DomainDict, booking: BookingView, refund: CancelResult,
                payments: List[PaymentView]) -> str:
    """One refund: what for, how much, where it stands and, while open, when it arrives
    (by how the booking was paid)."""
    method = next((p.method for p in payments if p.status in ("succeeded", "refunded")), "")
    status = STATUS_RESPONSES.get(refund.refund_status)
    started = (template(domain, "utter_refund_started", day=day_text(domain, business_day(refund.created_at)))
               if refund.created_at else "")
    arrival = (template(domain, "utter_refund_arrival", arrival=payment_settings().arrival_for(method))
               if refund.refund_status in OPEN_STATUSES else "")
    return template(domain, "utter_line_refund", reference=booking.reference, product=booking.product.name,
                    reason=template(domain, REASON_RESPONSES.get(refund.rule, "utter_refund_reason_cancellation")),
                    amount=yuan(refund.refund_fen),
                    status=template(domain, status) if status else refund.refund_status,
                    started=started, arrival=arrival)


class ActionRefundStatus(Action):
    def name(self) -> Text:
        return "action_refund_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("flow_stopped"):
            return reset("flow_stopped")
        try:
            bookings = await bookings_in_question(tracker)
            lines: List[str] = []
            for booking in bookings:
                refunds = await STORE.refunds_for(booking)
                refunds = [r for r in refunds if r.refund_fen > 0]
                if refunds:
                    payments = await STORE.payments_for(booking)
                    lines.extend(refund_line(domain, booking, r, payments) for r in refunds)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return []
        if not bookings and tracker.get_slot("order_ref"):
            dispatcher.utter_message(response="utter_need_verification")
        elif not lines:
            dispatcher.utter_message(response="utter_no_refunds", hotline=contacts.hotline())
        else:
            dispatcher.utter_message(response="utter_refund_list", lines="\n".join(lines),
                                     hotline=contacts.hotline())
        return []
