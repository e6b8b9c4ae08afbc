"""Hotel and sight names as travellers write them, in the catalogue or not (bot/nlu/place_names.py)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from bot import knowledge
from bot.nlu.place_names import settle
from bot.nlu.tokenizer import build_jieba, jieba_tokens


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    return build_jieba(knowledge.dictionary_words())


def names_in(text: str, model: Sequence[Tuple[str, str]] = ()) -> List[Tuple[str, str]]:
    """(entity, words) settled for a message, given what the model labelled ((entity, words))."""
    tokens = [(t.start, t.end) for t in jieba_tokens(_segmenter(), text)]
    entities: List[Dict[str, Any]] = []
    for kind, words in model:
        start = text.index(words)
        entities.append({"entity": kind, "start": start, "end": start + len(words), "value": words,
                         "extractor": "DIETClassifier"})
    return [(e["entity"], text[e["start"]:e["end"]]) for e in settle(text, entities, tokens)]


@pytest.mark.parametrize("text, expected", [
    # hotels the catalogue lacks, their city and area in their name
    ("帮忙查一下宁波南苑饭店下周二有没有大床房", [("hotel_name", "宁波南苑饭店")]),
    ("北京星河宾馆还有房吗", [("hotel_name", "北京星河宾馆")]),
    ("先把钟山宾馆订了", [("hotel_name", "钟山宾馆")]),
    ("上海虹桥希尔顿去虹桥机场方便吗", [("hotel_name", "上海虹桥希尔顿")]),
    ("沈阳香格里拉的行政酒廊几点关门", [("hotel_name", "沈阳香格里拉")]),
    ("如家酒店多少钱", [("hotel_name", "如家酒店")]),
    ("大华饭店离外滩远吗", [("hotel_name", "大华饭店"), ("attraction_name", "外滩")]),
    ("五星级希尔顿酒店", [("hotel_name", "希尔顿酒店")]),
    # a city before a sight is the city
    ("上海迪士尼周边的酒店有免费班车吗", [("city", "上海"), ("attraction_name", "迪士尼")]),
    ("青岛栈桥附近的海景民宿", [("city", "青岛"), ("attraction_name", "栈桥")]),
    ("杭州西湖边的四季酒店早餐有包吗", [("city", "杭州"), ("attraction_name", "西湖"), ("hotel_name", "四季酒店")]),
    # a sight's own name that holds a place stays whole; two sights in one question
    ("张家界国家森林公园门票", [("attraction_name", "张家界国家森林公园")]),
    ("请问行程里包含兵马俑和华清池吗", [("attraction_name", "兵马俑"), ("attraction_name", "华清池")]),
    # kinds of hotel and pointers are not names
    ("这家酒店有停车场吗", []),
    ("有没有五星级酒店", []),
    ("郑州火车站附近快捷酒店", []),
    ("三亚海边酒店推荐一下", []),
    ("杭州带泳池酒店", []),
    ("成都市中心江景房酒店", []),
    ("北京酒店", []),
])
def test_names_travellers_write_are_found_by_rule(text, expected):
    assert names_in(text) == expected


@pytest.mark.parametrize("text, model, expected", [
    # the model's fragment of a longer name gives way to the name
    ("上海虹桥希尔顿去虹桥机场方便吗", [("hotel_name", "希尔顿")], [("hotel_name", "上海虹桥希尔顿")]),
    ("宁波南苑饭店有大床房吗", [("city", "宁波"), ("hotel_name", "饭店")],
     [("city", "宁波"), ("hotel_name", "宁波南苑饭店")]),  # the city stays: the hotel is looked up there
    # labels made of the sentence's words are dropped or trimmed
    ("在吗在吗 重庆解放碑附近还有房没", [("city", "在吗")], [("attraction_name", "解放碑")]),
    ("帮我看看有什么好玩的", [("hotel_name", "帮我")], []),
    # a city label running on into a place is the city
    ("郑州火车站附近快捷酒店", [("city", "郑州火车站")], [("city", "郑州")]),
    # a short unknown place gone to is a town; "订个酒店" is no name
    ("我下周要去鹤岗看亲戚,想在那边订个酒店住两晚", [("attraction_name", "鹤岗")], [("city", "鹤岗")]),
    ("去栈桥怎么走", [("attraction_name", "栈桥")], [("attraction_name", "栈桥")]),
    # what the model got right stays as it was
    ("成都有什么好玩的", [("city", "成都")], [("city", "成都")]),
])
def test_the_models_labels_are_settled(text, model, expected):
    assert names_in(text, model) == expected
