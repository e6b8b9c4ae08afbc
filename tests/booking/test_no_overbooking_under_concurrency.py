"""Many conversations booking the last room at the same instant give exactly one booking."""
from __future__ import annotations

import threading
from datetime import timedelta

from bot.booking.models import Booking, BookingEvent
from bot.booking.store import SoldOut

from tests.booking.support import FIRST_DAY, add_product

THREADS = 12


def _race(store, code, dates):
    customers = [store.customer_for("rest", f"racer-{n}") for n in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes, errors = [], []

    def book(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(store.hold_and_book(customers[n], code, dates, [f"客人{n}"],
                                                "13800138000", f"race-{n}"))
        except SoldOut:
            outcomes.append("sold out")
        except Exception as error:  # noqa: BLE001 - any other error fails the test below
            errors.append(error)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return outcomes


def test_last_room_goes_to_exactly_one_of_many_concurrent_bookings(store):
    add_product(store, "H-LAST/单间", "hotel_room", 30000, capacity=1, max_guests=1)
    stay = (FIRST_DAY, FIRST_DAY + timedelta(days=2))
    outcomes = _race(store, "H-LAST/单间", stay)
    assert sum(o != "sold out" for o in outcomes) == 1
    assert outcomes.count("sold out") == THREADS - 1
    assert store.count(Booking) == 1 and store.count(BookingEvent) == 1
    assert store.available("H-LAST/单间", stay) == 0


def test_overlapping_stays_never_exceed_capacity(store):
    add_product(store, "H-FEW/双床", "hotel_room", 30000, capacity=3, max_guests=1)
    outcomes = _race(store, "H-FEW/双床", (FIRST_DAY, FIRST_DAY + timedelta(days=3)))
    assert sum(o != "sold out" for o in outcomes) == 3
    assert store.available("H-FEW/双床", (FIRST_DAY, FIRST_DAY + timedelta(days=3))) == 0
