"""Colloquial answers at a confirmation (actions/confirmation.py): yes moves money, a no
or a not-now stops the flow with nothing done, anything else (a question, thanks) is no
answer at all. Measured on answers written here, not taken from the training data."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from actions.book import ValidateBookForm
from actions.cancel_booking import ValidateCancelBookingForm
from actions.confirmation import REAL_NO, confirmation_answer, gives_up
from tests.helpers import make_tracker, run_action, seeded_store


@pytest.mark.parametrize("text,intent,action,answer", [
    # yes
    ("确认，取消吧", "cancel_booking", "cancel", True),
    ("确认取消", "cancel_booking", "cancel", True),
    ("对，帮我取消", "cancel_booking", "cancel", True),
    ("嗯嗯对的", "affirm", "book", True),
    ("可以的，就这样", "affirm", "book", True),
    ("没问题，订吧", "book", "book", True),
    ("好的确认预订", "affirm", "book", True),
    ("是的，改吧", "change_booking", "change", True),
    ("OK", "affirm", "book", True),
    # no
    ("不不不，别取消", "cancel_booking", "cancel", False),
    ("不不不，别取消！我是问能不能延长保留时间", "faq", "cancel", False),
    ("不取消了", "cancel_booking", "cancel", False),
    ("取消吧，不订了", "cancel_booking", "book", False),
    ("算了", "deny", "book", False),
    ("不对", "inform", "book", False),
    ("不用改了", "change_booking", "change", False),
    # not now
    ("先别", "inform", "cancel", False),
    ("等下我再想想", "inform", "book", False),
    ("我考虑一下", "inform", "change", False),
    # no answer
    ("退款多久到账？", "refund_status", "cancel", None),
    ("是不是要付手续费", "faq", "cancel", None),
    ("好的，谢谢，再见", "goodbye", "book", None),
    ("OK了，多谢", "thank", "book", None),
    ("张伟", "inform", "book", None),
    ("不对，是后天", "inform", "book", None),
    ("不是3间，是1间", "inform", "book", None),
    # simulated travellers, round 3: a sum checked before the yes, a wrong day corrected
    ("我算了一下428×3加288×2是1860，对得上，确认预订", "check_booking", "book", True),
    ("日期不对，我们是下周二12月8号出发，不是周一", "inform", "book", None),
])
def test_colloquial_answers_at_a_confirmation(text: str, intent: str, action: str, answer: Any):
    assert confirmation_answer(make_tracker(text, intent), action) is answer


@pytest.fixture
def store(tmp_path, monkeypatch):
    built = seeded_store(tmp_path, monkeypatch)
    yield built
    built.close()


async def test_a_colloquial_no_at_the_cancel_quote_stops_and_cancels_nothing(store, domain_dict):
    slots: Dict[str, Any] = {"order_ref": "TD2H8KQ4MZ", "order_verified": True,
                             "cancel_quote": {"id": "q"}, "requested_slot": "cancel_confirm"}
    built = make_tracker("不不不，别取消！我是问能不能延长保留时间", "faq", slots=slots)
    built.sender_id = "rest:demo-zhang"
    names, after, _ = await run_action(ValidateCancelBookingForm(), built, domain_dict)
    assert names == ["utter_cancel_stopped"]
    assert after["requested_slot"] is None and after["flow_stopped"] is True and not after.get("cancel_confirm")


async def test_not_now_at_the_booking_summary_stops_with_nothing_booked(store, domain_dict):
    slots = {"book_product": "G7", "book_variant": "二等座", "book_date": "2099-01-01", "book_people": 1.0,
             "guest_names": ["王芳"], "contact_phone": "13700137003", "book_quote": {"total_fen": 1},
             "requested_slot": "book_confirm"}
    names, after, _ = await run_action(ValidateBookForm(), make_tracker("等下我再想想", "inform", slots=slots),
                                       domain_dict)
    assert names == ["utter_book_stopped"] and after["flow_stopped"] is True


@pytest.mark.parametrize("text,gave_up", [
    ("算了", True), ("不要了", True), ("不订了", True), ("先不弄了", True), ("不退了", True), ("还是算了吧", True),
    ("算了，先不订了，我再想想", True), ("太贵了，不要了", True), ("算了，还是不订了", True),
    ("算了，改成3个人", False), ("算了，还是两个人吧", False), ("算了，帮我查一下订单", False),
    ("不要了的话能退吗", False), ("我没说不订", False), ("张伟、刘芳", False), ("取消吧", False),
])
def test_giving_up_the_flow_at_any_step(text: str, gave_up: bool):
    assert gives_up(text) is gave_up


def test_cancelling_gives_up_only_where_the_words_say_so():
    assert gives_up("取消预订", REAL_NO) and not gives_up("取消预订")


@pytest.mark.parametrize("text, gave_up", [("我算了一下，总价对得上", False), ("算了下价格，没问题", False),
                                           ("算了，不订了", True)])
def test_reckoning_is_not_giving_up(text: str, gave_up: bool):
    assert gives_up(text) is gave_up
