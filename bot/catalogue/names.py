"""The keys a traveller may write for a catalogue item, and the index that holds them.

An item is found by its full name or an alias (exact), by a distinctive part of its name
(栖云酒店 / 栖云 for 成都宽窄巷子栖云酒店: the name without its city, district and generic
suffix, and that part's last characters), or by a typo that sounds the same (如佳 for
如家: the toneless pinyin of each key). All keys go into ``catalogue_names`` so that
naming is an indexed probe of the message's substrings, rebuilt after each import.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Sequence, Set, Tuple

from pypinyin import lazy_pinyin
from sqlalchemy import delete, insert, literal, select
from sqlalchemy.engine import Connection

from bot.catalogue.items import HOTEL, SERVICE, SIGHT, TOUR
from bot.text import normalize
from bot.catalogue.models import (
    CatalogueDistrict,
    CatalogueHotel,
    CatalogueName,
    CatalogueService,
    CatalogueSight,
    CatalogueTour,
)

DISTRICT = "district"
# The words a lodging's name ends with (宁波南苑饭店, 西湖畔云栖酒店), longest first.
LODGING_WORDS = ("国际大酒店", "大酒店", "酒店", "宾馆", "饭店", "旅馆", "旅店", "客栈", "民宿", "度假村",
                 "青年旅舍", "青旅", "大厦", "公寓")
# Bumped whenever the keys made for a name change, so the next import rebuilds the index
# even if no item changed; kept in the index as one row of kind "rules".
RULES_VERSION = "3"
RULES = dict(key="#rules", pinyin=False, kind="rules", item_id=RULES_VERSION, name="",
             city="", exact=False)
MIN_KEY, MAX_KEY = 2, 20
PINYIN_MAX = 8  # longer names are typed in full or by a part, not misspelt whole
# Two characters sound like too many ordinary words (地址 / 地质) to match by pinyin.
PINYIN_MIN = 3
# A name's last 3-4 characters name it (子栖云, 巷子栖云); two-character tails are often
# ordinary words (服务 of ...服务公寓), so only a brand gives a two-character part.
TAIL_LENGTHS = (3, 4)
GENERIC = re.compile(
    r"(国际大酒店|大酒店|度假酒店|精品酒店|主题酒店|酒店|宾馆|饭店|客栈|民宿|旅馆|公寓|青年旅舍|"
    r"风景名胜区|风景区|旅游区|景区|公园|博物馆|博物院|"
    r"[一二两三四五六七八九十\d]+日游|跟团游|自由行|套餐|纯玩团)$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# "敦煌深度两日游（小团）", "麗枫酒店(扬州扬子江北路店)": a qualifier in brackets at the end,
# which travellers leave out ("敦煌深度两日游的行程").
QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")
CHUNK = 2000


def pinyin_key(text: str) -> str:
    """Toneless pinyin of each character, space separated ("如家" → "ru jia")."""
    return " ".join(lazy_pinyin(list(text)))


def _strip_prefixes(name: str, prefixes: Sequence[str]) -> str:
    """The name without leading place words (城市, 区, 区 without 区), repeatedly."""
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if prefix and name.startswith(prefix) and len(name) - len(prefix) >= MIN_KEY:
                name, changed = name[len(prefix):], True
    return name


def short_district(name: str) -> str:
    """A district's name as people say it: 浦东新区 → 浦东, 朝阳区 → 朝阳; "" if too short."""
    for suffix in ("新区", "区", "县", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_KEY:
            return name[: -len(suffix)]
    return ""


def _places(city: str, district: str) -> List[str]:
    places = [city, city + "市", district, short_district(district)]
    return sorted({p for p in places if p}, key=len, reverse=True)


def distinctive_parts(name: str, city: str = "", district: str = "", brand: str = "") -> List[str]:
    """Parts of a name that still name the item: without leading city/district, without
    a generic suffix, the last 3-4 characters of what remains and the brand it contains
    (each with and without the suffix)."""
    rest = _strip_prefixes(name, _places(city, district))
    match = GENERIC.search(rest)
    suffix = match.group(0) if match and len(rest) - len(match.group(0)) >= MIN_KEY else ""
    core = rest[: len(rest) - len(suffix)] if suffix else rest
    parts = {rest, core, core + suffix}
    if len(core) >= 4:
        for length in TAIL_LENGTHS:
            if length < len(core):
                parts.update({core[-length:], core[-length:] + suffix})
    if brand and brand in core:
        parts.update({brand, brand + suffix})
    return sorted(p for p in parts if MIN_KEY <= len(p) <= MAX_KEY and p != name)


def as_typed(name: str) -> str:
    """A name as the NLU hands a message over (half-width brackets, Simplified: 麗枫 → 丽枫),
    so that a name written in the catalogue's own way is still found in a message."""
    return normalize(name).text


def item_keys(name: str, aliases: Iterable[str], city: str = "", district: str = "",
              brand: str = "") -> List[Tuple[str, bool, bool]]:
    """(key, is_pinyin, exact) for one item; a name without its bracketed qualifier is a
    part of it (several branches of a brand share it)."""
    names = {typed for k in [name, *aliases] for typed in (k, as_typed(k))}
    brand = as_typed(brand) if brand else brand
    exact = {k for k in names if MIN_KEY <= len(k) <= MAX_KEY}
    bare = {QUALIFIER.sub("", k) for k in names} - names
    parts = {p for k in names | bare
             for p in distinctive_parts(k, city, district, brand)} | bare
    parts = {p for p in parts if MIN_KEY <= len(p) <= MAX_KEY} - exact
    keys = [(k, False, True) for k in exact] + [(p, False, False) for p in parts]
    spoken = {pinyin_key(k) for k in exact | parts
              if HAN.match(k) and PINYIN_MIN <= len(k) <= PINYIN_MAX}
    keys += [(s, True, False) for s in spoken]
    return keys


def _district_rows(connection: Connection) -> Iterable[Dict[str, Any]]:
    table = CatalogueDistrict.__table__
    for d in connection.execute(select(table)):
        short = short_district(d.name)
        keys = [(k, False, True) for k in {d.name, *d.aliases}]
        if short and short not in d.aliases:
            keys.append((short, False, False))
        for key, spoken, exact in keys:
            yield dict(key=key, pinyin=spoken, kind=DISTRICT, item_id=f"{d.city}/{d.name}",
                       name=d.name, city=d.city, exact=exact)


def _item_rows(kind: str, rows: Iterable[Any]) -> Iterable[Dict[str, Any]]:
    for item_id, name, city, district, aliases, brand in rows:
        for key, spoken, exact in item_keys(name, aliases or (), city, district or "", brand):
            yield dict(key=key, pinyin=spoken, kind=kind, item_id=item_id, name=name,
                       city=city, exact=exact)


def index_rows(connection: Connection) -> List[Dict[str, Any]]:
    """Every key of every stored item and district."""
    hotels, sights, tours, services = (CatalogueHotel.__table__, CatalogueSight.__table__,
                                       CatalogueTour.__table__, CatalogueService.__table__)
    rows = list(_district_rows(connection))
    rows += _item_rows(HOTEL, connection.execute(
        select(hotels.c.id, hotels.c.name, hotels.c.city, hotels.c.district, hotels.c.aliases,
               hotels.c.brand)))
    rows += _item_rows(SIGHT, connection.execute(
        select(sights.c.id, sights.c.name, sights.c.city, sights.c.district, sights.c.aliases,
               literal("").label("brand"))))
    rows += _item_rows(TOUR, connection.execute(
        select(tours.c.id, tours.c.name, tours.c.destination, tours.c.destination,
               tours.c.aliases, literal("").label("brand"))))
    for code, origin in connection.execute(select(services.c.code, services.c.origin)):
        rows.append(dict(key=code, pinyin=False, kind=SERVICE, item_id=code, name=code,
                         city=origin, exact=True))
    return rows


def current(connection: Connection) -> bool:
    """Whether the index was built by these rules (the import rebuilds it otherwise)."""
    table = CatalogueName.__table__
    return connection.execute(select(table.c.id).where(
        table.c.key == RULES["key"], table.c.item_id == RULES_VERSION)).first() is not None


def rebuild(connection: Connection) -> int:
    """Replace the name index with the keys of what is stored now; returns its size."""
    table = CatalogueName.__table__
    connection.execute(delete(table))
    rows = [RULES, *index_rows(connection)]
    seen: Set[Tuple[Any, ...]] = set()
    unique = []
    for row in rows:
        identity = (row["key"], row["pinyin"], row["kind"], row["item_id"])
        if identity not in seen:
            seen.add(identity)
            unique.append(row)
    for start in range(0, len(unique), CHUNK):
        connection.execute(insert(table), unique[start:start + CHUNK])
    return len(unique)
