"""No stale prompt: a form's question is not appended again once the traveller has
passed over it for something else (the order-number question not even once), and a
goodbye inside a form leaves it without a word. Runs the real validators and actions
against a seeded SQLite store."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.book import ValidateBookForm
from actions.change_booking import ValidateChangeBookingForm
from actions.check_booking import ValidateCheckBookingForm
from actions.forms import ActionLeaveForm
from actions.payment import ValidatePaymentForm
from actions.refund_status import ValidateRefundStatusForm
from tests.helpers import make_tracker, run_action


def asked(form: str, slot: str, times: int) -> List[Dict[str, Any]]:
    """The events of a form that has asked for ``slot`` in ``times`` turns, the traveller
    saying something else in between."""
    turn = [{"event": "slot", "name": "requested_slot", "value": slot}]
    something_else = {"event": "user", "text": "嗯", "parse_data": {"text": "嗯", "intent": {"name": "faq"}}}
    return [{"event": "active_loop", "name": form}, *turn, *[e for _ in range(times - 1) for e in (something_else, *turn)]]


def returning(form: str, slot: str, times: int, after: str, text: str = "退票手续费怎么算",
              intent: str = "faq", **slots: Any) -> Tracker:
    """The tracker a form's validator gets when the form resumes after ``after``."""
    built = make_tracker(text, intent, slots={"requested_slot": slot, **slots}, events=asked(form, slot, times))
    built.sender_id = "stranger-without-bookings"
    built.active_loop = {"name": form}
    built.latest_action_name = after
    return built


@pytest.mark.parametrize("validator,form", [
    (ValidateCheckBookingForm(), "check_booking_form"),
    (ValidateChangeBookingForm(), "change_booking_form"),
])
@pytest.mark.parametrize("after", ["action_answer_faq", "action_human_contact", "utter_goodbye", "action_search"])
async def test_the_order_number_question_is_not_appended_after_something_else(store, domain_dict, validator,
                                                                             form, after):
    names, slots, _ = await run_action(validator, returning(form, "order_ref", 1, after), domain_dict)
    assert names == []
    assert slots["requested_slot"] is None and slots["flow_stopped"] is True


def as_rasa_sends_it(built: Tracker, form: str) -> Tracker:
    """The tracker as Rasa hands it to the validator: the events end with the form's own
    run, after whatever answered the message, and latest_action_name is the form."""
    after = built.latest_action_name
    if after != "action_listen":
        built.events += [{"event": "action", "name": after}, {"event": "bot", "text": "..."}]
    built.events += [{"event": "slot", "name": "requested_slot", "value": built.slots["requested_slot"]},
                     {"event": "action", "name": form}]
    built.latest_action_name = form
    return built


async def test_a_question_asked_once_is_asked_again_after_an_faq_in_the_events_rasa_sends(store, domain_dict):
    """The form's own requested_slot and the one Rasa adds for the pending question are
    one ask, not three."""
    built = returning("book_form", "guest_names", 1, "action_answer_faq",
                      book_product="G7", book_variant="二等座", book_date="2099-01-01", book_people=1.0)
    built.events.insert(-1, {"event": "slot", "name": "requested_slot", "value": "guest_names"})
    _, slots, _ = await run_action(ValidateBookForm(), as_rasa_sends_it(built, "book_form"), domain_dict)
    assert slots["requested_slot"] == "guest_names" and not slots.get("flow_stopped")


@pytest.mark.parametrize("after,stops", [("action_answer_faq", True), ("action_listen", False)])
async def test_the_action_before_the_form_is_read_from_the_events_rasa_sends(store, domain_dict, after, stops):
    """Rasa names the form itself as the latest action; the FAQ answer before it still
    counts as passing over the order-number question."""
    text, intent = ("退票手续费怎么算", "faq") if stops else ("TD2H8KQ4MZ", "inform")
    built = as_rasa_sends_it(returning("check_booking_form", "order_ref", 1, after, text=text, intent=intent),
                             "check_booking_form")
    names, slots, _ = await run_action(ValidateCheckBookingForm(), built, domain_dict)
    assert bool(slots.get("flow_stopped")) is stops
    if stops:
        assert names == [] and slots["requested_slot"] is None
    else:
        assert slots["order_ref"] == "TD2H8KQ4MZ"


async def test_a_booking_question_is_asked_again_once_after_an_faq(store, domain_dict):
    built = returning("book_form", "book_product", 1, "action_answer_faq", search_shown=["H-SH-001"])
    _, slots, _ = await run_action(ValidateBookForm(), built, domain_dict)
    assert slots["requested_slot"] == "book_product" and not slots.get("flow_stopped")


async def test_a_booking_question_passed_over_twice_is_not_asked_a_third_time(store, domain_dict):
    built = returning("book_form", "book_product", 2, "action_human_contact")
    names, slots, _ = await run_action(ValidateBookForm(), built, domain_dict)
    assert names == [] and slots["requested_slot"] is None and slots["flow_stopped"] is True


@pytest.mark.parametrize("validator,form,slot,times", [
    (ValidatePaymentForm(), "payment_form", "order_ref", 1),
    (ValidateRefundStatusForm(), "refund_status_form", "order_ref", 1),
    (ValidateBookForm(), "book_form", "book_product", 2),
])
async def test_the_stop_reaches_the_submit_action_in_every_form(store, domain_dict, validator, form, slot, times):
    """rasa-sdk returns only a form's required slots: the stop decided while extracting was
    dropped for all but the order flows, and the payment or refund flow then answered."""
    events = await validator.run(CollectingDispatcher(), returning(form, slot, times, "action_answer_faq"),
                                 domain_dict)
    assert {"event": "slot", "name": "flow_stopped", "value": True, "timestamp": None} in events


async def test_an_answer_to_the_question_is_never_taken_for_leaving(store, domain_dict):
    built = returning("check_booking_form", "order_ref", 3, "action_listen", text="TD2H8KQ4MZ", intent="inform")
    _, slots, _ = await run_action(ValidateCheckBookingForm(), built, domain_dict)
    assert slots["order_ref"] == "TD2H8KQ4MZ" and not slots.get("flow_stopped")


async def test_a_goodbye_leaves_the_form_silently_and_forgets_its_answers(store, domain_dict):
    built = make_tracker("好的，谢谢，再见", "goodbye",
                         slots={"requested_slot": "guest_names", "book_product": "G7", "book_date": "2099-01-01"})
    built.active_loop = {"name": "book_form"}
    dispatcher_names, slots, _ = await run_action(ActionLeaveForm(), built, domain_dict)
    assert dispatcher_names == []
    assert slots["requested_slot"] is None and slots["book_product"] is None and slots["book_date"] is None


@pytest.mark.parametrize("after", ["action_handle_fallback", "utter_book_what_to_change"])
async def test_a_reply_not_understood_or_a_correction_hint_keeps_the_form(store, domain_dict, after):
    built = returning("book_form", "guest_names", 3, after, text="嗯？", intent="nlu_fallback",
                      book_product="G7", book_variant="二等座", book_date="2099-01-01", book_people=1.0)
    _, slots, _ = await run_action(ValidateBookForm(), built, domain_dict)
    assert slots["requested_slot"] == "guest_names" and not slots.get("flow_stopped")


async def test_a_traveller_without_bookings_is_told_so_before_being_asked_for_a_reference(store, domain_dict):
    from actions.forms import ActionAskOrderRef

    built = make_tracker("我现在名下有几个订单？", "check_booking")
    built.sender_id = "stranger-without-bookings"
    names, _, texts = await run_action(ActionAskOrderRef(), built, domain_dict)
    assert names == ["utter_ask_order_ref_no_bookings"] and "还没有查到订单" in texts[0]


async def test_an_owner_is_offered_their_bookings(store, domain_dict):
    from actions.forms import ActionAskOrderRef

    built = make_tracker("查订单", "check_booking")
    built.sender_id = "rest:demo-zhang"
    names, _, _ = await run_action(ActionAskOrderRef(), built, domain_dict)
    assert names == ["utter_ask_order_ref_own"]
