"""Personal data at rest in the booking store: SQL errors name no bound values, audit
events keep no full phone number, name or verification answer, the SQLite file is 0600."""
from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.booking.db import engine_for
from bot.booking.models import BookingEvent
from bot.booking.store import ChangeRequest

from tests.booking.support import FIRST_DAY, local_time, rows

PHONE = "13912345678"
ROOT = Path(__file__).resolve().parents[2]


def test_a_failing_statement_logs_no_parameters(database_url, caplog):
    """SQLAlchemy leaves the bound values out of the error; PostgreSQL may still quote one
    in its own message ("LINE 1: ... VALUES ('139...'"), which the log filter masks."""
    engine = engine_for(database_url)
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(DBAPIError) as failure:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO no_such_table (phone) VALUES (:p)"), {"p": PHONE})
        logging.getLogger("tests.store").error("booking store call failed", exc_info=failure.value)
    finally:
        engine.dispose()
    assert "[SQL parameters hidden" in str(failure.value) and "[parameters:" not in str(failure.value)
    assert "no_such_table" in caplog.text and "[SQL parameters hidden" in caplog.text
    assert PHONE not in caplog.text


def test_booking_events_keep_no_full_phone_names_or_verification_answer(store):
    guest = store.customer_for("wechat", "guest")
    stay = store.hold_and_book(guest, "H-TEST/大床房", (FIRST_DAY, FIRST_DAY + timedelta(days=1)),
                               ["欧阳娜娜", "司马相如"], PHONE, "book")
    store.verify_contact(stay.reference, PHONE[-4:], "stranger")
    request = ChangeRequest("traveller", traveller_names=("欧阳娜娜", "诸葛亮"))
    before = local_time(FIRST_DAY - timedelta(days=7), 10)
    store.change(stay, request, store.quote_change(stay, request, before), "rename", at=before)

    events = rows(store, BookingEvent)
    assert [e.action for e in events] == ["booked", "verified", "changed"]
    stored = repr([e.details for e in events])
    for personal in (PHONE, PHONE[-4:], "欧阳娜娜", "司马相如", "诸葛亮"):
        assert personal not in stored
    changed = events[-1].details
    assert (changed["old"]["travellers"], changed["new"]["travellers"]) == (["欧***", "司***"],
                                                                          ["欧***", "诸**"])
    assert store.find(stay.reference, guest).travellers == ("欧阳娜娜", "诸葛亮")  # data intact


def test_a_fresh_process_creates_the_sqlite_store_and_its_directory_private(tmp_path):
    """Started with the usual umask 022, our process still creates 0600 files, 0700 dirs."""
    database = tmp_path / "var" / "tripdesk.db"
    script = ("from bot.booking.store import BookingStore; "
              f"BookingStore({f'sqlite:///{database}'!r}).close()")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=lambda: os.umask(0o022))
    modes = {path.name: stat.S_IMODE(path.stat().st_mode)
             for path in (database.parent, *database.parent.iterdir())}
    assert modes == {"var": 0o700, **{name: 0o600 for name in modes if name != "var"}}
    assert "tripdesk.db" in modes


