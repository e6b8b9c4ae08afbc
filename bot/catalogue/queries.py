"""The catalogue facade: one method per question the dialogue asks of the catalogue.

Every method is an indexed query on the catalogue tables (``bot.catalogue.models``) of
the booking database (``DATABASE_URL``, SQLite by default), returning the frozen values
of ``bot.catalogue.items``. Synchronous: actions call it from a worker thread.

Searches filter by city (or route) first through an index, so what is left to do in
Python (distances, list-valued filters such as 亲子) runs over one city's rows, never
over the whole catalogue.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from pypinyin import lazy_pinyin
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from bot.booking.db import database_url, engine_for
from bot.catalogue.connections import Connection, arrival_order, pair_legs
from bot.catalogue.items import (
    HOTEL,
    ITEM_KINDS,
    SERVICE,
    SIGHT,
    TOUR,
    District,
    Fare,
    Hotel,
    HotelQuery,
    Metro,
    NameMatch,
    Room,
    Service,
    ServiceQuery,
    Sight,
    SightQuery,
    Tour,
    TourQuery,
)
from bot.catalogue.models import (
    CatalogueDistrict,
    CatalogueFare,
    CatalogueHotel,
    CatalogueHotelFacility,
    CatalogueName,
    CatalogueRoom,
    CatalogueService,
    CatalogueSight,
    CatalogueTour,
)
from bot import knowledge
from bot.catalogue.names import DISTRICT, LODGING_WORDS, MAX_KEY, MIN_KEY, PINYIN_MAX, PINYIN_MIN
from bot.text import has_speech_particle, speech_spans

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
CHUNK = 500
ASCII_WORD = re.compile(r"[A-Za-z0-9]")
HAN = re.compile(r"[\u4e00-\u9fff]")
# The words that end a hotel's name, for names misspelt by one character before them.
LODGING_SUFFIX = re.compile("|".join(LODGING_WORDS))
LODGING_CORE_MIN = 4

H, R, F = CatalogueHotel.__table__, CatalogueRoom.__table__, CatalogueHotelFacility.__table__
S, T, V = CatalogueSight.__table__, CatalogueTour.__table__, CatalogueService.__table__
FA, D, N = CatalogueFare.__table__, CatalogueDistrict.__table__, CatalogueName.__table__


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _yuan(fen: Optional[int]) -> Optional[Decimal]:
    return None if fen is None else Decimal(fen) / 100


def _to_fen(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _metro(row: Any) -> Optional[Metro]:
    return Metro(row.metro_station, row.metro_line, row.metro_distance_m) if row.metro_station else None


def _weekdays(digits: str) -> Tuple[int, ...]:
    return tuple(int(d) for d in digits)


def _box(table: Any, near: Tuple[float, float], km: float) -> Any:
    """A lat/lon box around ``near`` that holds every point within ``km``."""
    lat, lon = near
    dlat = km / KM_PER_DEGREE
    dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return and_(table.c.lat.between(lat - dlat, lat + dlat), table.c.lon.between(lon - dlon, lon + dlon))


@dataclass(frozen=True)
class _Hit:
    kind: str
    id: str
    name: str
    city: str
    start: int
    end: int
    exact: bool
    spoken: bool  # matched by pinyin


def another_city_before(text: str, hit: _Hit) -> bool:
    """"北京星河宾馆" is not 银川星河宾馆: a part of an item's name said right after another
    city's name names a place the catalogue lacks, not that item."""
    if hit.exact or hit.kind == DISTRICT or not hit.city:
        return False
    before = text[max(0, hit.start - 4):hit.start]
    for size in range(len(before), 1, -1):
        said = knowledge.canonical_city(before[-size:])
        if said:
            return said != hit.city
    return False


def everyday_words_in(text: str, hit: _Hit) -> bool:
    """Whether a name found in the text is made of everyday Cantonese or Taiwanese words
    (a particle inside it, or, read by sound or as a part of a name, everyday words at
    all: 搭车, 系咪, 边度), not a place."""
    said = text[hit.start:hit.end]
    if has_speech_particle(said):
        return True
    if hit.exact and not hit.spoken:
        return False  # a name or alias written in full is what it says
    return any(hit.start < end and start < hit.end for start, end in speech_spans(text))


class Catalogue:
    """Reads the catalogue tables. ``Catalogue()`` uses ``DATABASE_URL``."""

    def __init__(self, url: Optional[str] = None, engine: Optional[Engine] = None) -> None:
        self.engine = engine or engine_for(url)
        self._store: Any = None
        self._lock = threading.Lock()

    def _all(self, statement: Any) -> List[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(statement))

    # --- coverage ------------------------------------------------------------------

    def hotel_cities(self) -> List[str]:
        """Cities with at least one hotel, sorted."""
        return [r[0] for r in self._all(select(H.c.city).distinct().order_by(H.c.city))]

    def sight_cities(self) -> List[str]:
        return [r[0] for r in self._all(select(S.c.city).distinct().order_by(S.c.city))]

    def tour_destinations(self) -> List[str]:
        """Cities a tour goes to or departs from."""
        rows = self._all(select(T.c.destination).union(select(T.c.departs_from)))
        return sorted({r[0] for r in rows})

    def routes(self, modes: Sequence[str] = ()) -> List[Tuple[str, str]]:
        """(origin, destination) pairs with at least one service of those modes."""
        statement = select(V.c.origin, V.c.destination).distinct()
        if modes:
            statement = statement.where(V.c.mode.in_(list(modes)))
        return sorted((r[0], r[1]) for r in self._all(statement))

    def destinations_from(self, origin: str, modes: Sequence[str] = ()) -> List[str]:
        """Where services go from ``origin`` (for "no 上海→拉萨 flight; we fly to ...")."""
        statement = select(V.c.destination).distinct().where(V.c.origin == origin)
        if modes:
            statement = statement.where(V.c.mode.in_(list(modes)))
        return sorted(r[0] for r in self._all(statement))

    def origins_to(self, destination: str, modes: Sequence[str] = ()) -> List[str]:
        """Where services to ``destination`` leave from."""
        statement = select(V.c.origin).distinct().where(V.c.destination == destination)
        if modes:
            statement = statement.where(V.c.mode.in_(list(modes)))
        return sorted(r[0] for r in self._all(statement))

    def connections(self, origin: str, destination: str, weekday: Optional[int] = None,
                    modes: Sequence[str] = (), min_change_minutes: int = 60) -> List[Connection]:
        """One-change trips from ``origin`` to ``destination`` through any hub served from
        both ends (the route has no direct service), best first (``connections``)."""
        hubs = set(self.destinations_from(origin, modes)) & set(self.origins_to(destination, modes))
        found: List[Connection] = []
        for hub in sorted(hubs - {origin, destination}):
            first = self.find_services(ServiceQuery(origin=origin, destination=hub, modes=tuple(modes),
                                                    weekday=weekday, limit=200))
            onward = self.find_services(ServiceQuery(origin=hub, destination=destination, modes=tuple(modes),
                                                     weekday=weekday, limit=200))
            found += pair_legs(first, onward, min_change_minutes, weekday)
        return sorted(found, key=arrival_order)

    def districts(self, city: str) -> List[District]:
        rows = self._all(select(D).where(D.c.city == city).order_by(D.c.name))
        return [District(r.city, r.name, tuple(r.aliases or ()), r.lat, r.lon) for r in rows]

    def district_named(self, text: str) -> Optional[District]:
        """A district by name or alias (浦东 → 上海 浦东新区); None if unknown or ambiguous
        without a city."""
        rows = self._all(select(N.c.item_id).distinct().where(
            N.c.key == text, N.c.pinyin.is_(False), N.c.kind == DISTRICT))
        if len(rows) != 1:
            return None
        city, name = rows[0][0].split("/", 1)
        return next((d for d in self.districts(city) if d.name == name), None)

    def metro_station_point(self, name: str, city: Optional[str] = None
                            ) -> Optional[Tuple[str, float, float]]:
        """(city, lat, lon) of a metro station named by the catalogue's hotels and sights:
        the centroid of the items at that station ("人民广场附近" in 上海). None when no
        item names it, or when it is in several cities and none is given."""
        names = list(dict.fromkeys((name, name[:-1] if name.endswith("站") and len(name) > 2 else name + "站")))
        points: Dict[str, List[Tuple[float, float]]] = {}
        for table in (H, S):
            statement = select(table.c.city, table.c.lat, table.c.lon).where(
                table.c.metro_station.in_(names), table.c.lat.isnot(None))
            if city:
                statement = statement.where(table.c.city == city)
            for row in self._all(statement):
                points.setdefault(row.city, []).append((row.lat, row.lon))
        if len(points) != 1:
            return None
        (found_city, located), = points.items()
        return (found_city, sum(p[0] for p in located) / len(located),
                sum(p[1] for p in located) / len(located))

    def transport_hub_city(self, name: str, city: Optional[str] = None) -> Optional[Tuple[str, str]]:
        """(city, station) of a railway station, airport or bus station of the timetable
        ("汉口站", "虹桥机场", "北京南站"); None when the timetable has none by that name."""
        stem = re.sub(r"(?:国际)?机场$|(?:火车站|高铁站|汽车站|客运站|站)$", "", name)
        if len(stem) < 2:
            return None
        # 虹桥机场 is 上海虹桥国际机场; 北京南站 is 北京南; 虹桥站 is 上海虹桥.
        patterns = [f"%{stem}%机场%"] if name.endswith("机场") else [stem, f"{stem}%", f"%{stem}%"]
        for pattern in patterns:
            statement = select(V.c.origin, V.c.from_station).distinct().where(V.c.from_station.like(pattern))
            if city:
                statement = statement.where(V.c.origin == city)
            rows = self._all(statement)
            cities = {r.origin for r in rows}
            if len(cities) == 1:
                return rows[0].origin, rows[0].from_station
        return None

    # --- items by id ---------------------------------------------------------------

    def hotel(self, hotel_id: str) -> Optional[Hotel]:
        found = self._hotels([hotel_id])
        return found[0] if found else None

    def sight(self, sight_id: str) -> Optional[Sight]:
        found = self._sights(self._all(select(S).where(S.c.id == sight_id)))
        return found[0] if found else None

    def tour(self, tour_id: str) -> Optional[Tour]:
        found = [self._tour(r) for r in self._all(select(T).where(T.c.id == tour_id))]
        return found[0] if found else None

    def service(self, code: str) -> Optional[Service]:
        found = self._services(self._all(select(V).where(V.c.code == code.upper())))
        return found[0] if found else None

    def item_kind(self, item_id: str) -> Optional[str]:
        """hotel / sight / tour / service for an id or service code; None if unknown."""
        probes = ((HOTEL, H.c.id), (SIGHT, S.c.id), (TOUR, T.c.id), (SERVICE, V.c.code))
        with self.engine.connect() as connection:
            for kind, column in probes:
                if connection.execute(select(column).where(column == item_id)).first():
                    return kind
        return None

    # --- building values -----------------------------------------------------------

    def _hotels(self, ids: Sequence[str]) -> List[Hotel]:
        """Hotels with their rooms and facilities, in the order of ``ids``."""
        if not ids:
            return []
        rows: Dict[str, Any] = {}
        rooms: Dict[str, List[Room]] = {}
        facilities: Dict[str, List[str]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start:start + CHUNK])
                rows.update((r.id, r) for r in connection.execute(select(H).where(H.c.id.in_(chunk))))
                for r in connection.execute(select(R).where(R.c.hotel_id.in_(chunk))
                                            .order_by(R.c.hotel_id, R.c.price_fen, R.c.type)):
                    rooms.setdefault(r.hotel_id, []).append(Room(
                        r.type, Decimal(r.price_fen) / 100, r.max_guests, r.bed, r.breakfast,
                        r.area_m2, r.smoking))
                for hotel_id, facility in connection.execute(
                        select(F.c.hotel_id, F.c.facility).where(F.c.hotel_id.in_(chunk))):
                    facilities.setdefault(hotel_id, []).append(facility)
        return [self._hotel(rows[i], rooms.get(i, []), facilities.get(i, [])) for i in ids if i in rows]

    @staticmethod
    def _hotel(r: Any, rooms: List[Room], facilities: List[str]) -> Hotel:
        return Hotel(
            id=r.id, name=r.name, city=r.city, district=r.district, address=r.address,
            rooms=tuple(rooms), phone=r.phone, stars=r.stars, grade=r.grade, type=r.type,
            rating=r.rating, brand=r.brand, facilities=tuple(sorted(facilities)),
            breakfast_included=r.breakfast_included, checkin_time=r.checkin_time,
            checkout_time=r.checkout_time, metro=_metro(r), lat=r.lat, lon=r.lon,
            aliases=tuple(r.aliases or ()), tags=tuple(r.tags or ()), description=r.description,
            demo=r.demo)

    @staticmethod
    def _sights(rows: Iterable[Any]) -> List[Sight]:
        return [Sight(
            id=r.id, name=r.name, city=r.city, district=r.district, address=r.address,
            type=r.type, tickets=tuple((n, Decimal(p) / 100) for n, p in r.tickets or ()),
            free=r.free, phone=r.phone, opening_hours=r.opening_hours,
            visit_hours=(r.visit_hours_min, r.visit_hours_max) if r.visit_hours_min is not None else None,
            rating=r.rating, suitable_for=tuple(r.suitable_for or ()), metro=_metro(r),
            lat=r.lat, lon=r.lon, aliases=tuple(r.aliases or ()), description=r.description,
            demo=r.demo) for r in rows]

    @staticmethod
    def _tour(r: Any) -> Tour:
        return Tour(
            id=r.id, name=r.name, destination=r.destination, departs_from=r.departs_from,
            days=r.days, price=Decimal(r.price_fen) / 100,
            departure_weekdays=_weekdays(r.departure_weekdays),
            attractions=tuple(r.attractions or ()), highlights=r.highlights,
            includes=r.includes, excludes=r.excludes, itinerary=tuple(r.itinerary or ()),
            child_price=_yuan(r.child_price_fen), group_size=r.group_size,
            aliases=tuple(r.aliases or ()), demo=r.demo)

    def _services(self, rows: Sequence[Any]) -> List[Service]:
        codes = [r.code for r in rows]
        fares: Dict[str, List[Fare]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(codes), CHUNK):
                for f in connection.execute(select(FA).where(FA.c.service_code.in_(
                        codes[start:start + CHUNK])).order_by(FA.c.service_code, FA.c.price_fen)):
                    fares.setdefault(f.service_code, []).append(
                        Fare(f.name, Decimal(f.price_fen) / 100, f.seats))
        return [Service(
            code=r.code, mode=r.mode, operator=r.operator, origin=r.origin,
            destination=r.destination, from_station=r.from_station, to_station=r.to_station,
            depart=r.depart, arrive=r.arrive, duration_minutes=r.duration_minutes,
            weekdays=_weekdays(r.weekdays), fares=tuple(fares.get(r.code, ())),
            from_terminal=r.from_terminal, to_terminal=r.to_terminal, demo=r.demo) for r in rows]

    # --- names in a message --------------------------------------------------------

    def _probe(self, keys: Dict[str, List[Tuple[int, int]]], spoken: bool,
               kinds: Sequence[str]) -> List[_Hit]:
        """Index rows whose key is one of ``keys`` (substring → its spans)."""
        hits: List[_Hit] = []
        wanted = list(keys)
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), CHUNK):
                statement = select(N).where(N.c.key.in_(wanted[start:start + CHUNK]),
                                            N.c.pinyin.is_(spoken))
                if kinds:
                    statement = statement.where(N.c.kind.in_(list(kinds)))
                for row in connection.execute(statement):
                    for begin, end in keys[row.key]:
                        hits.append(_Hit(row.kind, row.item_id, row.name, row.city, begin, end,
                                         row.exact and not spoken, spoken))
        return hits

    @staticmethod
    def _substrings(text: str) -> Dict[str, List[Tuple[int, int]]]:
        spans: Dict[str, List[Tuple[int, int]]] = {}
        for begin in range(len(text)):
            for end in range(begin + MIN_KEY, min(len(text), begin + MAX_KEY) + 1):
                word = text[begin:end]
                if ASCII_WORD.match(word[0]) and begin and ASCII_WORD.match(text[begin - 1]):
                    continue  # "G7" inside "CG71" is not G7
                if ASCII_WORD.match(word[-1]) and end < len(text) and ASCII_WORD.match(text[end]):
                    continue
                spans.setdefault(word, []).append((begin, end))
        return spans

    @staticmethod
    def _spoken_substrings(text: str) -> Dict[str, List[Tuple[int, int]]]:
        sounds = lazy_pinyin(list(text))
        spans: Dict[str, List[Tuple[int, int]]] = {}
        for begin in range(len(text)):
            for end in range(begin + PINYIN_MIN, min(len(text), begin + PINYIN_MAX) + 1):
                if all(HAN.match(c) for c in text[begin:end]):
                    spans.setdefault(" ".join(sounds[begin:end]), []).append((begin, end))
        return spans

    @staticmethod
    def _resolve(hits: List[_Hit], city: Optional[str]) -> List[_Hit]:
        """One reading per span: literal before pinyin, exact before part; an ambiguous
        part (or typo) keeps only the items in ``city``, and is dropped if still ambiguous."""
        by_span: Dict[Tuple[int, int], List[_Hit]] = {}
        for hit in hits:
            by_span.setdefault((hit.start, hit.end), []).append(hit)
        chosen: List[_Hit] = []
        for group in by_span.values():
            best = min((h.spoken, not h.exact) for h in group)
            group = [h for h in group if (h.spoken, not h.exact) == best]
            items = {(h.kind, h.id): h for h in group}
            if len(items) > 1 and city:
                local = {k: h for k, h in items.items() if h.city == city}
                items = local or items
            if len(items) > 1 and not all(h.exact for h in items.values()):
                continue
            chosen.extend(items.values())
        chosen.sort(key=lambda h: (h.spoken, -(h.end - h.start), not h.exact, h.start))
        kept: List[_Hit] = []
        for hit in chosen:
            clash = [k for k in kept if hit.start < k.end and k.start < hit.end]
            if not clash or all((k.start, k.end) == (hit.start, hit.end) for k in clash):
                kept.append(hit)
        return kept

    def named_in(self, text: str, kinds: Sequence[str] = (), city: Optional[str] = None) -> List[NameMatch]:
        """Items and districts named in ``text`` (already normalised to Simplified):
        full names, aliases, distinctive parts (栖云酒店 for 成都宽窄巷子栖云酒店) and
        pinyin-equal typos (如佳 for 如家). Longest, exact matches first; ``city``
        prefers items there when a part-name is ambiguous."""
        if len(text) < MIN_KEY:
            return []
        literal = self._probe(self._substrings(text), False, kinds)
        spoken = self._probe(self._spoken_substrings(text), True, kinds)
        seen = {(h.kind, h.id, h.start, h.end) for h in literal}
        hits = literal + [h for h in spoken if (h.kind, h.id, h.start, h.end) not in seen]
        hits = [h for h in hits if not everyday_words_in(text, h) and not another_city_before(text, h)]
        return [NameMatch(h.kind, h.id, h.name, h.start, h.end, h.exact)
                for h in self._resolve(hits, city)]

    def lodging_misspelt(self, text: str, city: Optional[str] = None) -> List[NameMatch]:
        """Hotels named with one wrong character before a lodging word ("西湖畔云溪酒店" for
        西湖畔云栖酒店, "洪崖洞江景西云酒店"): the words before 酒店/客栈/... compared with
        hotel keys of the same length and ending, at least four characters besides the
        ending, one substitution allowed. Only an unambiguous item is returned (the one in
        ``city`` when several are)."""
        hits: List[_Hit] = []
        for suffix_match in LODGING_SUFFIX.finditer(text):
            suffix, end = suffix_match.group(0), suffix_match.end()
            statement = select(N.c.key, N.c.item_id, N.c.name, N.c.city).where(
                N.c.kind == HOTEL, N.c.pinyin.is_(False), N.c.key.like(f"%{suffix}"),
                func.length(N.c.key) >= len(suffix) + LODGING_CORE_MIN,
                func.length(N.c.key) <= end)
            for row in self._all(statement):
                begin = end - len(row.key)
                said = text[begin:end]
                if has_speech_particle(said):
                    continue  # "平啲嘅酒店" is no hotel's name misspelt
                differing = [i for i, (a, b) in enumerate(zip(said, row.key, strict=True)) if a != b]
                if len(differing) == 1 and HAN.match(said[differing[0]]):
                    hits.append(_Hit(HOTEL, row.item_id, row.name, row.city, begin, end, False, False))
        items: Dict[str, _Hit] = {}
        for hit in sorted(hits, key=lambda h: h.start - h.end):
            items.setdefault(hit.id, hit)  # the longest span of each hotel
        if len(items) > 1 and city:
            items = {k: h for k, h in items.items() if h.city == city} or items
        if len(items) != 1:
            return []
        hit = next(iter(items.values()))
        return [NameMatch(HOTEL, hit.id, hit.name, hit.start, hit.end, False)]

    def landmark(self, name: str, city: Optional[str] = None) -> Optional[Sight]:
        """A sight usable as "near X" (故宫附近): by name or alias."""
        rows = self._all(select(N.c.item_id, N.c.city, N.c.exact).where(
            N.c.key == name, N.c.pinyin.is_(False), N.c.kind == SIGHT))
        if city:
            rows = [r for r in rows if r.city == city] or rows
        exact = {r.item_id for r in rows if r.exact}
        ids = exact or {r.item_id for r in rows}
        return self.sight(ids.pop()) if len(ids) == 1 else None

    # --- searches ------------------------------------------------------------------

    @staticmethod
    def _hotel_filter(query: HotelQuery) -> List[Any]:
        where: List[Any] = []
        if query.city:
            where.append(H.c.city == query.city)
        if query.district:
            where.append(H.c.district == query.district)
        if query.min_price is not None:
            where.append(H.c.min_price_fen >= _to_fen(query.min_price))
        if query.max_price is not None:
            where.append(H.c.min_price_fen <= _to_fen(query.max_price))
        if query.min_rating is not None:
            where.append(H.c.rating >= query.min_rating)
        if query.min_stars is not None:
            where.append(H.c.stars >= query.min_stars)
        if query.types:
            where.append(H.c.type.in_(list(query.types)))
        if query.breakfast is not None:
            where.append(H.c.breakfast_included.is_(query.breakfast))
        for facility in query.facilities:
            where.append(exists().where(F.c.hotel_id == H.c.id, F.c.facility == facility))
        if query.near is not None:
            where.append(_box(H, query.near, query.within_km))
        return where

    @staticmethod
    def _page(ids: List[Tuple[str, float]], sort_by_distance: bool, offset: int,
              limit: int) -> List[str]:
        if sort_by_distance:
            ids = sorted(ids, key=lambda pair: pair[1])
        return [i for i, _ in ids[offset:offset + limit]]

    def _located_ids(self, statement: Select, table: Any, near: Optional[Tuple[float, float]],
                     within_km: float, keep: Callable[[Any], bool] = lambda row: True
                     ) -> List[Tuple[str, float]]:
        """(id, km) of the rows of ``statement`` that pass ``keep`` and lie within reach."""
        found: List[Tuple[str, float]] = []
        for row in self._all(statement):
            if not keep(row):
                continue
            km = 0.0
            if near is not None:
                km = haversine_km(near[0], near[1], row.lat, row.lon)
                if km > within_km:
                    continue
            found.append((row.id, km))
        return found

    @staticmethod
    def _hotel_order(sort: str) -> List[Any]:
        unrated = H.c.rating.is_(None)
        return {
            "price": [H.c.min_price_fen, H.c.id],
            "price_desc": [H.c.min_price_fen.desc(), H.c.id],
            "rating": [unrated, H.c.rating.desc(), H.c.min_price_fen, H.c.id],
        }.get(sort, [unrated, H.c.rating.desc(), H.c.stars.desc(), H.c.min_price_fen, H.c.id])

    def find_hotels(self, query: HotelQuery) -> List[Hotel]:
        where = self._hotel_filter(query)
        if query.near is None and query.sort != "distance":
            ids = self._all(select(H.c.id).where(*where).order_by(*self._hotel_order(query.sort))
                            .limit(query.limit).offset(query.offset))
            return self._hotels([r.id for r in ids])
        statement = select(H.c.id, H.c.lat, H.c.lon).where(*where, H.c.lat.isnot(None)) \
            .order_by(*self._hotel_order(query.sort))
        located = self._located_ids(statement, H, query.near, query.within_km)
        return self._hotels(self._page(located, query.sort == "distance" and query.near is not None,
                                       query.offset, query.limit))

    def count_hotels(self, query: HotelQuery) -> int:
        where = self._hotel_filter(query)
        if query.near is None:
            return int(self._all(select(func.count()).select_from(H).where(*where))[0][0])
        statement = select(H.c.id, H.c.lat, H.c.lon).where(*where, H.c.lat.isnot(None))
        return len(self._located_ids(statement, H, query.near, query.within_km))

    def find_sights(self, query: SightQuery) -> List[Sight]:
        where: List[Any] = []
        if query.city:
            where.append(S.c.city == query.city)
        if query.district:
            where.append(S.c.district == query.district)
        if query.types:
            where.append(S.c.type.in_(list(query.types)))
        if query.free is not None:
            where.append(S.c.free.is_(query.free))
        if query.max_ticket is not None:
            where.append(S.c.min_ticket_fen <= _to_fen(query.max_ticket))
        if query.max_visit_hours is not None:
            where.append(S.c.visit_hours_min <= query.max_visit_hours)
        if query.min_rating is not None:
            where.append(S.c.rating >= query.min_rating)
        if query.near is not None:
            where.append(_box(S, query.near, query.within_km))
        order = {"price": [S.c.min_ticket_fen, S.c.id]}.get(
            query.sort, [S.c.rating.is_(None), S.c.rating.desc(), S.c.id])
        statement = select(S).where(*where).order_by(*order)
        suitable = set(query.suitable_for)

        def keep(row: Any) -> bool:
            return suitable <= set(row.suitable_for or ())

        if query.near is None and not suitable:
            return self._sights(self._all(statement.limit(query.limit).offset(query.offset)))
        rows = [r for r in self._all(statement) if keep(r)]
        if query.near is not None:
            near = query.near
            placed = [(r, haversine_km(near[0], near[1], r.lat, r.lon)) for r in rows
                      if r.lat is not None]
            placed = [(r, km) for r, km in placed if km <= query.within_km]
            if query.sort == "distance":
                placed.sort(key=lambda pair: pair[1])
            rows = [r for r, _ in placed]
        return self._sights(rows[query.offset:query.offset + query.limit])

    def find_tours(self, query: TourQuery) -> List[Tour]:
        where: List[Any] = []
        if query.destination:
            where.append(or_(T.c.destination == query.destination,
                             T.c.departs_from == query.destination))
        if query.weekday is not None:
            where.append(T.c.departure_weekdays.contains(str(query.weekday)))
        if query.days is not None:
            where.append(T.c.days == query.days)
        if query.max_price is not None:
            where.append(T.c.price_fen <= _to_fen(query.max_price))
        order = [T.c.price_fen, T.c.id] if query.sort == "price" else [T.c.id]
        statement = select(T).where(*where).order_by(*order)
        if not query.attraction:
            rows = self._all(statement.limit(query.limit).offset(query.offset))
        else:
            rows = [r for r in self._all(statement) if query.attraction in (r.attractions or ())]
            rows = rows[query.offset:query.offset + query.limit]
        return [self._tour(r) for r in rows]

    def find_services(self, query: ServiceQuery) -> List[Service]:
        where: List[Any] = []
        if query.origin:
            where.append(V.c.origin == query.origin)
        if query.destination:
            where.append(V.c.destination == query.destination)
        if query.modes:
            where.append(V.c.mode.in_(list(query.modes)))
        if query.weekday is not None:
            where.append(V.c.weekdays.contains(str(query.weekday)))
        if query.depart_after:
            where.append(V.c.depart >= query.depart_after)
        if query.depart_before:
            where.append(V.c.depart < query.depart_before)
        price = V.c.min_fare_fen
        statement = select(V)
        if query.fare_class:
            statement = select(V, FA.c.price_fen.label("class_fen")).join(
                FA, and_(FA.c.service_code == V.c.code, FA.c.name == query.fare_class))
            price = FA.c.price_fen
        if query.max_price is not None:
            where.append(price <= _to_fen(query.max_price))
        order = {"price": [price, V.c.depart, V.c.code],
                 "duration": [V.c.duration_minutes, V.c.depart, V.c.code]}.get(
            query.sort, [V.c.depart, V.c.code])
        rows = self._all(statement.where(*where).order_by(*order)
                         .limit(query.limit).offset(query.offset))
        return self._services(rows)

    def _nearby(self, table: Any, lat: float, lon: float, city: str, limit: int, within_km: float
                ) -> List[Tuple[str, float]]:
        rows = self._all(select(table.c.id, table.c.lat, table.c.lon)
                         .where(table.c.city == city, table.c.lat.isnot(None)))
        placed = sorted(((r.id, haversine_km(lat, lon, r.lat, r.lon)) for r in rows),
                        key=lambda pair: pair[1])
        return [(i, km) for i, km in placed if km <= within_km][:limit]

    def nearby_sights(self, lat: float, lon: float, city: str, limit: int = 5,
                      within_km: float = SightQuery.within_km) -> List[Tuple[Sight, float]]:
        """Sights around a point with their distance in km, nearest first; nearby means
        within reach (5 km by default), not merely the same city."""
        placed = self._nearby(S, lat, lon, city, limit, within_km)
        sights = {s.id: s for s in self._sights(self._all(
            select(S).where(S.c.id.in_([i for i, _ in placed]))))}
        return [(sights[i], km) for i, km in placed if i in sights]

    def nearby_hotels(self, lat: float, lon: float, city: str, limit: int = 5,
                      within_km: float = HotelQuery.within_km) -> List[Tuple[Hotel, float]]:
        placed = self._nearby(H, lat, lon, city, limit, within_km)
        hotels = {h.id: h for h in self._hotels([i for i, _ in placed])}
        return [(hotels[i], km) for i, km in placed if i in hotels]

    def seats_left(self, code: str, fare_class: str, day: date) -> int:
        """Seats of that class still on sale on that day (the booking store's inventory)."""
        from bot.booking.store import BookingStore, UnknownProduct

        with self._lock:
            if self._store is None:
                self._store = BookingStore(self.engine.url.render_as_string(hide_password=False),
                                           migrate=False)
        try:
            return int(self._store.available(f"{code}/{fare_class}", day))
        except UnknownProduct:
            return 0

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self.engine.dispose()


_catalogue: Optional[Catalogue] = None
_catalogue_url: Optional[str] = None
_guard = threading.Lock()


def catalogue() -> Catalogue:
    """The process's catalogue facade (one connection pool per process); a new one when
    ``DATABASE_URL`` changed (tests), or the one installed by :func:`use`."""
    global _catalogue, _catalogue_url
    url = database_url()
    with _guard:
        if _catalogue is None or (_catalogue_url is not None and _catalogue_url != url):
            _catalogue, _catalogue_url = Catalogue(url), url
        return _catalogue


def use(facade: Optional[Catalogue]) -> None:
    """Install a facade on another database (tests, the seed of a given store)."""
    global _catalogue, _catalogue_url
    with _guard:
        _catalogue, _catalogue_url = facade, None


__all__ = ["Catalogue", "catalogue", "use", "haversine_km", "ITEM_KINDS"]
