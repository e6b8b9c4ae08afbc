"""Seeding loads the whole catalogue and demo customers, and running it again changes nothing."""
from __future__ import annotations

from datetime import date

from bot.booking.models import Booking, Inventory, Product
from bot.booking.seed import DEMO_CUSTOMERS, catalogue_products, seed
from bot.booking.store import BookingStore


def test_seed_is_complete_and_idempotent(sqlite_url):
    store = BookingStore(sqlite_url)
    try:
        seed(store, today=date(2030, 5, 1))
        counts = (store.count(Product), store.count(Inventory), store.count(Booking))
        seed(store, today=date(2030, 5, 1))
        assert (store.count(Product), store.count(Inventory), store.count(Booking)) == counts
        assert counts[0] == len(catalogue_products())
        for demo in DEMO_CUSTOMERS:
            customer = store.customer_for(*demo.identities[-1])
            mine = {b.reference: b for b in store.bookings_for(customer)}
            assert set(mine) == {b.reference for b in demo.bookings}
            assert {b.status for b in mine.values()} <= {"confirmed", "completed", "pending_payment"}
    finally:
        store.close()
