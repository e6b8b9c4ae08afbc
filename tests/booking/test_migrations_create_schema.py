"""Alembic migrations create exactly the schema the models describe."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.booking.db import engine_for, upgrade
from bot.booking.models import Base
from bot.booking.store import BookingStore

TABLES = {"customers", "channel_identities", "products", "inventory", "bookings",
          "booking_items", "travellers", "payments", "booking_changes", "refunds",
          "booking_events", "alembic_version"}


def _assert_schema_matches_models(url: str) -> None:
    engine = engine_for(url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_on_a_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'bookings.db'}"
    upgrade(url)
    upgrade(url)  # a second start is a no-op
    _assert_schema_matches_models(url)


def test_sqlite_store_migrates_itself_and_enables_fk_and_wal(tmp_path):
    store = BookingStore(f"sqlite:///{tmp_path / 'auto.db'}")
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        store.close()


@pytest.mark.services
def test_upgrade_creates_the_same_schema_on_postgresql(postgres_url):
    upgrade(postgres_url)
    _assert_schema_matches_models(postgres_url)
