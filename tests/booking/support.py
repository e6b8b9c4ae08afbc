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
                mode: Optional[str] = None, departs_at: Optional[str] = None) -> None:
    """A product with ``capacity`` units on each of ``days`` days from FIRST_DAY."""
    with store.transaction() as session:
        product = Product(kind=kind, code=code, catalogue_id=code.split("/")[0],
                          variant=code.split("/")[1] if "/" in code else "", name=code,
                          unit_price_fen=price_fen, duration_days=duration_days,
                          max_guests=max_guests, mode=mode, departs_at=departs_at)
        session.add(product)
        session.flush()
        session.execute(insert(Inventory), [
            dict(product_id=product.id, day=FIRST_DAY + timedelta(days=n),
                 capacity=capacity, reserved=0) for n in range(days)
        ])
