"""Check a booking by reference, or list the caller's own bookings ("我的订单")."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import reset, template, today
from actions.forms import OPEN_STATUSES, OwnBookingsFormValidation, order_ref_buttons
from actions.order_or_product import served_elsewhere
from bot.privacy import mask_phone
from actions.store_access import STORE, StoreUnavailable, say_store_unavailable
from actions.wording import booking_line, joined, status_text, when_text, yuan
from bot import contacts
from bot.booking.payments import payment_settings
from bot.booking.store import BookingView


class ValidateCheckBookingForm(OwnBookingsFormValidation):
    product_talk_leaves = True
    fresh_question_means_all = True

    def name(self) -> Text:
        return "validate_check_booking_form"


def detail_values(domain: DomainDict, booking: BookingView) -> dict:
    return dict(reference=booking.reference, product=booking.product.name, when=when_text(domain, booking),
                status=status_text(domain, booking.status), travellers=joined(domain, booking.travellers),
                phone=mask_phone(booking.contact_phone), total=yuan(booking.total_fen),
                paid=yuan(booking.received_fen),
                refunded=template(domain, "utter_detail_refunded", amount=yuan(booking.refunded_fen))
                if booking.refunded_fen else "")


class ActionCheckBooking(Action):
    def name(self) -> Text:
        return "action_check_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        reference = tracker.get_slot("order_ref")
        if tracker.get_slot("flow_stopped"):
            elsewhere = await served_elsewhere(dispatcher, tracker, domain)
            return [*reset("flow_stopped"), *(elsewhere or [])]
        try:
            if reference is None:
                await self._list_own(dispatcher, tracker, domain)
                return []
            booking = await STORE.accessible(tracker, reference)
            if booking is None:
                dispatcher.utter_message(response="utter_need_verification")
                return []
            await self._show(dispatcher, booking, domain)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
        return []

    @staticmethod
    async def _list_own(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        await STORE.award_completed(await STORE.caller(tracker), today())
        bookings = await STORE.bookings_of(tracker, 5)
        if not bookings:
            dispatcher.utter_message(response="utter_no_bookings", hotline=contacts.hotline())
            return
        lines = "\n".join(booking_line(domain, b) for b in bookings)
        buttons = await order_ref_buttons(tracker, OPEN_STATUSES)
        dispatcher.utter_message(response="utter_booking_list", lines=lines, buttons=buttons)

    @staticmethod
    async def _show(dispatcher: CollectingDispatcher, booking: BookingView, domain: DomainDict) -> None:
        dispatcher.utter_message(response="utter_booking_detail", **detail_values(domain, booking))
        if booking.status == "pending_payment":
            dispatcher.utter_message(response="utter_payment_pending",
                                     link=payment_settings().link_for(booking.reference),
                                     amount=yuan(booking.total_fen - booking.paid_fen))


