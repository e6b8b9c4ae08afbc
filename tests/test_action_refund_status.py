"""actions/refund_status.py against the real knowledge base and a real, seeded SQLite store:
each refund with its reason, amount, status and, while open, the arrival time of the way
the booking was paid; nothing for a customer who has none."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, List

import pytest
from sqlalchemy import update

from actions.refund_status import ActionRefundStatus
from bot.booking.models import Booking, Refund
from bot.booking.payments import payment_settings
from bot.booking.store import BookingStore
from tests.helpers import run_action, seeded_store, traveller

ZHANG = "rest:demo-zhang"  # TD5NX7RB3C G7 二等座 ¥553 charged twice; TD2H8KQ4MZ ¥2776 paid by WeChat
LI = "rest:demo-li"  # TD4KM8YW2N 上海 tour ¥298, unpaid
WANG = "rest:demo-wang"  # paid bookings, no refunds


@pytest.fixture
def store(tmp_path, monkeypatch) -> BookingStore:
    store = seeded_store(tmp_path, monkeypatch)
    yield store
    store.close()


def cancel(store: BookingStore, reference: str, sender: str) -> None:
    booking = store.find(reference, store.customer_for("rest", sender))
    store.cancel(booking, store.quote_cancellation(booking), f"test-cancel-{reference}")


def set_refund(store: BookingStore, reference: str, **values: object) -> None:
    """What the payment provider reports later (status) or when the refund was opened."""
    with store.transaction() as session:
        booking_id = session.query(Booking.id).filter(Booking.reference == reference).scalar()
        session.execute(update(Refund).where(Refund.booking_id == booking_id).values(**values))


async def refund_lines(domain: Dict, sender: str, **slots: object) -> tuple:
    names, _, texts = await run_action(ActionRefundStatus(), traveller("退款到哪了", "refund_status", sender, **slots),
                                       domain)
    return names, texts


def line_of(texts: List[str], reference: str) -> str:
    found = [line for line in texts[0].splitlines() if reference in line]
    assert len(found) == 1, texts
    return found[0]


async def test_every_refund_is_listed_with_its_amount_status_and_arrival(store, domain_dict):
    zhang = store.customer_for("rest", ZHANG)
    store.refund_duplicate_payments(store.find("TD5NX7RB3C", zhang))
    cancel(store, "TD2H8KQ4MZ", ZHANG)
    set_refund(store, "TD2H8KQ4MZ", status="succeeded")
    names, texts = await refund_lines(domain_dict, ZHANG)
    assert names == ["utter_refund_list"]
    duplicate = line_of(texts, "TD5NX7RB3C")
    assert "重复扣款退回 553元" in duplicate and "退款处理中" in duplicate
    assert f"预计{payment_settings().arrival_for('wechat_pay')}" in duplicate
    cancelled = line_of(texts, "TD2H8KQ4MZ")
    assert "取消订单退款 2776元" in cancelled and "已退款" in cancelled and "预计" not in cancelled


async def test_the_arrival_follows_how_the_booking_was_paid(store, domain_dict):
    li = store.customer_for("rest", LI)
    booking = store.find("TD4KM8YW2N", li)
    store.record_payment(booking, booking.total_fen, "card", "test-card-payment")
    cancel(store, "TD4KM8YW2N", LI)
    names, texts = await refund_lines(domain_dict, LI)
    assert names == ["utter_refund_list"]
    line = line_of(texts, "TD4KM8YW2N")
    assert "298元" in line and f"预计{payment_settings().arrival_for('card')}" in line
    assert payment_settings().arrival_for("card") != payment_settings().arrival_for("wechat_pay")


async def test_a_price_difference_refund_says_what_it_is_for(store, domain_dict):
    from actions.change_booking import request_for

    wang = store.customer_for("rest", WANG)
    booking = store.find("TD6RT9GC5X", wang)
    request = request_for(booking, "departure", "HO1251")
    store.change(booking, request, store.quote_change(booking, request), "test-change")
    names, texts = await refund_lines(domain_dict, WANG)
    assert names == ["utter_refund_list"]
    assert "改签差价退回 24元" in line_of(texts, "TD6RT9GC5X")


@pytest.mark.parametrize("status,shown,open_", [
    ("pending", "退款处理中", True), ("succeeded", "已退款", False), ("failed", "退款失败，客服将联系您", False)])
async def test_each_refund_status_reads_as_the_traveller_expects(store, domain_dict, status, shown, open_):
    cancel(store, "TD2H8KQ4MZ", ZHANG)
    set_refund(store, "TD2H8KQ4MZ", status=status)
    _, texts = await refund_lines(domain_dict, ZHANG)
    line = line_of(texts, "TD2H8KQ4MZ")
    assert f"：{shown}" in line and ("预计" in line) is open_


async def test_the_day_a_refund_started_is_the_business_day(store, domain_dict):
    """23:30 UTC on 1 December is 07:30 on 2 December in Shanghai, where the traveller is."""
    cancel(store, "TD2H8KQ4MZ", ZHANG)
    set_refund(store, "TD2H8KQ4MZ", created_at=datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc))
    _, texts = await refund_lines(domain_dict, ZHANG)
    assert "12月2日（周三）发起" in line_of(texts, "TD2H8KQ4MZ")


@pytest.mark.parametrize("sender", [WANG, "rest:someone-new"])
async def test_a_customer_without_refunds_is_told_so(store, domain_dict, sender):
    names, texts = await refund_lines(domain_dict, sender)
    assert names == ["utter_no_refunds"] and "400-820-6688" in texts[0]


async def test_a_strangers_reference_shows_nothing_until_verified(store, domain_dict):
    cancel(store, "TD2H8KQ4MZ", ZHANG)
    names, texts = await refund_lines(domain_dict, "rest:someone-new", order_ref="TD2H8KQ4MZ")
    assert names == ["utter_need_verification"] and "2776" not in "".join(texts)


async def test_one_booking_asked_about_lists_only_its_refunds(store, domain_dict):
    zhang = store.customer_for("rest", ZHANG)
    store.refund_duplicate_payments(store.find("TD5NX7RB3C", zhang))
    cancel(store, "TD2H8KQ4MZ", ZHANG)
    _, texts = await refund_lines(domain_dict, ZHANG, order_ref="TD5NX7RB3C")
    assert "TD5NX7RB3C" in texts[0] and "TD2H8KQ4MZ" not in texts[0]
