"""A message the classifier filed under an order flow (改, 订, 几多 read as order talk) but
that asks about a product or wants a new booking, from a traveller without bookings and
without an order reference, is served by the search or the booking form instead of an
order-number prompt. Real order talk, or any traveller with bookings, keeps the order
flows. Runs the validators and submit actions against a real, seeded SQLite store."""
from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel_booking import ValidateCancelBookingForm
from actions.change_booking import ActionChangeBooking, ValidateChangeBookingForm
from actions.check_booking import ActionCheckBooking, ValidateCheckBookingForm
from bot.catalogue.queries import catalogue
from tests.helpers import make_tracker, rendered, run_action, seeded_store, slots_after

NEW = "rest:someone-new"
ZHANG = "rest:demo-zhang"
VALIDATORS = [ValidateCheckBookingForm(), ValidateChangeBookingForm(), ValidateCancelBookingForm()]
PRODUCT_TALK = [
    ("那我改哪天去比较好？学生票多少钱？", "change_booking"),
    ("全程要幾多分鐘？", "cancel_booking"),
    ("那我要怎么订呢？", "check_booking"),
    ("我还没下单呢。帮我预订上海人民广场悦途酒店，双床房，12月18日入住", "check_booking"),
    ("啊？我没说不订，只是要改日期。那重新订吧：人民广场悦途酒店双床房，住两晚", "change_booking"),
    ("我没订单。我是问故宫学生票多少钱", "check_booking"),
]
ORDER_TALK = [("我的订单", "check_booking"), ("我想改签", "change_booking"),
              ("我要改一下订单的日期", "change_booking"), ("帮我取消订单", "cancel_booking")]


@pytest.fixture
def store(tmp_path, monkeypatch):
    built = seeded_store(tmp_path, monkeypatch)
    yield built
    built.close()


async def events_of(validator: Any, built: Any, domain: Any) -> Dict[str, Any]:
    """The slots the validator returns to Rasa (the tracker's own dict is not sent back)."""
    before = dict(built.slots)
    dispatcher = CollectingDispatcher()
    events = await validator.run(dispatcher, built, domain)
    assert dispatcher.messages == []
    return slots_after(events, before)


def said(text: str, intent: str, sender: str, **slots: Any):
    built = make_tracker(text, intent, slots=slots)
    built.sender_id = sender
    return built


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.name())
@pytest.mark.parametrize("text,intent", PRODUCT_TALK)
async def test_product_talk_from_a_traveller_without_bookings_asks_no_order_number(store, domain_dict, validator,
                                                                                    text, intent):
    slots = await events_of(validator, said(text, intent, NEW), domain_dict)
    assert slots["requested_slot"] is None and slots["flow_stopped"] is True


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.name())
async def test_product_talk_while_the_order_number_is_asked_leaves_the_order_flow(store, domain_dict, validator):
    built = said("我没订单。我是问故宫学生票多少钱", "search_tour", NEW, requested_slot="order_ref")
    slots = await events_of(validator, built, domain_dict)
    assert slots["requested_slot"] is None and slots["flow_stopped"] is True


@pytest.mark.parametrize("text,intent", ORDER_TALK)
async def test_order_talk_from_a_traveller_without_bookings_still_asks_for_the_order(store, domain_dict,
                                                                                      text, intent):
    validator = {"check_booking": ValidateCheckBookingForm(), "change_booking": ValidateChangeBookingForm(),
                 "cancel_booking": ValidateCancelBookingForm()}[intent]
    _, slots, _ = await run_action(validator, said(text, intent, NEW), domain_dict)
    assert slots["requested_slot"] == "order_ref" and not slots.get("flow_stopped")


async def test_a_traveller_with_bookings_keeps_the_order_flow(store, domain_dict):
    _, slots, _ = await run_action(ValidateChangeBookingForm(), said("那我改哪天去比较好？", "change_booking", ZHANG),
                                   domain_dict)
    assert not slots.get("flow_stopped") and slots["requested_slot"] is not None


async def test_an_order_reference_keeps_the_order_flow(store, domain_dict):
    _, slots, _ = await run_action(ValidateCheckBookingForm(),
                                   said("帮我查下TD2H8KQ4MZ这个酒店订单多少钱", "check_booking", NEW), domain_dict)
    assert slots["order_ref"] == "TD2H8KQ4MZ" and not slots.get("flow_stopped")


async def test_a_question_about_a_sight_is_answered_from_the_catalogue(store, domain_dict):
    sight = catalogue().landmark("故宫")
    built = said("我没订单。我是问故宫门票多少钱", "check_booking", NEW, flow_stopped=True)
    dispatcher = CollectingDispatcher()
    events = await ActionCheckBooking().run(dispatcher, built, domain_dict)
    reply = "\n".join(rendered(dispatcher, domain_dict))
    assert all(str(int(price)) in reply for _, price in sight.tickets) and "订单号" not in reply
    assert slots_after(events)["flow_stopped"] is None


@pytest.mark.parametrize("action", [ActionCheckBooking(), ActionChangeBooking()], ids=lambda a: a.name())
async def test_a_wish_to_book_starts_the_booking_form(store, domain_dict, action):
    built = said("那重新订吧：人民广场悦途酒店双床房，12月18号入住，住两晚", "change_booking", NEW, flow_stopped=True)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, built, domain_dict)
    assert FollowupAction("book_form") in events and dispatcher.messages == []


async def test_the_order_flow_stopped_for_another_reason_says_nothing_more(store, domain_dict):
    """A digression already answered (an FAQ) is not answered twice by a search."""
    built = said("故宫门票多少钱", "faq", NEW, flow_stopped=True)
    built.events.append({"event": "bot", "text": "..."})
    dispatcher = CollectingDispatcher()
    events = await ActionCheckBooking().run(dispatcher, built, domain_dict)
    assert dispatcher.messages == [] and not any(e.get("event") == "followup" for e in events)


async def test_payment_questions_keep_their_own_flow(store, domain_dict):
    """Only the flows the classifier confuses with product talk let it go elsewhere."""
    from actions.payment import ValidatePaymentForm

    _, slots, _ = await run_action(ValidatePaymentForm(), said("酒店订好了但是付款失败怎么办", "payment_issue", NEW),
                                   domain_dict)
    assert not slots.get("flow_stopped")


@pytest.mark.parametrize("text", ["入住日期改成18号", "还是换成G14那趟吧", "不好意思，日期改成下週四"])
async def test_a_correction_after_a_list_is_about_the_list_not_an_order(store, domain_dict, text):
    built = said(text, "change_booking", NEW, search_shown=["G7", "G1"], search_type="ticket")
    slots = await events_of(ValidateChangeBookingForm(), built, domain_dict)
    assert slots["flow_stopped"] is True and slots["requested_slot"] is None


async def test_a_correction_after_a_list_from_a_traveller_with_bookings_keeps_the_order_flow(store, domain_dict):
    built = said("日期改成18号", "change_booking", ZHANG, search_shown=["G7"])
    _, slots, _ = await run_action(ValidateChangeBookingForm(), built, domain_dict)
    assert not slots.get("flow_stopped")
