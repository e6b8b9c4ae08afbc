"""actions/check_booking.py against the real knowledge base and a real, seeded SQLite store:
the list and the detail state each booking's reference, product, dates, status and money."""
from __future__ import annotations

from typing import Dict, List

import pytest

from actions.check_booking import ActionCheckBooking
from bot.booking.store import BookingStore
from tests.helpers import run_action, seeded_store, traveller

ZHANG = "rest:demo-zhang"
LI = "rest:demo-li"  # TD4KM8YW2N: a ¥298 tour, unpaid


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


def day(value) -> str:
    return f"{value.month}月{value.day}日"


async def check(domain: Dict, sender: str, **slots: object) -> tuple:
    names, _, texts = await run_action(ActionCheckBooking(), traveller("我的订单", "check_booking", sender, **slots),
                                       domain)
    return names, texts


def line_of(text: str, reference: str) -> List[str]:
    [line] = [line for line in text.splitlines() if line.startswith(reference)]
    return line.split("｜")


async def test_the_list_states_each_bookings_dates_and_status(store, domain_dict):
    zhang = store.customer_for("rest", ZHANG)
    names, texts = await check(domain_dict, ZHANG)
    assert names == ["utter_booking_list"]
    stay = store.find("TD2H8KQ4MZ", zhang)
    _, product, when, status = line_of(texts[0], "TD2H8KQ4MZ")
    assert product == stay.product.name and status == "已确认"
    assert when.startswith(day(stay.start_date)) and f"{day(stay.end_date)}" in when and when.endswith("共2晚")
    train = store.find("TD5NX7RB3C", zhang)
    _, _, when, _ = line_of(texts[0], "TD5NX7RB3C")
    assert when.startswith(day(train.start_date)) and f"{train.product.departs_at}出发" in when
    assert line_of(texts[0], "TD9WJE6TPL")[3] == "已完成"  # the past stay, completed on asking


async def test_the_detail_of_an_unpaid_tour_says_what_is_due_and_where_to_pay(store, domain_dict):
    names, texts = await check(domain_dict, LI, order_ref="TD4KM8YW2N")
    assert names == ["utter_booking_detail", "utter_payment_pending"]
    assert "状态：待支付" in texts[0] and "出发，1天" in texts[0] and "出行人：李娜" in texts[0]
    assert "订单金额：298元（已付 0元）" in texts[0] and "139********" in texts[0]
    assert "待支付 298元" in texts[1] and "TD4KM8YW2N" in texts[1]


async def test_someone_elses_booking_needs_verification(store, domain_dict):
    names, texts = await check(domain_dict, LI, order_ref="TD2H8KQ4MZ")
    assert names == ["utter_need_verification"] and "张伟" not in "".join(texts)


async def test_a_customer_without_bookings_is_offered_the_hotline(store, domain_dict):
    names, texts = await check(domain_dict, "rest:someone-new")
    assert names == ["utter_no_bookings"] and "400-820-6688" in texts[0]


async def test_a_cancelled_booking_shows_what_was_paid_and_what_is_coming_back(store, domain_dict):
    """After a cancellation with a fee the traveller sees the whole amount paid and the
    refund, never the net figure the store sizes refunds from."""
    wang = store.customer_for("rest", "rest:demo-wang")
    flight = store.find("TD6RT9GC5X", wang)
    paid = sum(p.amount_fen for p in store.payments_for(flight) if p.status == "succeeded")
    result = store.cancel(flight, store.quote_cancellation(flight), "cancel-1")
    assert 0 < result.refund_fen < paid
    names, texts = await check(domain_dict, "rest:demo-wang", order_ref="TD6RT9GC5X")
    assert names[0] == "utter_booking_detail" and "状态：已取消" in texts[0]
    assert f"已付 {paid // 100}元" in texts[0]
    assert f"退款 {result.refund_fen // 100}元" in texts[0]
