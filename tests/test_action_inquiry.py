"""Questions about listed, named and focused items, answered by action_search against a
real seeded SQLite catalogue; the facts asserted are read from that catalogue."""
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback
from actions.inquiry import is_a_booking_request
from actions.faq import ActionAnswerFaq
from actions.search import ActionSearch
from bot import knowledge
from bot.catalogue.items import HotelQuery, ServiceQuery
from bot.catalogue.queries import catalogue, use
from bot.nlu.dates import business_now
from tests.helpers import city_entities, install_fixture_catalogue, make_tracker, rendered, slots_after


@pytest.fixture
def store(tmp_path):
    previous = catalogue()
    facade = install_fixture_catalogue(tmp_path)
    yield facade
    use(previous)


async def say(domain, text: str, intent: str, slots: Optional[Dict[str, Any]] = None,
              entities: Optional[List[Dict[str, Any]]] = None, action: Any = None) -> Tuple[str, Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await (action or ActionSearch()).run(dispatcher, make_tracker(text, intent, entities, slots), domain)
    return "\n".join(rendered(dispatcher, domain)), slots_after(events, slots)


async def test_hotels_listed_without_a_date_then_the_first_ones_address_and_parking(domain_dict, store):
    reply, slots = await say(domain_dict, "上海有什么酒店", "search_hotel", entities=city_entities("上海有什么酒店", "上海"))
    first = store.hotel(slots["search_shown"][0])
    assert first.name in reply and "/晚起" in reply
    reply, slots = await say(domain_dict, "第一个的地址在哪？有停车场吗", "search_hotel", slots)
    assert first.address in reply
    parking = [f for f in ("免费停车", "停车场") if f in first.facilities]
    assert (f"有{parking[0]}" if parking else "没有停车场") in reply
    assert slots["inquiry_focus"] == f"hotel:{first.id}"
    reply, _ = await say(domain_dict, "它的房型有哪些", "search_hotel", slots)
    assert all(room.type in reply for room in first.rooms)


async def test_a_hotel_named_in_full_is_answered_without_a_search_or_a_date(domain_dict, store):
    hotel = store.find_hotels(HotelQuery(city="成都"))[0]
    reply, slots = await say(domain_dict, f"{hotel.name}多少钱一晚", "search_hotel")
    assert slots["inquiry_focus"] == f"hotel:{hotel.id}"
    assert hotel.name in reply and all(str(int(room.price)) in reply for room in hotel.rooms)
    assert "哪天" not in reply


async def test_the_party_said_with_a_question_is_kept_for_the_booking(domain_dict, store):
    hotel = store.find_hotels(HotelQuery(city="上海"))[0]
    reply, slots = await say(domain_dict, f"{hotel.name}下周五还有房吗？我们两个人，住两晚", "search_hotel")
    assert all(room.type in reply for room in hotel.rooms)
    assert slots["search_people"] == 2 and slots["search_date"]


async def test_a_missing_fact_is_said_precisely(domain_dict, store):
    hotel = next(h for h in store.find_hotels(HotelQuery(city="上海")) if not h.phone)
    reply, _ = await say(domain_dict, f"{hotel.name}的电话是多少", "search_hotel")
    assert f"暂无{hotel.name}的电话信息" in reply


async def test_a_budget_is_honoured(domain_dict, store):
    text = "上海一晚900以内的酒店"
    reply, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all(h.lowest_price <= 900 for h in shown)


async def test_a_timetable_needs_no_date_and_a_train_question_is_answered(domain_dict, store):
    text = "上海到北京的高铁有哪些"
    reply, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    services = store.find_services(ServiceQuery(origin="上海", destination="北京", modes=("train",)))
    assert services and services[0].code in reply
    reply, _ = await say(domain_dict, f"{services[0].code}几点到，要多久", "search_ticket", slots)
    assert services[0].arrive in reply and f"{services[0].duration_minutes // 60}小时" in reply


async def test_a_tour_question_by_position(domain_dict, store):
    text = "北京有什么跟团游"
    _, slots = await say(domain_dict, text, "search_tour", entities=city_entities(text, "北京"))
    tour = store.tour(slots["search_shown"][0])
    reply, _ = await say(domain_dict, "第一个费用包含什么", "search_tour", slots)
    assert tour.includes in reply


async def test_refused_city_stays_and_the_list_never_names_it(domain_dict, store):
    text = "漠河有什么酒店"
    reply, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "漠河"))
    assert "漠河" in reply and "漠河" not in reply.split("：", 1)[1]
    assert slots["search_city"] == "漠河"


async def test_the_faq_action_answers_an_attribute_question_about_the_focus(domain_dict, store):
    hotel = store.find_hotels(HotelQuery(city="上海"))[0]
    slots = {"inquiry_focus": f"hotel:{hotel.id}"}
    reply, _ = await say(domain_dict, "这家酒店地址在哪", "faq", slots, action=ActionAnswerFaq())
    assert hotel.address in reply


async def test_a_sight_by_name_alias_then_hotels_near_it(domain_dict, store):
    sight = store.landmark("故宫")
    reply, slots = await say(domain_dict, "故宫几点开门，门票多少钱", "search_tour")
    assert sight.opening_hours in reply and all(str(int(p)) in reply for _, p in sight.tickets)
    reply, slots = await say(domain_dict, "它附近有什么酒店", "search_hotel", slots)
    nearest, km = store.nearby_hotels(sight.lat, sight.lon, sight.city)[0]
    assert nearest.name in reply and f"{km:.1f}公里" in reply
    reply, slots = await say(domain_dict, "第一个有行李寄存吗", "search_hotel", slots)
    assert nearest.name in reply and ("有行李寄存" in reply) == ("行李寄存" in nearest.facilities)


async def test_seats_on_the_searched_day(domain_dict, store):
    day = business_now().date() + timedelta(days=3)
    text = f"{day.month}月{day.day}号上海到北京的火车"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    code = slots["search_shown"][0]
    service = store.service(code)
    reply, _ = await say(domain_dict, "第一个还有票吗", "search_ticket", slots)
    if day.isoweekday() in service.weekdays:
        for fare in service.fares:
            assert f"{fare.name}¥{int(fare.price)}剩{store.seats_left(code, fare.name, day)}张" in reply
    else:
        assert "不开行" in reply


async def test_a_flight_terminal(domain_dict, store):
    reply, _ = await say(domain_dict, "MU5101从哪个航站楼出发", "search_ticket")
    service = store.service("MU5101")
    assert service.from_terminal in reply and service.from_station in reply


async def test_the_fallback_action_answers_a_question_naming_an_item(domain_dict, store):
    hotel = store.find_hotels(HotelQuery(city="上海"))[0]
    reply, _ = await say(domain_dict, f"{hotel.name}几点退房", "nlu_fallback", action=ActionHandleFallback())
    assert hotel.checkout_time in reply


async def test_without_an_item_the_faq_answers_as_before(domain_dict, store):
    reply, slots = await say(domain_dict, "可以寄存行李吗", "faq", action=ActionAnswerFaq())
    assert "inquiry_focus" not in slots


async def test_a_new_route_question_is_not_taken_for_the_hotel_in_focus(domain_dict, store):
    hotel = store.find_hotels(HotelQuery(city="上海"))[0]
    text = "上海到北京的高铁几点发车"
    reply, slots = await say(domain_dict, text, "search_ticket", {"inquiry_focus": f"hotel:{hotel.id}"},
                             entities=city_entities(text, "上海", "北京"))
    assert hotel.name not in reply and "G101" in reply


async def test_the_words_of_a_question_never_name_an_item(domain_dict, store):
    text = "上海有什么酒店"
    _, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    first = store.hotel(slots["search_shown"][0])
    reply, _ = await say(domain_dict, "第一个的地址在哪", "search_hotel", slots)
    assert first.address in reply


async def test_a_room_kind_gets_its_rooms_once(domain_dict, store):
    hotel = store.hotel("H-SH-101")
    reply, _ = await say(domain_dict, f"{hotel.name}双床房多少钱一晚", "search_hotel")
    twin = [room for room in hotel.rooms if "双床房" in room.type]
    assert reply.count(twin[0].type) == 1 and all(room.type not in reply for room in hotel.rooms if room not in twin)


async def test_a_nearby_list_is_a_search_that_can_be_refined(domain_dict, store):
    reply, slots = await say(domain_dict, "故宫几点开门", "search_tour")
    assert slots["search_city"] == "北京"  # the place talked about: no city asked next
    reply, slots = await say(domain_dict, "它附近的酒店", "search_hotel", slots)
    assert slots["search_type"] == "hotel" and slots["search_near"].startswith("sight:")
    shown = [store.hotel(i) for i in slots["search_shown"]]
    reply, after = await say(domain_dict, "还有便宜点的吗", "search_hotel", slots)
    assert "哪个城市" not in reply
    new = [store.hotel(i) for i in after.get("search_shown") or [] if i not in slots["search_shown"]]
    assert all(h.lowest_price < min(s.lowest_price for s in shown) for h in new)


async def test_a_named_sight_with_hotel_conditions_is_a_search_around_it(domain_dict, store):
    reply, slots = await say(domain_dict, "外滩附近有泳池的五星酒店，两千以内", "search_hotel")
    assert slots["search_near"] == f"sight:{store.landmark('外滩').id}"
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all(h.stars >= 5 and "游泳池" in h.facilities and h.lowest_price <= 2000 for h in shown)
    reply, _ = await say(domain_dict, "第一个的电话", "search_hotel", slots)
    assert shown[0].phone in reply


async def test_around_the_focus_with_a_condition(domain_dict, store):
    _, slots = await say(domain_dict, "外滩要门票吗", "search_tour")
    reply, slots = await say(domain_dict, "它附近有什么酒店，要含早的", "search_hotel", slots)
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert "含早" in reply and all(h.breakfast_included or any(r.breakfast for r in h.rooms) for h in shown)


async def test_only_the_facts_the_item_has_are_answered(domain_dict, store):
    hotel = store.hotel("H-SH-101")
    reply, _ = await say(domain_dict, f"{hotel.name}含不含早餐，退房几点", "search_hotel")
    assert "含早餐" in reply and hotel.checkout_time in reply and "暂无" not in reply


async def test_a_service_by_its_departure_time_and_it_after_a_list(domain_dict, store):
    text = "上海到北京的航班和高铁"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    reply, _ = await say(domain_dict, "东航8点那班几点到", "search_ticket", slots)
    assert "MU5101" in reply and store.service("MU5101").arrive in reply
    first = store.service(slots["search_shown"][0])
    reply, _ = await say(domain_dict, "它几点到", "search_ticket", slots)
    assert first.code in reply and first.arrive in reply


async def test_the_day_said_with_a_seat_question_is_used(domain_dict, store):
    day = business_now().date() + timedelta(days=2)
    reply, slots = await say(domain_dict, "G101后天还有票吗", "search_ticket")
    service = store.service("G101")
    if day.isoweekday() in service.weekdays:
        assert f"剩{store.seats_left('G101', '二等座', day)}张" in reply
    assert slots["search_date"] == day.isoformat()


async def test_the_same_questions_about_another_item(domain_dict, store):
    _, slots = await say(domain_dict, "故宫几点开门，门票多少钱", "search_tour")
    reply, _ = await say(domain_dict, "那三里屯太古里呢", "search_tour", slots)
    sight = store.landmark("三里屯太古里")
    assert "三里屯太古里免费参观" in reply and (sight.opening_hours or "开放时间") in reply or "暂无" in reply


async def test_a_question_and_a_search_in_one_message(domain_dict, store):
    hotel = store.hotel("H-SH-102")
    text = f"{hotel.name}有停车场吗？另外明天上海到北京的高铁有哪些"
    cities = [{"entity": "city", "start": text.rindex(c), "end": text.rindex(c) + 2, "value": c} for c in ("上海", "北京")]
    reply, slots = await say(domain_dict, text, "search_hotel", entities=cities)
    assert f"{hotel.name}有停车场" in reply and "G101" in reply
    assert slots["search_origin"] == "上海" and slots["search_city"] == "北京"


async def test_it_means_the_focus_even_when_another_name_sounds_alike(domain_dict, store):
    hotel = store.hotel("H-BJ-101")
    slots = {"inquiry_focus": f"hotel:{hotel.id}"}
    reply, _ = await say(domain_dict, "它能寄存行李吗？我们退房后还要逛一下午", "search_hotel", slots)
    assert hotel.name in reply


async def test_a_station_question_names_both_ends(domain_dict, store):
    text = "上海到北京的高铁有哪些"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    first = store.service(slots["search_shown"][0])
    reply, slots = await say(domain_dict, "第一趟几点到，到北京南还是北京西", "search_ticket", slots)
    assert first.arrive in reply and first.from_station in reply and first.to_station in reply
    reply, _ = await say(domain_dict, "它从哪上车", "search_ticket", slots)
    assert first.from_station in reply and first.to_station in reply


async def test_seat_and_fare_questions_in_travellers_words(domain_dict, store):
    day = business_now().date() + timedelta(days=1)
    while day.isoweekday() not in store.service("G101").weekdays:
        day += timedelta(days=1)
    slots = {"inquiry_focus": "service:G101", "search_type": "ticket", "search_date": day.isoformat()}
    reply, _ = await say(domain_dict, "二等座还有位置么", "search_ticket", slots)
    assert f"剩{store.seats_left('G101', '二等座', day)}张" in reply
    reply, _ = await say(domain_dict, "一等座 price 多少", "faq", slots, action=ActionAnswerFaq())
    assert "930" in reply


async def test_another_mode_asked_is_a_search_not_the_focused_flight(domain_dict, store):
    text = "上海飞北京的航班"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    _, slots = await say(domain_dict, "第一个几点到", "search_ticket", slots)
    assert slots["inquiry_focus"] == "service:MU5101"
    reply, slots = await say(domain_dict, "坐高铁的话要多久", "search_ticket", slots)
    shown = [store.service(code) for code in slots["search_shown"]]
    assert shown and all(s.mode == "train" for s in shown) and "MU5101" not in reply


async def test_another_mode_taken_for_a_faq_still_lists_that_mode(domain_dict, store):
    text = "上海飞北京的航班"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    _, slots = await say(domain_dict, "第一个几点到", "search_ticket", slots)
    reply, slots = await say(domain_dict, "坐高铁的话要多久", "faq", slots, action=ActionAnswerFaq())
    shown = [store.service(code) for code in slots["search_shown"]]
    assert shown and all(s.mode == "train" for s in shown) and "MU5101" not in reply


async def test_a_question_pointing_at_nothing_after_a_timetable_is_about_its_first_service(domain_dict, store):
    text = "上海到北京的高铁有哪些"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    first = store.service(slots["search_shown"][0])
    reply, slots = await say(domain_dict, "在哪个车站上车", "search_ticket", slots)
    assert first.code in reply and first.from_station in reply
    assert slots["inquiry_focus"] == f"service:{first.code}"
    reply, _ = await say(domain_dict, "大概要坐多久，票多少钱", "search_ticket", slots)
    assert f"{first.duration_minutes // 60}小时" in reply and str(int(first.fares[0].price)) in reply


async def test_a_rule_about_another_mode_is_left_to_the_faq(domain_dict, store):
    text = "上海飞北京的航班"
    _, slots = await say(domain_dict, text, "search_ticket", entities=city_entities(text, "上海", "北京"))
    reply, after = await say(domain_dict, "高铁可以带宠物吗", "faq", slots, action=ActionAnswerFaq())
    assert after["search_shown"] == slots["search_shown"] and "G101" not in reply
# --- names with a typo, bare follow-ups, facts outside the catalogue (dialogue fixes) ----


async def test_a_hotel_name_one_character_off_names_the_hotel_not_the_sight_inside(domain_dict, store):
    hotel = store.hotel("H-SH-101")  # 上海陆家嘴栖云酒店: 西 typed for 栖
    reply, slots = await say(domain_dict, "陆家嘴西云酒店在什么位置", "search_hotel")
    assert hotel.address in reply and slots["inquiry_focus"] == f"hotel:{hotel.id}"


async def test_a_typo_in_the_lodging_word_still_names_the_hotel(domain_dict, store):
    hotel = store.hotel("H-SH-102")
    reply, _ = await say(domain_dict, "外滩云景酒点有泳池吗", "search_hotel")
    assert f"{hotel.name}有游泳池" in reply


async def test_a_bare_question_after_a_list_is_about_the_first_listed(domain_dict, store):
    text = "上海有什么酒店"
    _, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    first = store.hotel(slots["search_shown"][0])
    reply, slots = await say(domain_dict, "地址", "search_hotel", slots)
    assert first.address in reply and "/晚起" not in reply
    assert slots["inquiry_focus"] == f"hotel:{first.id}"


async def test_the_next_position_gets_the_same_questions(domain_dict, store):
    text = "上海有什么酒店"
    _, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    _, slots = await say(domain_dict, "第一个有泳池吗", "search_hotel", slots)
    second = store.hotel(slots["search_shown"][1])
    reply, slots = await say(domain_dict, "那第二个呢", "search_hotel", slots)
    pool = "游泳池" in second.facilities
    assert (f"{second.name}有游泳池" if pool else f"{second.name}没有") in reply
    assert slots["inquiry_focus"] == f"hotel:{second.id}"


async def test_a_fact_outside_the_catalogue_is_said_missing_for_the_item_named(domain_dict, store):
    hotel = store.hotel("H-SH-102")
    reply, slots = await say(domain_dict, f"请问{hotel.name}的房间有浴缸吗？", "search_hotel")
    assert f"您问的“房间有浴缸吗”，{hotel.name}的资料里没有写到" in reply
    assert hotel.address in reply and "暂无" not in reply  # its main facts instead
    assert slots["inquiry_focus"] == f"hotel:{hotel.id}" and slots["search_city"] == hotel.city
    reply, _ = await say(domain_dict, "那有健身房吗", "search_hotel", slots)
    assert f"{hotel.name}有健身房" in reply


async def test_a_fact_outside_the_catalogue_next_to_one_in_it(domain_dict, store):
    hotel = store.hotel("H-SH-101")
    reply, _ = await say(domain_dict, f"{hotel.name}可以寄存行李吗？房间有浴缸吗？", "search_hotel")
    assert "有行李寄存" in reply and "“房间有浴缸吗”" in reply and "资料里没有写到" in reply
    assert hotel.address not in reply  # a question answered: no summary besides


async def test_breakfast_hours_are_not_the_breakfast_answer(domain_dict, store):
    hotel = store.hotel("H-SH-101")
    reply, _ = await say(domain_dict, f"{hotel.name}早餐几点开始供应", "search_hotel")
    assert "“早餐几点开始供应”" in reply and "资料里没有写到" in reply
    assert knowledge.faq()["breakfast"].answer in reply  # the general rule


@pytest.mark.parametrize("question", ["会很挤吗", "有空吗", "能去吗", "有意思吗", "导游会说英语吗"])
async def test_a_question_outside_the_attributes_never_becomes_an_attribute_name(domain_dict, store, question):
    sight = store.landmark("故宫")
    reply, _ = await say(domain_dict, f"故宫{question}", "search_tour")
    assert "暂无" not in reply and f"“故宫{question}”" in reply and sight.address in reply


async def test_a_question_an_faq_covers_gets_the_general_rule(domain_dict, store):
    hotel = store.hotel("H-SH-102")
    reply, _ = await say(domain_dict, f"{hotel.name}能带狗吗", "search_hotel")
    assert "资料里没有写到" in reply and knowledge.faq()["pets"].answer in reply


async def test_tour_inclusions_and_exclusions_asked_together(domain_dict, store):
    text = "北京有什么跟团游"
    _, slots = await say(domain_dict, text, "search_tour", entities=city_entities(text, "北京"))
    tour = store.tour(slots["search_shown"][0])
    reply, slots = await say(domain_dict, "第一个团费包含什么？哪些不含", "search_tour", slots)
    assert tour.includes in reply and tour.excludes in reply
    reply, _ = await say(domain_dict, "好的，费用不包括哪些", "search_tour", slots)
    assert tour.excludes in reply and tour.includes not in reply


async def test_a_sight_named_in_a_tour_question_is_what_the_tour_includes(domain_dict, store):
    text = "北京有什么跟团游"
    _, slots = await say(domain_dict, text, "search_tour", entities=city_entities(text, "北京"))
    tour = store.tour(slots["search_shown"][0])
    _, slots = await say(domain_dict, "第一个行程是怎么安排的", "search_tour", slots)
    reply, _ = await say(domain_dict, "故宫包含在里面吗", "search_tour", slots)
    assert tour.includes in reply


async def test_a_place_the_catalogue_lacks_is_said_missing_before_the_city_list(domain_dict, store):
    text = "上海的钟书阁几点开门？需要门票吗"
    reply, _ = await say(domain_dict, text, "search_tour", entities=city_entities(text, "上海"))
    assert "上海钟书阁暂时没有" in reply


async def test_a_budget_after_a_list_is_a_new_list_within_it(domain_dict, store):
    text = "上海有什么酒店"
    _, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    reply, slots = await say(domain_dict, "有便宜点的吗 400以内", "search_hotel", slots)
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all(h.lowest_price <= 400 for h in shown) and "\n1. " in reply


async def test_a_hotel_wanted_on_a_trip_of_ones_own_is_a_hotel_search(domain_dict, store):
    text = "我们去上海自由行，想住外滩附近的酒店"
    entities = city_entities(text, "上海") + [
        {"entity": "product_type", "start": 6, "end": 9, "value": "tour"}]
    _, slots = await say(domain_dict, text, "search_tour", entities=entities)
    assert slots["search_type"] == "hotel" and slots["search_shown"]


async def test_an_uncovered_city_is_refused_again_when_the_traveller_insists(domain_dict, store):
    slots = {"search_type": "hotel", "search_city": "鹤岗"}
    reply, _ = await say(domain_dict, "真的一家都没有吗？县城里的也行", "nlu_fallback", slots,
                         action=ActionHandleFallback())
    assert "没有鹤岗的酒店" in reply


@pytest.mark.parametrize("text, booking", [
    ("行，就订这家的双床房吧，我一个人住，入住人王磊，手机13912345678", True),
    ("好，我要订一间庭院大床房，12月24号入住，住三晚", True),
    ("那就订江景双床房，入住人陈晓和李娜", True),
    ("双床房多少钱", False),
    ("大床房可以订吗", False),
])
def test_a_booking_naming_a_room_is_not_a_question_about_it(text: str, booking: bool):
    assert is_a_booking_request(text) is booking


# --- which item a follow-up means when several were discussed ----------------------------

async def test_that_hotel_after_a_sight_is_the_hotel_talked_about(domain_dict, store):
    hotel, sight = store.hotel("H-BJ-102"), store.landmark("故宫")
    _, slots = await say(domain_dict, f"{hotel.name}几点退房", "search_hotel")
    reply, slots = await say(domain_dict, "故宫门票多少钱", "search_tour", slots)
    assert slots["inquiry_focus"] == f"sight:{sight.id}"
    reply, slots = await say(domain_dict, "那个酒店有停车场吗", "search_hotel", slots)
    assert hotel.name in reply and "有免费停车" in reply
    assert slots["inquiry_focus"] == f"hotel:{hotel.id}"
    reply, slots = await say(domain_dict, "刚才那个景点几点开门", "search_tour", slots)
    assert sight.opening_hours in reply and hotel.checkin_time not in reply


async def test_the_pointer_without_a_kind_stays_on_the_last_item(domain_dict, store):
    hotel, sight = store.hotel("H-BJ-102"), store.landmark("故宫")
    _, slots = await say(domain_dict, f"{hotel.name}有停车场吗", "search_hotel")
    _, slots = await say(domain_dict, "故宫门票多少钱", "search_tour", slots)
    reply, _ = await say(domain_dict, "它地址在哪", "search_tour", slots)
    assert sight.address in reply and hotel.address not in reply


async def test_this_hotel_after_a_list_and_a_sight_is_the_first_listed(domain_dict, store):
    text = "上海有什么酒店"
    _, slots = await say(domain_dict, text, "search_hotel", entities=city_entities(text, "上海"))
    first = store.hotel(slots["search_shown"][0])
    _, slots = await say(domain_dict, "外滩要门票吗", "search_tour", slots)
    reply, _ = await say(domain_dict, "这家酒店的电话是多少", "search_hotel", slots)
    assert first.phone in reply


async def test_an_ordinal_means_the_last_list_shown(domain_dict, store):
    text = "北京有什么景点"
    _, slots = await say(domain_dict, text, "search_tour", entities=city_entities(text, "北京"))
    _, slots = await say(domain_dict, "外滩要门票吗", "search_tour", slots)
    _, slots = await say(domain_dict, "它附近有什么酒店", "search_hotel", slots)
    nearby = [store.hotel(ref.split(":", 1)[1]) for ref in slots["inquiry_shown"]]
    assert len(nearby) > 1
    reply, _ = await say(domain_dict, "第二个的地址", "search_hotel", slots)
    assert nearby[1].address in reply


async def test_another_kind_of_item_named_alone_switches_the_focus(domain_dict, store):
    hotel, sight = store.hotel("H-BJ-102"), store.landmark("故宫")
    _, slots = await say(domain_dict, f"{hotel.name}有停车场吗", "search_hotel")
    reply, slots = await say(domain_dict, "那故宫呢", "search_tour", slots)
    assert sight.name in reply and sight.address in reply and hotel.name not in reply
    assert slots["inquiry_focus"] == f"sight:{sight.id}"


async def test_a_question_a_room_s_name_answers_is_answered_with_the_rooms(domain_dict, store):
    """"能看到江景吗" of a hotel with 江景 rooms said nothing at all (the traveller read
    "系统暂时出了点问题"): a word of a room's name asked about is answered with the rooms."""
    hotel = next(h for h in store.find_hotels(HotelQuery(city="上海")) if h.name == "上海外滩云景酒店")
    reply, _ = await say(domain_dict, f"{hotel.name}有行政待遇吗", "search_hotel")
    assert [room.type for room in hotel.rooms if "行政" in room.type]
    assert all(room.type in reply for room in hotel.rooms)


# --- what the catalogue does not say -------------------------------------------------

@pytest.mark.parametrize("focus, text, missing, not_said", [
    # A child's age rule: 儿童价 is no price question once the price is known.
    ("tour:T-BJ-101", "我儿子今年8岁，他能按儿童价算吗？", "按儿童价算", "成人¥398"),
    ("tour:T-BJ-101", "价格我知道了，我是想问儿童价是多大年龄以内算？8岁的小孩算不算儿童？", "儿童价是多大",
     "成人¥398"),
    # A show's start is not the opening hours.
    ("sight:S-BJ-101", "演出几点开始啊", "演出几点开始", None),
])
async def test_a_fact_the_catalogue_lacks_is_said_missing_not_answered_with_another(
        domain_dict, store, focus, text, missing, not_said):
    reply, _ = await say(domain_dict, text, "search_tour", {"inquiry_focus": focus})
    assert f"您问的“{missing}" in reply and "资料里没有写到" in reply
    assert not_said is None or not_said not in reply


async def test_opening_hours_and_a_show_start_asked_together_get_the_hours_and_the_gap(domain_dict, store):
    sight = store.sight("S-BJ-101")
    reply, _ = await say(domain_dict, "开到几点 夜场几点开始", "search_tour", {"inquiry_focus": "sight:S-BJ-101"})
    assert sight.opening_hours in reply and "您问的“夜场几点开始”" in reply


@pytest.mark.parametrize("hotel_id, text, rooms, not_rooms", [
    ("H-CD-101", "有没有三人能住的？", ["家庭房"], ["高级大床房"]),
    ("H-SH-102", "一家三口住得下吗", ["行政套房"], ["高级大床房"]),
])
async def test_a_room_for_a_party_is_answered_by_the_room_types(domain_dict, store, hotel_id, text, rooms, not_rooms):
    reply, _ = await say(domain_dict, text, "search_hotel", {"inquiry_focus": f"hotel:{hotel_id}"})
    assert "资料里没有写到" not in reply
    assert all(room in reply for room in rooms) and not any(room in reply for room in not_rooms)


async def test_no_room_for_the_party_says_how_many_the_largest_takes(domain_dict, store):
    reply, _ = await say(domain_dict, "有没有四个人能住的房", "search_hotel", {"inquiry_focus": "hotel:H-SH-101"})
    assert "没有能住4人的房型" in reply and "可住2人" in reply


async def test_the_same_answer_to_a_question_worded_otherwise_is_not_repeated_bare(domain_dict, store):
    slots = {"inquiry_focus": "sight:S-BJ-101"}
    first, slots = await say(domain_dict, "故宫几点开门", "search_tour", slots)
    events = [{"event": "user", "text": "故宫几点开门"}, {"event": "bot", "text": first}]
    dispatcher = CollectingDispatcher()
    await ActionSearch().run(dispatcher, make_tracker("它几点关门呀", "search_tour", slots=slots, events=events),
                             domain_dict)
    reply = "\n".join(rendered(dispatcher, domain_dict))
    assert reply != first and first in reply and "转人工" in reply
