"""Search constraints read from travellers' own words."""
from decimal import Decimal

import pytest

from bot.catalogue.constraints import (
    arrives_in_time,
    chinese_number,
    constraints_in,
    fare_matches,
    hotel_query,
    service_query,
)


@pytest.mark.parametrize("token, value", [("500", 500), ("五百", 500), ("一千二", 1200), ("三百五", 350), ("两千", 2000), ("十", 10)])
def test_chinese_numbers(token, value):
    assert chinese_number(token) == Decimal(value)


@pytest.mark.parametrize("text, low, high", [
    ("一晚600以内，有推荐吗", None, 600),
    ("不超过500块", None, 500),
    ("预算一千二", None, 1200),
    ("三四百的酒店", 300, 400),
    ("300到500元的", 300, 500),
    ("800元以上", 800, None),
])
def test_price_ranges(text, low, high):
    wanted = constraints_in(text)
    assert wanted.min_price == (Decimal(low) if low else None)
    assert wanted.max_price == (Decimal(high) if high else None)


def test_a_rating_and_stars_are_not_prices():
    wanted = constraints_in("4.5分以上的五星酒店，含早")
    assert (wanted.min_rating, wanted.min_stars, wanted.breakfast) == (4.5, 5, True)
    assert wanted.min_price is None and wanted.max_price is None


def test_landmark_facility_and_star_floor():
    wanted = constraints_in("故宫附近带停车场的四星以上酒店")
    assert (wanted.near, wanted.facilities, wanted.min_stars) == ("故宫", ("停车场",), 4)


@pytest.mark.parametrize("text, near", [("西湖边的民宿", "西湖"), ("离外滩近一点的", "外滩"), ("想住宽窄巷子附近的", "宽窄巷子"), ("它附近的酒店", None)])
def test_near_a_landmark(text, near):
    assert constraints_in(text).near == near


@pytest.mark.parametrize("text, sort", [("便宜点的", "price"), ("偏贵一点也行，要豪华的", "price_desc"), ("评分最高的", "rating")])
def test_sort_words(text, sort):
    assert constraints_in(text).sort == sort


def test_who_it_suits_and_free_admission():
    wanted = constraints_in("适合带孩子的免费景点")
    assert wanted.suitable_for == ("亲子",) and wanted.free is True


@pytest.mark.parametrize("text, after, before", [
    ("明天上午的高铁", "06:00", "12:00"),
    ("8点以后的动车", "08:00", None),
    ("下午两点以后出发的", "14:00", None),
    ("晚上的航班", "18:00", "24:00"),
])
def test_departure_windows(text, after, before):
    wanted = constraints_in(text)
    assert (wanted.depart_after, wanted.depart_before) == (after, before)


def test_arrival_deadline_is_not_a_departure_window():
    wanted = constraints_in("中午前到的航班")
    assert wanted.arrive_before == "12:00" and wanted.depart_before is None and wanted.modes == ("flight",)
    assert arrives_in_time("11:40", "12:00") and not arrives_in_time("12:30", "12:00")
    assert not arrives_in_time("06:10+1", "12:00")


def test_mode_and_fare_class_make_the_service_query():
    query = service_query(constraints_in("明天上午的高铁一等座"), "北京", "上海")
    assert query.modes == ("train",) and query.fare_class == "一等座"
    assert (query.depart_after, query.depart_before) == ("06:00", "12:00")


def test_durations_are_tour_days_and_visit_hours():
    assert constraints_in("三日游").days == 3
    assert constraints_in("只有半天时间，玩什么").max_visit_hours == 4.0


def test_hotel_query_carries_every_constraint():
    query = hotel_query(constraints_in("一晚500以内4分以上含早带泳池"), "上海")
    assert (query.city, query.max_price, query.min_rating, query.breakfast) == ("上海", Decimal(500), 4.0, True)
    assert query.facilities == ("游泳池",)


def test_a_later_constraint_refines_an_earlier_one():
    merged = constraints_in("便宜点的").merged_into(constraints_in("故宫附近四星以上"))
    assert (merged.near, merged.min_stars, merged.sort) == ("故宫", 4, "price")


@pytest.mark.parametrize("text, rating, ceiling", [("评价4.5以上的", 4.5, None), ("一晚唔超过800蚊", None, 800)])
def test_other_ways_to_say_a_rating_or_a_budget(text, rating, ceiling):
    wanted = constraints_in(text)
    assert wanted.min_rating == rating and wanted.max_price == (Decimal(ceiling) if ceiling else None)


@pytest.mark.parametrize("text, after, before", [
    ("我要的是下午的！两点以后！", "14:00", None),  # 下午 said apart from the hour
    ("两点以后的", "14:00", None),  # nobody means 2 a.m. unsaid
    ("下午两点那班呢", "13:30", "14:30"),  # one service at about that time
    ("那早上8点那班呢", "07:30", "08:30"),
    ("这周四晚上北京到上海有没有卧铺？想睡一觉早上到", "18:00", "24:00"),  # 早上到 is the arrival
])
def test_departure_windows_as_travellers_say_them(text, after, before):
    wanted = constraints_in(text)
    assert (wanted.depart_after, wanted.depart_before) == (after, before)


@pytest.mark.parametrize("text, after, before", [
    ("九点左右", "08:00", "10:00"),  # roughly a time: AROUND_SPREAD either side
    ("9点前后", "08:00", "10:00"),  # 前后 is "about", not "before"
    ("下午三点左右", "14:00", "16:00"),
    ("我们俩想坐早上九点左右从南京南开的高铁", "08:00", "10:00"),  # 早上 names the hour, not the window
    ("有没有八点半到九点半之间发车的", "08:30", "09:30"),
    ("下午两点到四点的", "14:00", "16:00"),
    ("晚上八点多", "20:00", "21:00"),
    ("九点以后", "09:00", None),
    ("9点后", "09:00", None),
    ("十点前", None, "10:00"),
    ("10点之前", None, "10:00"),
    ("早上", "05:00", "09:00"),
    ("上午", "06:00", "12:00"),
    ("下午", "12:00", "18:00"),
    ("晚上", "18:00", "24:00"),
])
def test_clock_windows_as_travellers_say_them(text, after, before):
    wanted = constraints_in(text)
    assert (wanted.depart_after, wanted.depart_before) == (after, before)


def test_an_arrival_deadline_with_a_must_in_between():
    wanted = constraints_in("这周五从杭州回上海，中午12点前要到虹桥")
    assert wanted.arrive_before == "12:00" and wanted.depart_before is None


@pytest.mark.parametrize("text, modes", [
    ("明天下午广州到深圳有没有大巴？高铁太赶了", ("bus",)),
    ("不想坐飞机", ("train", "bus")),
    ("航班和高铁都看看", ("train", "flight")),
])
def test_a_mode_ruled_out_is_not_wanted(text, modes):
    assert constraints_in(text).modes == modes


def test_a_berth_is_any_sleeper_class():
    wanted = constraints_in("晚上有没有卧铺")
    assert wanted.modes == ("train",) and wanted.fare_class == "卧铺"
    assert service_query(wanted, "北京", "上海").fare_class is None
    assert fare_matches("一等卧", "卧铺") and fare_matches("硬卧", "卧铺") and not fare_matches("二等座", "卧铺")


def test_a_new_departure_window_replaces_the_old_one():
    wanted = constraints_in("两点以后的").merged_into(constraints_in("上午的一等座"))
    assert (wanted.depart_after, wanted.depart_before, wanted.fare_class) == ("14:00", None, "一等座")
