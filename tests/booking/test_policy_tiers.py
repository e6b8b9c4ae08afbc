"""Refund and change fees at every tier edge of knowledge_base/policies.yml."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.booking import policy as rules

SHANGHAI = rules.load_policy().timezone
DEPARTS = datetime(2030, 5, 20, 8, 0, tzinfo=SHANGHAI)
JUST = timedelta(seconds=1)
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def policy() -> rules.Policy:
    return rules.load_policy()


@pytest.mark.parametrize("before, percent, rule", [
    (192 * H, 0, "train.refund.192"),            # exactly 8 days: free
    (192 * H - JUST, 5, "train.refund.48"),
    (48 * H, 5, "train.refund.48"),               # exactly 48h: still 5%
    (48 * H - JUST, 10, "train.refund.24"),
    (24 * H, 10, "train.refund.24"),              # exactly 24h: still 10%
    (24 * H - JUST, 20, "train.refund.0"),        # just under 24h: 20%
    (timedelta(0), 20, "train.refund.0"),
])
def test_train_refund_fee_by_hours_before_departure(policy, before, percent, rule):
    quote = rules.train_refund(policy, 100000, DEPARTS, DEPARTS - before)
    assert (quote.fee_fen, quote.refund_fen, quote.rule) == (1000 * percent, 100000 - 1000 * percent, rule)
    assert quote.policy_version == policy.version


def test_train_refund_after_departure_is_not_allowed(policy):
    quote = rules.train_refund(policy, 55300, DEPARTS, DEPARTS + JUST)
    assert not quote.allowed and quote.refund_fen == 0


def test_train_refund_fee_is_at_least_the_minimum(policy):
    quote = rules.train_refund(policy, 1900, DEPARTS, DEPARTS - 72 * H)  # 5% = 95 fen
    assert quote.fee_fen == policy.train_minimum_fee_fen == 200


def test_train_refund_rounds_half_up_to_the_fen(policy):
    assert rules.train_refund(policy, 55310, DEPARTS, DEPARTS - 72 * H).fee_fen == 2766  # 2765.5


def test_the_same_instant_in_another_timezone_gives_the_same_fee(policy):
    at = (DEPARTS - 24 * H).astimezone(timezone.utc)
    assert rules.train_refund(policy, 100000, DEPARTS, at).fee_fen == 10000


@pytest.mark.parametrize("days, percent", [(30, 0), (8, 0), (7, 20), (4, 20), (3, 50), (1, 50), (0, 100)])
def test_tour_refund_by_days_before_departure(policy, days, percent):
    departure = date(2030, 5, 20)
    at = datetime(2030, 5, 20, 23, 59, tzinfo=SHANGHAI) - timedelta(days=days)
    quote = rules.tour_cancellation(policy, 268000, departure, at)
    assert quote.fee_fen == 2680 * percent


def test_tour_days_are_counted_in_shanghai_not_utc(policy):
    # 00:30 on 05-13 in Shanghai is still 05-12 in UTC: 7 days locally (20%), 8 in UTC (free).
    at = datetime(2030, 5, 13, 0, 30, tzinfo=SHANGHAI).astimezone(timezone.utc)
    assert rules.days_before(policy, date(2030, 5, 20), at) == 7
    assert rules.tour_cancellation(policy, 100000, date(2030, 5, 20), at).fee_fen == 20000


@pytest.mark.parametrize("at, fee", [
    (datetime(2030, 5, 19, 12, 0, tzinfo=SHANGHAI), 0),
    (datetime(2030, 5, 20, 17, 59, 59, tzinfo=SHANGHAI), 0),
    (datetime(2030, 5, 20, 18, 0, tzinfo=SHANGHAI), 50000),   # at the cut-off: first night
    (datetime(2030, 5, 20, 10, 0, tzinfo=timezone.utc), 50000),  # 18:00 Shanghai
])
def test_hotel_free_until_cutoff_then_first_night(policy, at, fee):
    quote = rules.hotel_cancellation(policy, 150000, 50000, date(2030, 5, 20), at)
    assert (quote.fee_fen, quote.refund_fen) == (fee, 150000 - fee)


@pytest.mark.parametrize("fare_class, before, percent", [
    ("经济舱", 168 * H, 10), ("经济舱", 168 * H - JUST, 20), ("经济舱", 48 * H, 20),
    ("经济舱", 48 * H - JUST, 30), ("经济舱", 4 * H, 30), ("经济舱", 4 * H - JUST, 50),
    ("公务舱", 168 * H, 5), ("公务舱", 4 * H - JUST, 20),
    ("头等舱", 168 * H, 0), ("头等舱", 4 * H - JUST, 15),
])
def test_flight_refund_by_fare_class(policy, fare_class, before, percent):
    quote = rules.flight_refund(policy, 98000, fare_class, DEPARTS, DEPARTS - before)
    assert quote.fee_fen == 980 * percent


def test_flight_change_quotes_fee_and_fare_difference(policy):
    quote = rules.flight_change(policy, 98000, 120000, "经济舱", DEPARTS, DEPARTS - 72 * H)
    assert (quote.fee_fen, quote.difference_fen, quote.payable_fen) == (9800, 22000, 31800)
    assert quote.refund_fen == 0


def test_unknown_fare_class_names_the_setting(policy):
    with pytest.raises(rules.PolicyError, match="flight.fare_classes"):
        rules.flight_refund(policy, 98000, "超级舱", DEPARTS, DEPARTS - 72 * H)


def test_tour_change_within_a_week_costs_like_a_cancellation(policy):
    trip = rules.Trip(kind="tour", amount_fen=100000, start=date(2030, 5, 20))
    free = rules.change_quote(policy, trip, 100000, datetime(2030, 5, 12, 9, tzinfo=SHANGHAI))
    tiered = rules.change_quote(policy, trip, 90000, datetime(2030, 5, 13, 9, tzinfo=SHANGHAI))
    assert (free.fee_fen, free.difference_fen) == (0, 0)
    assert (tiered.fee_fen, tiered.difference_fen, tiered.payable_fen) == (20000, -10000, 10000)


def test_naive_datetimes_are_refused(policy):
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.train_refund(policy, 100, DEPARTS, datetime(2030, 5, 1, 8, 0))  # noqa: DTZ001


def test_yuan_become_integer_fen():
    assert rules.to_fen(Decimal("553")) == 55300
    assert rules.to_fen(Decimal("0.125")) == 13
    assert rules.percent_of(333, Decimal("50")) == 167


def test_malformed_policy_names_the_setting():
    with pytest.raises(rules.PolicyError, match="tour.refund_tiers"):
        rules.parse_policy({"version": "x", "hotel": {"free_cancellation_cutoff": "18:00"},
                            "tour": {"refund_tiers": [], "change_tiers": []}, "train": {},
                            "flight": {"fare_classes": {}}, "bus": {}})
