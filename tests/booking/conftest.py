"""Booking store fixtures: a fresh SQLite file per test, a fresh PostgreSQL schema per test.

PostgreSQL tests carry ``pytest.mark.services``. Without a reachable server they skip
with the reason; with ``TRIPDESK_REQUIRE_SERVICES=1`` (CI) they fail instead, so a
missing service can never turn a red build green.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.booking.db import upgrade
from bot.booking.store import BookingStore
from tests.booking.support import add_product

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("TRIPDESK_REQUIRE_SERVICES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (TRIPDESK_REQUIRE_SERVICES=1, so this is a failure)")
    pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a brand-new schema, dropped after the test."""
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        _unavailable(f"PostgreSQL not reachable at {POSTGRES_URL} "
                     f"(set TEST_POSTGRES_URL): {error.orig}".strip())
    schema = f"tripdesk_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bookings.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on an SQLite file and once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[BookingStore]:
    """A migrated, empty store with a hotel room, a tour and a train fare."""
    upgrade(database_url)
    booking_store = BookingStore(database_url, migrate=False)
    add_product(booking_store, "H-TEST/大床房", "hotel_room", 50000, capacity=3, max_guests=2)
    add_product(booking_store, "T-TEST", "tour", 120000, capacity=10, duration_days=3)
    add_product(booking_store, "G1/二等座", "transport", 55300, capacity=50, mode="train",
                departs_at="08:00")
    yield booking_store
    booking_store.close()
