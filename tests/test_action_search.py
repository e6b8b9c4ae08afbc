"""action_search against the real catalogue in knowledge_base/."""
from datetime import timedelta

from rasa_sdk.executor import CollectingDispatcher

from actions.search import ActionSearch
from bot import knowledge
from bot.nlu.dates import business_now
from tests.helpers import city_entities, make_tracker, rendered, slots_after


async def run_search(domain_dict, text, intent, entities=None, slots=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, slots)
    events = await ActionSearch().run(dispatcher, tracker, domain_dict)
    return dispatcher, slots_after(events, slots), rendered(dispatcher, domain_dict)


def responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


async def test_hotel_search_without_details_asks_for_the_city(domain_dict):
    dispatcher, slots, _ = await run_search(domain_dict, "帮我找个酒店", "search_hotel")
    assert responses(dispatcher) == ["utter_ask_hotel_city"]
    assert slots["search_type"] == "hotel" and slots["search_pending"] == "city"


async def test_hotel_browsing_needs_no_date_or_party(domain_dict):
    text = "上海有什么酒店"
    dispatcher, slots, texts = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert responses(dispatcher) == ["utter_hotel_results_browse"]
    shanghai = {h.name for h in knowledge.hotels() if h.city == "上海"}
    shown = [line for line in texts[0].splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(shown) == 3
    assert all(any(name in line for name in shanghai) for line in shown)
    assert "/晚起" in texts[0] and slots.get("search_pending") is None


async def test_a_city_question_is_asked_at_most_twice(domain_dict):
    _, slots, _ = await run_search(domain_dict, "帮我找个酒店", "search_hotel")
    dispatcher, slots, _ = await run_search(domain_dict, "嗯", "inform", slots=slots)
    assert responses(dispatcher) == ["utter_ask_hotel_city"]
    dispatcher, slots, _ = await run_search(domain_dict, "随便", "inform", slots=slots)
    assert responses(dispatcher) == ["utter_search_still_need_city"]


async def test_a_hotel_name_fragment_is_not_taken_as_the_city(domain_dict):
    hotel = knowledge.hotels()[0]
    text = f"我想订{hotel.name}"
    entities = [
        {"entity": "city", "start": 3, "end": 3 + len(hotel.name), "value": hotel.name},
    ]
    dispatcher, slots, _ = await run_search(domain_dict, text, "search_hotel", entities)
    assert "utter_unknown_hotel_city" not in responses(dispatcher)
    assert slots.get("search_city") in (None, hotel.city)


async def test_everything_in_one_message_goes_straight_to_results(domain_dict):
    text = "明天杭州的酒店 两大一小"
    dispatcher, slots, texts = await run_search(domain_dict, text, "search_hotel", city_entities(text, "杭州"))
    assert responses(dispatcher) == ["utter_hotel_results"]
    assert "杭州" in texts[0] and "3人" in texts[0]
    assert slots["search_date"] == (business_now().date() + timedelta(days=1)).isoformat()


async def hotel_results(domain_dict):
    text = "明天上海的酒店 两个人"
    _, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    return slots


async def test_cheaper_follow_up_shows_only_cheaper_hotels(domain_dict):
    slots = await hotel_results(domain_dict)
    offers = {h.id: h for h in knowledge.hotels()}
    cheapest_shown = min(offers[i].lowest_price for i in slots["search_shown"])
    dispatcher, after, _ = await run_search(domain_dict, "还有便宜点的吗", "search_hotel", slots=slots)
    new = [i for i in after["search_shown"] if i not in slots["search_shown"]]
    if responses(dispatcher) == ["utter_no_cheaper"]:
        assert all(offers[i].lowest_price >= cheapest_shown for i in offers if offers[i].city == "上海" and i not in slots["search_shown"])
    else:
        assert new and all(offers[i].lowest_price < cheapest_shown for i in new)


async def test_second_result_detail(domain_dict):
    slots = await hotel_results(domain_dict)
    second = {h.id: h for h in knowledge.hotels()}[slots["search_shown"][1]]
    dispatcher, _, texts = await run_search(domain_dict, "第二个怎么样", "search_hotel", slots=slots)
    assert responses(dispatcher) == ["utter_hotel_detail"]
    assert second.name in texts[0] and second.address in texts[0]


async def test_asking_for_a_result_that_was_not_shown(domain_dict):
    slots = await hotel_results(domain_dict)
    dispatcher, _, texts = await run_search(domain_dict, "第九个", "search_hotel", slots=slots)
    assert responses(dispatcher) == ["utter_no_such_result"]
    assert "1 到 3" in texts[0]


async def test_ticket_search_finds_route_and_direction(domain_dict):
    text = "明天上海到北京的高铁 一个人"
    entities = city_entities(text, "上海", "北京") + [
        {"entity": "product_type", "start": 7, "end": 9, "value": "train"}
    ]
    dispatcher, slots, texts = await run_search(domain_dict, text, "search_ticket", entities)
    assert responses(dispatcher) == ["utter_ticket_results"]
    assert slots["search_origin"] == "上海" and slots["search_city"] == "北京"
    codes = {s.code for s in knowledge.services() if s.origin == "上海" and s.destination == "北京" and s.mode == "train"}
    assert any(code in texts[0] for code in codes)


async def test_ticket_search_asks_origin_when_only_destination_given(domain_dict):
    text = "后天去北京的票"
    dispatcher, slots, _ = await run_search(domain_dict, text, "search_ticket", city_entities(text, "北京"))
    assert responses(dispatcher) == ["utter_ask_origin"]
    assert slots["search_city"] == "北京"
    dispatcher, slots, _ = await run_search(domain_dict, "上海", "inform", city_entities("上海", "上海"), slots)
    assert slots["search_origin"] == "上海"


async def test_correction_changes_the_date_and_searches_again(domain_dict):
    slots = await hotel_results(domain_dict)
    dispatcher, after, _ = await run_search(domain_dict, "不对，是后天", "inform", slots=slots)
    assert responses(dispatcher) == ["utter_hotel_results"]
    assert after["search_date"] == (business_now().date() + timedelta(days=2)).isoformat()


async def test_city_without_hotels_is_refused_with_the_covered_cities(domain_dict):
    text = "明天漠河的酒店两个人"
    dispatcher, slots, texts = await run_search(domain_dict, text, "search_hotel", city_entities(text, "漠河"))
    assert responses(dispatcher) == ["utter_unknown_hotel_city"]
    listed = texts[0].split("：", 1)[1]
    assert "漠河" in texts[0] and "漠河" not in listed
    assert any(city in listed for city in {h.city for h in knowledge.hotels()})
    assert slots["search_city"] == "漠河"  # kept in focus, never asked again


async def test_past_date_is_refused(domain_dict):
    text = "昨天上海的酒店两个人"
    dispatcher, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert responses(dispatcher) == ["utter_date_in_past"]
    assert slots.get("search_date") is None


async def test_tour_search_lists_tours_departing_that_day(domain_dict):
    tour = knowledge.tours()[0]
    day = business_now().date() + timedelta(days=7)
    while day.isoweekday() not in tour.departure_weekdays:
        day += timedelta(days=1)
    text = f"{tour.destination}跟团游 {day.month}月{day.day}号 两个人"
    dispatcher, _, texts = await run_search(domain_dict, text, "search_tour", city_entities(text, tour.destination))
    assert responses(dispatcher) == ["utter_tour_results"]
    assert tour.destination in texts[0]
    listed = [t.name for t in knowledge.tours() if t.name in texts[0]]
    assert listed and all(
        day.isoweekday() in next(t for t in knowledge.tours() if t.name == name).departure_weekdays
        for name in listed
    )


async def test_follow_up_without_any_search_explains(domain_dict):
    dispatcher, _, _ = await run_search(domain_dict, "还有便宜点的吗", "inform")
    assert responses(dispatcher) == ["utter_nothing_to_refine"]


async def test_vague_request_asks_what_to_search(domain_dict):
    dispatcher, slots, _ = await run_search(domain_dict, "明天", "inform")
    assert responses(dispatcher) == ["utter_ask_search_type"]


async def test_destination_without_tours_is_refused_with_the_covered_ones(domain_dict):
    text = "漠河有什么跟团游"
    dispatcher, slots, texts = await run_search(domain_dict, text, "search_tour", city_entities(text, "漠河"))
    assert responses(dispatcher) == ["utter_unknown_tour_city"]
    listed = texts[0].split("：", 1)[1]
    assert "漠河" not in listed and any(t.destination in listed for t in knowledge.tours())
    assert slots["search_city"] == "漠河"

