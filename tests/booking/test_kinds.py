"""What a booking of each kind spans, defined once in bot.booking.kinds: the store's
inventory and price, the seed's past trips and the dialogue's dates all follow it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT, held_days, nights, priced_units, span, stay_end

START = date(2030, 5, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_a_stay_holds_and_charges_each_night_from_check_in():
    assert stay_end(START, 2) == day(2) and nights(START, day(2)) == 2
    assert span(HOTEL_ROOM, 1, START, day(2)) == (START, day(2))
    assert held_days(HOTEL_ROOM, START, day(2)) == [START, day(1)]
    assert priced_units(HOTEL_ROOM, START, day(2)) == 2


@pytest.mark.parametrize("check_out", [None, START, day(-1)])
def test_a_stay_needs_a_check_out_after_check_in(check_out):
    with pytest.raises(ValueError):
        span(HOTEL_ROOM, 1, START, check_out)


def test_a_tour_lasts_its_days_and_holds_its_departure():
    assert span(TOUR, 3, START) == (START, day(2))
    assert held_days(TOUR, START, day(2)) == [START] and priced_units(TOUR, START, day(2)) == 1


def test_a_ticket_is_its_departure_day_whatever_end_is_given():
    assert span(TRANSPORT, 1, START, day(5)) == (START, START)
    assert held_days(TRANSPORT, START, START) == [START]
