"""Unpaid holds expire after the time policies.yml gives their product, and each customer
may keep only a few unpaid bookings open: two scripted senders cannot sell out a room."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.booking import policy as rules
from bot.booking.models import Booking, BookingEvent, Payment, Refund
from bot.booking.store import TooManyUnpaid, NotCancellable

from tests.booking.support import FIRST_DAY, reserved, rows

HOTEL = "H-TEST/大床房"
TRAIN = "G1/二等座"
STAY = (FIRST_DAY, FIRST_DAY + timedelta(days=2))


def book(store, who: str = "holder", key: str = "k1", code: str = HOTEL, dates=STAY):
    customer = store.customer_for("rest", who)
    booking = store.hold_and_book(customer, code, dates, ["张伟"], "13800138000", key)
    store.open_payment(booking, "link")
    return booking


def after_hold(store, booking, extra: timedelta = timedelta(seconds=1)):
    """A moment just past the booking's hold, as the sweeper's clock would read it."""
    kind, mode = booking.product.kind, booking.product.mode
    return booking.created_at + rules.hold_time(store.policy, kind, mode) + extra


def test_hold_times_per_product_come_from_policies_yml():
    policy = rules.load_policy()
    assert rules.hold_time(policy, "hotel_room") == timedelta(minutes=30)
    assert rules.hold_time(policy, "tour") == timedelta(minutes=60)
    assert rules.hold_time(policy, "transport", "train") == timedelta(minutes=30)
    assert rules.hold_time(policy, "transport", "flight") == timedelta(minutes=20)
    assert policy.max_unpaid_bookings == 3


@pytest.mark.parametrize("holds,setting", [
    ({"minutes": {"hotel_room": 30, "tour": 60}}, "transport"),
    ({"minutes": {"hotel_room": 30, "tour": 60, "transport": 0}}, "holds.minutes.transport"),
    ({"minutes": {"hotel_room": 30, "tour": 60, "transport": 30, "ship": 5}}, "ship"),
    ({"minutes": {"hotel_room": 30, "tour": 60, "transport": 30}}, "holds.max_unpaid_bookings"),
])
def test_a_malformed_hold_setting_is_named(holds, setting):
    import yaml

    data = yaml.safe_load((rules.settings.knowledge_base_dir / "policies.yml").read_text("utf-8"))
    data["holds"] = holds
    with pytest.raises(rules.PolicyError, match=setting):
        rules.parse_policy(data)


def test_a_new_booking_states_its_hold_deadline(store):
    booking = book(store)
    assert booking.hold_expires_at == booking.created_at + timedelta(minutes=30)
    train = book(store, key="k2", code=TRAIN, dates=FIRST_DAY)
    assert train.hold_expires_at == train.created_at + timedelta(minutes=30)


def test_a_hold_past_its_time_is_expired_with_inventory_back_and_the_event_recorded(store):
    booking = book(store)
    assert reserved(store, HOTEL, FIRST_DAY) == 1
    assert store.expire_holds(at=after_hold(store, booking, -timedelta(seconds=1))) == []
    assert reserved(store, HOTEL, FIRST_DAY) == 1

    [expired] = store.expire_holds(at=after_hold(store, booking))
    assert (expired.reference, expired.customer_id, expired.product_name) == (
        booking.reference, booking.customer_id, booking.product.name)
    assert store.find(booking.reference, store.customer_for("rest", "holder")).status == "expired"
    assert [reserved(store, HOTEL, FIRST_DAY + timedelta(days=n)) for n in range(3)] == [0, 0, 0]
    events = [e.action for e in store.history(booking)]
    assert events[-1] == "expired"
    assert [p.status for p in rows(store, Payment)] == ["expired"]
    with pytest.raises(NotCancellable):
        store.quote_cancellation(store.find(booking.reference, store.customer_for("rest", "holder")))


def test_a_booking_paid_before_the_sweep_is_not_expired(store):
    booking = book(store)
    store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-1")
    assert store.expire_holds(at=after_hold(store, booking, timedelta(days=1))) == []
    assert store.find(booking.reference, store.customer_for("rest", "holder")).status == "confirmed"
    assert reserved(store, HOTEL, FIRST_DAY) == 1


def test_sweeping_twice_releases_inventory_once(store):
    booking = book(store)
    book(store, who="other", key="k2")
    at = after_hold(store, booking, timedelta(hours=1))
    assert len(store.expire_holds(at=at)) == 2
    assert store.expire_holds(at=at) == []
    assert [reserved(store, HOTEL, FIRST_DAY + timedelta(days=n)) for n in range(3)] == [0, 0, 0]
    assert sum(e.action == "expired" for e in rows(store, BookingEvent)) == 2


def test_two_sweepers_at_once_release_inventory_once(store):
    bookings = [book(store, who=f"sender-{n}", key=f"k{n}") for n in range(3)]
    at = after_hold(store, bookings[-1], timedelta(hours=1))
    barrier = threading.Barrier(2)
    found, errors = [], []

    def sweep() -> None:
        barrier.wait()
        try:
            found.extend(store.expire_holds(at=at))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(e.reference for e in found) == sorted(b.reference for b in bookings)
    assert [reserved(store, HOTEL, FIRST_DAY + timedelta(days=n)) for n in range(3)] == [0, 0, 0]
    assert sum(e.action == "expired" for e in rows(store, BookingEvent)) == 3


def test_a_payment_arriving_after_the_hold_expired_is_refunded_in_full(store):
    booking = book(store)
    store.expire_holds(at=after_hold(store, booking))
    view = store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-late")
    again = store.record_payment(booking, booking.total_fen, "wechat_pay", "wx-late")
    assert view.status == again.status == "expired"
    [refund] = rows(store, Refund)
    assert (refund.amount_fen, refund.fee_fen, refund.rule, refund.status) == (
        booking.total_fen, 0, "hold.expired", "pending")
    assert reserved(store, HOTEL, FIRST_DAY) == 0  # the place is not taken back
    assert "paid_after_expiry" in [e.action for e in store.history(booking)]


def test_the_fourth_unpaid_booking_of_a_customer_is_refused(store):
    for n in range(3):
        book(store, key=f"k{n}", code=TRAIN, dates=FIRST_DAY + timedelta(days=n))
    with pytest.raises(TooManyUnpaid) as refused:
        book(store, key="k3", code=TRAIN, dates=FIRST_DAY + timedelta(days=3))
    assert refused.value.limit == 3 and len(refused.value.references) == 3
    assert reserved(store, TRAIN, FIRST_DAY + timedelta(days=3)) == 0
    assert store.count(Booking) == 3
    assert book(store, who="someone-else", key="k4", code=TRAIN, dates=FIRST_DAY).status == "pending_payment"


def test_paying_or_expiry_makes_room_under_the_cap(store):
    made = [book(store, key=f"k{n}", code=TRAIN, dates=FIRST_DAY + timedelta(days=n)) for n in range(3)]
    store.record_payment(made[0], made[0].total_fen, "wechat_pay", "wx-1")
    book(store, key="k3", code=TRAIN, dates=FIRST_DAY + timedelta(days=3))
    with pytest.raises(TooManyUnpaid):
        book(store, key="k4", code=TRAIN, dates=FIRST_DAY + timedelta(days=4))
    store.expire_holds(at=after_hold(store, made[-1], timedelta(days=1)))
    assert book(store, key="k5", code=TRAIN, dates=FIRST_DAY + timedelta(days=5)).status == "pending_payment"


def test_a_retried_booking_under_the_cap_finds_the_first_one(store):
    first = [book(store, key=f"k{n}", code=TRAIN, dates=FIRST_DAY + timedelta(days=n)) for n in range(3)]
    assert book(store, key="k2", code=TRAIN, dates=FIRST_DAY + timedelta(days=2)) == first[2]


def test_concurrent_bookings_of_one_customer_never_pass_the_cap(store):
    customer = store.customer_for("rest", "scripted")
    barrier = threading.Barrier(6)
    outcomes, errors = [], []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            store.hold_and_book(customer, TRAIN, FIRST_DAY + timedelta(days=n), ["张伟"],
                                "13800138000", f"burst-{n}")
            outcomes.append("booked")
        except TooManyUnpaid:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == ["booked"] * 3 + ["refused"] * 3
    assert store.count(Booking) == 3


def test_a_part_payment_goes_back_when_the_hold_expires(store):
    booking = book(store)
    store.record_payment(booking, 10000, "wechat_pay", "part-1")
    store.expire_holds(at=after_hold(store, booking))
    refunds = rows(store, Refund)
    assert [(r.amount_fen, r.rule) for r in refunds] == [(10000, "hold.expired")]
    store.expire_holds(at=after_hold(store, booking, timedelta(hours=1)))
    assert len(rows(store, Refund)) == 1
