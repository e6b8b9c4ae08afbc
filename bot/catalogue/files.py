"""Reading the catalogue's import files (knowledge_base/catalogue/README.md) into rows.

Every row is validated here, field by field, into the shape of its table (money in fen,
lists as lists, weekdays as ISO digits); every problem becomes an operator-readable
error ``"hotels.csv:17: rating '6.2' must be between 0 and 5"``. Checks that need other
rows (a room's hotel, a hotel's district) are the importer's. No database here, so the
tokenizer's dictionary can read names from the same files cheaply.
"""
from __future__ import annotations

import csv
import io
from contextvars import ContextVar
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot.catalogue.items import FACILITIES, TRANSPORT_MODES

# Import order: a kind only refers to kinds before it.
KINDS = ("districts", "hotels", "rooms", "sights", "tours", "services")
SUFFIXES = (".csv", ".json", ".yml", ".yaml")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ARRIVAL = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(\+[1-3])?$")
HOTEL_GRADES = ("经济型", "舒适型", "高档型", "豪华型")
HOTEL_TYPES = ("商务", "度假", "精品", "民宿", "公寓", "青旅", "亲子")
SIGHT_TYPES = ("山水", "古镇", "博物馆", "商圈", "主题乐园", "历史古迹", "公园", "寺庙", "街区",
               "海滨", "动物园", "夜景")
SUITABLE_FOR = ("亲子", "情侣", "老人", "朋友", "学生")
DEFAULT_ROOMS_PER_DAY = 8
DEFAULT_TOUR_SEATS = 30
MAX_VISIT_HOURS = 240  # a Three Gorges cruise is a 3-day visit


class RowError(ValueError):
    """One field of one row is wrong; the message names the field and the value."""


# While a row is parsed, each wrong field is noted here and parsing goes on, so the
# operator sees every problem of the row at once.
_row_errors: ContextVar[Optional[List[str]]] = ContextVar("row_errors", default=None)


@dataclass(frozen=True)
class Row:
    """A validated row: its table's values and where it came from (for later errors)."""

    kind: str
    where: str  # "hotels.csv:17"
    values: Dict[str, Any]


@dataclass
class Parsed:
    """The rows of one or more files, and every error found in them."""

    rows: Dict[str, List[Row]]
    errors: List[str]


def kind_of(path: Path) -> Optional[str]:
    """The kind a file holds, from its name (``hotels.csv`` → hotels); None if not one."""
    if path.suffix.lower() not in SUFFIXES:
        return None
    return path.stem if path.stem in KINDS else None


def import_files(path: Path) -> List[Path]:
    """The files to import from a file or a folder, in dependency order."""
    files = sorted(p for p in path.iterdir() if kind_of(p)) if path.is_dir() else [path]
    return sorted(files, key=lambda p: KINDS.index(kind_of(p) or "districts"))


# --- raw records with line numbers ----------------------------------------------------


def _csv_records(text: str) -> Iterable[Tuple[int, Dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    line = 1
    for record in reader:
        yield line + 1, {k.strip(): v for k, v in record.items() if k is not None}
        line = reader.line_num


def _structured_records(text: str, kind: str, is_json: bool) -> Iterable[Tuple[int, Any]]:
    """Items of a JSON list or of a YAML list under ``kind:``, with their first line."""
    data = json.loads(text) if is_json else yaml.safe_load(text)
    node = yaml.compose(text, Loader=yaml.SafeLoader) if not is_json or "\t" not in text else None
    if isinstance(data, dict):
        data = data.get(kind)
        if node is not None:
            node = next((v for k, v in node.value if k.value == kind), None)
    if not isinstance(data, list):
        raise RowError(f"expected a list of {kind}" + ("" if is_json else f" under '{kind}:'"))
    lines = [item.start_mark.line + 1 for item in node.value] if node is not None else []
    for index, item in enumerate(data):
        yield (lines[index] if index < len(lines) else index + 1), item


def read_records(path: Path) -> Iterable[Tuple[int, Any]]:
    """(line, record) of each item of an import file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return _csv_records(text)
    return _structured_records(text, path.stem, path.suffix.lower() == ".json")


# --- field parsers ---------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def items(value: Any) -> List[str]:
    """A list: a YAML/JSON list, or ``a|b|c`` in CSV."""
    if _blank(value):
        return []
    parts = value if isinstance(value, list) else str(value).split("|")
    return [str(part).strip() for part in parts if str(part).strip()]


def flag(value: Any) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("yes", "true", "1", "是"):
        return True
    if word in ("no", "false", "0", "否"):
        return False
    raise RowError(f"'{value}' must be yes or no")


def fen(value: Any) -> int:
    """Yuan with at most two decimals → integer fen."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RowError(f"'{value}' is not an amount of yuan") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise RowError(f"'{value}' must be yuan, not negative, at most two decimals")
    return int(amount * 100)


def whole(value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RowError(f"'{value}' is not a whole number") from None
    if not low <= number <= high:
        raise RowError(f"'{value}' must be between {low} and {high}")
    return number


def real(value: Any, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise RowError(f"'{value}' is not a number") from None
    if not low <= number <= high:
        raise RowError(f"'{value}' must be between {low:g} and {high:g}")
    return number


def clock(value: Any, pattern: re.Pattern = TIME) -> str:
    word = text(value)
    if len(word) == 4 and word[1] == ":":
        word = "0" + word
    if not pattern.match(word):
        raise RowError(f"'{value}' is not a time HH:MM")
    return word


def weekdays(value: Any) -> str:
    """ISO weekdays as digits "1357" from ``[1, 3, 5, 7]``, ``1|3|5`` or ``1357``."""
    if _blank(value):
        return "1234567"
    parts = value if isinstance(value, list) else re.findall(r"\d", str(value))
    days = sorted({int(part) for part in parts})
    if not days or any(not 1 <= day <= 7 for day in days):
        raise RowError(f"'{value}' must be ISO weekdays 1-7")
    return "".join(str(day) for day in days)


def one_of(value: Any, allowed: Tuple[str, ...]) -> str:
    word = text(value)
    if word and word not in allowed:
        raise RowError(f"'{word}' must be one of {'/'.join(allowed)}")
    return word


def all_of(values: List[str], allowed: Tuple[str, ...]) -> List[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise RowError(f"'{'|'.join(unknown)}' not in the closed list ({'/'.join(allowed)})")
    return values


def tickets(value: Any) -> List[List[Any]]:
    """``成人票:60|学生票:30`` or a mapping → ``[[name, fen], ...]``."""
    pairs = list(value.items()) if isinstance(value, dict) else [
        tuple(part.rsplit(":", 1)) for part in items(value)]
    result = []
    for pair in pairs:
        if len(pair) != 2 or not str(pair[0]).strip():
            raise RowError(f"ticket '{':'.join(map(str, pair))}' must be name:price")
        result.append([str(pair[0]).strip(), fen(pair[1])])
    return result


def fares(value: Any) -> List[List[Any]]:
    """``二等座:553:80|一等座:930:20`` or a list of mappings → ``[[name, fen, seats], ...]``."""
    raw: List[Tuple[Any, Any, Any]]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        raw = [(f.get("name"), f.get("price"), f.get("seats")) for f in value]
    elif isinstance(value, dict):
        raw = [(k, v, None) for k, v in value.items()]
    else:
        raw = []
        for part in items(value):
            pieces = part.split(":")
            if len(pieces) not in (2, 3):
                raise RowError(f"fare '{part}' must be class:price:seats")
            raw.append((pieces[0], pieces[1], pieces[2] if len(pieces) == 3 else None))
    result = []
    for name, price, seats in raw:
        if _blank(name) or _blank(price):
            raise RowError(f"fare '{name}:{price}' must be class:price:seats")
        result.append([str(name).strip(), fen(price), 0 if _blank(seats) else whole(seats, 0, 5000)])
    if not result:
        raise RowError("at least one fare class:price:seats is required")
    if len({f[0] for f in result}) != len(result):
        raise RowError("a fare class is listed twice")
    return result


def visit_hours(value: Any) -> Tuple[Optional[float], Optional[float]]:
    """``2-3`` → (2, 3); ``1.5`` → (1.5, 1.5)."""
    if _blank(value):
        return None, None
    bounds = [real(part, 0, MAX_VISIT_HOURS) for part in str(value).split("-")]
    if len(bounds) > 2 or bounds[0] > bounds[-1]:
        raise RowError(f"'{value}' must be hours like 2-3 or 1.5")
    return bounds[0], bounds[-1]


def minutes_between(depart: str, arrive: str) -> int:
    """Travel time from HH:MM to HH:MM(+n)."""
    days = int(arrive.split("+")[1]) if "+" in arrive else 0
    start = int(depart[:2]) * 60 + int(depart[3:5])
    end = int(arrive[:2]) * 60 + int(arrive[3:5]) + days * 24 * 60
    return end - start if end > start else end - start + 24 * 60


# --- one row per kind ------------------------------------------------------------------


Field = Callable[[Any], Any]


def _get(record: Dict[str, Any], name: str, parse: Field, required: bool = False,
         default: Any = None) -> Any:
    value = record.get(name)
    if _blank(value) or (isinstance(value, list) and not value and required):
        if required:
            return _wrong(f"{name} is required", default)
        if default is not None:
            return default
        return parse(None) if parse in (text, items, flag) else None
    try:
        return parse(value)
    except RowError as error:
        return _wrong(f"{name} {error}", default)


def _wrong(message: str, default: Any) -> Any:
    """Note a wrong field and carry on with its default (raise outside a row parse)."""
    noted = _row_errors.get()
    if noted is None:
        raise RowError(message)
    noted.append(message)
    return default


def _located(record: Dict[str, Any]) -> Dict[str, Any]:
    """Metro, coordinates and aliases, shared by hotels and sights."""
    return dict(
        metro_station=_get(record, "metro_station", text),
        metro_line=_get(record, "metro_line", text),
        metro_distance_m=_get(record, "metro_distance_m", lambda v: whole(v, 0, 100000)),
        lat=_get(record, "lat", lambda v: real(v, -90, 90)),
        lon=_get(record, "lon", lambda v: real(v, -180, 180)),
        aliases=_get(record, "aliases", items),
    )


def district_row(r: Dict[str, Any]) -> Dict[str, Any]:
    return dict(city=_get(r, "city", text, True), name=_get(r, "name", text, True),
                aliases=_get(r, "aliases", items),
                lat=_get(r, "lat", lambda v: real(v, -90, 90)),
                lon=_get(r, "lon", lambda v: real(v, -180, 180)))


def hotel_row(r: Dict[str, Any]) -> Dict[str, Any]:
    row = dict(
        id=_get(r, "id", text, True), name=_get(r, "name", text, True),
        city=_get(r, "city", text, True), district=_get(r, "district", text, True),
        address=_get(r, "address", text, True), phone=_get(r, "phone", text),
        stars=_get(r, "stars", lambda v: whole(v, 0, 5), default=0),
        grade=_get(r, "grade", lambda v: one_of(v, HOTEL_GRADES), default=""),
        type=_get(r, "type", lambda v: one_of(v, HOTEL_TYPES), default=""),
        rating=_get(r, "rating", lambda v: round(real(v, 0, 5), 1)),
        brand=_get(r, "brand", text),
        facilities=_get(r, "facilities", lambda v: all_of(items(v), FACILITIES), default=[]),
        breakfast_included=_get(r, "breakfast_included", flag),
        checkin_time=_get(r, "checkin_time", clock, default=""),
        checkout_time=_get(r, "checkout_time", clock, default=""),
        tags=_get(r, "tags", items), description=_get(r, "description", text),
        demo=_get(r, "demo", flag),
    )
    row.update(_located(r))
    return row


def room_row(r: Dict[str, Any]) -> Dict[str, Any]:
    return dict(
        hotel_id=_get(r, "hotel_id", text, True), type=_get(r, "type", text, True),
        price_fen=_get(r, "price", fen, True),
        max_guests=_get(r, "max_guests", lambda v: whole(v, 1, 10), True),
        bed=_get(r, "bed", text), breakfast=_get(r, "breakfast", flag),
        area_m2=_get(r, "area_m2", lambda v: whole(v, 1, 2000)),
        smoking=_get(r, "smoking", flag),
        rooms_per_day=_get(r, "rooms_per_day", lambda v: whole(v, 0, 10000),
                           default=DEFAULT_ROOMS_PER_DAY),
    )


def sight_row(r: Dict[str, Any]) -> Dict[str, Any]:
    free = _get(r, "free", flag)
    prices = _get(r, "tickets", tickets, default=[])
    if not free and not prices:
        raise RowError("tickets are required unless free is yes")
    low, high = _get(r, "visit_hours", visit_hours, default=(None, None))
    row = dict(
        id=_get(r, "id", text, True), name=_get(r, "name", text, True),
        city=_get(r, "city", text, True), district=_get(r, "district", text, True),
        address=_get(r, "address", text, True),
        type=_get(r, "type", lambda v: one_of(v, SIGHT_TYPES), True),
        tickets=prices, free=free,
        min_ticket_fen=0 if free else min(price for _, price in prices),
        phone=_get(r, "phone", text), opening_hours=_get(r, "opening_hours", text),
        visit_hours_min=low, visit_hours_max=high,
        rating=_get(r, "rating", lambda v: round(real(v, 0, 5), 1)),
        suitable_for=_get(r, "suitable_for", lambda v: all_of(items(v), SUITABLE_FOR), default=[]),
        description=_get(r, "description", text), demo=_get(r, "demo", flag),
    )
    row.update(_located(r))
    return row


def tour_row(r: Dict[str, Any]) -> Dict[str, Any]:
    def lines(value: Any) -> List[str]:
        return [str(v).strip() for v in value] if isinstance(value, list) else [
            line.strip() for line in str(value).replace("|", "\n").splitlines() if line.strip()]

    return dict(
        id=_get(r, "id", text, True), name=_get(r, "name", text, True),
        destination=_get(r, "destination", text, True),
        departs_from=_get(r, "departs_from", text, True),
        days=_get(r, "days", lambda v: whole(v, 1, 60), True),
        price_fen=_get(r, "price", fen, True), child_price_fen=_get(r, "child_price", fen),
        departure_weekdays=_get(r, "departure_weekdays", weekdays, default="1234567"),
        attractions=_get(r, "attractions", items), highlights=_get(r, "highlights", text),
        includes=_get(r, "includes", text), excludes=_get(r, "excludes", text),
        itinerary=_get(r, "itinerary", lines, default=[]), group_size=_get(r, "group_size", text),
        seats=_get(r, "seats", lambda v: whole(v, 0, 10000), default=DEFAULT_TOUR_SEATS),
        aliases=_get(r, "aliases", items), demo=_get(r, "demo", flag),
    )


def service_row(r: Dict[str, Any]) -> Dict[str, Any]:
    depart = _get(r, "depart", clock, True)
    arrive = _get(r, "arrive", lambda v: clock(v, ARRIVAL), True)
    classes = _get(r, "fares", fares, True)
    return dict(
        code=_get(r, "code", lambda v: text(v).upper(), True),
        mode=_get(r, "mode", lambda v: one_of(v, TRANSPORT_MODES), True),
        operator=_get(r, "operator", text, True),
        origin=_get(r, "origin", text, True), destination=_get(r, "destination", text, True),
        from_station=_get(r, "from_station", text, True),
        to_station=_get(r, "to_station", text, True),
        from_terminal=_get(r, "from_terminal", text), to_terminal=_get(r, "to_terminal", text),
        depart=depart, arrive=arrive,
        duration_minutes=_get(r, "duration_minutes", lambda v: whole(v, 1, 7 * 24 * 60),
                              default=minutes_between(depart, arrive)),
        weekdays=_get(r, "weekdays", weekdays, default="1234567"),
        fares=classes, min_fare_fen=min(f[1] for f in classes), demo=_get(r, "demo", flag),
    )


PARSERS: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    "districts": district_row, "hotels": hotel_row, "rooms": room_row, "sights": sight_row,
    "tours": tour_row, "services": service_row,
}
KEYS: Dict[str, Tuple[str, ...]] = {
    "districts": ("city", "name"), "hotels": ("id",), "rooms": ("hotel_id", "type"),
    "sights": ("id",), "tours": ("id",), "services": ("code",),
}


def key_of(kind: str, values: Dict[str, Any]) -> Tuple[Any, ...]:
    return tuple(values[k] for k in KEYS[kind])


def _parse_row(kind: str, record: Dict[str, Any]) -> Any:
    """The row's values, or the list of everything wrong with it."""
    token = _row_errors.set([])
    try:
        values = PARSERS[kind](record)
    except RowError as error:
        values = None
        (_row_errors.get() or []).append(str(error))
    except (TypeError, ValueError, ArithmeticError):
        values = None  # a consequence of a field already noted as wrong
    finally:
        noted = _row_errors.get() or []
        _row_errors.reset(token)
    return noted or values


def parse_file(path: Path, parsed: Parsed) -> None:
    """Validate every record of ``path`` into ``parsed`` (rows or errors, never raises)."""
    kind = kind_of(path)
    if kind is None:
        parsed.errors.append(f"{path.name}: not an import file (name it one of "
                             f"{', '.join(k + '.csv' for k in KINDS)}; .json/.yml also work)")
        return
    try:
        records = list(read_records(path))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError, csv.Error) as error:
        parsed.errors.append(f"{path.name}: cannot be read: {error}".splitlines()[0])
        return
    seen: Dict[Tuple[Any, ...], str] = {}
    for line, record in records:
        where = f"{path.name}:{line}"
        if not isinstance(record, dict):
            parsed.errors.append(f"{where}: expected an object with the columns of {kind}")
            continue
        problems = _parse_row(kind, record)
        if isinstance(problems, list):
            parsed.errors.append(f"{where}: {'; '.join(problems)}")
            continue
        values = problems
        key = key_of(kind, values)
        if key in seen:
            parsed.errors.append(f"{where}: {'/'.join(map(str, key))} already given at {seen[key]}")
            continue
        seen[key] = where
        parsed.rows.setdefault(kind, []).append(Row(kind, where, values))


def parse(path: Path) -> Parsed:
    """Every row of a file or folder, validated field by field."""
    parsed = Parsed(rows={}, errors=[])
    if not path.exists():
        parsed.errors.append(f"{path}: no such file or folder")
        return parsed
    for file in import_files(path):
        parse_file(file, parsed)
    return parsed


NAMED_KINDS = ("districts", "hotels", "rooms", "sights", "tours")


def names(path: Path, kinds: Sequence[str] = NAMED_KINDS) -> List[str]:
    """Names and aliases of hotels, sights, tours and districts, and room types, in a
    folder's files, for the tokenizer's dictionary and the NLU's gazetteer; rows that do
    not validate still give their name."""
    words: List[str] = []
    if not path.is_dir():
        return words
    for file in import_files(path):
        if kind_of(file) not in kinds:
            continue
        field = "type" if kind_of(file) == "rooms" else "name"
        try:
            for _line, record in read_records(file):
                if isinstance(record, dict):
                    words.append(text(record.get(field)))
                    words.extend(items(record.get("aliases")))
        except (OSError, ValueError, yaml.YAMLError, csv.Error):
            continue
    return list(dict.fromkeys(w for w in words if w))
