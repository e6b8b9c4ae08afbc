"""Where travellers want to be, against the demo catalogue in a real SQLite store: place
phrases resolve to sights, metro stations, districts and stations of the timetable (or
the reply says the place is unknown), and "附近有什么景点" about a hotel lists sights."""
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.places import nearby_kind, place_point
from actions.search import ActionSearch
from bot.catalogue.constraints import constraints_in, near_in, released_in
from bot.catalogue.items import HotelQuery
from bot.catalogue.queries import catalogue, haversine_km
from bot.text import normalize
from tests.helpers import city_entities, make_tracker, rendered, slots_after


async def run_search(domain, text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None,
                     slots: Optional[Dict[str, Any]] = None) -> Tuple[List[str], Dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = await ActionSearch().run(dispatcher, make_tracker(text, intent, entities, slots), domain)
    return ([m.get("response") for m in dispatcher.messages], slots_after(events, slots),
            "\n".join(rendered(dispatcher, domain)))


def shown_within(slots: Dict[str, Any], kind: str, km: float) -> bool:
    store = catalogue()
    point = place_point(store, slots["search_near"])
    assert point is not None
    items = [store.hotel(i) if kind == "hotel" else store.sight(i) for i in slots["search_shown"]]
    return bool(items) and all(haversine_km(point[0], point[1], i.lat, i.lon) <= km for i in items)


def test_an_island_is_a_place_phrase():
    assert near_in("想住在鼓浪屿岛上、可以看到海的饭店") == "鼓浪屿"
    assert near_in("鼓浪屿上面的饭店有哪些") == "鼓浪屿"


def test_what_is_wanted_around_a_place_is_read_after_the_near_word():
    assert nearby_kind("宽窄巷子栖云酒店附近有什么景点可以带爸妈去转转") == "sight"
    assert nearby_kind("不是找酒店，是问这个酒店周边有啥好玩的") == "sight"
    assert nearby_kind("故宫附近的酒店") == "hotel"
    assert nearby_kind("上海有什么酒店") is None


async def test_a_metro_station_centres_a_hotel_search(domain_dict):
    text = "上海人民广场附近、离地铁近一点的酒店，一晚别超过500块"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "上海"))
    assert slots["search_city"] == "上海" and slots["search_near"] == "metro:上海/人民广场"
    assert "人民广场附近" in reply and shown_within(slots, "hotel", 3.0)
    assert all("距离约" in line and "公里" in line for line in reply.splitlines() if line[:2] in ("1.", "2.", "3."))
    assert "utter_place_not_recognised" not in responses


async def test_a_metro_station_without_a_sight_of_that_name(domain_dict):
    text = "北京国贸附近的酒店"
    _, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "北京"))
    assert slots["search_near"] == "metro:北京/国贸" and shown_within(slots, "hotel", 3.0)


async def test_an_island_sight_centres_the_search_in_its_city(domain_dict):
    _, slots, reply = await run_search(domain_dict, "想住在鼓浪屿岛上、可以看到海的饭店", "search_hotel")
    assert slots["search_city"] == "厦门" and slots["search_near"].startswith("sight:")
    assert "鼓浪屿附近" in reply and shown_within(slots, "hotel", 3.0)


async def test_a_sight_named_in_a_hotel_search_is_where_to_stay(domain_dict):
    text = "三亚亚龙湾有没有带私人沙滩、适合带小孩的酒店"
    _, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "三亚"))
    assert slots["search_near"] == f"sight:{catalogue().landmark('亚龙湾', '三亚').id}"
    assert "亚龙湾附近" in reply and shown_within(slots, "hotel", 3.0)


async def test_an_unknown_place_is_said_not_silently_ignored(domain_dict):
    text = "武汉汉口火车站附近的酒店"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "武汉"))
    assert "utter_place_not_recognised" in responses and "汉口火车站" in reply
    assert not slots.get("search_near") and "utter_hotel_results" in responses


async def test_sights_near_a_hotel_named_in_the_question(domain_dict):
    text = "宽窄巷子栖云酒店附近有什么景点可以带爸妈去转转"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel",
                                               slots={"search_type": "hotel", "search_city": "成都"})
    assert "utter_sight_results" in responses and slots["search_type"] == "sight"
    assert slots["search_near"].startswith("hotel:") and shown_within(slots, "sight", 5.0)
    assert "距离约" in reply


async def test_not_a_hotel_but_the_sights_around_the_hotel_in_focus(domain_dict):
    store = catalogue()
    hotel = store.find_hotels(HotelQuery(city="北京"))[0]
    slots = {"search_type": "hotel", "search_city": "北京", "search_shown": [hotel.id],
             "search_wanted": {"max_price": "1000", "min_stars": 4, "breakfast": True},
             "inquiry_focus": f"hotel:{hotel.id}"}
    responses, after, reply = await run_search(domain_dict, "不是找酒店，是问这个酒店周边有什么景点，晚上想去走走",
                                               "search_hotel", slots=slots)
    assert responses == ["utter_attr_nearby_sights"] and after["search_type"] == "sight"
    assert after["search_near"] == f"hotel:{hotel.id}" and shown_within(after, "sight", 5.0)
    assert "km" in reply or "公里" in reply


# --- conditions let go ------------------------------------------------------------------


def test_a_denied_time_is_not_a_window():
    said = constraints_in("不是凌晨1点，是下午1点前到北京南")
    assert said.depart_after is None and said.depart_before is None


def test_let_go_conditions_are_read():
    assert "min_stars" in released_in("不用五星，只要能看海、1000以内就行").fields
    assert "min_stars" in released_in("星级无所谓").fields
    assert "place" in released_in("区域不限").fields
    assert "hotel_types:商务" in released_in("商务不商务无所谓").fields
    assert "hotel_types:民宿" in released_in("不要民宿").fields
    assert not constraints_in("不要民宿").hotel_types
    assert constraints_in("一晚不要超过500块的").min_price is None


async def test_let_go_conditions_leave_the_carried_search(domain_dict):
    slots = {"search_type": "hotel", "search_city": "深圳", "search_district": "南山区",
             "search_wanted": {"min_stars": 5, "facilities": ["游泳池"], "hotel_types": ["商务"]}}
    text = "不用非得南山、也不用五星，商务不商务无所谓，1000以内就行"
    _, after, reply = await run_search(domain_dict, text, "search_hotel", slots=slots)
    wanted = after["search_wanted"]
    assert not after.get("search_district") and "min_stars" not in wanted and "hotel_types" not in wanted
    assert wanted["max_price"] == "1000" and wanted["facilities"] == ["游泳池"]
    assert "5星" not in reply and "南山区的" not in reply


async def test_an_unlimited_area_and_a_refused_type(domain_dict):
    slots = {"search_type": "hotel", "search_city": "杭州", "search_district": "西湖区",
             "search_wanted": {"hotel_types": ["民宿"]}}
    _, after, _ = await run_search(domain_dict, "区域不限，不要民宿了", "search_hotel", slots=slots)
    assert not after.get("search_district") and "hotel_types" not in after["search_wanted"]


async def test_a_district_called_too_far_is_not_the_area(domain_dict):
    slots = {"search_type": "hotel", "search_city": "北京", "search_wanted": {"min_stars": 4}}
    text = "这些都太远了，通州海淀不方便。我要国贸附近的，CBD那一块"
    _, after, reply = await run_search(domain_dict, text, "search_hotel", slots=slots)
    assert not after.get("search_district") and after["search_near"] == "metro:北京/国贸"
    assert "通州区" not in reply and shown_within(after, "hotel", 3.0)


async def test_a_district_said_to_be_too_far_is_not_taken(domain_dict):
    slots = {"search_type": "hotel", "search_city": "北京", "search_wanted": {"min_rating": 4.5}}
    _, after, _ = await run_search(domain_dict, "通州顺义离中关村太远了，开会不方便。海淀中关村这一片有没有能停车的", "search_hotel", slots=slots)
    assert after["search_district"] == "海淀区"


async def test_nothing_within_reach_offers_the_nearest_not_the_whole_city(domain_dict):
    store = catalogue()
    sight = store.landmark("喜洲古镇", "大理")
    within = store.nearby_hotels(sight.lat, sight.lon, "大理", limit=50)
    assert not within  # the demo catalogue has no hotel within 3 km of 喜洲古镇
    text = "大理喜洲古镇附近的酒店"
    responses, slots, reply = await run_search(domain_dict, text, "search_hotel", city_entities(text, "大理"))
    assert responses[0] == "utter_no_results_near_widened" and "3公里以内" in reply
    nearest = store.nearby_hotels(sight.lat, sight.lon, "大理", limit=3, within_km=10)
    assert [store.hotel(i).name for i in slots["search_shown"]] == [h.name for h, _ in nearest]
    assert slots["search_near"] == f"sight:{sight.id}"


def test_a_condition_said_with_a_negation_stays_one():
    assert constraints_in("不要早餐的房间").breakfast is False
    assert constraints_in("一晚不要超过500块").max_price == 500
    assert constraints_in("不用门票的景点").free is True
    assert "breakfast" in released_in("早餐无所谓").fields


async def test_a_railway_station_and_a_city_in_front_of_the_place(domain_dict):
    _, slots, reply = await run_search(domain_dict, "北京南站附近的酒店", "search_hotel")
    assert slots["search_city"] == "北京" and slots["search_near"] == "metro:北京/北京南站"
    assert "北京南站附近" in reply and shown_within(slots, "hotel", 3.0)
    _, slots, _ = await run_search(domain_dict, "广州北京路附近有没有酒店，一晚400以内", "search_hotel")
    assert slots["search_city"] == "广州" and slots["search_near"] == "metro:广州/北京路"


def test_an_airport_of_the_timetable_is_in_its_city():
    assert catalogue().transport_hub_city("虹桥机场")[0] == "上海"


async def test_a_city_said_with_a_near_word_is_just_the_city(domain_dict):
    text = "杭州那边有什么酒店"
    responses, slots, _ = await run_search(domain_dict, text, "search_hotel", city_entities(text, "杭州"))
    assert responses == ["utter_hotel_results"] and slots["search_city"] == "杭州"


# --- everyday Cantonese and Taiwanese words are not places -------------------------------

@pytest.mark.parametrize("said, place", [
    ("佢喺邊", None),
    ("呢度附近有冇捷運站", None),
    ("超商在附近嗎", None),
    ("唔該，喺邊度搭車", None),
    ("你好，我哋想喺銅鑼灣附近搵酒店", "铜锣湾"),
    ("尖沙咀附近有咩酒店", "尖沙咀"),
])
def test_everyday_words_are_no_place_phrase(said, place):
    assert near_in(normalize(said).text) == place


@pytest.mark.parametrize("said, names", [
    ("唔該，我想問下點樣去故宮", {"故宫"}),
    ("係咪要預約先？幾錢一張飛", set()),
    ("喺邊度搭車去機場，搭捷運得唔得", set()),
    ("咩時候開門？冇位點算", set()),
    ("我哋想搵間平啲嘅酒店，有冇推介", set()),
    ("請問搭公車要多久，機車可以停嗎", set()),
    ("聽日去澳門嘅船幾點開", set()),
])
def test_cantonese_and_taiwanese_sentences_name_only_real_places(said, names):
    text = normalize(said).text
    assert {text[m.start:m.end] for m in catalogue().named_in(text)} == names


@pytest.mark.parametrize("said, not_a_place", [("咩時候開門", "咩时候"), ("搭公車要多久", "搭公车"),
                                               ("佢喺邊", "佢喺"), ("呢度附近有冇捷運站", "呢度")])
async def test_a_cantonese_question_is_not_answered_as_an_unknown_place(domain_dict, said, not_a_place):
    _, _, reply = await run_search(domain_dict, normalize(said).text, "search_tour",
                                   slots={"search_type": "sight", "search_city": "北京"})
    assert not_a_place not in reply and "没有在" not in reply and "暂时没有" not in reply


async def test_cantonese_pointers_mean_the_item_talked_about(domain_dict):
    store = catalogue()
    hotel = store.find_hotels(HotelQuery(city="香港"))[0]
    sight = store.landmark("维多利亚港")
    slots = {"search_city": "香港", "inquiry_focus": f"sight:{sight.id}",
             "inquiry_seen": [f"hotel:{hotel.id}", f"sight:{sight.id}"]}
    _, _, reply = await run_search(domain_dict, normalize("佢喺邊").text, "search_tour", slots=slots)
    assert sight.address in reply
    _, after, reply = await run_search(domain_dict, normalize("嗰間酒店幾多星").text, "search_hotel", slots=slots)
    assert hotel.name in reply and f"{hotel.stars}星" in reply and after["inquiry_focus"] == f"hotel:{hotel.id}"


# --- a sight's name inside the name of a tour or a hotel's branch ---------------------

@pytest.mark.parametrize("said, intent, slots, focus, fact", [
    ("蜈支洲岛一日游多少钱", "search_tour", {}, "tour:T-SY-001", "儿童¥288"),
    # The catalogue writes the qualifier in full-width brackets; travellers leave it out
    # or type it half-width (the NLU's normaliser makes it half-width).
    ("敦煌深度两日游的行程是怎样的", "search_tour", {}, "tour:T-DH-102", "阳关"),
    ("敦煌深度兩日遊（小團）的行程內容", "search_tour", {}, "tour:T-DH-102", "阳关"),
    # 麗枫 in the catalogue, 丽枫 as typed; the branch said (瘦西湖店) is not the sight.
    ("丽枫酒店扬州瘦西湖店有停车场吗", "search_hotel", {"search_city": "扬州"}, "hotel:H-YZ-108", "免费停车"),
    ("蜈支洲岛门票多少钱", "search_tour", {}, "sight:S-SY-002", "¥144"),
])
async def test_the_longest_name_said_wins_over_a_sight_inside_it(domain_dict, said, intent, slots, focus, fact):
    _, after, reply = await run_search(domain_dict, normalize(said).text, intent, slots=slots)
    assert after.get("inquiry_focus") == focus and fact in reply


async def test_a_hotel_branch_named_after_a_sight_is_not_the_sight(domain_dict):
    sight = catalogue().landmark("瘦西湖")
    _, after, reply = await run_search(domain_dict, "丽枫酒店扬州瘦西湖店有停车场吗", "search_tour")
    assert after.get("inquiry_focus") != f"sight:{sight.id}" and "暂无瘦西湖" not in reply


# --- which listed item a pointer means ------------------------------------------------

TRAINS_AFTER_NINE = {"search_type": "ticket", "search_origin": "南京", "search_city": "北京",
                     "search_mode": "train", "search_shown": ["G1040", "G1041", "G1042"],
                     "inquiry_shown": ["service:G1040", "service:G1041", "service:G1042"],
                     "inquiry_focus": "service:G1039", "inquiry_seen": ["service:G1039"]}
SHENZHEN_HOTELS = {"search_type": "hotel", "search_city": "深圳", "search_shown": ["H-SZ-112", "H-SZ-118"],
                   "inquiry_shown": ["hotel:H-SZ-112", "hotel:H-SZ-118"], "inquiry_focus": "hotel:H-SZ-112",
                   "inquiry_seen": ["hotel:H-SZ-112"]}
CHONGQING_HOTELS = {"search_type": "hotel", "search_city": "重庆", "search_shown": ["H-CQ-127", "H-CQ-001"],
                    "inquiry_shown": ["hotel:H-CQ-127", "hotel:H-CQ-001"], "inquiry_focus": "hotel:H-CQ-127",
                    "inquiry_seen": ["hotel:H-CQ-127"]}


@pytest.mark.parametrize("said, intent, slots, meant", [
    # A single earlier result (G1039) stayed in focus; "9点20这趟" is the 09:20 one listed since.
    ("9点20这趟挺好，它几点到北京南？", "search_ticket", TRAINS_AFTER_NINE, "service:G1040"),
    ("第2个几点到", "search_ticket", TRAINS_AFTER_NINE, "service:G1041"),
    ("雲棲嗰間有冇大床房同雙床房？幾錢一晚？", "search_hotel", SHENZHEN_HOTELS, "hotel:H-SZ-118"),
    ("第二家有停车场吗", "search_hotel", SHENZHEN_HOTELS, "hotel:H-SZ-118"),
    ("那解放碑云景酒店呢，它离地铁站多远？", "search_hotel", CHONGQING_HOTELS, "hotel:H-CQ-001"),
])
async def test_a_pointer_beside_a_listed_item_means_that_item(domain_dict, said, intent, slots, meant):
    _, after, reply = await run_search(domain_dict, normalize(said).text, intent, slots=dict(slots))
    kind, key = meant.split(":")
    name = catalogue().service(key).code if kind == "service" else catalogue().hotel(key).name
    assert after["inquiry_focus"] == meant and name in reply


def test_part_of_a_name_after_another_city_is_not_that_item(store):
    """"北京星河宾馆": the catalogue's 星河宾馆 is in 银川, so this is a hotel it lacks."""
    facade = catalogue()
    assert [m.name for m in facade.named_in("银川星河宾馆还有房吗") if m.kind == "hotel"] == ["银川星河宾馆"]
    assert [m for m in facade.named_in("北京星河宾馆还有房吗") if m.kind == "hotel"] == []
