"""Children pay the child fare the catalogue gives, in the quote, the booking, a change and
a refund: a family of two adults and a child was charged three adult fares before."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.booking.models import BookingItem
from bot.booking.store import ChangeRequest, InvalidRequest, PriceChanged
from tests.booking.support import FIRST_DAY, add_product

PHONE = "13800138000"
ADULT, CHILD = 120000, 60000


@pytest.fixture
def family_tour(store):
    add_product(store, "T-FAMILY", "tour", ADULT, capacity=10, duration_days=2,
                child_price_fen=CHILD)
    return store


def test_quote_and_booking_charge_each_child_the_child_fare(family_tour):
    store = family_tour
    quote = store.quote_booking("T-FAMILY", FIRST_DAY, 3, children=1)
    assert quote.total_fen == 2 * ADULT + CHILD

    customer = store.customer_for("rest", "family-1")
    booking = store.hold_and_book(customer, "T-FAMILY", FIRST_DAY, ["王大", "李二", "王小宇"],
                                  PHONE, "family-1", children=1, expected_total_fen=quote.total_fen)
    assert (booking.quantity, booking.children, booking.total_fen) == (3, 1, 2 * ADULT + CHILD)
    with store.transaction() as session:
        item = session.execute(select(BookingItem)).scalar_one()
        assert (item.quantity, item.children, item.unit_price_fen, item.child_unit_price_fen,
                item.amount_fen) == (3, 1, ADULT, CHILD, 2 * ADULT + CHILD)


def test_a_contact_booking_for_the_party_counts_children_among_its_places(family_tour):
    store = family_tour
    customer = store.customer_for("rest", "family-2")
    booking = store.hold_and_book(customer, "T-FAMILY", FIRST_DAY, ["孙悦"], PHONE, "family-2",
                                  rooms=4, children=2)
    assert (booking.quantity, booking.total_fen) == (4, 2 * ADULT + 2 * CHILD)


def test_a_total_confirmed_at_adult_prices_is_refused_rather_than_charged(family_tour):
    store = family_tour
    customer = store.customer_for("rest", "family-3")
    with pytest.raises(PriceChanged) as raised:
        store.hold_and_book(customer, "T-FAMILY", FIRST_DAY, ["甲", "乙", "丙"], PHONE,
                            "family-3", children=1, expected_total_fen=3 * ADULT)
    assert raised.value.total_fen == 2 * ADULT + CHILD


def test_without_a_child_fare_children_pay_the_product_price(store):
    customer = store.customer_for("rest", "family-4")
    booking = store.hold_and_book(customer, "T-TEST", FIRST_DAY, ["甲", "乙"], PHONE,
                                  "family-4", children=1)
    assert (booking.children, booking.total_fen) == (1, 2 * 120000)


@pytest.mark.parametrize("children", [-1, 3])
def test_children_must_travel_with_an_adult(family_tour, children):
    store = family_tour
    with pytest.raises(InvalidRequest):
        store.quote_booking("T-FAMILY", FIRST_DAY, 3, children=children)
    customer = store.customer_for("rest", f"family-5{children}")
    with pytest.raises(InvalidRequest):
        store.hold_and_book(customer, "T-FAMILY", FIRST_DAY, ["甲", "乙", "丙"], PHONE,
                            f"family-5{children}", children=children)


def test_a_date_change_keeps_the_child_fare_and_a_refund_never_exceeds_what_was_paid(family_tour):
    store = family_tour
    customer = store.customer_for("rest", "family-6")
    booking = store.hold_and_book(customer, "T-FAMILY", FIRST_DAY, ["甲", "乙", "丙"], PHONE,
                                  "family-6", children=1)
    paid = store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-family-6")
    request = ChangeRequest(kind="dates", start=FIRST_DAY + timedelta(days=3))
    at = datetime.combine(FIRST_DAY - timedelta(days=20), datetime.min.time(),
                          tzinfo=store.policy.timezone)
    quote = store.quote_change(paid, request, at=at)
    assert quote.difference_fen == 0  # same fares on the new date, the child's included
    changed = store.change(paid, request, quote, "family-6-change", at=at).booking
    assert (changed.children, changed.total_fen) == (1, 2 * ADULT + CHILD)

    refund = store.quote_cancellation(changed, at=at)
    assert refund.amount_fen == 2 * ADULT + CHILD
    result = store.cancel(changed, refund, "family-6-cancel", at=at)
    assert result.refund_fen + result.fee_fen == 2 * ADULT + CHILD
