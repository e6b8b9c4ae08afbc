"""Finished trips earn points once; points decide the level (knowledge_base/membership.yml)."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from bot.booking.membership import load_membership
from bot.booking.models import Customer
from bot.booking.seed import DEMO_CUSTOMERS, seed
from bot.booking.store import MembershipView

from tests.booking.support import FIRST_DAY, add_product, rows, seeded_store

PHONE = "13800138000"
RULES = load_membership()
BASIC, SILVER, GOLD, PLATINUM = (level.name for level in RULES.levels)
TOUR_ENDS = FIRST_DAY + timedelta(days=2)  # T-TEST is a 3-day tour from FIRST_DAY
TOUR_POINTS = 1200  # 1200 元 × 1 point per 元


@pytest.fixture
def member(store):
    return store.customer_for("wechat", "member")


def _trip(store, customer, code="T-TEST", dates=FIRST_DAY, paid=True, key="trip"):
    booking = store.hold_and_book(customer, code, dates, ["张三"], PHONE, key)
    if paid:
        booking = store.record_payment(booking, booking.total_fen, "wechat_pay", f"pay-{key}")
    return booking


def _stored_customer(store, customer):
    return next(c for c in rows(store, Customer) if c.id == customer.id)


# --- the rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("points, level", [
    (0, BASIC), (1999, BASIC), (2000, SILVER), (7999, SILVER), (8000, GOLD),
    (19999, GOLD), (20000, PLATINUM), (10**6, PLATINUM),
])
def test_the_level_follows_the_point_thresholds(points, level):
    assert RULES.level_for(points).name == level


@pytest.mark.parametrize("amount_fen, points", [(0, 0), (99, 0), (100, 1), (199999, 1999),
                                                (120000, 1200)])
def test_points_are_whole_yuan_times_points_per_yuan(amount_fen, points):
    assert RULES.points_per_yuan == 1
    assert RULES.points_for(amount_fen) == points


# --- awarding ------------------------------------------------------------------------------

def test_a_finished_trip_is_completed_and_awards_its_points_once(store, member):
    trip = _trip(store, member)
    today = TOUR_ENDS + timedelta(days=1)

    assert store.award_completed(member, today) == TOUR_POINTS
    assert store.award_completed(member, today) == 0
    assert store.award_completed(member, today + timedelta(days=30)) == 0

    assert store.find(trip.reference, member).status == "completed"
    stored = _stored_customer(store, member)
    assert (stored.points, stored.level) == (TOUR_POINTS, BASIC)
    awarded = [e for e in store.history(trip) if e.action == "points_awarded"]
    assert [(e.actor, e.details) for e in awarded] == [("system", {"points": TOUR_POINTS})]


@pytest.mark.parametrize("state, today", [
    ("confirmed", TOUR_ENDS),  # its last day: not over yet
    ("confirmed", FIRST_DAY - timedelta(days=1)),  # still to come
    ("pending_payment", TOUR_ENDS + timedelta(days=1)),  # never paid
    ("cancelled", TOUR_ENDS + timedelta(days=1)),
], ids=["last-day", "future", "unpaid", "cancelled"])
def test_trips_not_finished_and_paid_award_nothing(store, member, state, today):
    trip = _trip(store, member, paid=state != "pending_payment")
    if state == "cancelled":
        store.cancel(trip, store.quote_cancellation(trip), "cancel")

    assert store.award_completed(member, today) == 0
    assert store.find(trip.reference, member).status == state
    assert _stored_customer(store, member).points == 0
    assert "points_awarded" not in [e.action for e in store.history(trip)]


def test_only_the_customers_own_trips_earn_them_points(store, member):
    other = store.customer_for("telegram", "other")
    _trip(store, other, key="others-trip")

    assert store.award_completed(member, TOUR_ENDS + timedelta(days=1)) == 0
    assert store.membership(member).points == 0
    assert store.membership(other).points == 0  # not awarded until it is asked for


def test_concurrent_awards_give_each_trip_its_points_once(store, member):
    add_product(store, "H-PTS/单间", "hotel_room", 30000, capacity=3, max_guests=1)
    trips = [_trip(store, member, key="tour"),
             _trip(store, member, "H-PTS/单间", (FIRST_DAY, FIRST_DAY + timedelta(days=2)), key="stay"),
             _trip(store, member, "G1/二等座", FIRST_DAY, key="train")]
    total = sum(RULES.points_for(t.total_fen) for t in trips)
    today, barrier, results, errors = TOUR_ENDS + timedelta(days=1), threading.Barrier(4), [], []

    def award():
        barrier.wait()
        try:
            results.append(store.award_completed(member, today))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=award) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(results) == total
    assert _stored_customer(store, member).points == total
    for trip in trips:
        assert [e.action for e in store.history(trip)].count("points_awarded") == 1


# --- the membership view -------------------------------------------------------------------

def _level(name):
    return next(level for level in RULES.levels if level.name == name)


def test_a_new_member_starts_at_the_first_level(store, member):
    assert store.membership(member) == MembershipView(
        points=0, level=BASIC, benefits=_level(BASIC).benefits, next_level=SILVER,
        points_to_next=2000)


@pytest.mark.parametrize("price_fen, points, level, next_level, to_next", [
    (199999, 1999, BASIC, SILVER, 1),  # 1999.99 元: the fen do not make the 2000th point
    (200000, 2000, SILVER, GOLD, 6000),
    (800000, 8000, GOLD, PLATINUM, 12000),
    (2000000, 20000, PLATINUM, None, 0),
])
def test_membership_reports_points_level_benefits_and_the_way_to_the_next(
        store, member, price_fen, points, level, next_level, to_next):
    add_product(store, "X-PTS", "tour", price_fen, capacity=1)
    _trip(store, member, "X-PTS", FIRST_DAY)
    store.award_completed(member, FIRST_DAY + timedelta(days=1))

    assert store.membership(member) == MembershipView(points, level, _level(level).benefits,
                                                      next_level, to_next)
    stored = _stored_customer(store, member)
    assert (stored.points, stored.level) == (points, level)


def test_the_point_that_reaches_2000_moves_the_member_up(store, member):
    add_product(store, "X-1999", "tour", 199900, capacity=1)
    add_product(store, "X-1", "tour", 100, capacity=1)
    _trip(store, member, "X-1999", FIRST_DAY, key="big")
    store.award_completed(member, FIRST_DAY + timedelta(days=1))
    assert (store.membership(member).points, store.membership(member).level) == (1999, BASIC)

    _trip(store, member, "X-1", FIRST_DAY + timedelta(days=1), key="small")
    assert store.award_completed(member, FIRST_DAY + timedelta(days=2)) == 1

    view = store.membership(member)
    assert (view.points, view.level, view.next_level, view.points_to_next) == (2000, SILVER, GOLD,
                                                                               6000)
    assert _stored_customer(store, member).level == SILVER


# --- seed ------------------------------------------------------------------------------------

def test_seeded_past_trips_are_completed_with_their_points_awarded_once(database_url):
    today = date(2030, 5, 1)
    store = seeded_store(database_url, today)
    try:
        first = {}
        for demo in DEMO_CUSTOMERS:
            customer = store.customer_for(*demo.identities[0])
            past = [store.find(b.reference, customer) for b in demo.bookings if b.offset_days < 0]
            assert all(b.status == "completed" and b.end_date < today for b in past)
            first[demo.name] = (store.membership(customer).points,
                                sum(RULES.points_for(b.total_fen) for b in past))
        assert all(points == expected for points, expected in first.values())
        assert first["张伟"][0] > 0 and first["王芳"][0] > 0 and first["李娜"][0] == 0

        seed(store, today=today, demo=True)

        for demo in DEMO_CUSTOMERS:
            customer = store.customer_for(*demo.identities[0])
            assert store.membership(customer).points == first[demo.name][0]
            for b in demo.bookings:
                if b.offset_days < 0:
                    history = store.history(store.find(b.reference, customer))
                    assert [e.action for e in history].count("points_awarded") == 1
    finally:
        store.close()
