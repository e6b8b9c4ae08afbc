"""Catalogue import time and query latency at the demo catalogue's size and at 10x.

Synthesises a catalogue of ~1,500 hotels (4,500 rooms), 1,000 sights, 150 tours and
2,000 services per unit of scale in the import file format (CSV), imports it into a fresh
SQLite file and times the facade's queries. Prints figures; asserts nothing.

    .venv/bin/python bench/catalogue.py [--scales 1 10] [--repeat 200]
"""
from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Callable, Dict, List, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.booking.db import upgrade  # noqa: E402
from bot.catalogue.importer import import_path  # noqa: E402
from bot.catalogue.items import FACILITIES, HotelQuery, ServiceQuery  # noqa: E402
from bot.catalogue.queries import Catalogue  # noqa: E402

CITIES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "西安", "武汉",
          "厦门", "青岛", "大连", "天津", "长沙", "郑州", "济南", "沈阳", "哈尔滨", "昆明", "大理",
          "丽江", "桂林", "三亚", "海口", "贵阳", "南宁", "福州", "合肥", "南昌", "太原", "石家庄",
          "兰州", "西宁", "银川", "乌鲁木齐", "拉萨", "呼和浩特", "长春", "宁波", "无锡", "扬州",
          "绍兴", "嘉兴", "温州", "泉州", "珠海", "佛山", "东莞", "洛阳", "开封", "黄山", "张家界",
          "九寨沟", "峨眉山", "乐山", "敦煌", "西双版纳", "北海")
DISTRICTS = ("东城区", "西湖区", "南山区", "北塘区", "中山区")
SYLLABLES = "云景栖悦途憩安雅澜逸泊舍居庭苑轩阁楼湾汀岚松竹梅兰溪枫"
SUFFIXES = ("酒店", "大酒店", "宾馆", "客栈", "民宿", "精品酒店")
SIGHT_SUFFIXES = ("公园", "博物馆", "古镇", "景区", "老街", "寺")
SIGHT_TYPES = ("公园", "博物馆", "古镇", "山水", "街区", "寺庙")
PER_SCALE = {"hotels": 1500, "sights": 1000, "tours": 150, "services": 2000}
MESSAGE = "你好我想问一下上海东城栖云酒店附近有没有地铁站还有早餐吗谢谢你们帮我看看价格"


def _write(path: Path, rows: List[Dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _name(rng: random.Random, n: int) -> str:
    """A distinct two-to-four-character brand-like word for item ``n``."""
    base = len(SYLLABLES)
    word = SYLLABLES[n % base] + SYLLABLES[(n // base) % base]
    return word + (SYLLABLES[(n // base // base) % base] if n >= base * base else "")


def synthesise(folder: Path, scale: int = 1, seed: int = 7) -> Dict[str, int]:
    """Write districts/hotels/rooms/sights/tours/services CSV files; returns row counts."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    districts: List[Dict[str, object]] = [dict(city=c, name=d, aliases=d[:-1], lat=30 + i * 0.1, lon=110 + i * 0.1)
                 for i, c in enumerate(CITIES) for d in DISTRICTS]
    hotels: List[Dict[str, object]] = []
    rooms: List[Dict[str, object]] = []
    sights: List[Dict[str, object]] = []
    tours: List[Dict[str, object]] = []
    services: List[Dict[str, object]] = []
    for n in range(PER_SCALE["hotels"] * scale):
        city, district = CITIES[n % len(CITIES)], DISTRICTS[n % len(DISTRICTS)]
        lat, lon = 30 + CITIES.index(city) * 0.1 + rng.uniform(-0.1, 0.1), 110 + rng.uniform(-0.1, 0.1)
        hotels.append(dict(
            id=f"H-{n:06d}", name=f"{city}{district[:-1]}{_name(rng, n)}{rng.choice(SUFFIXES)}",
            city=city, district=district, address=f"{district}{n}号", stars=rng.randint(0, 5),
            rating=round(rng.uniform(3, 5), 1), facilities="|".join(rng.sample(FACILITIES, 4)),
            breakfast_included=rng.choice(("yes", "no")), lat=round(lat, 5), lon=round(lon, 5),
            demo="yes"))
        for room in ("大床房", "双床房", "家庭房"):
            rooms.append(dict(hotel_id=f"H-{n:06d}", type=room, price=rng.randint(150, 2000),
                              max_guests=4 if room == "家庭房" else 2))
    for n in range(PER_SCALE["sights"] * scale):
        city, district = CITIES[n % len(CITIES)], DISTRICTS[(n + 1) % len(DISTRICTS)]
        free = n % 4 == 0
        sights.append(dict(
            id=f"S-{n:06d}", name=f"{_name(rng, n + 7)}{rng.choice(SIGHT_SUFFIXES)}", city=city,
            district=district, address=f"{district}{n}号", type=rng.choice(SIGHT_TYPES),
            tickets="" if free else f"成人票:{rng.randint(10, 300)}", free="yes" if free else "no",
            rating=round(rng.uniform(3, 5), 1), suitable_for="亲子|老人",
            lat=round(30 + CITIES.index(city) * 0.1 + rng.uniform(-0.1, 0.1), 5),
            lon=round(110 + rng.uniform(-0.1, 0.1), 5), demo="yes"))
    for n in range(PER_SCALE["tours"] * scale):
        city = CITIES[n % len(CITIES)]
        tours.append(dict(id=f"T-{n:06d}", name=f"{city}{_name(rng, n + 3)}{n % 5 + 1}日游",
                          destination=city, departs_from=city, days=n % 5 + 1,
                          price=rng.randint(100, 5000), departure_weekdays="1357", demo="yes"))
    for n in range(PER_SCALE["services"] * scale):
        origin = CITIES[n % len(CITIES)]
        destination = CITIES[(n * 7 + 1) % len(CITIES)]
        if destination == origin:
            destination = CITIES[(n + 1) % len(CITIES)]
        mode = ("train", "flight", "bus")[n % 3]
        hour = 6 + n % 16
        services.append(dict(
            code=f"{'GMB'[n % 3]}{n:05d}", mode=mode, operator="演示运输", origin=origin,
            destination=destination, from_station=f"{origin}站", to_station=f"{destination}站",
            depart=f"{hour:02d}:{n % 60:02d}", arrive=f"{(hour + 3) % 24:02d}:{n % 60:02d}",
            weekdays="1234567", fares=f"二等座:{rng.randint(50, 900)}:80|一等座:{rng.randint(900, 1500)}:20"
                                      f"|商务座:{rng.randint(1500, 3000)}:5", demo="yes"))
    for kind, rows in (("districts", districts), ("hotels", hotels), ("rooms", rooms),
                       ("sights", sights), ("tours", tours), ("services", services)):
        _write(folder / f"{kind}.csv", rows)
    return {"hotels": len(hotels), "rooms": len(rooms), "sights": len(sights),
            "tours": len(tours), "services": len(services)}


def timed_import(folder: Path, url: str) -> float:
    """Seconds to validate and import ``folder`` into the migrated database at ``url``."""
    upgrade(url)
    facade = Catalogue(url)
    try:
        started = time.perf_counter()
        import_path(folder, facade.engine)
        return time.perf_counter() - started
    finally:
        facade.close()


def _percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


def _time(call: Callable[[], object], repeat: int) -> List[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def run(scale: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "catalogue"
        counts = synthesise(folder, scale)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seconds = timed_import(folder, url)
        again = timed_import(folder, url)
        print(f"scale {scale}x: {counts}")
        print(f"  import {seconds:6.2f} s (second, unchanged run {again:5.2f} s)")
        facade = Catalogue(url)
        queries: Dict[str, Callable[[], object]] = {
            "find_hotels city+price+rating+facility": lambda: facade.find_hotels(HotelQuery(
                city="上海", max_price=Decimal(800), min_rating=4.0, facilities=("免费WiFi",),
                limit=10)),
            "find_hotels city, sort price": lambda: facade.find_hotels(
                HotelQuery(city="成都", sort="price", limit=10)),
            "find_hotels near point 3 km": lambda: facade.find_hotels(HotelQuery(
                city="上海", near=(30.1, 110.0), within_km=3, sort="distance", limit=10)),
            f"named_in ({len(MESSAGE)} chars)": lambda: facade.named_in(MESSAGE),
            "find_services route+mode": lambda: facade.find_services(
                ServiceQuery(origin="北京", modes=("train",), depart_after="08:00", limit=10)),
            "nearby_sights": lambda: facade.nearby_sights(30.1, 110.0, "上海"),
        }
        for name, call in queries.items():
            call()  # warm the connection pool and statement cache
            print(f"  {name:42s} {_percentiles(_time(call, repeat))}")
        facade.close()


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(list(argv) or None)
    for scale in args.scales:
        run(scale, args.repeat)


if __name__ == "__main__":
    main(sys.argv[1:])
