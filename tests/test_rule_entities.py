import pytest

from bot.nlu.people import extract_people
from bot.nlu.rule_extractor import find_rule_entities


@pytest.mark.parametrize(
    "text, count",
    [
        ("三个人", 3), ("2位", 2), ("两大一小", 3), ("2大1小", 3), ("一家四口", 4),
        ("我们俩", 2), ("4个大人2个小孩", 6), ("两个大人带一个孩子", 3), ("就我一个", 1),
        ("我们三个", 3), ("2个成人1个儿童", 3), ("十个人左右", 10), ("两人", 2), ("5名", 5),
    ],
)
def test_people_count(text, count):
    found = extract_people(text)
    assert [m.value for m in found] == [count]


@pytest.mark.parametrize("text", ["订两间房住3晚", "二等座", "五星酒店", "第二个", "第5个人民广场那家可以", "订第3个人少的那家"])
def test_no_people_in_room_or_night_counts(text):
    assert extract_people(text) == []


def test_booking_ref_and_phone_are_normalised():
    found = find_rule_entities("订单td7kq3m9xa，手机139-1234-5678")
    assert [(e, v) for e, _, _, v in found] == [("booking_ref", "TD7KQ3M9XA"), ("phone", "13912345678")]


@pytest.mark.parametrize("text", ["TD0KQ3M9XA", "TD7KQ3M9X", "12345678901", "TD7KQ3M9XAB"])
def test_invalid_identifiers_are_not_entities(text):
    assert [e for e, *_ in find_rule_entities(text) if e in ("booking_ref", "phone")] == []
