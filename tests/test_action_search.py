"""action_search against a real SQLite catalogue (the test fixture catalogue): lists what
travellers ask for, with no needless questions, honest about what it does not cover."""
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.search import ActionSearch
from bot.catalogue.items import HotelQuery, ServiceQuery
from bot.catalogue.queries import catalogue, use
from bot.nlu.dates import business_now, first_day
from tests.helpers import city_entities, install_fixture_catalogue, make_tracker, rendered, slots_after


@pytest.fixture
def store(tmp_path):
    previous = catalogue()
    facade = install_fixture_catalogue(tmp_path)
    yield facade
    use(previous)


async def run_search(domain, text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None,
                     slots: Optional[Dict[str, Any]] = None) -> Tuple[List[str], Dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = await ActionSearch().run(dispatcher, make_tracker(text, intent, entities, slots), domain)
    return ([m.get("response") for m in dispatcher.messages], slots_after(events, slots),
            "\n".join(rendered(dispatcher, domain)))


def listed_lines(reply: str) -> List[str]:
    return [line for line in reply.splitlines() if line[:1].isdigit() and ". " in line]


async def test_hotel_browsing_needs_no_date_or_party(domain_dict, store):
    text = "上海有什么酒店"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert responses == ["utter_hotel_results"]
    shanghai = {h.name for h in store.find_hotels(HotelQuery(city="上海"))}
    assert listed_lines(reply) and all(any(name in line for name in shanghai) for line in listed_lines(reply))
    assert "/晚起" in reply and not slots.get("search_pending")


async def test_everything_in_one_message_is_kept_and_never_asked(domain_dict, store):
    text = "明天上海的酒店 两大一小"
    responses, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert responses == ["utter_hotel_results"]
    assert slots["search_people"] == 3
    assert slots["search_date"] == (business_now().date() + timedelta(days=1)).isoformat()


async def test_a_budget_is_honoured_and_said_back(domain_dict, store):
    text = "上海一晚900以内的酒店"
    _, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all(h.lowest_price <= 900 for h in shown)
    assert "900元以内" in reply
    assert all(h.name not in reply for h in store.find_hotels(HotelQuery(city="上海", min_price=901)))


async def test_a_landmark_sets_the_city_and_the_facility_filters(domain_dict, store):
    _, slots, reply = await run_search(domain_dict, "外滩附近有泳池的酒店", "search_hotel")
    assert slots["search_city"] == "上海"
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all("游泳池" in h.facilities for h in shown)
    assert "外滩附近" in reply


async def test_a_district_sets_the_city(domain_dict, store):
    _, slots, _ = await run_search(domain_dict, "浦东有什么酒店", "search_hotel")
    assert slots["search_city"] == "上海" and slots["search_district"] == "浦东新区"
    assert all(store.hotel(i).district == "浦东新区" for i in slots["search_shown"])


async def test_cheaper_follow_up_shows_only_cheaper_hotels(domain_dict, store):
    text = "上海的五星酒店"
    _, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    slots["search_wanted"] = {}
    cheapest = min(store.hotel(i).lowest_price for i in slots["search_shown"])
    responses, after, _ = await run_search(domain_dict, "还有便宜点的吗", "search_hotel", slots=slots)
    new = [i for i in after["search_shown"] if i not in slots["search_shown"]]
    assert responses == ["utter_no_cheaper"] or (new and all(store.hotel(i).lowest_price < cheapest for i in new))


async def test_a_position_alone_gives_that_items_overview(domain_dict, store):
    text = "上海有什么酒店"
    _, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    second = store.hotel(slots["search_shown"][1])
    responses, after, reply = await run_search(domain_dict, "第二个怎么样", "search_hotel", slots=slots)
    assert second.name in reply and second.address in reply
    assert after["inquiry_focus"] == f"hotel:{second.id}"


async def test_asking_for_a_result_that_was_not_shown(domain_dict, store):
    text = "上海有什么酒店"
    _, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    responses, _, reply = await run_search(domain_dict, "第九个", "search_hotel", slots=slots)
    assert responses == ["utter_no_such_result"]


async def test_a_timetable_without_a_date_lists_every_service(domain_dict, store):
    text = "上海到北京的高铁"
    entities = city_entities(text, "上海", "北京")
    responses, slots, reply = await run_search(domain_dict, text, "search_ticket", entities)
    trains = store.find_services(ServiceQuery(origin="上海", destination="北京", modes=("train",)))
    assert responses == ["utter_ticket_results"]
    assert slots["search_origin"] == "上海" and slots["search_city"] == "北京"
    assert all(s.code in reply for s in trains[:3])
    assert "MU5101" not in reply


async def test_time_of_day_and_fare_class_filter_the_timetable(domain_dict, store):
    text = "上海到北京上午的一等座"
    _, slots, reply = await run_search(domain_dict, text, "search_ticket", city_entities(text, "上海", "北京"))
    shown = [store.service(code) for code in slots["search_shown"]]
    assert shown and all("06:00" <= s.depart < "12:00" for s in shown)
    assert all(any(f.name == "一等座" for f in s.fares) for s in shown)
    assert "一等座 ¥930" in reply


async def test_ticket_search_asks_origin_when_only_destination_given(domain_dict, store):
    text = "后天去北京的票"
    responses, slots, _ = await run_search(domain_dict, text, "search_ticket", city_entities(text, "北京"))
    assert responses == ["utter_ask_origin"]
    assert slots["search_city"] == "北京"
    _, slots, _ = await run_search(domain_dict, "上海", "inform", city_entities("上海", "上海"), slots)
    assert slots["search_origin"] == "上海" and slots["search_city"] == "北京"


async def test_a_city_question_is_asked_at_most_twice(domain_dict, store):
    _, slots, _ = await run_search(domain_dict, "帮我找个酒店", "search_hotel")
    responses, slots, _ = await run_search(domain_dict, "嗯", "inform", slots=slots)
    assert responses == ["utter_ask_hotel_city"]
    responses, slots, _ = await run_search(domain_dict, "随便", "inform", slots=slots)
    assert responses == ["utter_search_still_need_city"]


async def test_a_hotel_name_is_not_taken_as_a_city(domain_dict, store):
    text = "成都宽窄巷子栖云酒店怎么样"
    entities = city_entities(text, "成都")
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", entities)
    assert "成都宽窄巷子栖云酒店" in reply and "utter_unknown_hotel_city" not in responses


async def test_a_word_that_is_not_a_city_is_ignored(domain_dict, store):
    text = "东门附近的酒店"
    entities = [{"entity": "city", "start": 0, "end": 2, "value": "东门"}]
    responses, slots, _ = await run_search(domain_dict, text, "search_hotel", entities)
    assert "utter_unknown_hotel_city" not in responses and slots.get("search_city") != "东门"


async def test_city_without_hotels_is_refused_keeping_the_city(domain_dict, store):
    text = "明天漠河的酒店两个人"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "漠河"))
    assert responses == ["utter_unknown_hotel_city"]
    offered = reply.split("：", 1)[1]
    assert "漠河" not in offered and all(city in offered for city in store.hotel_cities())
    assert slots["search_city"] == "漠河"


async def test_a_mode_missing_on_a_route_offers_the_modes_that_run(domain_dict, store):
    text = "北京到成都的高铁"
    responses, slots, reply = await run_search(domain_dict, text, "search_ticket", city_entities(text, "北京", "成都"))
    assert responses[0] == "utter_no_mode_on_route" and "CA4101" in reply


async def test_an_uncovered_route_says_where_it_does_go(domain_dict, store):
    text = "上海到成都的航班"
    responses, slots, reply = await run_search(domain_dict, text, "search_ticket", city_entities(text, "上海", "成都"))
    assert responses == ["utter_unknown_route"]
    assert "北京" in reply.split("：", 1)[1] and slots["search_origin"] == "上海"


async def test_past_date_is_refused(domain_dict, store):
    text = "昨天上海的酒店两个人"
    responses, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert responses == ["utter_date_in_past"]
    assert slots.get("search_date") is None and slots["search_city"] == "上海"


async def test_sights_by_who_they_suit(domain_dict, store):
    text = "北京适合带孩子的景点"
    _, slots, reply = await run_search(domain_dict, text, "search_tour", city_entities(text, "北京"))
    shown = [store.sight(i.split(":")[1]) for i in slots["inquiry_shown"]]
    assert shown and all("亲子" in s.suitable_for for s in shown)


async def test_tours_listed_without_a_date(domain_dict, store):
    text = "成都有什么跟团游"
    responses, slots, reply = await run_search(domain_dict, text, "search_tour", city_entities(text, "成都"))
    assert responses == ["utter_tour_results"] and "成都大熊猫基地都江堰两日游" in reply


async def test_follow_up_without_any_search_explains(domain_dict, store):
    responses, _, _ = await run_search(domain_dict, "还有便宜点的吗", "inform")
    assert responses == ["utter_nothing_to_refine"]


async def test_vague_request_asks_what_to_search(domain_dict, store):
    responses, _, _ = await run_search(domain_dict, "明天", "inform")
    assert responses == ["utter_ask_search_type"]


async def test_a_time_of_day_keeps_the_day_and_a_tour_length_is_not_a_day(domain_dict, store):
    day = (business_now().date() + timedelta(days=5)).isoformat()
    slots = {"search_type": "ticket", "search_origin": "上海", "search_city": "北京", "search_date": day}
    _, after, _ = await run_search(domain_dict, "下午的呢", "search_ticket", slots=slots)
    assert after["search_date"] == day
    text = "北京有什么三日游"
    _, after, _ = await run_search(domain_dict, text, "search_tour", city_entities(text, "北京"))
    assert not after.get("search_date")


async def test_the_landmark_is_found_behind_the_words_before_it(domain_dict, store):
    _, slots, reply = await run_search(domain_dict, "下周五上海外滩附近的酒店，一晚2000以内", "search_hotel")
    assert slots["search_city"] == "上海" and slots["search_near"] == f"sight:{store.landmark('外滩').id}"
    assert "外滩附近" in reply


async def test_nothing_in_the_area_offers_the_rest_of_the_city(domain_dict, store):
    _, slots, reply = await run_search(domain_dict, "静安有五星酒店吗", "search_hotel")
    assert "静安区" in reply.splitlines()[0] and slots["search_city"] == "上海"
    shown = [store.hotel(i) for i in slots["search_shown"]]
    assert shown and all(h.city == "上海" and h.stars >= 5 for h in shown)


async def test_a_day_without_service_says_so_and_lists_the_route(domain_dict, store):
    day = business_now().date() + timedelta(days=1)
    while day.isoweekday() in (6, 7):  # CA4101 runs on Saturdays and Sundays only
        day += timedelta(days=1)
    text = f"{day.month}月{day.day}号北京到成都的航班"
    responses, slots, reply = await run_search(domain_dict, text, "search_ticket", city_entities(text, "北京", "成都"))
    assert responses[0] == "utter_no_service_that_day" and "CA4101" in reply
    assert slots["search_date"] == day.isoformat()


async def test_a_time_said_after_a_list_is_a_new_window_not_the_next_page(domain_dict, store):
    text = "上海到北京的高铁"
    _, slots, _ = await run_search(domain_dict, text, "search_ticket", city_entities(text, "上海", "北京"))
    _, slots, _ = await run_search(domain_dict, "我要的是下午的！两点以后！", "search_ticket", slots=slots)
    shown = [store.service(code) for code in slots["search_shown"]]
    assert shown and all(s.depart >= "14:00" for s in shown)


async def test_a_time_only_follow_up_lists_the_services_at_that_time(domain_dict, store):
    text = "上海到北京的高铁"
    _, slots, _ = await run_search(domain_dict, text, "search_ticket", city_entities(text, "上海", "北京"))
    _, slots, reply = await run_search(domain_dict, "下午一点那班呢", "search_ticket", slots=slots)
    assert [store.service(code).depart for code in slots["search_shown"]] == ["13:00"]
    assert "13:00" in reply


async def test_a_berth_at_night_lists_only_sleepers_leaving_then(domain_dict, store):
    text = "晚上上海到北京有没有卧铺？想睡一觉早上到"
    _, slots, reply = await run_search(domain_dict, text, "search_ticket", city_entities(text, "上海", "北京"))
    shown = [store.service(code) for code in slots["search_shown"]]
    assert shown and all(s.depart >= "18:00" and any("卧" in f.name for f in s.fares) for s in shown)
    assert "MU5101" not in reply and "一等卧" in reply


async def test_the_route_said_last_wins(domain_dict, store):
    text = "那我先飞上海，再坐高铁去北京。上海到北京下午有哪几班高铁"
    entities = [{"entity": "city", "value": text[m:m + 2], "start": m, "end": m + 2}
                for m in range(len(text) - 1) if text[m:m + 2] in ("上海", "北京")]
    assert len(entities) == 4
    slots = {"search_type": "ticket", "search_origin": "成都", "search_city": "北京"}
    _, after, _ = await run_search(domain_dict, text, "search_ticket", entities, slots)
    assert after["search_origin"] == "上海" and after["search_city"] == "北京"


async def test_an_empty_catalogue_is_an_operator_error_not_an_uncovered_city(domain_dict, tmp_path, caplog):
    from bot.booking.store import BookingStore
    from bot.catalogue.queries import Catalogue

    previous = catalogue()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    BookingStore(url).close()  # the schema, and nothing imported
    use(Catalogue(url))
    try:
        text = "上海有什么酒店"
        responses, _, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    finally:
        use(previous)
    assert responses == ["utter_catalogue_unavailable"]
    assert "没有上海" not in reply
    assert "bot.catalogue import" in caplog.text


async def test_a_general_policy_question_is_answered_not_met_with_a_city_question(domain_dict, store):
    responses, slots, reply = await run_search(domain_dict, "请问饭店几点可以入住", "search_hotel")
    assert responses == ["utter_faq"] and "14:00" in reply
    assert not slots.get("search_pending")


CHENGDU_AFTERNOON_FLIGHT = ("CA4105,flight,中国国际航空,北京,成都,北京首都国际机场,成都天府国际机场,T3,T1,14:00,17:10,,"
                            "1234567,经济舱:1480:150,yes")


async def test_a_route_without_a_direct_service_offers_one_change_with_times(domain_dict, tmp_path):
    previous = catalogue()
    store = install_fixture_catalogue(tmp_path, extra_services=[CHENGDU_AFTERNOON_FLIGHT])
    try:
        text = "上海到成都的航班"
        responses, slots, reply = await run_search(domain_dict, text, "search_ticket",
                                                   city_entities(text, "上海", "成都"))
    finally:
        use(previous)
    first, onward = store.service("MU5101"), store.service("CA4105")
    assert responses == ["utter_route_connection"]
    assert "没有直达" in reply and "北京" in reply
    for service in (first, onward):
        assert service.code in reply and service.depart in reply and service.arrive in reply
    assert "3小时40分钟" in reply  # 10:20 at 北京, 14:00 onward
    assert slots["inquiry_shown"] == ["service:MU5101", "service:CA4105"]
    assert slots["search_origin"] == "上海" and slots["search_city"] == "成都"


async def test_a_search_the_classifier_could_not_place_is_served_by_the_fallback(domain_dict, store):
    from actions.fallback import ActionHandleFallback

    text = "您好，下周六想从上海飞北京，请问当天有哪些航班可以选？"
    entities = city_entities(text, "上海", "北京") + [
        {"entity": "product_type", "value": "flight", "start": 0, "end": 0}]
    dispatcher = CollectingDispatcher()
    events = await ActionHandleFallback().run(dispatcher, make_tracker(text, "nlu_fallback", entities), domain_dict)
    slots = slots_after(events)
    assert "MU5101" in "\n".join(rendered(dispatcher, domain_dict)) and slots["search_mode"] == "flight"
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, make_tracker("有点晚了。那早上8点那班呢", "nlu_fallback", slots=slots),
                                     domain_dict)
    reply = "\n".join(rendered(dispatcher, domain_dict))
    assert "MU5101" in reply and "08:00" in reply and "没太明白" not in reply


async def test_a_message_the_classifier_could_not_place_is_not_a_search_without_a_product(domain_dict, store):
    from actions.fallback import ActionHandleFallback

    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, make_tracker("上海那个东西怎么弄", "nlu_fallback",
                                                              city_entities("上海那个东西怎么弄", "上海")), domain_dict)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ask_rephrase"]


@pytest.mark.parametrize("text, name, entity, city", [
    ("北京星河宾馆还有房吗", "北京星河宾馆", "hotel_name", "北京"),
    ("上海的钟书阁附近有酒店吗", "钟书阁", "attraction_name", "上海"),
])
async def test_a_hotel_or_sight_the_catalogue_lacks_is_said_so_before_the_citys_list(domain_dict, store, text, name, entity, city):
    start = text.index(name)
    entities = [{"entity": entity, "start": start, "end": start + len(name), "value": name}]
    entities += [e for e in city_entities(text, city) if not (start <= e["start"] < start + len(name))]
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", entities)
    assert responses[0] == "utter_name_not_in_catalogue" and f"没有“{name}”" in reply
    assert "utter_hotel_results" in responses and slots.get("search_city") == city
    assert not slots.get("search_pending")  # the city in the hotel's name is not asked again


ROUTE_AT_NINE = "下周五我们俩想坐早上九点左右从南京南到北京的高铁，二等座，有哪几趟？"


@pytest.mark.parametrize("follow_up, after, before", [
    (None, "08:00", "10:00"),
    ("六点半太早了，有没有八点半到九点半之间发车的？", "08:30", "09:30"),
    ("有晚一点的吗？9点以后的也行", "09:00", "24:00"),
    ("十点前的呢", "00:00", "10:00"),
    ("那下午三点左右的呢", "14:00", "16:00"),
    ("下午一点多的有吗", "13:00", "14:00"),
])
async def test_a_clock_window_lists_the_services_departing_in_it_on_the_day_said(domain_dict, follow_up, after,
                                                                                 before):
    entities = city_entities(ROUTE_AT_NINE, "南京", "北京")
    _, slots, reply = await run_search(domain_dict, ROUTE_AT_NINE, "search_ticket", entities)
    friday = slots["search_date"]
    if follow_up:
        _, slots, reply = await run_search(domain_dict, follow_up, "search_ticket", slots=slots)
    route = catalogue().find_services(ServiceQuery(origin="南京", destination="北京", modes=("train",)))
    in_window = [s.code for s in route if after <= s.depart <= before]
    shown = slots["search_shown"]
    assert in_window and shown and shown == in_window[:len(shown)]  # the first page of them, in order
    assert all(s.code not in reply for s in route if s.code not in in_window)
    assert slots["search_date"] == friday and first_day(friday).isoweekday() == 5


@pytest.mark.parametrize("follow_up, code", [("下午两点那班呢", "G1042"), ("3点那趟呢", "G1043"), ("9点20那趟", "G1040")])
async def test_a_time_after_a_dated_list_picks_the_service_then_and_keeps_the_day(domain_dict, follow_up, code):
    text = "下周五南京到北京的高铁"
    _, slots, _ = await run_search(domain_dict, text, "search_ticket", city_entities(text, "南京", "北京"))
    friday = slots["search_date"]
    _, slots, reply = await run_search(domain_dict, follow_up, "search_ticket", slots=slots)
    assert slots["search_shown"] == [code] and code in reply
    assert slots["search_date"] == friday


# --- follow-ups to a list (the demo catalogue: no `store` fixture) ----------------------

KUNMING_BY_GREEN_LAKE = "昆明翠湖附近含早的酒店，一晚300以内"


@pytest.mark.parametrize("follow_up", ["只有一家吗？能不能再多推荐一两家，我想比较一下", "还有别的吗",
                                       "还有其他的吗", "有冇其他", "只有这一个吗？"])
async def test_asking_for_more_after_a_complete_list_says_so_and_names_what_limited_it(domain_dict, follow_up):
    _, slots, first = await run_search(domain_dict, KUNMING_BY_GREEN_LAKE, "search_hotel",
                                       city_entities(KUNMING_BY_GREEN_LAKE, "昆明"))
    assert len(listed_lines(first)) == 1
    responses, after, reply = await run_search(domain_dict, follow_up, "search_hotel", slots=slots)
    assert not listed_lines(reply) and "没有漏掉" in reply
    assert responses == ["utter_list_complete", "utter_relax_price"] and "一晚1200以内" in reply
    assert after["search_shown"] == slots["search_shown"]


async def test_a_price_let_go_after_a_complete_list_finds_the_others(domain_dict):
    _, slots, _ = await run_search(domain_dict, KUNMING_BY_GREEN_LAKE, "search_hotel",
                                   city_entities(KUNMING_BY_GREEN_LAKE, "昆明"))
    _, slots, _ = await run_search(domain_dict, "还有别的吗", "search_hotel", slots=slots)
    _, _, reply = await run_search(domain_dict, "那一晚1200以内的呢", "search_hotel", slots=slots)
    assert len(listed_lines(reply)) > 1


@pytest.mark.parametrize("follow_up", ["只有这几家吗", "还有别的吗", "有冇其他"])
async def test_asking_for_more_after_a_longer_list_shows_the_next_ones(domain_dict, follow_up):
    text = "上海有什么酒店"
    _, slots, first = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    _, after, reply = await run_search(domain_dict, follow_up, "search_hotel", slots=slots)
    shown = len(slots["search_shown"])
    assert listed_lines(reply)[0].startswith(f"{shown + 1}. ")
    assert not set(listed_lines(reply)) & set(listed_lines(first))


# --- sums over two legs (the demo catalogue) --------------------------------------------

SHANGHAI_ZHANGJIAJIE_VIA_CHANGSHA = {
    "search_type": "ticket", "search_origin": "上海", "search_city": "张家界",
    "inquiry_shown": ["service:CA3015", "service:G2595"], "inquiry_seen": ["service:CA3015", "service:G2595"]}
NANJING_BEIJING_AND_BACK = {
    "search_type": "ticket", "search_origin": "北京", "search_city": "南京", "search_people": 2.0,
    "search_shown": ["G1034", "G1035"], "inquiry_shown": ["service:G1034", "service:G1035"],
    "inquiry_focus": "service:G1034", "inquiry_seen": ["service:G1040", "service:G1034"]}


@pytest.mark.parametrize("text, slots, total", [
    # CA3015 经济舱 850 + G2595 二等座 134, for two: what the traveller asked twice in round 3.
    ("这个方案挺好。我们两个人的话，飞机加高铁一共大概多少钱？", SHANGHAI_ZHANGJIAJIE_VIA_CHANGSHA, "¥1968"),
    ("我是问两个人，两段加起来总共要多少钱", SHANGHAI_ZHANGJIAJIE_VIA_CHANGSHA, "¥1968"),
    ("一个人两段加起来多少钱", SHANGHAI_ZHANGJIAJIE_VIA_CHANGSHA, "¥984"),
    # G1040 南京→北京 and G1034 北京→南京, 455.50 each, two travellers said before: 1822.
    ("去程回程一共多少", NANJING_BEIJING_AND_BACK, "¥1822"),
])
async def test_a_sum_over_two_legs_is_answered_with_the_total(domain_dict, text, slots, total):
    _, _, reply = await run_search(domain_dict, text, "search_ticket", slots=dict(slots))
    assert f"合计 {total}" in reply
    assert "公务舱" not in reply
