import pytest

from bot.nlu.people import children_in, extract_people, is_child
from bot.nlu.rule_extractor import find_rule_entities


@pytest.mark.parametrize(
    "text, count",
    [
        ("三个人", 3), ("2位", 2), ("两大一小", 3), ("2大1小", 3), ("一家四口", 4),
        ("我们俩", 2), ("4个大人2个小孩", 6), ("两个大人带一个孩子", 3), ("就我一个", 1),
        ("我们三个", 3), ("2个成人1个儿童", 3), ("十个人左右", 10), ("两人", 2), ("5名", 5),
        ("两个大人带个5岁的孩子", 3), ("我们两个人带个孩子", 3), ("大人2位，儿童1位", 3),
    ],
)
def test_people_count(text, count):
    found = extract_people(text)
    assert [m.value for m in found] == [count]


@pytest.mark.parametrize("text", ["订两间房住3晚", "二等座", "五星酒店", "第二个", "第5个人民广场那家可以", "订第3个人少的那家"])
def test_no_people_in_room_or_night_counts(text):
    assert extract_people(text) == []


@pytest.mark.parametrize(
    "text, children",
    [
        ("我们两大一小", 1), ("两个大人一个小孩", 1), ("2成人1儿童", 1), ("2成人+1儿童", 1), ("两大两小", 2),
        ("带个5岁的孩子", 1), ("两个大人带个5岁的孩子", 1), ("其中一个是小孩", 1), ("有一个是儿童", 1),
        ("不对，是两大一小", 1), ("大人2位，儿童1位", 1), ("都是大人", 0), ("没有小孩", 0),
        ("三个人", None), ("一家三口", None), ("4个大人2个学生", None), ("小孩不是算儿童价吗？", None),
        ("没有儿童价吗", None), ("有没有小朋友玩的地方", None),
    ],
)
def test_children_of_the_party(text, children):
    assert children_in(text) == children


@pytest.mark.parametrize("note, child", [("小孩", True), ("儿童", True), ("8岁", True), ("十岁", True),
                                         ("10个月", True), ("13岁", False), ("成人", False)])
def test_a_note_with_a_name_says_whether_they_are_a_child(note, child):
    assert is_child(note) is child


def test_booking_ref_and_phone_are_normalised():
    found = find_rule_entities("订单td7kq3m9xa，手机139-1234-5678")
    assert [(e, v) for e, _, _, v in found] == [("booking_ref", "TD7KQ3M9XA"), ("phone", "13912345678")]


@pytest.mark.parametrize("text", ["TD0KQ3M9XA", "TD7KQ3M9X", "12345678901", "TD7KQ3M9XAB"])
def test_invalid_identifiers_are_not_entities(text):
    assert [e for e, *_ in find_rule_entities(text) if e in ("booking_ref", "phone")] == []
