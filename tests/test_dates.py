"""The date extractor on the expressions travellers use, relative to a fixed now.

Now is Monday 2026-11-23 10:00 in the business time zone.
"""
from datetime import datetime

import pytest

from bot.nlu.dates import extract_dates, names_a_day, parse_date

NOW = datetime(2026, 11, 23, 10, 0)  # noqa: DTZ001 - naive business-zone time, as the extractor uses

CASES = [
    # relative days
    ("今天", "2026-11-23"),
    ("明天", "2026-11-24"),
    ("后天", "2026-11-25"),
    ("大后天", "2026-11-26"),
    ("3天后", "2026-11-26"),
    ("明天上午", "2026-11-24T07:00"),
    ("后天晚上", "2026-11-25T18:00"),
    ("今晚八点", "2026-11-23T20:00"),
    ("后天下午两点半", "2026-11-25T14:30"),
    ("早上8点", "2026-11-23T08:00"),
    # weekdays, future-biased
    ("周五", "2026-11-27"),
    ("这周六", "2026-11-28"),
    ("星期天", "2026-11-29"),
    ("下周五下午三点", "2026-12-04T15:00"),
    ("下礼拜三", "2026-12-02"),
    ("下周", "2026-11-30/2026-12-06"),
    ("周末", "2026-11-28/2026-11-29"),
    ("这个周末", "2026-11-28/2026-11-29"),
    # calendar dates
    ("12月3日", "2026-12-03"),
    ("12月3号", "2026-12-03"),
    ("十二月三号", "2026-12-03"),
    ("12/3", "2026-12-03"),
    ("下个月5号", "2026-12-05"),
    ("1月2日", "2027-01-02"),  # January is next year
    ("2月14号", "2027-02-14"),
    ("2027年1月5日", "2027-01-05"),
    # ranges
    ("12月3号到5号", "2026-12-03/2026-12-05"),
    ("3号到5号", "2026-12-03/2026-12-05"),  # the 3rd has passed this month
    ("周五到周日", "2026-11-27/2026-11-29"),
    ("暑假", "2027-07-01/2027-08-31"),
    # holidays, next occurrence
    ("国庆节", "2027-10-01"),
    ("国庆", "2027-10-01"),
    ("元旦", "2027-01-01"),
    ("春节", "2027-02-06"),
    ("五一", "2027-05-01"),
    ("中秋", "2027-09-15"),
    ("清明节", "2027-04-05"),
    ("圣诞节", "2026-12-25"),
    # the past, when the traveller says so
    ("昨天", "2026-11-22"),
    ("上周五", "2026-11-20"),
    # everyday and Cantonese words jionlp does not know
    ("明早七点", "2026-11-24T07:00"),
    ("听日", "2026-11-24"),
    ("12月3号前后", "2026-12-03"),
]


@pytest.mark.parametrize("expression, expected", CASES)
def test_expression_gets_iso_value(expression, expected):
    assert parse_date(expression, NOW) == expected


def test_dates_found_inside_a_sentence_with_their_spans():
    text = "帮我订明天上海到北京的高铁，后天回来"
    mentions = extract_dates(text, NOW)
    assert [(m.text, m.value) for m in mentions] == [("明天", "2026-11-24"), ("后天", "2026-11-25")]
    assert text[mentions[0].start:mentions[0].end] == "明天"


def test_open_ended_words_stay_outside_the_span():
    text = "下午4点以后北京到天津的动车"
    [mention] = extract_dates(text, NOW)
    assert mention.text == "下午4点" and mention.value == "2026-11-23T16:00"


@pytest.mark.parametrize(
    "text",
    ["三个人", "两大一小", "第二个怎么样", "还有便宜点的吗", "二等座多少钱", "G7多少钱",
     "下午好啊", "晚上好 打扰一下", "空调坏了一晚上没人来修", "有早一点的车吗", "开车前一天退票",
     "酒店隔壁在装修，吵了一早上没法休息"],
)
def test_words_that_are_not_dates_give_nothing(text):
    assert extract_dates(text, NOW) == []


@pytest.mark.parametrize("text", ["郑州火车站附近快捷酒店,今晚1个人", "广州天河有冇平啲嘅酒店，今晚入住"])
def test_a_date_span_holds_no_punctuation_before_it(text):
    assert [m.text for m in extract_dates(text, NOW)] == ["今晚"]


@pytest.mark.parametrize("text, days", [
    ("住19、20号两晚", ["19", "20号"]),
    ("3、4号有空吗", ["3", "4号"]),
    ("12月3、4号有空", ["12月3", "4号"]),
])
def test_a_day_listed_before_a_dated_one_is_a_day_of_that_month(text, days):
    found = extract_dates(text, NOW)
    assert [m.text for m in found] == days
    assert found[0].value[:8] == found[1].value[:8] and int(found[0].value[8:10]) + 1 == int(found[1].value[8:10])


@pytest.mark.parametrize("text", ["想报个桂林三日游", "三日游", "上海出发5日行程", "玩三天", "三天两晚的线路"])
def test_a_length_of_days_is_not_a_day_of_the_month(text):
    assert extract_dates(text) == []


def test_a_length_beside_a_real_date_keeps_the_date():
    found = extract_dates("桂林三日游下周五出发")
    assert len(found) == 1 and found[0].text == "下周五"


@pytest.mark.parametrize("expression,names_day", [
    ("下午两点", False), ("9点05", False), ("11点40", False),
    ("明天下午两点", True), ("12号", True), ("下周五上午", True), ("今晚8点", True),
])
def test_a_time_alone_names_no_day(expression, names_day):
    assert names_a_day(expression) is names_day


def test_the_length_in_a_tour_s_name_is_not_a_day():
    found = [m.text for m in extract_dates("九寨沟黄龙四日跟团游,18号出发,两个人能订吗")]
    assert found == ["18号"]


@pytest.mark.parametrize("text", ["五一广场附近的酒店", "地铁2号线能到吗", "坐三号线到哪站下",
                                  "清明上河园门票多少", "有24小时前台吗"])
def test_a_date_word_that_begins_a_place_s_name_is_no_date(text):
    assert extract_dates(text, now=NOW) == []


@pytest.mark.parametrize("text, span, value", [
    ("周五一晚多少钱", "周五", "2026-11-27"),
    ("下周五一晚还有房吗", "下周五", "2026-12-04"),
])
def test_a_weekday_before_a_count_of_nights_is_that_weekday_not_may_day(text, span, value):
    [mention] = extract_dates(text, now=NOW)
    assert (mention.text, mention.value) == (span, value)


def test_a_next_week_s_day_written_before_its_date_is_that_day_not_the_week():
    found = extract_dates("日期不对，我们是下周二12月8号出发，不是周一", now=NOW)
    assert [(m.text, m.value) for m in found][:2] == [("下周二", "2026-12-01"), ("8号", "2026-12-08")]


@pytest.mark.parametrize("text, span, value", [
    ("明天早上九点左右", "明天早上九点", "2026-11-24T09:00"),  # 左右 stays outside, the day is kept
    ("下周五早上九点左右从南京南开的高铁", "下周五早上九点", "2026-12-04T09:00"),
    ("明天下午三点左右", "明天下午三点", "2026-11-24T15:00"),
    ("后天晚上八点多", "后天晚上八点", "2026-11-25T20:00"),
])
def test_a_rough_time_with_a_day_keeps_the_day(text, span, value):
    [mention] = extract_dates(text, now=NOW)
    assert (mention.text, mention.value) == (span, value)
    assert names_a_day(mention.text)


@pytest.mark.parametrize("text, value", [
    ("八点半到九点半之间", "2026-11-23T08:30/2026-11-23T09:30"),
    ("下午三点左右", "2026-11-23T15:00"),
])
def test_a_clock_window_without_a_day_is_a_time_of_the_day_in_hand(text, value):
    assert parse_date(text, NOW) == value
    assert not any(names_a_day(m.text) for m in extract_dates(text, now=NOW))


@pytest.mark.parametrize("text", ["九点左右", "9点前后", "九点以后", "十点前"])
def test_a_bare_hour_is_no_date(text):
    assert extract_dates(text, now=NOW) == []
