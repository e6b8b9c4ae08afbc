"""Leaving a form cleanly ("算了", "不办了"), and asking which booking is meant."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.after_sales import order_ref_buttons

FORM_SLOTS = {
    "book_form": ("book_product", "book_variant", "book_date", "book_nights", "book_people",
                  "guest_names", "contact_phone", "book_confirm", "book_quote"),
    "change_booking_form": ("change_kind", "change_value", "change_confirm", "change_quote"),
    "cancel_booking_form": ("cancel_confirm", "cancel_quote"),
}
STOPPED_RESPONSE = {
    "book_form": "utter_book_stopped",
    "change_booking_form": "utter_change_stopped",
    "cancel_booking_form": "utter_cancel_stopped",
}


class ActionStopForm(Action):
    """Stops whatever form is active, forgets its half-given answers, says nothing changed."""

    def name(self) -> Text:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        form = (tracker.active_loop or {}).get("name")
        dispatcher.utter_message(response=STOPPED_RESPONSE.get(form, "utter_flow_stopped"))
        slots = FORM_SLOTS.get(form, ())
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("flow_stopped", None),
                *[SlotSet(slot, None) for slot in (*slots, "verify_last4", "verify_failures")]]


class ActionAskOrderRef(Action):
    """Which booking? The caller's own open bookings are offered as buttons."""

    def name(self) -> Text:
        return "action_ask_order_ref"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        buttons = await order_ref_buttons(tracker, ("pending_payment", "confirmed"))
        response = "utter_ask_order_ref_own" if buttons else "utter_ask_order_ref"
        dispatcher.utter_message(response=response, buttons=buttons)
        return []
