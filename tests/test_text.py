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


# --- offset mapping stays linear (issue 8: one long message blocked every traveller) ----------

# A traveller's message with what the normaliser changes: Traditional words, full-width
# letters, zero-width characters, repeated punctuation and spaces.
WORKLOAD_UNIT = "請問ＴＤ７計程車\u200b到捷運站？？？  明天上海的飯店還有房嗎！！"


def _message(length: int) -> str:
    return (WORKLOAD_UNIT * (length // len(WORKLOAD_UNIT) + 1))[:length]


def _traced_steps(text: str) -> int:
    """Python lines executed to normalise ``text`` and map a span across it (machine-independent)."""
    import sys

    steps = 0

    def tracer(frame, event, arg):  # noqa: ANN001, ANN202 - sys.settrace's signature
        nonlocal steps
        if event == "line":
            steps += 1
        return tracer

    sys.settrace(tracer)
    try:
        normalized = normalize(text)
        normalized.map_span(len(text) // 2, len(text) // 2 + 4)
    finally:
        sys.settrace(None)
    return steps


@pytest.mark.timeout(120)
def test_work_to_normalise_and_map_spans_grows_linearly_with_message_length():
    normalize(_message(50))  # converters loaded outside the count
    small, large = _traced_steps(_message(500)), _traced_steps(_message(2000))
    # four times the text: about four times the work (a quadratic alignment does ~16x)
    assert large < 6 * small, (small, large)


@pytest.mark.timeout(30)  # a bound on a runaway, not a timing assertion
def test_a_200000_character_message_is_normalised_and_mapped():
    text = _message(200_000)
    normalized = normalize(text)
    start = text.index("上海", 100_000)
    new_start, new_end = normalized.map_span(start, start + 2)
    assert normalized.text[new_start:new_end] == "上海"


@pytest.mark.parametrize("raw, word, expected", [
    ("請問計程車到捷運站？？？", "捷運站", "地铁站"),  # Traditional, a regional word, punctuation
    ("我要去\u200b\u200b上海  搭的士到飯店", "的士到飯店", "出租车到酒店"),  # the text got longer inside the span
    ("行動電話幾多錢", "幾多錢", "多少钱"),  # the text got shorter before the span
    ("ＴＤ７ＫＱ３Ｍ９ＸＡ  在吗", "在吗", "在吗"),
])
def test_spans_follow_every_kind_of_rewrite(raw, word, expected):
    normalized = normalize(raw)
    start = raw.index(word)
    new_start, new_end = normalized.map_span(start, start + len(word))
    assert normalized.text[new_start:new_end] == expected


def test_a_slip_in_the_lodging_word_is_fixed_in_place():
    normalized = normalize("鼓浪屿听涛花园酒点不错")
    assert normalized.text == "鼓浪屿听涛花园酒店不错"
    assert normalized.map_span(0, 9) == (0, 9)
