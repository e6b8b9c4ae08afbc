"""One-change connections: the onward leg leaves the hub after the first one arrives there,
with time to change, on a day both run."""
from decimal import Decimal
from typing import Tuple

from bot.catalogue.connections import best_per_hub, minutes_of, pair_legs
from bot.catalogue.items import Fare, Service


def leg(code: str, origin: str, destination: str, depart: str, arrive: str,
        weekdays: Tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7), mode: str = "train") -> Service:
    return Service(code=code, mode=mode, operator="国铁", origin=origin, destination=destination,
                   from_station=f"{origin}{'机场' if mode == 'flight' else '站'}",
                   to_station=f"{destination}站", depart=depart, arrive=arrive,
                   duration_minutes=minutes_of(arrive) - minutes_of(depart), weekdays=weekdays,
                   fares=(Fare("二等座", Decimal(100), 10),))


def test_the_onward_leg_leaves_after_the_first_arrives_with_time_to_change():
    first = leg("D1", "九江", "武汉", "08:00", "10:00")
    too_soon, too_early, later, latest = (leg("G1", "武汉", "杭州", "10:30", "15:00"),
                                          leg("G2", "武汉", "杭州", "09:00", "13:30"),
                                          leg("G3", "武汉", "杭州", "11:00", "15:30"),
                                          leg("G4", "武汉", "杭州", "13:00", "17:30"))
    found = pair_legs([first], [too_soon, too_early, latest, later], min_change_minutes=60)
    assert [c.second.code for c in found] == ["G3", "G4"]
    assert found[0].change_minutes == 60 and found[0].total_minutes == 450 and found[0].hub == "武汉"


def test_changing_to_the_airport_takes_longer_than_changing_platforms():
    first = leg("D1", "九江", "武汉", "08:00", "10:00")
    soon, later = (leg("CZ1", "武汉", "杭州", "11:30", "13:00", mode="flight"),
                   leg("CZ2", "武汉", "杭州", "12:00", "13:30", mode="flight"))
    assert [c.second.code for c in pair_legs([first], [soon, later], min_change_minutes=60)] == ["CZ2"]


def test_both_legs_run_on_the_day_asked_for():
    first = leg("D1", "九江", "武汉", "08:00", "10:00", weekdays=(1, 3, 5))
    onward = leg("G3", "武汉", "杭州", "11:00", "15:30", weekdays=(2, 3))
    assert pair_legs([first], [onward], 60, weekday=3)
    assert not pair_legs([first], [onward], 60, weekday=1)
    assert not pair_legs([first], [leg("G5", "武汉", "杭州", "11:00", "15:30", weekdays=(2, 4))], 60)


def test_an_overnight_first_leg_makes_no_same_day_connection():
    assert not pair_legs([leg("Z1", "九江", "武汉", "22:00", "06:00+1")],
                         [leg("G3", "武汉", "杭州", "11:00", "15:30")], 60)


def test_the_best_connection_of_each_hub_earliest_arrival_first():
    found = pair_legs([leg("D1", "九江", "武汉", "08:00", "10:00"), leg("D2", "九江", "南昌", "07:00", "08:30")],
                      [leg("G3", "武汉", "杭州", "11:00", "15:30"), leg("G4", "武汉", "杭州", "13:00", "17:30"),
                       leg("G6", "南昌", "杭州", "10:00", "14:00")], 60)
    assert [(c.hub, c.second.code) for c in best_per_hub(found, limit=3)] == [("南昌", "G6"), ("武汉", "G3")]
