"""Book, pay, look up, quote and cancel: the whole life of a booking, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.booking.models import Booking
from bot.booking.store import InvalidRequest, SoldOut

from tests.booking.support import FIRST_DAY

PHONE = "13800138000"


def _reserved(store, code, day):
    from sqlalchemy import select

    from bot.booking.models import Inventory, Product

    with store.transaction() as session:
        return session.execute(
            select(Inventory.reserved).join(Product)
            .where(Product.code == code, Inventory.day == day)).scalar_one()


def test_hotel_booking_holds_each_night_and_cancel_releases_them(store):
    customer = store.customer_for("telegram", "42", display_name="张三")
    stay = (FIRST_DAY, FIRST_DAY + timedelta(days=2))
    booking = store.hold_and_book(customer, "H-TEST/大床房", stay, ["张三", "李四", "王五"],
                                  PHONE, "book-1", conversation_id="conv-1")

    assert booking.reference.startswith("TD") and booking.status == "pending_payment"
    assert (booking.quantity, booking.total_fen) == (2, 2 * 2 * 50000)  # 3 guests → 2 rooms, 2 nights
    assert [_reserved(store, "H-TEST/大床房", FIRST_DAY + timedelta(days=n)) for n in range(3)] == [2, 2, 0]

    paid = store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-1")
    assert (paid.status, paid.paid_fen) == ("confirmed", 200000)
    assert store.find(booking.reference.lower(), customer) == paid

    at = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=store.policy.timezone)
    quote = store.quote_cancellation(paid, at=at)
    assert (quote.fee_fen, quote.refund_fen, quote.rule) == (0, 200000, "hotel.refund.free")

    result = store.cancel(paid, quote, "cancel-1", at=at, conversation_id="conv-1")
    assert (result.refund_fen, result.refund_status) == (200000, "pending")
    assert store.find(booking.reference, customer).status == "cancelled"
    assert _reserved(store, "H-TEST/大床房", FIRST_DAY) == 0
    events = store.history(booking)
    assert [e.action for e in events] == ["booked", "paid", "cancelled"]
    assert events[0].conversation_id == "conv-1" and events[0].at.tzinfo is not None


def test_tour_refund_follows_the_tier_and_is_stored_with_the_policy_version(store):
    customer = store.customer_for("rest", "web-1")
    booking = store.hold_and_book(customer, "T-TEST", FIRST_DAY, ["甲", "乙"], PHONE, "tour-1")
    assert booking.end_date == FIRST_DAY + timedelta(days=2)
    booking = store.record_payment(booking, booking.total_fen, "alipay", "ali-1")
    at = datetime.combine(FIRST_DAY - timedelta(days=5), datetime.min.time(),
                          tzinfo=store.policy.timezone)
    quote = store.quote_cancellation(booking, at=at)
    result = store.cancel(booking, quote, "tour-cancel", at=at)
    assert (result.fee_fen, result.refund_fen) == (48000, 192000)  # 20% of 2 × 1200 元
    assert result.policy_version == store.policy.version == booking.policy_version
    assert store.refunds_for(booking) == [result]


def test_unpaid_booking_cancels_free(store):
    customer = store.customer_for("rest", "web-2")
    booking = store.hold_and_book(customer, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "train-1")
    quote = store.quote_cancellation(booking)
    assert (quote.fee_fen, quote.refund_fen, quote.rule) == (0, 0, "unpaid.free")
    assert store.cancel(booking, quote, "train-cancel").refund_status == "not_required"


def test_booking_more_than_is_left_is_sold_out_and_holds_nothing(store):
    customer = store.customer_for("rest", "web-3")
    stay = (FIRST_DAY, FIRST_DAY + timedelta(days=1))
    store.hold_and_book(customer, "H-TEST/大床房", stay, ["甲"], PHONE, "a", rooms=2)
    with pytest.raises(SoldOut) as raised:
        store.hold_and_book(customer, "H-TEST/大床房", stay, ["乙"], PHONE, "b", rooms=2)
    assert raised.value.day == FIRST_DAY
    assert _reserved(store, "H-TEST/大床房", FIRST_DAY) == 2
    assert store.count(Booking) == 1


def test_a_stay_past_the_last_day_on_sale_is_sold_out(store):
    customer = store.customer_for("rest", "web-4")
    last = FIRST_DAY + timedelta(days=29)
    with pytest.raises(SoldOut):
        store.hold_and_book(customer, "H-TEST/大床房", (last, last + timedelta(days=2)),
                            ["甲"], PHONE, "late")
    assert _reserved(store, "H-TEST/大床房", last) == 0


def test_the_same_confirmation_twice_books_once(store):
    customer = store.customer_for("rest", "web-5")
    first = store.hold_and_book(customer, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "same")
    again = store.hold_and_book(customer, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "same")
    assert first == again
    assert _reserved(store, "G1/二等座", FIRST_DAY) == 1


@pytest.mark.parametrize("dates, travellers, phone, message", [
    ((FIRST_DAY, FIRST_DAY), ["甲"], PHONE, "check-out"),
    ((FIRST_DAY, FIRST_DAY + timedelta(days=1)), [" "], PHONE, "traveller"),
    ((FIRST_DAY, FIRST_DAY + timedelta(days=1)), ["甲"], "12345", "mobile"),
])
def test_invalid_requests_say_what_is_wrong(store, dates, travellers, phone, message):
    customer = store.customer_for("rest", "web-6")
    with pytest.raises(InvalidRequest, match=message):
        store.hold_and_book(customer, "H-TEST/大床房", dates, travellers, phone, "bad")
