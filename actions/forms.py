"""The shared bases of the form validators, and leaving or entering a form.

:class:`TripDeskForm` is what every form shares: every slot it knows is heard at any step
(a correction is never ignored), a validator can stop the form, an answer rejected
again and again gets the question explained with an example and a person offered, and a
traveller who asks for a person or gives up ("转人工", "算了", "不订了") leaves the form at
any step, whatever the classifier made of the message.
:class:`BookingFormValidation` adds the booking a flow works on and the proof that the
caller may see it. Authorization lives in the store, never in slots: a booking is shown,
changed or cancelled only if it belongs to the caller's customer record, or if the store
has a ``verified`` event for this very conversation (last 4 digits of the contact phone).
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import first_entity_value, latest_intent, latest_text
from actions.confirmation import GIVING_UP, REAL_NO, confirmed_summary, gives_up
from actions.contacts import say_human_contact
from actions.faq import answer_general_part
from actions.order_or_product import not_about_an_order
from actions.store_access import STORE, StoreUnavailable, say_store_unavailable
from bot import contacts
from bot.booking.store import BookingView
from bot.identifiers import unissued_references_in
from bot.nlu.acts import asks_for_person
from bot.settings import settings

FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
OPEN_STATUSES = ("pending_payment", "confirmed")
FORM_SLOTS = {
    "book_form": ("book_product", "book_variant", "book_date", "book_nights", "book_people",
                  "guest_names", "contact_phone", "book_confirm", "book_quote", "book_rooms",
                  "book_children"),
    "change_booking_form": ("change_kind", "change_value", "change_confirm", "change_quote"),
    "cancel_booking_form": ("cancel_confirm", "cancel_quote"),
}
STOPPED_RESPONSE = {
    "book_form": "utter_book_stopped",
    "change_booking_form": "utter_change_stopped",
    "cancel_booking_form": "utter_cancel_stopped",
}
# 取消 gives up a booking being made; in the other flows it names what is wanted.
GIVING_UP_WORDS = {"book_form": REAL_NO}
# The yes-or-no questions read a no in their own way (actions/confirmation.py): there
# "确认，不改了" is a yes, not giving up.
CONFIRMATIONS = ("book_confirm", "change_confirm", "cancel_confirm")
# Slots a validator may set while extracting that rasa-sdk would drop (it returns only the
# form's required slots and what validate_ methods return): the stop must reach the
# submit action, which then stays quiet.
KEPT_FROM_EXTRACTION = ("flow_stopped",)


def wants_person(tracker: Tracker) -> bool:
    """A request for a person (the intent, or the words inside an answer: "转人工",
    "算了，找客服吧"); it wins over giving up in the same message."""
    return latest_intent(tracker) == "request_human" or asks_for_person(latest_text(tracker))


def person_answered(tracker: Tracker) -> bool:
    """Whether the handoff answer was already given to the latest message (the rule for a
    person mid-form ran action_human_contact before the form came back)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == "action_human_contact":
            return True
    return False


def leaves_form(tracker: Tracker, form: str) -> bool:
    """Whether the message, said to the form's pending question, leaves the form: a
    request for a person, or giving up ("算了", "不要了", "先不弄了"). Its words are then
    never an answer ("转人工" is not a traveller's name)."""
    pending = tracker.get_slot("requested_slot")
    if pending is None:
        return False  # the message that starts a form is not leaving it
    if wants_person(tracker):
        return True
    return pending not in CONFIRMATIONS and gives_up(latest_text(tracker), GIVING_UP_WORDS.get(form, GIVING_UP))


def say_leaving(dispatcher: CollectingDispatcher, tracker: Tracker, form: str) -> None:
    """A person asked for gets the handoff answer (once); giving up gets the form's word
    that nothing was done."""
    if wants_person(tracker):
        if not person_answered(tracker):
            say_human_contact(dispatcher)
    else:
        dispatcher.utter_message(response=STOPPED_RESPONSE.get(form, "utter_flow_stopped"))


def forget_answers(form: str) -> List[EventType]:
    """A form left half-way keeps none of its answers."""
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS.get(form, ()), "verify_last4", "verify_failures")]


def booking_ref_in(tracker: Tracker) -> Optional[str]:
    value = first_entity_value(tracker, "booking_ref")
    return str(value).upper() if value else None


def stale_stop_flag(tracker: Tracker) -> Dict[str, Any]:
    """A form starting afresh forgets that an earlier one was stopped early."""
    if tracker.get_slot("requested_slot") is None and tracker.get_slot("flow_stopped"):
        tracker.slots["flow_stopped"] = None
        return {"flow_stopped": None}
    return {}


# How often a form's pending question may be asked in all when the traveller keeps
# talking about something else; the order-number question is not asked again at all
# after a digression (it was often a misread question, and it then stuck to every reply).
MAX_ASKS_AROUND_DIGRESSIONS = 2
ASKED_ONCE_ONLY = ("order_ref",)
# Coming back after these is still the traveller working on the form: an answer, an
# answer not understood (the form's own help takes over), a correction hint.
ANSWERING = ("action_listen", "action_handle_fallback", "utter_book_what_to_change", None)


def times_asked(tracker: Tracker, slot: str) -> int:
    """In how many of its turns the form now active has asked for ``slot`` since it
    started, before the traveller's latest message. Counted by turn, not by event: the
    form sets ``requested_slot`` on every run, and Rasa adds one more for the pending
    question to the events it hands the validator."""
    form = (tracker.active_loop or {}).get("name")
    count, asked_in_turn, before_latest = 0, False, False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            count += asked_in_turn
            asked_in_turn, before_latest = False, True
        elif kind == "active_loop" and event.get("name") == form:
            break
        elif before_latest and kind == "slot" and event.get("name") == "requested_slot" \
                and event.get("value") == slot:
            asked_in_turn = True
    return count + asked_in_turn


def ran_before_the_form(tracker: Tracker) -> Optional[str]:
    """The action the form now runs after. Rasa hands a validator a tracker that ends with
    the form's own run, so ``latest_action_name`` names the form itself; what ran before
    it since the traveller spoke (an FAQ answer, the rule for a person) is in the events,
    and nothing there means the form is taking the traveller's message."""
    form = (tracker.active_loop or {}).get("name")
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "action" and event.get("name") != form:
            return str(event.get("name"))
    latest = tracker.latest_action_name
    return "action_listen" if latest in (None, form) else latest


def left_for_something_else(tracker: Tracker) -> bool:
    """Whether the form is coming back after answering something else (an FAQ, a person,
    a message not understood) to a question the traveller has already passed over:
    then the traveller has left the flow, and its question is not appended again."""
    pending = tracker.get_slot("requested_slot")
    if not pending or not (tracker.active_loop or {}).get("name") or ran_before_the_form(tracker) in ANSWERING:
        return False
    most = 1 if pending in ASKED_ONCE_ONLY else MAX_ASKS_AROUND_DIGRESSIONS
    return times_asked(tracker, pending) >= most


def rejected_answers(tracker: Tracker, slot: str) -> int:
    """How many answers to the question for ``slot`` were rejected since it was asked
    (a validator rejects an answer by setting the slot back to None)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "slot":
            continue
        if event.get("name") == "requested_slot" and event.get("value") != slot:
            break
        if event.get("name") == slot and event.get("value") is None:
            count += 1
    return count


# How often the order number is asked for in all before a person is offered instead.
MAX_ORDER_REF_ASKS = 2


def say_reference_not_found(dispatcher: CollectingDispatcher, tracker: Tracker, reference: Optional[str]) -> None:
    """Say once that the order is not found (naming it), what to check and who can help,
    then answer what the message asked in general."""
    if reference:
        dispatcher.utter_message(response="utter_order_ref_not_found", reference=reference,
                                 **contacts.hotline_values())
    else:
        dispatcher.utter_message(response="utter_order_ref_offer_person", **contacts.hotline_values())
    answer_general_part(dispatcher, tracker)


def order_ref_dead_end(tracker: Tracker) -> Optional[str]:
    """Whether asking for the order number again would loop: the message quotes an order
    number in a shape we never issue (returned), or it was asked for twice already
    and the message still names none (""). None when the question may still be asked."""
    if tracker.get_slot("requested_slot") not in (None, "order_ref") or booking_ref_in(tracker):
        return None
    unknown = unissued_references_in(latest_text(tracker))
    if unknown:
        return unknown[0]
    if tracker.get_slot("requested_slot") == "order_ref" and times_asked(tracker, "order_ref") >= MAX_ORDER_REF_ASKS:
        return ""
    return None


class TripDeskForm(FormValidationAction, ABC):
    """What every form validator shares.

    Subclasses name the slots they hear in :meth:`heard_slots` and implement
    ``extract_<slot>(dispatcher, tracker, domain)`` for them; validators reject an answer
    with :meth:`bad_answer`.
    """

    @abstractmethod
    def name(self) -> Text:
        """Abstract so that rasa-sdk registers only the concrete forms' validators."""

    def heard_slots(self) -> Tuple[str, ...]:
        """The slots extracted from every message, in order."""
        return ()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        """A traveller who asks for a person or gives up mid-form leaves it here, before
        anything is read from the message: the form ends (its submit action stays quiet)
        and the reply is the handoff or the form's "nothing was done"."""
        form = self.form_name()
        if not leaves_form(tracker, form):
            return await super().run(dispatcher, tracker, domain)
        say_leaving(dispatcher, tracker, form)
        return [*forget_answers(form), SlotSet("requested_slot", None), SlotSet("flow_stopped", True)]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """The validated slots, and a stop decided while extracting (see
        KEPT_FROM_EXTRACTION)."""
        extracted = tracker.slots_to_validate()
        events = await super().get_validation_events(dispatcher, tracker, domain)
        returned = {e.get("name") for e in events}
        events += [SlotSet(slot, tracker.slots.get(slot)) for slot in KEPT_FROM_EXTRACTION
                   if slot in extracted and slot not in returned]
        return events

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Optional[EventType]:
        """The first required slot still empty; none when a validator stopped the form.

        rasa-sdk would otherwise append its own ``requested_slot`` after a validator's
        ``requested_slot: None`` and the form would go on asking.
        """
        if tracker.get_slot("flow_stopped"):
            return SlotSet("requested_slot", None)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return SlotSet("requested_slot", next((s for s in required if tracker.slots.get(s) is None), None))

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Extract every slot the flow knows, not only the ones still required, so a
        correction ("不对，是后天", "不对，是TD…") is heard at any step."""
        found: Dict[str, Any] = stale_stop_flag(tracker)
        if left_for_something_else(tracker):
            tracker.slots["flow_stopped"] = True
            return [SlotSet("flow_stopped", True)]
        for slot in self.heard_slots():
            method = getattr(self, f"extract_{slot}", None)
            if method is None:
                continue
            value = await method(dispatcher, tracker, domain)
            found.update(value)
            tracker.slots.update(value)
        return [SlotSet(slot, value) for slot, value in found.items()]

    def bad_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                   slot: str, response: str, **values: Any) -> Dict[Text, Any]:
        """Reject an answer, saying why; once the same question has had
        ``settings.form_bad_answers_before_help`` bad answers, explain what it needs with an
        example (``utter_help_<slot>``) or, for a question without one, offer a person."""
        if rejected_answers(tracker, slot) + 1 >= settings.form_bad_answers_before_help:
            help_response = f"utter_help_{slot}"
            if help_response not in (domain.get("responses") or {}):
                help_response = "utter_form_offer_person"
            dispatcher.utter_message(response=help_response, hotline=contacts.hotline())
        else:
            dispatcher.utter_message(response=response, **values)
        return {slot: None}


class BookingFormValidation(TripDeskForm, ABC):
    """Validation shared by the forms that work on one existing booking.

    Required slots: ``order_ref``; then ``verify_last4`` when the caller does not own
    the booking; then the flow's own ``flow_slots``. ``order_verified`` is a hint for
    the dialogue only; the submit actions ask the store again.
    """

    flow_slots: Tuple[str, ...] = ()
    max_verify_failures = 3
    # The flows the classifier confuses with product talk (改, 订, 几多): their submit
    # actions serve such a message elsewhere (actions/order_or_product.py).
    product_talk_leaves = False

    def heard_slots(self) -> Tuple[str, ...]:
        return ("order_ref", "verify_last4", *self.flow_slots)

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """A traveller without bookings who asks about a product or wants to book, and
        names no order, is not asked for an order number: the flow stops quietly and its
        submit action serves the message (actions/order_or_product.py).

        An order number that cannot be ours, or a second answer without one, ends the
        flow with "not found" said once and the general question answered, not with the
        order number asked for again."""
        dead_end = order_ref_dead_end(tracker)
        if dead_end is not None:
            say_reference_not_found(dispatcher, tracker, dead_end or None)
            tracker.slots["flow_stopped"] = True
            return [SlotSet("flow_stopped", True)]
        if self.product_talk_leaves and tracker.get_slot("requested_slot") in (None, "order_ref") \
                and await not_about_an_order(tracker):
            tracker.slots["flow_stopped"] = True
            return [SlotSet("flow_stopped", True)]
        return await super().get_extraction_events(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = ["order_ref"]
        if tracker.get_slot("order_ref") and not tracker.get_slot("order_verified"):
            slots.append("verify_last4")
        return slots + list(self.flow_slots)

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

    @staticmethod
    async def _open_bookings(tracker: Tracker) -> List[BookingView]:
        try:
            bookings = await STORE.bookings_of(tracker)
        except StoreUnavailable:
            return []
        return [b for b in bookings if b.status in OPEN_STATUSES]

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
            booking = await STORE.accessible(tracker, str(value))
            fits = booking is not None and await self.booking_fits(booking, dispatcher, tracker)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"order_ref": None, "requested_slot": None, "flow_stopped": True}
        if booking is None:
            return {"order_ref": value, "order_verified": False, "verify_last4": None}
        if not fits:
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
            result = await STORE.verify_contact(reference, str(value), tracker.sender_id)
            booking = await STORE.accessible(tracker, reference) if result.ok else None
            fits = booking is not None and await self.booking_fits(booking, dispatcher, tracker)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"verify_last4": None, "requested_slot": None, "flow_stopped": True}
        if booking is not None:
            if not fits:
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
        bookings = await STORE.bookings_of(tracker)
    except StoreUnavailable:
        return []
    return [
        {"title": f"{b.reference} {b.product.name}",
         "payload": f'/inform{{"booking_ref":"{b.reference}"}}'}
        for b in bookings if b.status in statuses
    ][:5]


class OwnBookingsFormValidation(BookingFormValidation, ABC):
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
            return bool(await STORE.bookings_of(tracker, 1))
        except StoreUnavailable:
            return False


async def bookings_in_question(tracker: Tracker) -> List[BookingView]:
    """The booking named in the conversation (if accessible), else the caller's own."""
    reference = tracker.get_slot("order_ref")
    if reference:
        booking = await STORE.accessible(tracker, reference)
        return [booking] if booking else []
    return await STORE.bookings_of(tracker, 10)


class ActionStopForm(Action):
    """Stops whatever form is active (the rule for a no the form did not take), forgets its
    half-given answers and says nothing changed, or answers the request for a person made
    in the same breath."""

    def name(self) -> Text:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        confirmed = confirmed_summary(tracker)
        if confirmed is not None:
            return confirmed  # "确认。另外……能一起订吗" heard as a no: it is a yes
        form = str((tracker.active_loop or {}).get("name") or "")
        say_leaving(dispatcher, tracker, form)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("flow_stopped", None),
                *forget_answers(form)]


class ActionLeaveForm(Action):
    """Leaves whatever form is active without a word, forgetting its half-given answers:
    the traveller said goodbye, and the goodbye is the reply."""

    def name(self) -> Text:
        return "action_leave_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        form = str((tracker.active_loop or {}).get("name") or "")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("flow_stopped", None),
                *forget_answers(form)]


class ActionAskOrderRef(Action):
    """Which booking? The caller's own open bookings are offered as buttons."""

    def name(self) -> Text:
        return "action_ask_order_ref"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        buttons = await order_ref_buttons(tracker, OPEN_STATUSES)
        if buttons:
            response = "utter_ask_order_ref_own"
        elif await self._has_none(tracker):
            response = "utter_ask_order_ref_no_bookings"  # "我名下有几个订单" from a new traveller
        else:
            response = "utter_ask_order_ref"
        dispatcher.utter_message(response=response, buttons=buttons)
        return []

    @staticmethod
    async def _has_none(tracker: Tracker) -> bool:
        """Whether this traveller has no booking at all under their identity: then say
        so before asking for a reference made elsewhere."""
        try:
            return not await STORE.bookings_of(tracker, 1)
        except StoreUnavailable:
            return False
