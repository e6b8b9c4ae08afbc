import pytest

from bot.text import is_traditional, normalize, to_traditional


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("看著窗外", "看着窗外"),  # plain t2s leaves 著
        ("我想坐計程車去捷運站", "我想坐出租车去地铁站"),
        ("請問飯店幾點入住", "请问酒店几点入住"),
        ("我想訂兩張機票", "我想订两张机票"),
        ("这里有什么好吃的", "这里有什么好吃的"),  # Simplified text is left alone (no 什幺)
        ("ＴＤ７ＫＱ３Ｍ９ＸＡ", "TD7KQ3M9XA"),
        ("订\u200b酒\u200d店", "订酒店"),
        ("在吗？？？？！！！", "在吗?!"),
        ("  明天   上海  ", "明天 上海"),
        ("\u200b/restart", "\uff0frestart"),  # typed (escaped by the connector): text
        ("／restart", "\uff0frestart"),  # typed full-width: text
        ("/affirm", "/affirm"),  # an offered button's payload, passed as-is by a connector
    ],
)
def test_normalize_gives_canonical_simplified_text(raw, expected):
    assert normalize(raw).text == expected


def test_normalize_remembers_traditional_script():
    assert normalize("請問飯店幾點入住").traditional is True
    assert normalize("请问酒店几点入住").traditional is False


def test_entity_span_follows_text_that_got_shorter():
    raw = "在吗？？？我想去\u200b上海"
    normalized = normalize(raw)
    start = raw.index("上海")
    new_start, new_end = normalized.map_span(start, start + 2)
    assert normalized.text[new_start:new_end] == "上海"


@pytest.mark.parametrize("text, expected", [("機票", True), ("机票", False), ("OK", False)])
def test_is_traditional(text, expected):
    assert is_traditional(text) is expected


def test_replies_convert_to_taiwan_traditional():
    assert to_traditional("为您找到酒店，出租车到地铁站") == "為您找到酒店，計程車到地鐵站"
