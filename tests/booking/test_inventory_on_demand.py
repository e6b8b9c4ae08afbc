"""Catalogue products get a day's inventory when it is first read or reserved, only on
days they are on sale inside the booking window, and can still never be overbooked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.booking.models import Booking, Inventory, Product
from bot.booking.store import SoldOut

from tests.booking.support import FIRST_DAY
from tests.booking.test_no_overbooking_under_concurrency import THREADS, _race

MONDAY = FIRST_DAY + timedelta(days=(7 - FIRST_DAY.weekday()) % 7)


def _catalogue_product(store, code, kind, capacity, weekdays="1234567", **values):
    """A product as the catalogue import writes it: capacity and weekdays, no inventory."""
    with store.transaction() as session:
        session.add(Product(kind=kind, code=code, catalogue_id=code.split("/")[0],
                            variant=code.split("/")[1] if "/" in code else "", name=code,
                            unit_price_fen=10000, capacity=capacity, sale_weekdays=weekdays,
                            **values))
    store.start_sales_on(FIRST_DAY)


def _inventory_rows(store, code):
    with store.transaction() as session:
        return session.execute(select(Inventory.day, Inventory.reserved).join(Product)
                               .where(Product.code == code).order_by(Inventory.day)).all()


def test_lazily_created_inventory_cannot_be_overbooked_by_concurrent_reservations(store):
    _catalogue_product(store, "H-LAZY/单间", "hotel_room", capacity=2, max_guests=1)
    stay = (MONDAY, MONDAY + timedelta(days=3))
    assert _inventory_rows(store, "H-LAZY/单间") == []
    outcomes = _race(store, "H-LAZY/单间", stay)
    assert sum(o != "sold out" for o in outcomes) == 2
    assert outcomes.count("sold out") == THREADS - 2
    assert store.count(Booking) == 2
    assert [reserved for _, reserved in _inventory_rows(store, "H-LAZY/单间")] == [2, 2, 2]
    assert store.available("H-LAZY/单间", stay) == 0


def test_a_day_not_on_sale_has_no_availability_and_cannot_be_booked(store):
    _catalogue_product(store, "T-LAZY", "tour", capacity=10, weekdays="135", duration_days=2)
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    assert store.available("T-LAZY", tuesday) == 0
    assert store.available("T-LAZY", wednesday) == 10
    guest = store.customer_for("rest", "lazy-guest")
    with pytest.raises(SoldOut):
        store.hold_and_book(guest, "T-LAZY", tuesday, ["客人"], "13800138000", "lazy-tue")
    assert [day for day, _ in _inventory_rows(store, "T-LAZY")] == [wednesday]


def test_days_outside_the_booking_window_are_not_on_sale(store):
    _catalogue_product(store, "G-LAZY/二等座", "transport", capacity=5, mode="train",
                       departs_at="08:00")
    window = store.policy.booking_window_days
    assert store.available("G-LAZY/二等座", FIRST_DAY - timedelta(days=1)) == 0
    assert store.available("G-LAZY/二等座", FIRST_DAY + timedelta(days=window)) == 0
    assert store.available("G-LAZY/二等座", FIRST_DAY + timedelta(days=window - 1)) == 5
    assert len(_inventory_rows(store, "G-LAZY/二等座")) == 1
