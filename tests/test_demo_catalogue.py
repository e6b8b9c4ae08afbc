"""The shipped demo catalogue: reproducible from its generator, big enough, and coherent.

The importer trusts these files to load cleanly and the dialogue tests trust them to hold
what the issue promised (60 cities, 1,500 hotels, 1,000 sights, 150 tours, 80 city pairs),
so the checks here are about facts that would otherwise contradict each other: a room of
a missing hotel, a tour visiting a sight that does not exist, a flight from 苏州.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot.catalogue.items import FACILITIES
from bot.catalogue.queries import haversine_km

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "knowledge_base" / "catalogue" / "demo"
GENERATOR = ROOT / "scripts" / "generate_demo_catalogue.py"
FILES = ("districts.csv", "hotels.csv", "rooms.csv", "sights.csv", "tours.yml", "services.csv")
GRADE_PRICES = {"经济型": (150, 350), "舒适型": (250, 500), "高档型": (400, 900), "豪华型": (800, 3000)}


def rows(name: str) -> List[Dict[str, str]]:
    with (DEMO / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def catalogue() -> Dict[str, list]:
    tours = yaml.safe_load((DEMO / "tours.yml").read_text(encoding="utf-8"))["tours"]
    return {"districts": rows("districts.csv"), "hotels": rows("hotels.csv"), "rooms": rows("rooms.csv"),
            "sights": rows("sights.csv"), "tours": tours, "services": rows("services.csv")}


def kb(name: str, key: str) -> list:
    return yaml.safe_load((ROOT / "knowledge_base" / name).read_text(encoding="utf-8"))[key]


def test_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, capture_output=True)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), f"{name} is stale: rerun the generator"


def test_scale_multiplies_hotels_sights_and_services_with_new_ids(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path), "--scale", "2"], check=True,
                   capture_output=True)
    for name, key in (("hotels.csv", "id"), ("sights.csv", "id"), ("services.csv", "code")):
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            scaled = [row[key] for row in csv.DictReader(handle)]
        assert len(scaled) == 2 * len(rows(name)) and len(set(scaled)) == len(scaled)


def test_catalogue_meets_the_promised_size(catalogue: Dict[str, list]) -> None:
    hotel_cities = {hotel["city"] for hotel in catalogue["hotels"]}
    pairs = {frozenset((s["origin"], s["destination"])) for s in catalogue["services"]}
    assert len(hotel_cities) >= 60
    assert len(catalogue["hotels"]) >= 1500
    assert len(catalogue["sights"]) >= 1000
    assert len(catalogue["tours"]) >= 150
    assert len(pairs) >= 80


def test_ids_and_names_are_unique(catalogue: Dict[str, list]) -> None:
    for kind, key in (("hotels", "id"), ("sights", "id"), ("tours", "id"), ("services", "code"),
                      ("hotels", "name"), ("sights", "name")):
        values = [item[key] for item in catalogue[kind]]
        assert len(values) == len(set(values)), f"duplicate {kind} {key}"
    addresses = [(hotel["city"], hotel["address"]) for hotel in catalogue["hotels"]]
    assert len(addresses) == len(set(addresses)), "two hotels at one street number"
    room_keys = [(room["hotel_id"], room["type"]) for room in catalogue["rooms"]]
    assert len(room_keys) == len(set(room_keys))


def test_every_city_is_a_destination_and_every_district_is_known(catalogue: Dict[str, list]) -> None:
    destinations = {item["name"] for item in kb("destinations.yml", "destinations")}
    districts = {(d["city"], d["name"]) for d in catalogue["districts"]}
    assert {city for city, _ in districts} <= destinations
    for item in catalogue["hotels"] + catalogue["sights"]:
        assert (item["city"], item["district"]) in districts, item["id"]
    for service in catalogue["services"]:
        assert {service["origin"], service["destination"]} <= destinations, service["code"]


def test_every_room_belongs_to_a_hotel_and_every_hotel_has_two_to_six_rooms(catalogue: Dict[str, list]) -> None:
    hotel_ids = {hotel["id"] for hotel in catalogue["hotels"]}
    per_hotel: Dict[str, int] = {}
    for room in catalogue["rooms"]:
        assert room["hotel_id"] in hotel_ids
        per_hotel[room["hotel_id"]] = per_hotel.get(room["hotel_id"], 0) + 1
    assert set(per_hotel) == hotel_ids
    assert all(1 <= count <= 6 for count in per_hotel.values())


def test_generated_room_prices_fit_the_hotel_grade(catalogue: Dict[str, list]) -> None:
    # generated hotels are numbered from 101; the hand-written ones keep their own prices
    grades = {h["id"]: h["grade"] for h in catalogue["hotels"] if int(h["id"].rsplit("-", 1)[1]) >= 101}
    for room in catalogue["rooms"]:
        if room["hotel_id"] in grades:
            low, high = GRADE_PRICES[grades[room["hotel_id"]]]
            assert low <= int(room["price"]) <= high, room


def test_hotel_facts_do_not_contradict_each_other(catalogue: Dict[str, list]) -> None:
    metro_cities = {hotel["city"] for hotel in catalogue["hotels"] if hotel["metro_station"]}
    breakfast_rooms = {room["hotel_id"] for room in catalogue["rooms"] if room["breakfast"] == "yes"}
    for hotel in catalogue["hotels"]:
        facilities = hotel["facilities"].split("|")
        assert set(facilities) <= set(FACILITIES), hotel["id"]
        if hotel["breakfast_included"] == "yes" or hotel["id"] in breakfast_rooms:
            assert "早餐" in facilities, hotel["id"]
        assert 0 <= float(hotel["rating"]) <= 5 and hotel["checkout_time"] == "12:00"
    assert not metro_cities & {"丽江", "大理", "三亚", "阳朔", "黄山", "拉萨", "敦煌"}


def test_every_attraction_and_hand_written_item_is_kept(catalogue: Dict[str, list]) -> None:
    sights = {(s["city"], s["name"]): s for s in catalogue["sights"]}
    for item in kb("attractions.yml", "attractions"):
        sight = sights[(item["city"], item["name"])]
        assert set(map(str, item.get("aliases", []))) <= set(sight["aliases"].split("|"))
    hotels = {hotel["id"]: hotel for hotel in catalogue["hotels"]}
    prices = {(room["hotel_id"], room["type"]): room["price"] for room in catalogue["rooms"]}
    for item in kb("catalogue/hotels.yml", "hotels"):
        hotel = hotels[item["id"]]
        assert (hotel["name"], hotel["city"], hotel["district"], hotel["address"]) == \
            (item["name"], item["city"], item["district"], item["address"])
        for room in item["rooms"]:
            assert prices[(item["id"], room["type"])] == str(room["price"])
    tours = {tour["id"]: tour for tour in catalogue["tours"]}
    for item in kb("catalogue/tours.yml", "tours"):
        assert {key: tours[item["id"]][key] for key in item} == item
    services = {service["code"]: service for service in catalogue["services"]}
    for item in kb("catalogue/transport.yml", "services"):
        service = services[item["code"]]
        assert (service["origin"], service["destination"], service["depart"], service["arrive"]) == \
            (item["from"], item["to"], item["depart"], item["arrive"])
        fares = dict(fare.split(":")[:2] for fare in service["fares"].split("|"))
        assert fares == {name: str(price) for name, price in item["fares"].items()}


def test_every_tour_attraction_is_a_sight_of_the_catalogue(catalogue: Dict[str, list]) -> None:
    sight_names = {sight["name"] for sight in catalogue["sights"]}
    for tour in catalogue["tours"]:
        assert tour["attractions"] and set(tour["attractions"]) <= sight_names, tour["id"]
        assert tour["excludes"] and len(tour["itinerary"]) == tour["days"], tour["id"]


def test_flights_only_between_cities_with_airports(catalogue: Dict[str, list]) -> None:
    flights = [s for s in catalogue["services"] if s["mode"] == "flight"]
    assert flights and all("机场" in s["from_station"] and "机场" in s["to_station"] for s in flights)
    assert not [s["code"] for s in flights if "苏州" in (s["origin"], s["destination"])]


def test_busy_corridors_are_served_by_train(catalogue: Dict[str, list]) -> None:
    trains = {(s["origin"], s["destination"]) for s in catalogue["services"] if s["mode"] == "train"}
    for pair in (("北京", "上海"), ("上海", "苏州"), ("广州", "深圳"), ("成都", "重庆"), ("南京", "杭州"),
                 ("武汉", "西安"), ("厦门", "深圳")):
        assert pair in trains and pair[::-1] in trains, pair


# --- places: famous sights where they are, hotels where travellers look for them ------------


def point(item: Dict[str, str]) -> Tuple[float, float]:
    return float(item["lat"]), float(item["lon"])


def sight(catalogue: Dict[str, list], city: str, name: str) -> Dict[str, str]:
    return next(s for s in catalogue["sights"] if s["city"] == city and s["name"] == name)


def cheapest_rooms(catalogue: Dict[str, list]) -> Dict[str, int]:
    prices: Dict[str, int] = {}
    for room in catalogue["rooms"]:
        prices[room["hotel_id"]] = min(prices.get(room["hotel_id"], 10 ** 6), int(float(room["price"])))
    return prices


def hotels_near(catalogue: Dict[str, list], city: str, name: str, km: float) -> List[Dict[str, str]]:
    centre = point(sight(catalogue, city, name))
    return [h for h in catalogue["hotels"] if h["city"] == city and haversine_km(*centre, *point(h)) <= km]


@pytest.mark.parametrize("city, a, b, low, high", [
    ("北京", "故宫", "鸟巢国家体育场", 6, 10),
    ("北京", "故宫", "天安门广场", 0.8, 2.5),
    ("北京", "故宫", "天坛", 3, 5.5),
    ("北京", "故宫", "颐和园", 11, 17),
    ("北京", "故宫", "八达岭长城", 50, 70),
    ("上海", "外滩", "东方明珠", 0.5, 1.5),
    ("上海", "外滩", "上海迪士尼度假区", 15, 25),
    ("杭州", "西湖", "灵隐寺", 3, 6),
    ("成都", "锦里", "武侯祠", 0, 0.5),
    ("成都", "宽窄巷子", "春熙路", 2, 4),
    ("西安", "钟楼", "回民街", 0, 1),
    ("西安", "钟楼", "兵马俑", 28, 40),
    ("广州", "广州塔", "沙面", 6, 10),
    ("深圳", "深圳世界之窗", "深圳欢乐谷", 0.5, 2),
    ("南京", "夫子庙", "中山陵", 5, 10),
    ("苏州", "拙政园", "平江路", 0.3, 1.5),
    ("厦门", "鼓浪屿", "南普陀寺", 2, 5),
    ("重庆", "洪崖洞", "解放碑", 0.3, 1.5),
    ("重庆", "解放碑", "磁器口", 10, 16),
    ("桂林", "象鼻山", "漓江", 0, 2),
    ("大理", "大理古城", "洱海", 1, 4),
])
def test_famous_sights_are_as_far_apart_as_they_really_are(catalogue: Dict[str, list], city: str, a: str, b: str,
                                                            low: float, high: float) -> None:
    km = haversine_km(*point(sight(catalogue, city, a)), *point(sight(catalogue, city, b)))
    assert low <= km <= high, f"{a}–{b} is {km:.1f} km"


def test_the_stadium_is_found_by_the_names_people_use(catalogue: Dict[str, list]) -> None:
    assert {"鸟巢", "国家体育场"} <= set(sight(catalogue, "北京", "鸟巢国家体育场")["aliases"].split("|"))


def test_every_hotel_and_sight_lies_near_its_district(catalogue: Dict[str, list]) -> None:
    # 大理市 reaches 双廊, 35 km up the lake from the city's centre; a swapped or mistyped
    # coordinate lands hundreds of km away
    centres = {(d["city"], d["name"]): point(d) for d in catalogue["districts"]}
    for item in catalogue["hotels"] + catalogue["sights"]:
        assert haversine_km(*centres[(item["city"], item["district"])], *point(item)) <= 40, item["id"]


@pytest.mark.parametrize("city, district, near", [("成都", "锦江区", None), ("厦门", None, "鼓浪屿"),
                                                  ("厦门", None, "曾厝垵"), ("北京", None, "南锣鼓巷")])
def test_guesthouses_where_travellers_look_for_them(catalogue: Dict[str, list], city: str, district: str,
                                                    near: str) -> None:
    hotels = hotels_near(catalogue, city, near, 3.0) if near else \
        [h for h in catalogue["hotels"] if h["city"] == city and h["district"] == district]
    assert [h for h in hotels if h["type"] == "民宿"]


def test_guesthouses_by_erhai_under_400_a_night(catalogue: Dict[str, list]) -> None:
    prices = cheapest_rooms(catalogue)
    found = [h for h in hotels_near(catalogue, "大理", "洱海", 3.0) if h["type"] == "民宿" and prices[h["id"]] <= 400]
    assert len(found) >= 3


def test_a_hotel_at_300_or_less_by_xiangbishan(catalogue: Dict[str, list]) -> None:
    prices = cheapest_rooms(catalogue)
    assert [h for h in hotels_near(catalogue, "桂林", "象鼻山", 2.0) if prices[h["id"]] <= 300]


def test_hotels_gather_around_the_sights_people_search_by(catalogue: Dict[str, list]) -> None:
    for city, name in (("北京", "故宫"), ("北京", "鸟巢国家体育场"), ("上海", "外滩"), ("上海", "上海迪士尼度假区"),
                       ("杭州", "西湖"), ("成都", "宽窄巷子"), ("西安", "兵马俑"), ("广州", "长隆野生动物世界"),
                       ("深圳", "深圳世界之窗"), ("南京", "中山陵"), ("重庆", "磁器口"), ("丽江", "丽江古城")):
        assert hotels_near(catalogue, city, name, 3.0), f"no hotel within 3 km of {name}"


def test_a_hotel_named_after_a_sight_is_by_it(catalogue: Dict[str, list]) -> None:
    # generated hotels only: 大理洱海云景度假酒店 (hand-written) is on the lake at 双廊, 24 km up;
    # a road named after a sight (九江庐山南路) need not be by it
    sights = {(s["city"], s["name"]): s for s in catalogue["sights"]}
    checked = 0
    for hotel in catalogue["hotels"]:
        if int(hotel["id"].rsplit("-", 1)[1]) < 101:
            continue
        for (city, name), item in sights.items():
            if city == hotel["city"] and re.search(re.escape(city + name) + "(?![东南西北中]?[路街]|大道)", hotel["name"]):
                km = haversine_km(*point(item), *point(hotel))
                assert km <= 3.0, f"{hotel['name']} is {km:.1f} km from {name}"
                checked += 1
    assert checked >= 100


def test_a_hand_written_hotel_is_by_the_landmark_it_names(catalogue: Dict[str, list]) -> None:
    hotels = {h["name"]: h for h in catalogue["hotels"]}
    for hotel, city, name in (("鼓浪屿听涛花园酒店", "厦门", "鼓浪屿"), ("成都宽窄巷子栖云酒店", "成都", "宽窄巷子"),
                              ("上海外滩云景酒店", "上海", "外滩"), ("丽江古城木府栖云客栈", "丽江", "丽江古城")):
        assert haversine_km(*point(hotels[hotel]), *point(sight(catalogue, city, name))) <= 1.0, hotel
    assert not hotels["鼓浪屿听涛花园酒店"]["metro_station"]  # the island has no metro


def test_no_hotel_stands_in_west_lake(catalogue: Dict[str, list]) -> None:
    lake = point(sight(catalogue, "杭州", "西湖"))
    assert all(haversine_km(*lake, *point(h)) >= 1.2 for h in catalogue["hotels"] if h["city"] == "杭州")
