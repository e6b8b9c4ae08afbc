"""The last steps of a booking as travellers really answer them (simulation round 3):
a yes at the summary with a side question besides confirms the booking and serves the
question, whichever intent the classifier gave the message; names corrected with what
was wrong ("入住人少了三个，应该是……") are the names; a phone given after the names
keeps them; children named as a group ("还有两个孩子 张小明 张小红") are counted with the
party. Runs the form, the actions a rule may run instead of it, and the booking against
the real catalogue and a seeded SQLite store."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.book import ActionAskBookConfirm, ActionBook, ValidateBookForm
from actions.forms import ActionStopForm
from actions.names import names_in
from actions.search import ActionSearch
from tests.helpers import in_days, make_tracker, run_action, slots_after

SENDER = "summary-traveller"
HOTEL = "H-SH-004"  # 上海人民广场悦途酒店: 早餐 and 停车场 among its facilities (demo catalogue)
DISNEY = "T-SH-001"  # a tour with a child fare
NAMES = ["张伟", "李娜", "王芳", "赵磊", "刘洋"]


def hotel_booking(**changes: Any) -> Dict[str, Any]:
    """Two nights for five in three double rooms, every term given."""
    slots: Dict[str, Any] = {"book_product": HOTEL, "book_variant": "大床房", "book_date": in_days(9),
                             "book_nights": 2.0, "book_people": 5.0, "book_rooms": 3.0,
                             "guest_names": ["郭宇"], "contact_phone": "13911000009"}
    slots.update(changes)
    return slots


# The events before the traveller's answer when the form has just shown the summary.
SUMMARY_ASKED = [{"event": "active_loop", "name": "book_form"},
                 {"event": "slot", "name": "requested_slot", "value": "book_confirm"},
                 {"event": "action", "name": "action_ask_book_confirm"},
                 {"event": "action", "name": "action_listen"}]


async def on_screen(domain: Dict[str, Any], **changes: Any) -> Dict[str, Any]:
    """The slots with the summary shown and its yes awaited."""
    built = make_tracker("", "inform", slots=hotel_booking(**changes))
    built.sender_id = SENDER
    names, shown, _ = await run_action(ActionAskBookConfirm(), built, domain)
    assert names == ["utter_book_summary"]
    return {**shown, "requested_slot": "book_confirm"}


def answering(text: str, intent: str, slots: Dict[str, Any], events: Optional[List[Dict[str, Any]]] = None) -> Any:
    built = make_tracker(text, intent, slots=slots, events=SUMMARY_ASKED if events is None else events)
    built.sender_id = SENDER
    built.active_loop = {"name": "book_form"}
    return built


async def form_step(text: str, intent: str, domain: Dict[str, Any],
                    slots: Dict[str, Any]) -> Tuple[List[str], Dict[str, Any], List[str]]:
    return await run_action(ValidateBookForm(), answering(text, intent, slots), domain)


def booked(store: Any) -> List[Any]:
    return store.bookings_for(store.customer_for("rest", SENDER))


YES_AND_A_QUESTION = [
    ("确认。另外第二段长沙南到张家界西的高铁能一起订吗", None),
    ("好的没问题，顺便问下含早餐吗", "早餐"),
    ("可以 下单吧 对了停车收费吗", "停车"),
    ("确认预订，另外这家酒店几点可以入住？", "14:00"),
]


# --- 1. a yes with a side question confirms, whatever the classifier made of it ------------

@pytest.mark.parametrize("text,_fact", YES_AND_A_QUESTION)
@pytest.mark.parametrize("intent", ["affirm", "book", "faq"])
async def test_a_yes_with_a_side_question_confirms_in_the_form(store, domain_dict, text, _fact, intent):
    slots = await on_screen(domain_dict)
    names, after, _ = await form_step(text, intent, domain_dict, slots)
    assert after["book_confirm"] is True and not after.get("flow_stopped")
    assert "utter_book_stopped" not in names and after["requested_slot"] is None


@pytest.mark.parametrize("text,_fact", YES_AND_A_QUESTION)
@pytest.mark.parametrize("action,intent", [(ActionStopForm(), "deny"), (ActionStopForm(), "cancel_booking"),
                                           (ActionSearch(), "search_hotel"), (ActionSearch(), "search_ticket")])
async def test_a_yes_with_a_side_question_confirms_where_a_rule_took_it_elsewhere(
        store, domain_dict, text, _fact, action, intent):
    """The rules for a no, a cancellation or a search run their action instead of the form:
    the yes on the summary still books."""
    slots = await on_screen(domain_dict)
    dispatcher_names, after, _ = await run_action(action, answering(text, intent, slots), domain_dict)
    assert "utter_book_stopped" not in dispatcher_names and dispatcher_names == []
    assert after["book_confirm"] is True and after["book_quote"] == slots["book_quote"]
    assert after.get("guest_names") == slots["guest_names"]


@pytest.mark.parametrize("text,fact", YES_AND_A_QUESTION)
async def test_the_booking_is_made_and_the_side_question_served(store, domain_dict, text, fact):
    slots = {**await on_screen(domain_dict), "book_confirm": True, "requested_slot": None}
    names, _, texts = await run_action(ActionBook(), answering(text, "affirm", slots), domain_dict)
    assert names[0] == "utter_book_done" and len(booked(store)) == 1
    assert len(names) >= 2, "the side question was dropped"
    reply = "\n".join(texts[1:])
    if fact:
        assert fact in reply
    else:
        assert "第二段长沙南到张家界西的高铁" in reply


async def test_a_yes_after_the_traveller_left_the_summary_books_nothing(store, domain_dict):
    """A summary left on screen while the traveller went on to something else is not
    confirmed by a later "好的，顺便问下含早餐吗"."""
    slots = {**await on_screen(domain_dict), "requested_slot": None}
    left = [*SUMMARY_ASKED, {"event": "user", "text": "桂林有什么跟团游"},
            {"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None},
            {"event": "action", "name": "action_search"}, {"event": "action", "name": "action_listen"}]
    built = answering("好的没问题，顺便问下含早餐吗", "search_hotel", slots, events=left)
    _, after, _ = await run_action(ActionSearch(), built, domain_dict)
    assert not after.get("book_confirm")


@pytest.mark.parametrize("text,intent", [("不订了", "deny"), ("算了", "deny"), ("算了，先不订了", "inform"),
                                         ("先不要了，谢谢", "cancel_booking")])
async def test_a_plain_no_still_cancels(store, domain_dict, text, intent):
    slots = await on_screen(domain_dict)
    names, after, _ = await run_action(ActionStopForm(), answering(text, intent, slots), domain_dict)
    assert names == ["utter_book_stopped"] and after["book_quote"] is None
    names, after, _ = await form_step(text, intent, domain_dict, slots)
    assert after.get("book_confirm") is not True


@pytest.mark.parametrize("text", ["好的，不过入住改成{day}吧，含早餐吗", "可以，另外日期不对，是{day}，不是那天"])
async def test_a_correction_beside_a_yes_still_corrects(store, domain_dict, text):
    slots = await on_screen(domain_dict)
    day = in_days(12)
    said = text.format(day=f"{int(day[5:7])}月{int(day[8:10])}日")
    names, after, _ = await form_step(said, "change_booking", domain_dict, slots)
    assert after.get("book_confirm") is not True and after["book_date"] == day
    assert after["requested_slot"] == "book_confirm" and "utter_book_stopped" not in names


# --- 2. names corrected with what was wrong ------------------------------------------------

@pytest.mark.parametrize("text,names", [
    ("入住人少了三个，应该是张伟、李娜、王芳、赵磊、刘洋", NAMES),
    ("入住人少了三个，应该是郭宇、韩磊、林悦、宋佳四个人，麻烦改一下", ["郭宇", "韩磊", "林悦", "宋佳"]),
    ("入住人多了一个，是张伟、李娜", ["张伟", "李娜"]),
    ("名字写错了，应该是张伟、李娜、王芳", ["张伟", "李娜", "王芳"]),
    ("入住人不对，改成张伟和李娜", ["张伟", "李娜"]),
])
async def test_names_corrected_at_the_summary_are_the_names_said(store, domain_dict, text, names):
    slots = await on_screen(domain_dict)
    replies, after, _ = await form_step(text, "inform", domain_dict, slots)
    assert after["guest_names"] == names
    assert after["book_quote"] is None and after["requested_slot"] == "book_confirm"
    assert "utter_book_stopped" not in replies


@pytest.mark.parametrize("text,names", [("入住人係陳嘉欣、黃志偉", ["陈嘉欣", "黄志伟"]), ("乘客是孙建国", ["孙建国"])])
async def test_names_after_a_cantonese_is_are_the_names(store, domain_dict, text, names):
    slots = hotel_booking(guest_names=None, contact_phone=None, book_people=2.0, book_rooms=None,
                          requested_slot="guest_names")
    _, after, _ = await form_step(text, "inform", domain_dict, slots)
    assert after["guest_names"] == names


@pytest.mark.parametrize("text", ["少了三个", "多了一个", "写错了", "不对", "三个人", "漏了一个"])
def test_what_was_wrong_is_never_a_name(text):
    assert names_in(text) == ()
    assert names_in(f"入住人{text}") == ()


# --- 3. a phone after the names keeps them --------------------------------------------------

@pytest.mark.parametrize("text,phone", [("13911000009，联系人郭宇", "13911000009"),
                                        ("联系人郭宇，电话 +852 9123 4567", "+852 91234567"),
                                        ("手机13911000009", "13911000009")])
async def test_a_phone_at_the_phone_step_keeps_the_names(store, domain_dict, text, phone):
    four = ["郭宇", "韩磊", "林悦", "宋佳"]
    slots = hotel_booking(guest_names=four, contact_phone=None, book_people=4.0, book_rooms=2.0,
                          requested_slot="contact_phone")
    _, after, _ = await form_step(text, "inform", domain_dict, slots)
    assert after["guest_names"] == four and after["contact_phone"] == phone
    assert after["requested_slot"] == "book_confirm"


@pytest.mark.parametrize("text,phone", [("郭宇、韩磊、林悦、宋佳，手机13911000009", "13911000009"),
                                        ("郭宇、韩磊、林悦、宋佳 電話+852 9123 4567", "+852 91234567")])
async def test_names_and_a_phone_in_one_message_are_both_taken(store, domain_dict, text, phone):
    slots = hotel_booking(guest_names=None, contact_phone=None, book_people=4.0, book_rooms=2.0,
                          requested_slot="guest_names")
    _, after, _ = await form_step(text, "inform", domain_dict, slots)
    assert after["guest_names"] == ["郭宇", "韩磊", "林悦", "宋佳"] and after["contact_phone"] == phone


# --- 4. children named as a group ------------------------------------------------------------

@pytest.mark.parametrize("text,names", [
    ("张伟、李娜、王芳，还有两个孩子 张小明 张小红", ["张伟", "李娜", "王芳", "张小明", "张小红"]),
    ("何静、张伟、李秀英，还有两个孩子张子涵、张子萱", ["何静", "张伟", "李秀英", "张子涵", "张子萱"]),
])
@pytest.mark.parametrize("people,step", [(None, "book_people"), (None, "guest_names"), (3.0, "guest_names"),
                                         (5.0, "guest_names")])
async def test_children_named_as_a_group_are_counted_with_the_party(store, domain_dict, text, names, people, step):
    slots = {"book_product": DISNEY, "book_variant": "-", "book_date": in_days(10), "book_people": people,
             "requested_slot": step}
    replies, after, _ = await form_step(text, "inform", domain_dict, slots)
    assert after["guest_names"] == names
    assert after["book_people"] == 5 and after["book_children"] == 2
    assert "utter_book_children_need_adult" not in replies and after["requested_slot"] == "contact_phone"


@pytest.mark.parametrize("step", ["book_people", "guest_names"])
async def test_names_heard_as_a_search_go_back_to_the_booking(store, domain_dict, step):
    """The classifier hears "张伟、李娜、王芳，还有两个孩子 张小明 张小红" as a search; the
    rule for a search leaves the form, and the search gives the names back to it."""
    asked = [{"event": "active_loop", "name": "book_form"},
             {"event": "slot", "name": "requested_slot", "value": step},
             {"event": "action", "name": "action_listen"}]
    slots = {"book_product": DISNEY, "book_variant": "-", "book_date": in_days(10), "requested_slot": None}
    built = answering("张伟、李娜、王芳，还有两个孩子 张小明 张小红", "search_ticket", slots, events=asked)
    dispatcher = CollectingDispatcher()
    events = await ActionSearch().run(dispatcher, built, domain_dict)
    assert dispatcher.messages == []
    assert {"event": "followup", "name": "book_form"} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert slots_after(events)["requested_slot"] == step
