"""Refunds never exceed what was paid, whichever paths open them and in whatever order.

Every path that opens a refund (a cancellation, a change to something cheaper, a
duplicate charge reported by the traveller) draws on one figure, what is actually held:
succeeded payments minus the refunds already open or done. The property tests drive a
booking through random sequences of those paths (and their retries) and check the money
and the inventory after every step.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.booking.models import Booking, BookingItem, Inventory, Product
from bot.booking.store import BookingError, BookingStore, BookingView, ChangeRequest

from tests.booking.support import FIRST_DAY, add_product, local_time, seeded_store

PHONE = "13800138000"
TODAY = date(2030, 5, 1)
CHARGED_TWICE = "TD5NX7RB3C"  # the seeded demo booking of 张伟 paid twice (bot/booking/seed.py)
ROOM, BUDGET = "H-TEST/大床房", "H-TEST/特价房"  # 500 and 100 元 a night
BEFORE_CUTOFF = local_time(FIRST_DAY, 17, 59)  # hotel changes and cancellations still free
AFTER_CUTOFF = local_time(FIRST_DAY, 18, 0)  # from now on the first night is kept
WEEK_BEFORE = local_time(FIRST_DAY - timedelta(days=7), 10)
RECEIVED = ("succeeded", "refunded")  # a payment marked refunded was still received
REFUNDING = ("pending", "succeeded")  # refunds open or done; failed ones returned nothing


def ledger(store: BookingStore, booking: BookingView) -> Tuple[int, int]:
    """(received, refunded) for a booking, as the store's facade reports them."""
    received = sum(p.amount_fen for p in store.payments_for(booking) if p.status in RECEIVED)
    refunded = sum(r.refund_fen for r in store.refunds_for(booking)
                   if r.refund_status in REFUNDING)
    return received, refunded


# --- the two reported cases ----------------------------------------------------------------

@pytest.mark.parametrize("order", ["cancel-then-report", "report-then-cancel"])
def test_a_booking_charged_twice_and_cancelled_refunds_what_was_paid_less_the_fee(database_url,
                                                                                 order):
    store = seeded_store(database_url, TODAY)
    try:
        zhang = store.customer_for("rest", "rest:demo-zhang")
        at = local_time(TODAY, 10)
        fees = []

        def cancel() -> None:
            booking = store.find(CHARGED_TWICE, zhang)
            quote = store.quote_cancellation(booking, at)
            fees.append(store.cancel(booking, quote, "cancel", at=at).fee_fen)

        def report_charged_twice() -> None:  # "我被扣了两次钱"
            store.refund_duplicate_payments(store.find(CHARGED_TWICE, zhang))

        steps = [cancel, report_charged_twice]
        for step in steps if order == "cancel-then-report" else reversed(steps):
            step()
        booking = store.find(CHARGED_TWICE, zhang)
        received, refunded = ledger(store, booking)

        assert received == 2 * booking.total_fen
        assert refunded == received - fees[0]
        report_charged_twice()  # asked again: nothing more goes back
        assert ledger(store, booking) == (received, refunded)
    finally:
        store.close()


@pytest.mark.parametrize("changed_at, cancelled_at, kept", [
    (WEEK_BEFORE, WEEK_BEFORE, 0),  # free change, free cancellation: everything goes back
    # the change keeps the old first night (500 元), the cancellation the new one (100 元)
    (AFTER_CUTOFF, AFTER_CUTOFF, 50000 + 10000),
], ids=["free", "fees"])
def test_paid_then_changed_to_a_cheaper_room_then_cancelled_refunds_at_most_what_was_paid(
        store, changed_at, cancelled_at, kept):
    add_product(store, BUDGET, "hotel_room", 10000, capacity=3, max_guests=2)
    guest = store.customer_for("wechat", "guest")
    booking = store.hold_and_book(guest, ROOM, (FIRST_DAY, FIRST_DAY + timedelta(days=2)),
                                  ["张三"], PHONE, "book")
    booking = store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-1")
    request = ChangeRequest("room", product_code=BUDGET)
    store.change(booking, request, store.quote_change(booking, request, changed_at), "cheaper",
                 at=changed_at)

    changed = store.find(booking.reference, guest)
    store.cancel(changed, store.quote_cancellation(changed, cancelled_at), "cancel",
                 at=cancelled_at)

    received, refunded = ledger(store, booking)
    assert received == 100000
    assert refunded == received - kept


# --- random sequences ----------------------------------------------------------------------

OPERATIONS = ("pay", "charge_twice", "change_up", "change_down", "change_back", "cancel",
              "report_charged_twice")
ROOM_TYPES = {"change_up": ("套房", 80000), "change_down": ("特价房", 10000),
              "change_back": ("大床房", 50000)}
DAYS = 4
step = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 2),  # key: 3 per kind, reused
                 st.sampled_from([WEEK_BEFORE, BEFORE_CUTOFF, AFTER_CUTOFF]), st.booleans())
_examples = itertools.count()


class Trip:
    """One booking of its own (own products, own keys) in a store shared by the examples."""

    def __init__(self, store: BookingStore) -> None:
        self.store = store
        self.n = next(_examples)
        self.hotel = f"H-P{self.n}"
        for variant, price in ROOM_TYPES.values():
            add_product(store, f"{self.hotel}/{variant}", "hotel_room", price, capacity=1,
                        days=DAYS, max_guests=2)
        self.customer = store.customer_for("wechat", f"property-{self.n}")
        self.reference = store.hold_and_book(
            self.customer, f"{self.hotel}/大床房", (FIRST_DAY, FIRST_DAY + timedelta(days=2)),
            ["张三"], PHONE, f"p{self.n}-book").reference

    def view(self) -> BookingView:
        found = self.store.find(self.reference, self.customer)
        assert found is not None
        return found

    def key(self, kind: str, n: int) -> str:
        return f"p{self.n}-{kind}-{n}"

    def apply(self, operation: str, n: int, at) -> None:
        """One traveller or provider action; a refusal (BookingError) is a valid outcome."""
        store, booking, key = self.store, self.view(), self.key(operation, n)
        try:
            if operation == "pay":
                due = booking.total_fen - booking.paid_fen
                store.record_payment(booking, due if due > 0 else booking.total_fen,
                                     "wechat_pay", key)
            elif operation == "charge_twice":
                store.record_payment(booking, booking.total_fen, "wechat_pay", key)
            elif operation.startswith("change_"):
                variant = ROOM_TYPES[operation][0]
                request = ChangeRequest("room", product_code=f"{self.hotel}/{variant}")
                store.change(booking, request, store.quote_change(booking, request, at),
                             self.key("change", n), at=at)
            elif operation == "cancel":
                store.cancel(booking, store.quote_cancellation(booking, at), key, at=at)
            else:
                store.refund_duplicate_payments(booking)
        except BookingError:
            pass

    def state(self) -> Tuple[Any, ...]:
        """Everything the steps may touch, as stored, read in one transaction:
        (status, product, payments, refunds, units reserved per product and night)."""
        with self.store.transaction() as session:
            row = session.execute(
                select(Booking).options(selectinload(Booking.payments),
                                        selectinload(Booking.refunds),
                                        selectinload(Booking.items).selectinload(BookingItem.product))
                .where(Booking.reference == self.reference)).scalar_one()
            held = session.execute(
                select(Product.code, Inventory.day, Inventory.reserved).join(Product)
                .where(Product.catalogue_id == self.hotel)).all()
            return (row.status, row.items[0].product.code, row.start_date, row.end_date,
                    tuple((p.external_id, p.amount_fen, p.status) for p in row.payments),
                    tuple((r.idempotency_key, r.amount_fen, r.status) for r in row.refunds),
                    frozenset(held))

    def check(self) -> Tuple[Any, ...]:
        """The invariants after a step; returns the state for comparisons."""
        state = self.state()
        status, code, start, end, payments, refunds, held = state
        received = sum(amount for _id, amount, kind in payments if kind in RECEIVED)
        refunded = sum(amount for _key, amount, kind in refunds if kind in REFUNDING)
        assert refunded <= received, f"refunds {refunded} exceed payments {received}"
        live = status in ("pending_payment", "confirmed")
        nights = {start + timedelta(days=d) for d in range((end - start).days)}
        assert held == frozenset(
            (f"{self.hotel}/{variant}", FIRST_DAY + timedelta(days=d),
             int(live and f"{self.hotel}/{variant}" == code
                 and FIRST_DAY + timedelta(days=d) in nights))
            for variant, _price in ROOM_TYPES.values() for d in range(DAYS)
        ), "inventory is not exactly the live booking's nights"
        return state


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_refunds_never_exceed_payments_and_inventory_returns_once(store, steps):
    trip = Trip(store)
    done: List[Tuple[str, int]] = []
    before = trip.check()
    for operation, n, at, retry in steps:
        kind = "change" if operation.startswith("change_") else operation
        trip.apply(operation, n, at)
        after = trip.check()
        if (kind, n) in done and kind != "report_charged_twice":
            assert after == before, f"reusing key {kind}-{n} changed the booking"
        if after != before:
            done.append((kind, n))
        if retry:  # the same message delivered again: the effect of one
            trip.apply(operation, n, at)
            assert trip.check() == after, f"a retried {operation} changed the booking"
        before = after
