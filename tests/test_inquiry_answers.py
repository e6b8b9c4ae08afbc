"""Attribute answers from catalogue values: the fact is in the reply, or said missing."""
from datetime import date
from decimal import Decimal

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.inquiry import Answerer, asked_attributes, is_question_about_item, remembered, split_ref
from bot.catalogue.items import HOTEL, SERVICE, SIGHT, TOUR, Fare, Hotel, Metro, Room, Service, Sight, Tour
from tests.helpers import rendered

HOTEL_ITEM = Hotel(
    id="h-cd-qiyun", name="成都宽窄巷子栖云酒店", city="成都", district="青羊区", address="长顺上街88号",
    rooms=(Room("大床房", Decimal(468), 2, "1.8米大床"), Room("双床房", Decimal(498), 2, "1.2米双床", breakfast=True)),
    phone="028-86001234", stars=4, grade="高档型", rating=4.7, facilities=("停车场", "健身房", "行李寄存"),
    checkin_time="14:00", checkout_time="12:00", metro=Metro("宽窄巷子站", "4号线", 450),
)
SIGHT_ITEM = Sight(
    id="s-bj-gugong", name="故宫博物院", city="北京", district="东城区", address="景山前街4号", type="博物馆",
    tickets=(("旺季成人票", Decimal(60)), ("学生票", Decimal(20))),
    opening_hours="08:30-17:00（16:00停止入园），周一闭馆", visit_hours=(3, 4), rating=4.8,
    suitable_for=("亲子", "老人"),
)
TOUR_ITEM = Tour(
    id="t-gl-3", name="桂林阳朔三日游", destination="桂林", departs_from="桂林", days=3, price=Decimal(1280),
    departure_weekdays=(1, 5), includes="2晚住宿、漓江游船", excludes="午晚餐、个人消费",
    itinerary=("漓江", "遇龙河", "西街"),
)
TRAIN = Service(
    code="G7", mode="train", operator="国铁", origin="北京", destination="上海", from_station="北京南站",
    to_station="上海虹桥站", depart="09:00", arrive="13:28", duration_minutes=268, weekdays=(1, 2, 3, 4, 5, 6, 7),
    fares=(Fare("二等座", Decimal(553), 500), Fare("一等座", Decimal(933), 80)),
)


def answer(domain_dict, kind, item, text, day=None):
    dispatcher = CollectingDispatcher()
    answerer = Answerer(dispatcher, domain_dict, None, day)
    answerer.asked = asked_attributes(text, kind)
    for attribute in asked_attributes(text, kind):
        answerer.answer(kind, item, attribute, text)
    return "\n".join(rendered(dispatcher, domain_dict))


def test_two_questions_about_a_hotel_are_both_answered(domain_dict):
    reply = answer(domain_dict, HOTEL, HOTEL_ITEM, "地址在哪？有停车场吗")
    assert "长顺上街88号" in reply and "有停车场" in reply


def test_a_room_named_in_the_question_gets_its_price(domain_dict):
    reply = answer(domain_dict, HOTEL, HOTEL_ITEM, "它双床房多少钱一晚")
    assert "双床房" in reply and "498" in reply and "468" not in reply


@pytest.mark.parametrize("text, facts", [
    ("电话多少", ["028-86001234"]),
    ("几点可以入住，几点退房", ["14:00", "12:00"]),
    ("离地铁站远吗", ["宽窄巷子站", "450"]),
    ("含早吗", ["双床房", "含早餐"]),
    ("几星级的", ["4星级"]),
    ("有游泳池吗", ["没有游泳池"]),
])
def test_hotel_facts(domain_dict, text, facts):
    reply = answer(domain_dict, HOTEL, HOTEL_ITEM, text)
    assert all(fact in reply for fact in facts), reply


def test_a_fact_the_catalogue_lacks_is_said_to_be_missing(domain_dict):
    reply = answer(domain_dict, SIGHT, SIGHT_ITEM, "电话多少")
    assert "暂无故宫博物院的电话信息" in reply and "转人工" in reply


@pytest.mark.parametrize("kind, item, text, facts", [
    (SIGHT, SIGHT_ITEM, "门票多少钱？有停车场吗", ["¥60", "暂无故宫博物院的停车信息"]),
    (SIGHT, SIGHT_ITEM, "几点开门，要玩多久，有没有健身房", ["08:30-17:00", "3–4小时", "暂无故宫博物院的健身房信息"]),
    (HOTEL, HOTEL_ITEM, "离地铁远不远？几点开门", ["宽窄巷子站", "14:00"]),
    (TOUR, TOUR_ITEM, "多少钱，有停车场吗", ["1280", "暂无桂林阳朔三日游的停车信息"]),
])
def test_every_part_of_a_message_is_answered_or_said_missing(domain_dict, kind, item, text, facts):
    """A question the item has no fact for, in a clause of its own, is not dropped."""
    reply = answer(domain_dict, kind, item, text)
    assert all(fact in reply for fact in facts), reply


def test_a_missing_fact_offers_what_was_not_just_asked(domain_dict):
    reply = answer(domain_dict, SIGHT, SIGHT_ITEM, "电话多少，门票多少")
    offer = reply.split("我可以告诉您它的", 1)[1]
    assert "票价" not in offer and "地址" in offer


@pytest.mark.parametrize("text, facts", [
    ("几点开门，门票多少钱", ["08:30-17:00", "周一闭馆", "60", "学生票"]),
    ("要玩多久", ["3–4小时"]),
    ("适合带老人去吗", ["老人"]),
    ("地址在哪", ["景山前街4号"]),
])
def test_sight_facts(domain_dict, text, facts):
    reply = answer(domain_dict, SIGHT, SIGHT_ITEM, text)
    assert all(fact in reply for fact in facts), reply


def test_tour_facts(domain_dict):
    reply = answer(domain_dict, TOUR, TOUR_ITEM, "多少钱，包含什么，不含什么")
    assert all(fact in reply for fact in ("1280", "漓江游船", "午晚餐"))
    reply = answer(domain_dict, TOUR, TOUR_ITEM, "行程怎么安排，哪天出发")
    assert "第2天：遇龙河" in reply and "周一" in reply and "周五" in reply


def test_service_times_duration_stations_and_fares(domain_dict):
    reply = answer(domain_dict, SERVICE, TRAIN, "几点发车，几点到，要多久，哪个站上车，票价多少")
    for fact in ("09:00", "13:28", "4小时28分钟", "北京南站", "上海虹桥站", "553", "933"):
        assert fact in reply, fact


def test_seats_without_a_date_ask_for_the_day(domain_dict):
    reply = answer(domain_dict, SERVICE, TRAIN, "还有票吗")
    assert "哪天" in reply


def test_a_terminal_asked_of_a_train_is_missing(domain_dict):
    reply = answer(domain_dict, SERVICE, TRAIN, "几号航站楼")
    assert "暂无G7的航站楼信息" in reply


def test_a_list_request_is_not_a_question_about_the_focus():
    assert not is_question_about_item("有带停车场的酒店吗", explicit=False)
    assert is_question_about_item("有停车场吗", explicit=False)
    assert is_question_about_item("推荐的这家有停车场吗", explicit=True)
    assert not is_question_about_item("外滩附近评分高的酒店", explicit=True)
    assert is_question_about_item("上海外滩云景酒店评分多少", explicit=True)


def test_places_talked_about_are_remembered_most_recent_last():
    assert remembered(["hotel:a", "sight:b"], "hotel:a") == ["sight:b", "hotel:a"]
    assert split_ref("sight:s-1") == (SIGHT, "s-1") and split_ref("nonsense") is None


def test_a_non_running_day_is_said(domain_dict):
    weekday_only = Service(**{**TRAIN.__dict__, "weekdays": (1,)})
    reply = answer(domain_dict, SERVICE, weekday_only, "还有票吗", day=date(2026, 12, 2))
    assert "不开行" in reply


def test_tickets_asked_to_be_included_are_not_a_price_question(domain_dict):
    reply = answer(domain_dict, TOUR, TOUR_ITEM, "费用有包含门票跟午餐吗")
    assert "漓江游船" in reply and "1280" not in reply


@pytest.mark.parametrize("text, fact", [("几点check in", "14:00"), ("开几点到几点", "08:30-17:00")])
def test_mixed_and_colloquial_wordings(domain_dict, text, fact):
    item, kind = (HOTEL_ITEM, HOTEL) if "check" in text else (SIGHT_ITEM, SIGHT)
    assert fact in answer(domain_dict, kind, item, text)
