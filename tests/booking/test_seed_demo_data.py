"""Seeding loads the whole catalogue and, only where they belong, the demo customers;
running it again changes nothing."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.booking import db
from bot.booking.db import upgrade
from bot.booking.models import Booking, ChannelIdentity, Customer, Inventory, Product
from bot.booking.seed import DEMO_CUSTOMERS, DEMO_ENV, catalogue_products, seed
from bot.booking.seed import main as seed_main
from bot.booking.store import BookingStore
from bot.cli import seed_booking_store

DEMO_IDENTITIES = [identity[1] for demo in DEMO_CUSTOMERS for identity in demo.identities]


def test_seed_is_complete_and_idempotent(sqlite_url):
    store = BookingStore(sqlite_url)
    try:
        seed(store, today=date(2030, 5, 1), demo=True)
        counts = (store.count(Product), store.count(Inventory), store.count(Booking))
        seed(store, today=date(2030, 5, 1), demo=True)
        assert (store.count(Product), store.count(Inventory), store.count(Booking)) == counts
        assert counts[0] == len(catalogue_products())
        for demo in DEMO_CUSTOMERS:
            customer = store.customer_for(*demo.identities[-1])
            mine = {b.reference: b for b in store.bookings_for(customer)}
            assert set(mine) == {b.reference for b in demo.bookings}
            assert {b.status for b in mine.values()} <= {"confirmed", "completed", "pending_payment"}
    finally:
        store.close()


def demo_identities(url: str) -> int:
    store = BookingStore(url, migrate=False)
    try:
        with store.transaction() as session:
            return int(session.execute(select(func.count()).select_from(ChannelIdentity).where(
                ChannelIdentity.external_id.in_(DEMO_IDENTITIES))).scalar_one())
    finally:
        store.close()


def counts(url: str) -> tuple:
    store = BookingStore(url, migrate=False)
    try:
        return store.count(Product), store.count(Customer), store.count(Booking)
    finally:
        store.close()


@pytest.mark.services
def test_seeding_postgresql_without_the_flag_loads_the_catalogue_but_no_demo_customers(
        postgres_url, monkeypatch):
    monkeypatch.delenv(DEMO_ENV, raising=False)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    upgrade(postgres_url)
    seed_booking_store()  # make run
    seed_main([])  # make seed
    assert counts(postgres_url) == (len(catalogue_products()), 0, 0)
    assert demo_identities(postgres_url) == 0


@pytest.mark.services
@pytest.mark.parametrize("how", ["environment", "--demo"])
def test_seeding_postgresql_with_the_flag_adds_the_demo_customers(postgres_url, monkeypatch, how):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    upgrade(postgres_url)
    if how == "environment":
        monkeypatch.setenv(DEMO_ENV, "1")
        seed_booking_store()
    else:
        monkeypatch.delenv(DEMO_ENV, raising=False)
        seed_main(["--demo"])
    assert demo_identities(postgres_url) == len(DEMO_IDENTITIES)
    assert counts(postgres_url)[2] == sum(len(d.bookings) for d in DEMO_CUSTOMERS)


def test_another_sqlite_file_gets_no_demo_customers_without_the_flag(sqlite_url, monkeypatch):
    monkeypatch.delenv(DEMO_ENV, raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    seed_booking_store()
    assert counts(sqlite_url) == (len(catalogue_products()), 0, 0)


def test_the_embedded_default_under_var_gets_the_demo_customers(monkeypatch, tmp_path):
    """`make run` with no DATABASE_URL: the README's demo table works."""
    monkeypatch.setattr(db, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(DEMO_ENV, raising=False)
    seed_booking_store()
    store = BookingStore(f"sqlite:///{tmp_path / 'var' / 'tripdesk.db'}")
    try:
        zhang = store.customer_for("rest", "rest:demo-zhang")
        assert zhang.display_name == "张伟"
        assert {b.reference for b in store.bookings_for(zhang)} == {
            b.reference for b in DEMO_CUSTOMERS[0].bookings}
    finally:
        store.close()


def test_the_demo_booking_awaiting_payment_keeps_its_place(sqlite_url):
    """TD4KM8YW2N ("付款失败了" in the README) stays payable whenever the demo runs."""
    store = BookingStore(sqlite_url)
    try:
        seed(store, today=date(2030, 5, 1), demo=True)
        assert store.expire_holds(at=datetime(2031, 1, 1, tzinfo=timezone.utc)) == []
    finally:
        store.close()
