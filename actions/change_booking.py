"""Change a booking: new dates, room type, departure or traveller names, with the fee
and price difference quoted from the policy before anything moves."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import first_entity_value, latest_text, reset, template, today
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
from actions.forms import BookingFormValidation
from actions.order_or_product import served_elsewhere
from actions.store_access import (
    STORE,
    OutcomeUnknown,
    StoreUnavailable,
    say_still_processing,
    say_store_unavailable,
)
from actions.wording import joined, short_day_text, when_text, yuan
from actions.names import names_in
from bot import catalogue, contacts
from bot.catalogue.items import ServiceQuery
from bot.booking import policy as rules
from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT
from bot.booking.payments import payment_settings
from bot.identifiers import REFERENCE_IN_TEXT
from bot.booking.store import (
    CANCELLABLE,
    BookingError,
    BookingView,
    ChangeRequest,
    InvalidRequest,
    NotChangeable,
    QuoteChanged,
    SoldOut,
    UnknownProduct,
    changed_span,
)

FLOW_SLOTS = ("change_kind", "change_value", "change_confirm", "change_quote")
KIND_WORDS = (
    ("traveller", re.compile(r"名字|姓名|入住人|乘客|乘机人|出行人|游客|人名|写错|换人|换个人")),
    ("room", re.compile(r"房型|大床|双床|套房|标间|标准间|家庭房|换房|换个房|升级")),
    ("departure", re.compile(r"车次|航班|班次|换一班|换个班|早一班|晚一班|早点的车|晚点的车|"
                             r"(?<![A-Za-z0-9])(?:[GDCKZT]\d{1,4}|[A-Z]{2}\d{3,4})(?!\d)")),
    ("dates", re.compile(r"日期|改期|改到|改成|推迟|提前|延期|延后|换个日子|换个时间|改时间|改签")),
)
KINDS_BY_PRODUCT = {HOTEL_ROOM: ("dates", "room", "traveller"),
                    TOUR: ("dates", "traveller"),
                    TRANSPORT: ("dates", "departure", "traveller")}
# who travels is the owner's decision: a conversation that only verified the phone's
# last 4 digits may change dates, room or departure, not the names
OWNER_ONLY_KINDS = ("traveller",)
KIND_RESPONSES = {"dates": "utter_change_kind_dates", "room": "utter_change_kind_room",
                  "departure": "utter_change_kind_departure", "traveller": "utter_change_kind_traveller"}
# What a kind's button says for the traveller: words KIND_WORDS above reads back.
KIND_PAYLOADS = {"dates": "改日期", "room": "改房型", "departure": "改车次/航班", "traveller": "改出行人姓名"}
SERVICE_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\d{1,4})(?![0-9])")


def kinds_text(domain: DomainDict, kinds: Sequence[str]) -> str:
    """The kinds of change on offer, as a list inside a sentence."""
    return joined(domain, (template(domain, KIND_RESPONSES[k]) for k in kinds))


def kind_in(tracker: Tracker) -> Optional[str]:
    text = REFERENCE_IN_TEXT.sub(" ", latest_text(tracker))  # "TD7F…" is not train D7
    for kind, pattern in KIND_WORDS:
        if pattern.search(text):
            return kind
    return "dates" if first_entity_value(tracker, "date") else None


def chosen_by_number(text: str, options: List[str]) -> Optional[str]:
    """"第二种" / "2" picks from the options just listed, in their order."""
    stripped = text.strip().rstrip("个种班。.")
    position = catalogue.ordinal_in(text) or (int(stripped) if stripped.isdigit() else None)
    return options[position - 1] if position and 0 < position <= len(options) else None


def room_options(booking: BookingView) -> List[str]:
    hotel = catalogue.catalogue().hotel(booking.product.code.split("/")[0])
    return [room.type for room in hotel.rooms] if hotel else []


def departure_options(booking: BookingView) -> List[str]:
    """Other services on the same route and mode, earliest first."""
    code = booking.product.code.split("/")[0]
    facade = catalogue.catalogue()
    current = facade.service(code)
    if current is None:
        return []
    same = facade.find_services(ServiceQuery(
        origin=current.origin, destination=current.destination, modes=(current.mode,),
        weekday=booking.start_date.isoweekday(), sort="depart", limit=1000))
    return [s.code for s in same if s.code != code]


def product_code_for(booking: BookingView, kind: str, value: str) -> Optional[str]:
    if kind == "room":
        return f"{booking.product.code.split('/')[0]}/{value}"
    if kind == "departure":
        service = catalogue.catalogue().service(value)
        if service is None:
            return None
        fares = [fare.name for fare in service.fares]
        fare = booking.product.variant if booking.product.variant in fares else fares[0]
        return f"{value}/{fare}"
    return None


def request_for(booking: BookingView, kind: str, value: Any) -> ChangeRequest:
    if kind == "dates":
        parts = [date.fromisoformat(p[:10]) for p in str(value).split("/")]
        end = parts[1] if len(parts) == 2 and parts[1] > parts[0] else None
        return ChangeRequest("dates", start=parts[0], end=end if booking.product.kind == HOTEL_ROOM else None)
    if kind == "traveller":
        return ChangeRequest("traveller", traveller_names=tuple(value))
    return ChangeRequest(kind, product_code=product_code_for(booking, kind, str(value)))


class ValidateChangeBookingForm(BookingFormValidation):
    product_talk_leaves = True
    flow_slots = ("change_kind", "change_value", "change_confirm")

    def name(self) -> Text:
        return "validate_change_booking_form"

    async def booking_fits(self, booking: BookingView, dispatcher: CollectingDispatcher,
                           tracker: Tracker) -> bool:
        if booking.status not in CANCELLABLE:
            dispatcher.utter_message(response="utter_cannot_change", reference=booking.reference,
                                     hotline=contacts.hotline())
            return False
        if booking.start_date < today():
            dispatcher.utter_message(response="utter_cannot_change_started",
                                     reference=booking.reference, hotline=contacts.hotline())
            return False
        return True

    async def extract_change_kind(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        kind = kind_in(tracker)
        if kind and kind != tracker.get_slot("change_kind"):
            return {"change_kind": kind}
        return {}

    async def validate_change_kind(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        booking = await self._booking(tracker)
        if booking is None:
            return {"change_kind": value}
        allowed = KINDS_BY_PRODUCT[booking.product.kind]
        if value not in allowed:
            dispatcher.utter_message(response="utter_change_kind_not_possible",
                                     kinds=kinds_text(domain, allowed))
            return {"change_kind": None}
        if value in OWNER_ONLY_KINDS and not await self._by_owner(tracker, booking):
            dispatcher.utter_message(response="utter_rename_needs_owner", reference=booking.reference,
                                     hotline=contacts.hotline())
            return {"change_kind": None}
        keep = tracker.get_slot("change_value") if tracker.get_slot("change_kind") == value else None
        return {"change_kind": value, "change_value": keep, "change_confirm": None,
                "change_quote": None}

    async def extract_change_value(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        kind = tracker.get_slot("change_kind")
        booking = await self._booking(tracker) if kind else None
        if booking is None:
            return {}
        value = self._value_in(tracker, kind, booking)
        if value is not None and value != tracker.get_slot("change_value"):
            return {"change_value": value}
        return {}

    @staticmethod
    def _value_in(tracker: Tracker, kind: str, booking: BookingView) -> Any:
        text = latest_text(tracker)
        if kind == "dates":
            return first_entity_value(tracker, "date")
        asked = tracker.get_slot("requested_slot") == "change_value"
        if kind == "room":
            options = [r for r in room_options(booking) if r != booking.product.variant]
            named = next((room for room in sorted(options, key=len, reverse=True) if room in text), None)
            return named or (chosen_by_number(text, options) if asked else None)
        if kind == "departure":
            options = departure_options(booking)
            named = next((code for code in SERVICE_CODE.findall(text.upper()) if code in options), None)
            return named or (chosen_by_number(text, options[:6]) if asked else None)
        if asked:
            names = names_in(text)
            return list(names) if names else None
        return None

    async def validate_change_value(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """Check the new value against the policy and the inventory before quoting."""
        booking = await self._booking(tracker)
        kind = tracker.get_slot("change_kind")
        if booking is None or kind is None:
            return {"change_value": None}
        if kind == "dates" and date.fromisoformat(str(value)[:10]) < today():
            dispatcher.utter_message(response="utter_date_in_past_change")
            return {"change_value": None}
        if kind == "traveller" and booking.product.kind != HOTEL_ROOM and len(value) != len(booking.travellers):
            dispatcher.utter_message(response="utter_names_count", count=len(booking.travellers))
            return {"change_value": None}
        try:
            request = request_for(booking, kind, value)
            quote = await STORE.quote_change(booking, request)
            if kind != "traveller" and not await self._available(booking, request):
                dispatcher.utter_message(response="utter_change_sold_out")
                return {"change_value": None}
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return {"change_value": None, "requested_slot": None, "flow_stopped": True}
        except (InvalidRequest, UnknownProduct):
            dispatcher.utter_message(response="utter_change_invalid")
            return {"change_value": None}
        if not quote.allowed:
            dispatcher.utter_message(response="utter_change_not_allowed", hotline=contacts.hotline())
            return {"change_value": None, "change_kind": None}
        return {"change_value": value, "change_confirm": None, "change_quote": None}

    @staticmethod
    async def _available(booking: BookingView, request: ChangeRequest) -> bool:
        code = request.product_code or booking.product.code
        start, end = changed_span(booking.product.kind, booking.product.duration_days,
                                  booking.start_date, booking.end_date, request)
        dates: Any = (start, end) if booking.product.kind == HOTEL_ROOM else start
        return await STORE.available(code, dates) >= booking.quantity

    async def extract_change_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "change_confirm":
            return {}
        if said_yes(tracker, "change"):
            return {"change_confirm": True}
        return {"change_confirm": False} if said_no(tracker, "change") else {}

    async def validate_change_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        async def fresh_quote() -> Optional[rules.Quote]:
            booking = await self._booking(tracker)
            if booking is None:
                return None
            request = request_for(booking, tracker.get_slot("change_kind"), tracker.get_slot("change_value"))
            return await STORE.quote_change(booking, request)

        if value is False:
            return stopped_at_confirmation(dispatcher, "utter_change_stopped", "change_confirm")
        return await confirm_if_still_quoted(value, dispatcher, tracker, "change_confirm",
                                             "change_quote", fresh_quote)

    @staticmethod
    async def _by_owner(tracker: Tracker, booking: BookingView) -> bool:
        try:
            return await STORE.is_owner(tracker, booking)
        except StoreUnavailable:
            return False

    @staticmethod
    async def _booking(tracker: Tracker) -> Optional[BookingView]:
        try:
            return await STORE.accessible(tracker, tracker.get_slot("order_ref"))
        except StoreUnavailable:
            return None


class ActionAskChangeKind(Action):
    def name(self) -> Text:
        return "action_ask_change_kind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        booking = await ValidateChangeBookingForm._booking(tracker)
        kinds = KINDS_BY_PRODUCT[booking.product.kind] if booking else ("dates", "traveller")
        if booking and not await ValidateChangeBookingForm._by_owner(tracker, booking):
            kinds = tuple(k for k in kinds if k not in OWNER_ONLY_KINDS)
        buttons = [{"title": template(domain, "utter_button_change_kind", kind=template(domain, KIND_RESPONSES[k])),
                    "payload": KIND_PAYLOADS[k]} for k in kinds]
        dispatcher.utter_message(response="utter_ask_change_kind", kinds=kinds_text(domain, kinds),
                                 buttons=buttons)
        return []


class ActionAskChangeValue(Action):
    """Asks for the new value, listing the options where there are few."""

    def name(self) -> Text:
        return "action_ask_change_value"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        kind = tracker.get_slot("change_kind")
        booking = await ValidateChangeBookingForm._booking(tracker)
        if booking is None:
            dispatcher.utter_message(response="utter_need_verification")
            return []
        if kind == "room":
            options = [r for r in room_options(booking) if r != booking.product.variant]
            dispatcher.utter_message(response="utter_ask_new_room", options=joined(domain, options),
                                     buttons=[{"title": r, "payload": f"换成{r}"} for r in options])
        elif kind == "departure":
            options = departure_options(booking)
            if not options:
                dispatcher.utter_message(response="utter_no_other_departure")
                return [SlotSet("change_kind", None)]
            lines = joined(domain, (self._service_line(domain, code) for code in options[:6]))
            dispatcher.utter_message(response="utter_ask_new_departure", options=lines,
                                     buttons=[{"title": c, "payload": f"换成{c}"} for c in options[:6]])
        elif kind == "traveller":
            dispatcher.utter_message(response="utter_ask_new_names", count=len(booking.travellers))
        else:
            dispatcher.utter_message(response="utter_ask_new_date", current=when_text(domain, booking))
        return []

    @staticmethod
    def _service_line(domain: DomainDict, code: str) -> str:
        service = catalogue.catalogue().service(code)
        if service is None:
            return ""
        response = "utter_service_takes_off" if service.mode == "flight" else "utter_service_departs"
        return template(domain, response, code=code, time=service.depart)


class ActionAskChangeConfirm(Action):
    """Shows the fee and price difference the policy gives, and asks for a yes."""

    def name(self) -> Text:
        return "action_ask_change_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        kind, value = tracker.get_slot("change_kind"), tracker.get_slot("change_value")
        try:
            booking = await STORE.accessible(tracker, tracker.get_slot("order_ref"))
            if booking is None:
                dispatcher.utter_message(response="utter_need_verification")
                return []
            quote = await STORE.quote_change(booking, request_for(booking, kind, value))
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return []
        except (BookingError, ValueError):
            dispatcher.utter_message(response="utter_change_invalid")
            return [SlotSet("change_value", None)]
        dispatcher.utter_message(response="utter_change_quote",
                                 reference=booking.reference, what=self._describe(domain, kind, value),
                                 fee=yuan(quote.fee_fen), difference=self._difference(domain, quote),
                                 payable=yuan(quote.payable_fen))
        return [SlotSet("change_quote", quote_to_slot(quote))]

    @staticmethod
    def _describe(domain: DomainDict, kind: str, value: Any) -> str:
        if kind == "dates":
            parts = [date.fromisoformat(p[:10]) for p in str(value).split("/")]
            return template(domain, "utter_change_what_dates",
                            dates="–".join(short_day_text(domain, d) for d in parts))
        if kind == "traveller":
            return template(domain, "utter_change_what_traveller", names=joined(domain, value))
        return template(domain, "utter_change_what", kind=template(domain, KIND_RESPONSES[kind]), value=value)

    @staticmethod
    def _difference(domain: DomainDict, quote: rules.Quote) -> str:
        if quote.difference_fen > 0:
            return template(domain, "utter_difference_due", amount=yuan(quote.difference_fen))
        if quote.difference_fen < 0:
            return template(domain, "utter_difference_back", amount=yuan(-quote.difference_fen))
        return template(domain, "utter_difference_none")


class ActionChangeBooking(Action):
    """Applies the confirmed change; checks the confirmation and the quote again itself."""

    def name(self) -> Text:
        return "action_change_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        shown = tracker.get_slot("change_quote")
        if tracker.get_slot("flow_stopped") or tracker.get_slot("change_confirm") is not True or not shown:
            elsewhere = await served_elsewhere(dispatcher, tracker, domain) if tracker.get_slot("flow_stopped") else None
            return [*reset(*FLOW_SLOTS, "flow_stopped"), *(elsewhere or [])]
        kind, value = tracker.get_slot("change_kind"), tracker.get_slot("change_value")
        try:
            booking = await self._booking_for(tracker, kind, dispatcher)
            if booking is None:
                return reset(*FLOW_SLOTS)
            key = confirmation_key("change", tracker.sender_id, {**quote_terms(shown), "kind": kind, "value": value})
            result = await STORE.change(booking, request_for(booking, kind, value), quote_from_slot(shown), key,
                                        conversation_id=tracker.sender_id)
        except StoreUnavailable:
            say_store_unavailable(dispatcher)
            return reset(*FLOW_SLOTS)
        except OutcomeUnknown:
            say_still_processing(dispatcher)
            return reset(*FLOW_SLOTS)
        except QuoteChanged:
            dispatcher.utter_message(response="utter_quote_changed")
            return [*reset("change_confirm", "change_quote"), FollowupAction("change_booking_form")]
        except SoldOut:
            dispatcher.utter_message(response="utter_change_sold_out")
            return reset(*FLOW_SLOTS)
        except (NotChangeable, InvalidRequest):
            dispatcher.utter_message(response="utter_change_invalid")
            return reset(*FLOW_SLOTS)
        dispatcher.utter_message(response="utter_change_done", reference=result.reference,
                                 product=result.booking.product.name, when=when_text(domain, result.booking),
                                 travellers=joined(domain, result.booking.travellers))
        if result.payable_fen:
            dispatcher.utter_message(response="utter_payment_pending", amount=yuan(result.payable_fen),
                                     link=payment_settings().link_for(result.reference))
        elif result.refund_fen:
            dispatcher.utter_message(response="utter_change_refund", amount=yuan(result.refund_fen))
        return reset(*FLOW_SLOTS)

    @staticmethod
    async def _booking_for(tracker: Tracker, kind: str,
                           dispatcher: CollectingDispatcher) -> Optional[BookingView]:
        """The booking if this caller may make this change, else why not (said)."""
        reference = tracker.get_slot("order_ref")
        booking = await STORE.accessible(tracker, reference)
        if booking is None:
            dispatcher.utter_message(response="utter_need_verification")
            return None
        if kind in OWNER_ONLY_KINDS and not await STORE.is_owner(tracker, booking):
            dispatcher.utter_message(response="utter_rename_needs_owner", reference=booking.reference,
                                     hotline=contacts.hotline())
            return None
        return booking
