"""The attribute entity: colloquial questions → the closed set, by rule."""
import pytest

from bot.catalogue.attributes import ATTRIBUTES, BY_KIND, attributes_in, for_kind
from bot.catalogue.items import HOTEL, SERVICE, SIGHT, TOUR
from bot.nlu.rule_extractor import rule_entities_for


def names(text):
    return [mention.name for mention in attributes_in(text)]


@pytest.mark.parametrize("text, expected", [
    ("第一个的地址在哪？有停车场吗", ["地址", "停车"]),
    ("它在哪里，怎么走", ["地址"]),
    ("故宫几点开门，门票多少钱", ["开放时间", "票价"]),
    ("几点关门", ["开放时间"]),
    ("好停车吗", ["停车"]),
    ("能停车吗", ["停车"]),
    ("G7几点到，要多久，还有票吗", ["到达时间", "时长", "座位"]),
    ("有座吗", ["座位"]),
    ("多少钱进去", ["票价"]),
    ("营业时间是几点", ["开放时间"]),
    ("电话多少", ["电话"]),
    ("含早吗", ["早餐"]),
    ("从哪个站出发，几号航站楼", ["车站", "航站楼"]),
    ("附近有什么好玩的", ["周边"]),
    ("费用包含哪些，有没有自费项目", ["费用包含", "费用不含"]),
    ("离地铁站远吗", ["地铁"]),
    ("几点可以入住，几点退房", ["入住时间", "退房时间"]),
])
def test_colloquial_questions_become_canonical_attributes(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text", ["你们在哪个城市有酒店", "明天上海的酒店 两个人", "十分钟后再说", "好的谢谢"])
def test_requests_that_ask_no_attribute(text):
    assert names(text) == []


def test_every_kind_answers_only_attributes_of_the_closed_set():
    for kind, attributes in BY_KIND.items():
        assert set(attributes) <= set(ATTRIBUTES), kind


@pytest.mark.parametrize("asked, kind, meant", [
    ("价格", SIGHT, "票价"),
    ("票价", HOTEL, "价格"),
    ("时长", SIGHT, "游玩时长"),
    ("时长", TOUR, "天数"),
    ("地址", SERVICE, "车站"),
    ("停车", SERVICE, None),
    ("地址", HOTEL, "地址"),
])
def test_a_question_means_the_fact_that_kind_of_item_has(asked, kind, meant):
    assert for_kind(asked, kind) == meant


def test_the_rule_extractor_emits_the_attribute_entity_with_its_canonical_value():
    entities = [e for e in rule_entities_for("第一个的地址在哪？有停车场吗") if e["entity"] == "attribute"]
    assert [e["value"] for e in entities] == ["地址", "停车"]
    assert entities[0]["start"] == 4 and entities[0]["end"] == 6
