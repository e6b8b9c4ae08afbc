"""Read-only access to the operator-edited files in ``knowledge_base/``.

Loaded once per process and cached: the files are small and change only with a
deploy. Every consumer (tokenizer dictionary, lookup tables, catalogue search, FAQ)
reads through here so that a typo in a file is reported in one place, naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from bot.settings import settings


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Destination:
    name: str
    province: str
    aliases: Tuple[str, ...] = ()
    popular: bool = False


@dataclass(frozen=True)
class Attraction:
    name: str
    city: str
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Room:
    type: str
    price: Decimal
    max_guests: int
    bed: str = ""


@dataclass(frozen=True)
class Hotel:
    id: str
    name: str
    city: str
    district: str
    address: str
    stars: int
    rating: float
    tags: Tuple[str, ...]
    breakfast_included: bool
    rooms: Tuple[Room, ...]
    brand: str = ""

    @property
    def lowest_price(self) -> Decimal:
        return min(room.price for room in self.rooms)


@dataclass(frozen=True)
class Tour:
    id: str
    name: str
    destination: str
    departs_from: str
    days: int
    price: Decimal
    departure_weekdays: Tuple[int, ...]
    attractions: Tuple[str, ...]
    highlights: str
    includes: str
    child_price: Optional[Decimal] = None
    group_size: str = ""


@dataclass(frozen=True)
class Service:
    code: str
    mode: str
    operator: str
    origin: str
    destination: str
    from_station: str
    to_station: str
    depart: str
    arrive: str
    weekdays: Tuple[int, ...]
    fares: Tuple[Tuple[str, Decimal], ...]

    @property
    def lowest_fare(self) -> Decimal:
        return min(price for _, price in self.fares)


@dataclass(frozen=True)
class FaqEntry:
    topic: str
    title: str
    answer: str
    keywords: Tuple[str, ...] = field(default_factory=tuple)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise KnowledgeBaseError(f"knowledge base file missing: {path}") from error
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path} is not valid YAML: {error}") from error


def _section(name: str, key: str, base: Optional[Path] = None) -> Any:
    path = (base or settings.knowledge_base_dir) / name
    data = _read_yaml(path)
    if not isinstance(data, dict) or key not in data:
        raise KnowledgeBaseError(f"{path} must have a top-level '{key}:' section")
    return data[key]


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except Exception as error:  # noqa: BLE001 - any parse failure is a data error
        raise KnowledgeBaseError(f"{where}: price {value!r} is not a number") from error
    if amount < 0:
        raise KnowledgeBaseError(f"{where}: price {value!r} is negative")
    return amount


@lru_cache(maxsize=None)
def destinations() -> Tuple[Destination, ...]:
    return tuple(
        Destination(
            name=str(item["name"]),
            province=str(item.get("province", "")),
            aliases=tuple(str(a) for a in item.get("aliases") or ()),
            popular=bool(item.get("popular", False)),
        )
        for item in _section("destinations.yml", "destinations")
    )


@lru_cache(maxsize=None)
def city_aliases() -> Dict[str, str]:
    """Every way of writing a destination → its canonical name (魔都 → 上海)."""
    mapping: Dict[str, str] = {}
    for destination in destinations():
        mapping[destination.name] = destination.name
        for alias in destination.aliases:
            mapping.setdefault(alias, destination.name)
            mapping.setdefault(alias.lower(), destination.name)
    return mapping


def canonical_city(name: str) -> Optional[str]:
    """The catalogue's name for a city a traveller typed, or None if unknown."""
    from bot.text import normalize

    cleaned = normalize(name).text.strip()
    aliases = city_aliases()
    if cleaned in aliases:
        return aliases[cleaned]
    if cleaned.lower() in aliases:
        return aliases[cleaned.lower()]
    for suffix in ("市", "站", "县"):
        if cleaned.endswith(suffix) and cleaned[: -len(suffix)] in aliases:
            return aliases[cleaned[: -len(suffix)]]
    return None


def leading_city(text: str) -> int:
    """Length of the city name a place's words begin with ("上海迪士尼" → 2, "宁波南苑饭店" → 2),
    or 0; the words must go on after the city."""
    for size in (4, 3, 2):
        if len(text) > size and canonical_city(text[:size]):
            return size
    return 0


@lru_cache(maxsize=None)
def attractions() -> Tuple[Attraction, ...]:
    return tuple(
        Attraction(
            name=str(item["name"]),
            city=str(item["city"]),
            aliases=tuple(str(a) for a in item.get("aliases") or ()),
        )
        for item in _section("attractions.yml", "attractions")
    )


@lru_cache(maxsize=None)
def hotels() -> Tuple[Hotel, ...]:
    result = []
    for item in _section("catalogue/hotels.yml", "hotels"):
        where = f"catalogue/hotels.yml hotel {item.get('id')}"
        rooms = tuple(
            Room(
                type=str(room["type"]),
                price=_money(room["price"], where),
                max_guests=int(room.get("max_guests", 2)),
                bed=str(room.get("bed", "")),
            )
            for room in item.get("rooms") or ()
        )
        if not rooms:
            raise KnowledgeBaseError(f"{where} has no rooms")
        result.append(
            Hotel(
                id=str(item["id"]),
                name=str(item["name"]),
                city=str(item["city"]),
                district=str(item.get("district", "")),
                address=str(item.get("address", "")),
                stars=int(item.get("stars", 3)),
                rating=float(item.get("rating", 0)),
                tags=tuple(str(t) for t in item.get("tags") or ()),
                breakfast_included=bool(item.get("breakfast_included", False)),
                rooms=rooms,
                brand=str(item.get("brand", "") or ""),
            )
        )
    return tuple(result)


@lru_cache(maxsize=None)
def tours() -> Tuple[Tour, ...]:
    result = []
    for item in _section("catalogue/tours.yml", "tours"):
        where = f"catalogue/tours.yml tour {item.get('id')}"
        result.append(
            Tour(
                id=str(item["id"]),
                name=str(item["name"]),
                destination=str(item["destination"]),
                departs_from=str(item.get("departs_from", item["destination"])),
                days=int(item.get("days", 1)),
                price=_money(item["price"], where),
                child_price=(
                    _money(item["child_price"], where) if item.get("child_price") else None
                ),
                departure_weekdays=tuple(
                    int(d) for d in item.get("departure_weekdays") or range(1, 8)
                ),
                attractions=tuple(str(a) for a in item.get("attractions") or ()),
                highlights=str(item.get("highlights", "")),
                includes=str(item.get("includes", "")),
                group_size=str(item.get("group_size", "")),
            )
        )
    return tuple(result)


@lru_cache(maxsize=None)
def services() -> Tuple[Service, ...]:
    result = []
    for item in _section("catalogue/transport.yml", "services"):
        where = f"catalogue/transport.yml service {item.get('code')}"
        fares = tuple(
            (str(name), _money(price, where)) for name, price in (item.get("fares") or {}).items()
        )
        if not fares:
            raise KnowledgeBaseError(f"{where} has no fares")
        result.append(
            Service(
                code=str(item["code"]),
                mode=str(item["mode"]),
                operator=str(item.get("operator", "")),
                origin=str(item["from"]),
                destination=str(item["to"]),
                from_station=str(item.get("from_station", item["from"])),
                to_station=str(item.get("to_station", item["to"])),
                depart=str(item["depart"]),
                arrive=str(item["arrive"]),
                weekdays=tuple(int(d) for d in item.get("weekdays") or range(1, 8)),
                fares=fares,
            )
        )
    return tuple(result)


def _with_facts(topic: str, answer: str, facts: Dict[str, int]) -> str:
    try:
        return answer.format_map(facts)
    except (KeyError, ValueError, IndexError) as error:
        raise KnowledgeBaseError(
            f"faq.yml topic '{topic}' quotes {error} in braces; answers may quote only "
            f"{', '.join('{' + name + '}' for name in facts)}") from error


@lru_cache(maxsize=None)
def faq() -> Dict[str, FaqEntry]:
    """The FAQ, with the policy's figures filled in where an answer quotes them
    (``{hold_flight}``): a rule stated in an answer is never a second copy of it."""
    from bot.booking.policy import hold_facts, load_policy

    facts = hold_facts(load_policy())
    entries = {}
    for topic, item in (_section("faq.yml", "faq") or {}).items():
        if not item or not item.get("answer"):
            raise KnowledgeBaseError(f"faq.yml topic '{topic}' has no answer")
        entries[str(topic)] = FaqEntry(
            topic=str(topic),
            title=str(item.get("title", topic)),
            answer=_with_facts(str(topic), str(item["answer"]).strip(), facts),
            keywords=tuple(str(k) for k in item.get("keywords") or ()),
        )
    return entries


@lru_cache(maxsize=None)
def contacts() -> Dict[str, Any]:
    data = _read_yaml(settings.knowledge_base_dir / "contacts.yml")
    if not isinstance(data, dict) or "hotline" not in data:
        raise KnowledgeBaseError("contacts.yml must name a 'hotline'")
    return data


@lru_cache(maxsize=None)
def vocabulary_words() -> Tuple[str, ...]:
    """Every word of knowledge_base/vocabulary/*.yml (the tokenizer keeps them whole)."""
    folder = settings.knowledge_base_dir / "vocabulary"
    return tuple(w for path in sorted(folder.glob("*.yml")) for w in vocabulary_of(path.name))


@lru_cache(maxsize=None)
def vocabulary_of(file_name: str) -> Tuple[str, ...]:
    """The words of one vocabulary file (hotel_brands.yml: the brands a name is made of)."""
    data = _read_yaml(settings.knowledge_base_dir / "vocabulary" / file_name) or {}
    return tuple(str(w) for w in data.get("words") or ())


def _catalogue_words() -> List[str]:
    """Hotel, room type, sight, tour and district names from the catalogue's import files
    (the folder the seed imports), or from the curated YAML catalogue without one."""
    from bot.catalogue.files import names  # the catalogue package imports this module

    if settings.catalogue_dir.is_dir():
        return names(settings.catalogue_dir)
    return ([w for h in hotels() for w in (h.name, *(r.type for r in h.rooms))]
            + [t.name for t in tours()])


def _dictionary_sources() -> List[Any]:
    return [
        lambda: [w for d in destinations() for w in (d.name, *d.aliases) if not w.isascii()],
        lambda: [w for a in attractions() for w in (a.name, *a.aliases)],
        _catalogue_words,
        lambda: list(vocabulary_words()),
    ]


def dictionary_words(tolerate_missing: bool = False) -> List[str]:
    """Names the tokenizer must keep whole: places, sights, hotels, product words."""
    words: List[str] = []
    for source in _dictionary_sources():
        try:
            words.extend(source())
        except KnowledgeBaseError:
            if not tolerate_missing:
                raise
    seen = set()
    unique = []
    for word in words:
        word = word.strip()
        if len(word) >= 2 and word not in seen:
            seen.add(word)
            unique.append(word)
    return unique


def clear_caches() -> None:
    """Forget loaded files (tests point the knowledge base elsewhere)."""
    for loader in (destinations, city_aliases, attractions, hotels, tours, services, faq,
                   contacts, vocabulary_words, vocabulary_of):
        loader.cache_clear()
