"""Concurrent requests on one booking or one member leave the store as some serial order
would: a change racing a cancellation, parallel wrong verification answers, parallel
point awards. Meaningful on PostgreSQL (the ``services`` run); SQLite serialises writers
and must give the same answers.
"""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, Callable, Dict, List, Sequence

from bot.booking.membership import load_membership
from bot.booking.store import (
    VERIFY_MAX_FAILURES,
    BookingError,
    ChangeRequest,
    Verification,
)

from tests.booking.support import FIRST_DAY, add_product, local_time, reserved

PHONE = "13800138000"
ROOM, BUDGET = "H-TEST/大床房", "H-TEST/特价房"  # 500 and 100 元 a night
WEEK_BEFORE = local_time(FIRST_DAY - timedelta(days=7), 10)
ROUNDS = 12


def together(calls: Sequence[Callable[[], Any]]) -> List[Any]:
    """Run the calls in threads released at once; each outcome is its result, the
    BookingError it raised (a polite refusal), or the test fails on any other error."""
    barrier = threading.Barrier(len(calls))
    outcomes: Dict[int, Any] = {}
    errors: List[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = calls[n]()
        except BookingError as refusal:
            outcomes[n] = refusal
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], f"unexpected errors: {errors!r}"
    return [outcomes[n] for n in range(len(calls))]


def race_change_against_cancel(store, n: int) -> None:
    """Round ``n``: a paid two-night stay, changed to a cheaper room while it is cancelled."""
    guest = store.customer_for("wechat", f"racer-{n}")
    nights = (FIRST_DAY + timedelta(days=2 * n), FIRST_DAY + timedelta(days=2 * n + 2))
    booking = store.hold_and_book(guest, ROOM, nights, ["张三"], PHONE, f"book-{n}")
    booking = store.record_payment(booking, booking.total_fen, "wechat_pay", f"wx-{n}")
    request = ChangeRequest("room", product_code=BUDGET)
    change_quote = store.quote_change(booking, request, WEEK_BEFORE)
    cancel_quote = store.quote_cancellation(booking, WEEK_BEFORE)

    changed, cancelled = together([
        lambda: store.change(booking, request, change_quote, f"change-{n}", at=WEEK_BEFORE),
        lambda: store.cancel(booking, cancel_quote, f"cancel-{n}", at=WEEK_BEFORE),
    ])

    won = [not isinstance(o, BookingError) for o in (changed, cancelled)]
    assert sum(won) == 1, f"round {n}: change {changed!r}, cancel {cancelled!r}"
    after = store.find(booking.reference, guest)
    refunded = sum(r.refund_fen for r in store.refunds_for(booking))
    held = [(reserved(store, code, night), code)
            for night in (nights[0], nights[0] + timedelta(days=1)) for code in (ROOM, BUDGET)]
    if won[0]:  # changed: the cheaper room holds both nights, the difference goes back
        assert (after.status, after.product.code) == ("confirmed", BUDGET)
        assert refunded == booking.total_fen - after.total_fen
        assert held == [(0, ROOM), (1, BUDGET)] * 2
    else:  # cancelled: every night released once, everything paid goes back
        assert after.status == "cancelled"
        assert refunded == booking.total_fen
        assert held == [(0, ROOM), (0, BUDGET)] * 2


def test_a_change_racing_a_cancellation_lets_exactly_one_win(store):
    add_product(store, BUDGET, "hotel_room", 10000, capacity=3, max_guests=2)
    for n in range(ROUNDS):
        race_change_against_cancel(store, n)


def test_parallel_wrong_answers_cannot_pass_the_verification_lock(store):
    owner = store.customer_for("wechat", "owner")
    booking = store.hold_and_book(owner, "G1/二等座", FIRST_DAY, ["甲"], PHONE, "k")
    guesses = 3 * VERIFY_MAX_FAILURES

    answers = together([
        (lambda n=n: store.verify_contact(booking.reference, f"{n:04d}", f"guesser-{n}"))
        for n in range(guesses)])

    failures = [e for e in store.history(booking) if e.action == "verification_failed"]
    assert len(failures) == VERIFY_MAX_FAILURES
    assert sum(a == Verification(ok=False, locked=False) for a in answers) == VERIFY_MAX_FAILURES - 1
    assert all(a.locked for a in answers if a != Verification(ok=False, locked=False))
    assert store.verify_contact(booking.reference, PHONE[-4:], "late") == Verification(
        ok=False, locked=True)


def test_parallel_point_awards_lose_nothing_and_award_each_trip_once(store):
    rules = load_membership()
    member = store.customer_for("wechat", "member")
    trips = []
    for n in range(6):  # trips ending on different days, awarded by calls on different days
        booking = store.hold_and_book(member, "G1/二等座", FIRST_DAY + timedelta(days=n), ["甲"],
                                      PHONE, f"trip-{n}")
        trips.append(store.record_payment(booking, booking.total_fen, "wechat_pay", f"wx-{n}"))
    days = [FIRST_DAY + timedelta(days=n + 1) for n in range(len(trips))] * 2

    awarded = together([(lambda day=day: store.award_completed(member, day)) for day in days])

    total = sum(rules.points_for(t.total_fen) for t in trips)
    assert sum(awarded) == total
    assert store.membership(member).points == total
    for trip in trips:
        assert [e.action for e in store.history(trip)].count("points_awarded") == 1
