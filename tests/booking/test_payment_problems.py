"""Payment problems: one pending payment per booking, declined attempts on record, and a
booking charged twice refunded exactly once."""
from __future__ import annotations

from datetime import date

import pytest

from bot.booking.models import Payment, Refund
from tests.booking.support import FIRST_DAY, rows, seeded_store

PHONE = "13800138000"


@pytest.fixture
def owner(store):
    return store.customer_for("wechat", "owner")


@pytest.fixture
def ticket(store, owner):
    """Two unpaid train seats (1106 元)."""
    return store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲", "乙"], PHONE, "book")


def test_a_booking_has_one_pending_payment_however_often_it_is_asked_for(store, ticket):
    opened = store.open_payment(ticket, "wechat_pay", conversation_id="chat-1")
    again = store.open_payment(ticket, "alipay", conversation_id="chat-1")

    assert again == opened
    assert (opened.amount_fen, opened.method, opened.status) == (ticket.total_fen, "wechat_pay",
                                                                 "pending")
    assert store.payments_for(ticket) == [opened]
    assert [(p.amount_fen, p.status) for p in rows(store, Payment)] == [(ticket.total_fen, "pending")]
    opened_events = [e for e in store.history(ticket) if e.action == "payment_opened"]
    assert [(e.conversation_id, e.details) for e in opened_events] == [
        ("chat-1", {"amount_fen": ticket.total_fen, "method": "wechat_pay"})]


def test_a_declined_payment_is_recorded_once_and_leaves_the_booking_unpaid(store, owner, ticket):
    for _delivery in range(2):  # the provider's callback, retried
        store.record_failed_payment(ticket, ticket.total_fen, "alipay", "declined-1")

    assert [(p.amount_fen, p.method, p.status, p.external_id) for p in store.payments_for(ticket)] == [
        (ticket.total_fen, "alipay", "failed", "declined-1")]
    after = store.find(ticket.reference, owner)
    assert (after.status, after.paid_fen) == ("pending_payment", 0)
    failed = [e for e in store.history(ticket) if e.action == "payment_failed"]
    assert [(e.actor, e.details) for e in failed] == [
        ("payment_provider", {"amount_fen": ticket.total_fen, "method": "alipay"})]
    # the next try gets a fresh pending payment for the whole amount
    assert store.open_payment(ticket, "wechat_pay").amount_fen == ticket.total_fen


def test_payments_are_listed_in_the_order_they_happened(store, ticket):
    store.record_failed_payment(ticket, ticket.total_fen, "card", "declined-1")
    store.record_payment(ticket, ticket.total_fen, "wechat_pay", "wx-1")

    assert [(p.status, p.external_id) for p in store.payments_for(ticket)] == [
        ("failed", "declined-1"), ("succeeded", "wx-1")]


def test_a_booking_paid_twice_gets_exactly_one_refund_of_the_second_payment(store, owner, ticket):
    store.record_payment(ticket, ticket.total_fen, "wechat_pay", "wx-1")
    store.record_payment(ticket, ticket.total_fen, "wechat_pay", "wx-2")
    assert store.find(ticket.reference, owner).paid_fen == 2 * ticket.total_fen

    refunds = store.refund_duplicate_payments(ticket, conversation_id="chat-1")

    assert [(r.refund_fen, r.fee_fen, r.rule, r.refund_status) for r in refunds] == [
        (ticket.total_fen, 0, "payment.duplicate", "pending")]
    [refund] = rows(store, Refund)
    assert (refund.amount_fen, refund.rule, refund.idempotency_key) == (
        ticket.total_fen, "payment.duplicate", "dup:wx-2")
    assert [(p.external_id, p.status) for p in store.payments_for(ticket)] == [
        ("wx-1", "succeeded"), ("wx-2", "refunded")]
    after = store.find(ticket.reference, owner)
    assert (after.paid_fen, after.status) == (ticket.total_fen, "confirmed")
    assert store.refunds_for(ticket) == refunds
    [event] = [e for e in store.history(ticket) if e.action == "duplicate_refunded"]
    assert (event.conversation_id, event.details) == (
        "chat-1", {"payment": "wx-2", "amount_fen": ticket.total_fen})


def test_asking_again_returns_the_same_duplicate_refund(store, ticket):
    store.record_payment(ticket, ticket.total_fen, "wechat_pay", "wx-1")
    store.record_payment(ticket, ticket.total_fen, "wechat_pay", "wx-2")
    first = store.refund_duplicate_payments(ticket)

    assert store.refund_duplicate_payments(ticket) == first
    assert store.count(Refund) == 1
    assert [e.action for e in store.history(ticket)].count("duplicate_refunded") == 1


@pytest.mark.parametrize("payments", [
    [],
    [("wx-1", 1.0)],
    [("wx-1", 0.5), ("wx-2", 0.5)],  # paid in two halves: nothing was paid twice
    [("declined-1", None), ("wx-1", 1.0)],
], ids=["unpaid", "paid-once", "two-halves", "declined-then-paid"])
def test_a_booking_not_paid_twice_gets_no_refund(store, ticket, payments):
    for external_id, share in payments:
        if share is None:
            store.record_failed_payment(ticket, ticket.total_fen, "card", external_id)
        else:
            store.record_payment(ticket, int(ticket.total_fen * share), "wechat_pay", external_id)
    statuses = [p.status for p in store.payments_for(ticket)]

    assert store.refund_duplicate_payments(ticket) == []
    assert store.count(Refund) == 0
    assert [p.status for p in store.payments_for(ticket)] == statuses


def test_seeded_demo_bookings_show_a_duplicate_and_a_declined_payment(database_url):
    store = seeded_store(database_url, today=date(2030, 5, 1))
    try:
        zhang = store.customer_for("rest", "rest:demo-zhang")
        li = store.customer_for("rest", "rest:demo-li")
        charged_twice = store.find("TD5NX7RB3C", zhang)
        declined = store.find("TD4KM8YW2N", li)

        assert [(p.status, p.amount_fen) for p in store.payments_for(charged_twice)] == [
            ("succeeded", charged_twice.total_fen)] * 2
        assert charged_twice.paid_fen == 2 * charged_twice.total_fen
        assert [(p.status, p.amount_fen) for p in store.payments_for(declined)] == [
            ("failed", declined.total_fen)]
        assert (declined.status, declined.paid_fen) == ("pending_payment", 0)
    finally:
        store.close()
