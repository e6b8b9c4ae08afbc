"""The reading of follow-ups and routes, and the kind and name of a catalogue item
(the searches are tested against the facade in tests/catalogue/test_queries.py)."""

import pytest

from bot import catalogue, knowledge
from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT


@pytest.mark.parametrize(
    "text, expected",
    [("第二个怎么样", 2), ("第1家详细说说", 1), ("第三条", 3), ("第十个", 10), ("还有吗", None)],
)
def test_ordinal(text, expected):
    assert catalogue.ordinal_in(text) == expected


@pytest.mark.parametrize(
    "text, kind",
    [("还有便宜点的吗", "cheaper"), ("太贵了", "cheaper"), ("有早一点的吗", "earlier"),
     ("还有晚点的车次吗", "later"), ("还有别的吗", "more"), ("第二个怎么样", "detail"), ("明天上海", None),
     # Asking whether the list was all: more, not the same list again; but a party, a
     # day, "nothing else" and Cantonese availability questions are not.
     ("只有一家吗", "more"), ("只有这几家吗", "more"), ("有冇其他", "more"), ("仲有冇其他酒店", "more"),
     ("只有一个人吗", None), ("只有周末有空吗", None), ("谢谢，没有其他", None), ("今晚仲有冇双床房呀", None)],
)
def test_follow_up_kind(text, kind):
    assert catalogue.follow_up_in(text) == kind


def mentions(text, *cities):
    """Each city at its next occurrence, so a city named twice is two mentions."""
    found, start = [], {}
    for c in cities:
        at = text.index(c, start.get(c, 0))
        start[c] = at + len(c)
        found.append((c, at, at + len(c)))
    return found


@pytest.mark.parametrize(
    "text, cities, expected",
    [
        ("上海到北京", ("上海", "北京"), ("上海", "北京")),
        ("从杭州出发去成都", ("杭州", "成都"), ("杭州", "成都")),
        ("去成都的机票", ("成都",), (None, "成都")),
        ("从杭州出发", ("杭州",), ("杭州", None)),
        ("北京飞三亚", ("北京", "三亚"), ("北京", "三亚")),
        ("去西安，从北京走", ("西安", "北京"), ("北京", "西安")),
        ("广州-深圳", ("广州", "深圳"), ("广州", "深圳")),
        # the route said last wins over the cue words before it
        ("先飞上海，再坐高铁去苏州。上海到苏州下午有哪几班", ("上海", "苏州", "上海", "苏州"), ("上海", "苏州")),
        ("第一班到苏州还是苏州北", ("苏州", "苏州"), (None, "苏州")),  # the same city again is no origin
    ],
)
def test_route_direction(text, cities, expected):
    assert catalogue.split_route(text, mentions(text, *cities)) == expected


def test_each_catalogue_item_has_the_kind_and_name_the_store_books_it_under():
    hotel, tour, service = knowledge.hotels()[0], knowledge.tours()[0], knowledge.services()[0]
    assert [catalogue.item_kind(i) for i in (hotel.id, tour.id, service.code)] == [HOTEL_ROOM, TOUR, TRANSPORT]
    room, (fare, _price) = hotel.rooms[0], service.fares[0]
    assert catalogue.product_name(hotel.id, room.type) == f"{hotel.name} {room.type}"
    assert catalogue.product_name(tour.id) == tour.name
    assert catalogue.product_name(service.code, fare) == (
        f"{service.code} {service.from_station}→{service.to_station} {fare}")
    assert catalogue.product_code(hotel.id, room.type) == f"{hotel.id}/{room.type}"
    assert catalogue.product_code(tour.id) == tour.id
