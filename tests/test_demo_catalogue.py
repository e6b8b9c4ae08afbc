"""The shipped demo catalogue: reproducible from its generator, big enough, and coherent.

The importer trusts these files to load cleanly and the dialogue tests trust them to hold
what the issue promised (60 cities, 1,500 hotels, 1,000 sights, 150 tours, 80 city pairs),
so the checks here are about facts that would otherwise contradict each other: a room of
a missing hotel, a tour visiting a sight that does not exist, a flight from 苏州.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bot.catalogue.items import FACILITIES

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
