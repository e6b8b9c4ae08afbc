"""At the booking summary a correction ("等一下，入住改成18号吧", "座位换成一等座") updates
that term and shows the summary again; only a real no ("不订了", "算了", "先不要了")
stops. Runs the booking form's validator against the real catalogue and a seeded
SQLite store."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.book import ValidateBookForm
from actions.confirmation import confirmation_answer
from bot.nlu.dates import business_now
from tests.helpers import make_tracker, run_action, slots_after


def in_days(days: int) -> date:
    return business_now().date() + timedelta(days=days)


def confirming(**changes: Any) -> Dict[str, Any]:
    """A train booking waiting for its yes, with the summary on screen."""
    slots: Dict[str, Any] = {"book_product": "G7", "book_variant": "二等座", "book_date": in_days(7).isoformat(),
                             "book_people": 2.0, "guest_names": ["林志远", "孙倩"], "contact_phone": "13852203916",
                             "book_quote": {"total_fen": 110600}, "requested_slot": "book_confirm"}
    slots.update(changes)
    return slots


async def at_summary(text: str, intent: str, domain: Dict[str, Any], **changes: Any):
    built = make_tracker(text, intent, slots=confirming(**changes))
    built.sender_id = "new-traveller"
    return await run_action(ValidateBookForm(), built, domain)


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


@pytest.mark.parametrize("said", [
    "等一下，刚收到通知展会推迟一天了，改成{day}吧",
    "啊等等，我想起来那天要去看朋友，日期改成{day}好了。另外小孩不是算儿童价吗？",
    "哎等等，我想了想还是改到{day}出发吧",
    "不是不订喔，是要改成{day}出发",
    "我没说不订，只是日期换成{day}",
])
async def test_a_new_day_at_the_summary_corrects_the_date_and_shows_the_summary_again(store, domain_dict, said):
    day = in_days(9)
    names, after, _ = await at_summary(said.format(day=month_day(day)), "change_booking", domain_dict)
    assert "utter_book_stopped" not in names and not after.get("flow_stopped")
    assert after["book_date"] == day.isoformat()
    assert after["book_quote"] is None and after["requested_slot"] == "book_confirm"


async def test_another_class_at_the_summary_after_a_wait_corrects_the_fare(store, domain_dict):
    names, after, _ = await at_summary("等一下，公司说只能报一等座，麻烦把座位改成一等座", "faq", domain_dict)
    assert "utter_book_stopped" not in names and not after.get("flow_stopped")
    assert after["book_variant"] == "一等座" and after["book_quote"] is None


async def test_a_correction_to_the_value_already_taken_shows_the_summary_again(store, domain_dict):
    """"座席改成二等座" once 二等座 is on the summary: the summary again, not the hint that
    nothing was understood (the form would be rejected and the hint rule would answer)."""
    built = make_tracker("座席改成二等座", "change_booking", slots=confirming())
    dispatcher = CollectingDispatcher()
    events = await ValidateBookForm().run(dispatcher, built, domain_dict)
    assert any(e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events)
    after = slots_after(events, confirming())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_book_already_so"]
    assert not after.get("flow_stopped")
    assert after["book_variant"] == "二等座" and after["requested_slot"] == "book_confirm"


async def test_the_same_value_while_the_phone_is_asked_keeps_the_form(store, domain_dict):
    """Rasa rejects a form whose validator sets no slot but the question; the validator
    must set one so the form goes on instead of the hint rule answering."""
    built = make_tracker("座位改成二等座", "change_booking",
                         slots=confirming(contact_phone=None, book_quote=None, requested_slot="contact_phone"))
    dispatcher = CollectingDispatcher()
    events = await ValidateBookForm().run(dispatcher, built, domain_dict)
    assert any(e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_book_already_so"]
    assert slots_after(events)["requested_slot"] == "contact_phone"


@pytest.mark.parametrize("said", ["先不订了", "算了，不订了", "先不要了，谢谢", "等下我再想想", "算了，改天再说吧"])
async def test_a_real_no_at_the_summary_still_stops(store, domain_dict, said):
    names, after, _ = await at_summary(said, "inform", domain_dict)
    assert names == ["utter_book_stopped"] and after["flow_stopped"] is True


@pytest.mark.parametrize("text,intent,action,answer", [
    ("确认改成后天", "change_booking", "change", True),
    ("是的，就改成二等座", "affirm", "change", True),
    ("不取消了，改成后天吧", "cancel_booking", "cancel", False),
    ("算了，改成下次再说", "deny", "book", False),
    ("等一下，改成后天", "change_booking", "book", None),
    ("不是不订，是要换成双床房", "change_booking", "book", None),
])
def test_a_correction_is_neither_a_yes_nor_a_no(text: str, intent: str, action: str, answer: Any):
    assert confirmation_answer(make_tracker(text, intent), action) is answer
