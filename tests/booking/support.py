"""Helpers shared by the booking store tests."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from sqlalchemy import insert

from bot.booking.models import Inventory, Product
from bot.booking.store import BookingStore

FIRST_DAY = date(2030, 5, 1)  # far enough ahead that "now" never reaches it by accident


def add_product(store: BookingStore, code: str, kind: str, price_fen: int, capacity: int,
                days: int = 30, duration_days: int = 1, max_guests: Optional[int] = None,
                mode: Optional[str] = None, departs_at: Optional[str] = None,
                child_price_fen: Optional[int] = None) -> None:
    """A product with ``capacity`` units on each of ``days`` days from FIRST_DAY."""
    with store.transaction() as session:
        product = Product(kind=kind, code=code, catalogue_id=code.split("/")[0],
                          variant=code.split("/")[1] if "/" in code else "", name=code,
                          unit_price_fen=price_fen, duration_days=duration_days,
                          max_guests=max_guests, mode=mode, departs_at=departs_at,
                          child_price_fen=child_price_fen)
        session.add(product)
        session.flush()
        session.execute(insert(Inventory), [
            dict(product_id=product.id, day=FIRST_DAY + timedelta(days=n),
                 capacity=capacity, reserved=0) for n in range(days)
        ])


# --- helpers for the verification, change, payment and membership tests -----------------

from datetime import datetime, time  # noqa: E402 - helpers appended below the originals
from typing import Any, List  # noqa: E402

from sqlalchemy import select  # noqa: E402

from bot.booking.db import upgrade  # noqa: E402
from bot.booking.policy import load_policy  # noqa: E402
from bot.booking.seed import seed  # noqa: E402


def reserved(store: BookingStore, code: str, day: date) -> int:
    """Units of ``code`` reserved on ``day``, as stored in the inventory table."""
    with store.transaction() as session:
        return int(session.execute(
            select(Inventory.reserved).join(Product)
            .where(Product.code == code, Inventory.day == day)
        ).scalar_one())


def reserved_days(store: BookingStore, code: str, days: int = 10) -> List[int]:
    """``reserved`` on each of the first ``days`` days from FIRST_DAY."""
    return [reserved(store, code, FIRST_DAY + timedelta(days=n)) for n in range(days)]


def local_time(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the business timezone of policies.yml."""
    return datetime.combine(day, time(hour, minute), tzinfo=load_policy().timezone)


def rows(store: BookingStore, model: Any) -> List[Any]:
    """Every stored row of a table, oldest first (detached, attributes loaded)."""
    with store.transaction() as session:
        return list(session.execute(select(model).order_by(model.id)).scalars().all())


def seeded_store(url: str, today: date) -> BookingStore:
    """A migrated store at ``url`` with the demo data seeded for ``today``."""
    upgrade(url)
    store = BookingStore(url, migrate=False)
    seed(store, today=today, demo=True)
    return store
