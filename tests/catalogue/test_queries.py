"""The facade's queries on the fixture catalogue: each filter really filters, names are
found by full name, part, alias and typo, ambiguity is settled by the city or left open."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bot.booking.store import BookingStore
from bot.catalogue.items import HotelQuery, ServiceQuery, SightQuery, TourQuery
from bot.catalogue.queries import haversine_km

LUJIAZUI = (31.2397, 121.4998)


def _ids(items):
    return [getattr(item, "id", None) or item.code for item in items]


def test_hotels_by_city_and_district(facade):
    assert set(_ids(facade.find_hotels(HotelQuery(city="上海")))) == {"H-SH-101", "H-SH-102", "H-SH-103"}
    assert _ids(facade.find_hotels(HotelQuery(city="上海", district="浦东新区"))) == ["H-SH-101"]
    assert facade.count_hotels(HotelQuery(city="北京")) == 2


def test_hotel_price_rating_star_type_breakfast_and_facility_filters(facade):
    cheap = facade.find_hotels(HotelQuery(city="上海", max_price=Decimal(900)))
    assert _ids(cheap) and all(h.lowest_price <= 900 for h in cheap)
    assert "H-SH-102" not in _ids(cheap)
    dear = facade.find_hotels(HotelQuery(city="上海", min_price=Decimal(800)))
    assert set(_ids(dear)) == {"H-SH-101", "H-SH-102"}
    assert _ids(facade.find_hotels(HotelQuery(min_rating=4.7))) == ["H-SH-102", "H-CD-101"]
    assert set(_ids(facade.find_hotels(HotelQuery(min_stars=5)))) == {"H-SH-102"}
    assert _ids(facade.find_hotels(HotelQuery(types=("青旅",)))) == ["H-CD-102"]
    assert all(h.breakfast_included for h in facade.find_hotels(HotelQuery(breakfast=True)))
    gym_and_parking = facade.find_hotels(HotelQuery(facilities=("健身房", "免费停车")))
    assert _ids(gym_and_parking) == ["H-BJ-102"]


def test_hotel_sorts_and_pages(facade):
    by_price = facade.find_hotels(HotelQuery(city="上海", sort="price"))
    assert [h.lowest_price for h in by_price] == sorted(h.lowest_price for h in by_price)
    by_rating = facade.find_hotels(HotelQuery(sort="rating"))
    assert [h.rating for h in by_rating] == sorted((h.rating for h in by_rating), reverse=True)
    first, second = (facade.find_hotels(HotelQuery(sort="price", limit=2, offset=n)) for n in (0, 2))
    assert not set(_ids(first)) & set(_ids(second))


def test_hotels_near_a_point_are_within_reach_nearest_first(facade):
    near = facade.find_hotels(HotelQuery(near=LUJIAZUI, within_km=1.5, sort="distance"))
    assert _ids(near) == ["H-SH-101", "H-SH-102"]
    assert facade.count_hotels(HotelQuery(near=LUJIAZUI, within_km=1.5)) == 2
    assert facade.find_hotels(HotelQuery(near=LUJIAZUI, within_km=0.1, sort="distance"))[0].id == "H-SH-101"


def test_sight_filters(facade):
    free = facade.find_sights(SightQuery(free=True))
    assert set(_ids(free)) == {"S-BJ-102", "S-SH-101", "S-CD-101"}
    assert _ids(facade.find_sights(SightQuery(city="北京", types=("博物馆",)))) == ["S-BJ-101"]
    assert _ids(facade.find_sights(SightQuery(suitable_for=("亲子", "老人")))) == ["S-BJ-101"]
    assert set(_ids(facade.find_sights(SightQuery(max_ticket=Decimal(100))))) == {
        "S-BJ-101", "S-BJ-102", "S-SH-101", "S-CD-101"}
    assert _ids(facade.find_sights(SightQuery(city="上海", max_visit_hours=2))) == ["S-SH-101"]
    assert facade.sight("S-BJ-101").tickets == (("成人票", Decimal(60)), ("学生票", Decimal(20)))


def test_tour_filters(facade):
    assert _ids(facade.find_tours(TourQuery(destination="成都"))) == ["T-CD-101"]
    assert _ids(facade.find_tours(TourQuery(weekday=2))) == []
    assert _ids(facade.find_tours(TourQuery(weekday=6))) == ["T-BJ-101", "T-CD-101"]
    assert _ids(facade.find_tours(TourQuery(days=2))) == ["T-CD-101"]
    assert _ids(facade.find_tours(TourQuery(max_price=Decimal(500)))) == ["T-BJ-101"]
    assert _ids(facade.find_tours(TourQuery(attraction="都江堰"))) == ["T-CD-101"]


def test_service_filters(facade):
    route = ServiceQuery(origin="上海", destination="北京")
    assert _ids(facade.find_services(route)) == ["G101", "MU5101", "G105", "D301"]
    assert _ids(facade.find_services(ServiceQuery(origin="上海", modes=("flight",)))) == ["MU5101"]
    morning = facade.find_services(ServiceQuery(origin="上海", depart_after="07:30", depart_before="14:00"))
    assert _ids(morning) == ["MU5101", "G105"]
    assert _ids(facade.find_services(ServiceQuery(origin="上海", weekday=6))) == ["G101", "MU5101", "D301"]
    first_class = facade.find_services(ServiceQuery(fare_class="一等座", sort="price"))
    assert _ids(first_class) == ["G101", "G105"]
    assert _ids(facade.find_services(ServiceQuery(origin="上海", max_price=Decimal(560)))) == ["G101", "G105"]
    night = facade.service("D301")
    assert (night.arrive, night.duration_minutes) == ("07:10+1", 700)
    assert facade.routes(("flight",)) == [("上海", "北京"), ("北京", "成都")]
    assert facade.destinations_from("北京") == ["成都"]


def _named(facade, text, **options):
    return [(m.kind, m.id, m.exact, text[m.start:m.end]) for m in facade.named_in(text, **options)]


def test_named_in_full_name_alias_and_code(facade):
    assert _named(facade, "我想订成都宽窄巷子栖云酒店两晚") == [
        ("hotel", "H-CD-101", True, "成都宽窄巷子栖云酒店")]
    assert _named(facade, "紫禁城几点开门") == [("sight", "S-BJ-101", True, "紫禁城")]
    assert _named(facade, "G101还有票吗", kinds=("service",)) == [("service", "G101", True, "G101")]
    assert _named(facade, "G1015还有票吗") == []


def test_named_in_distinctive_part_and_ambiguity(facade):
    assert _named(facade, "宽窄巷子栖云酒店多少钱") == [("hotel", "H-CD-101", False, "宽窄巷子栖云酒店")]
    # 栖云 is a brand in 上海 and 成都: ambiguous without a city, settled by one
    assert _named(facade, "栖云酒店多少钱") == []
    assert _named(facade, "栖云酒店多少钱", city="成都") == [("hotel", "H-CD-101", False, "栖云酒店")]
    assert _named(facade, "栖云在哪", city="上海") == [("hotel", "H-SH-101", False, "栖云")]


def test_named_in_homophone_typo(facade):
    assert _named(facade, "如佳酒店离地铁远吗") == [("hotel", "H-SH-103", False, "如佳酒店")]


def test_named_in_district_and_district_named(facade):
    assert _named(facade, "浦东有便宜点的酒店吗", kinds=("district",)) == [
        ("district", "上海/浦东新区", True, "浦东")]
    district = facade.district_named("浦东")
    assert (district.city, district.name) == ("上海", "浦东新区")
    assert facade.district_named("不存在") is None
    assert [d.name for d in facade.districts("北京")] == ["东城区", "朝阳区", "海淀区"]


def test_landmark_and_nearby(facade):
    palace = facade.landmark("故宫")
    assert palace.id == "S-BJ-101"
    hotels = facade.nearby_hotels(palace.lat, palace.lon, "北京", within_km=50)
    assert [h.id for h, _ in hotels] == ["H-BJ-101", "H-BJ-102"]
    # Nearby means within reach (3 km for hotels), not merely in the same city.
    assert [h.id for h, _ in facade.nearby_hotels(palace.lat, palace.lon, "北京")] == ["H-BJ-101"]
    assert hotels[0][1] == haversine_km(palace.lat, palace.lon, 39.9110, 116.4100)
    sights = facade.nearby_sights(*LUJIAZUI, city="上海", limit=1)
    assert [(s.id, round(km, 1)) for s, km in sights] == [("S-SH-101", 0.9)]


def test_coverage_and_item_kinds(facade):
    assert facade.hotel_cities() == ["上海", "北京", "成都"]
    assert facade.sight_cities() == ["上海", "北京", "成都"]
    assert facade.tour_destinations() == ["北京", "成都"]
    assert [facade.item_kind(i) for i in ("H-SH-101", "S-SH-101", "T-BJ-101", "MU5101", "X")] == [
        "hotel", "sight", "tour", "service", None]


def test_seats_left_follows_the_store(facade):
    store = BookingStore(facade.engine.url.render_as_string(hide_password=False), migrate=False)
    try:
        day = datetime.now(store.policy.timezone).date() + timedelta(days=5)
        assert facade.seats_left("G101", "商务座", day) == 5
        guest = store.customer_for("rest", "seats-guest")
        store.hold_and_book(guest, "G101/商务座", day, ["张三", "李四"], "13800138000", "seats-1")
        assert facade.seats_left("G101", "商务座", day) == 3
        assert facade.seats_left("G101", "软卧", day) == 0
    finally:
        store.close()
