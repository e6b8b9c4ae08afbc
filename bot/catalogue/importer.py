"""Loading validated catalogue rows into the database: all or nothing, idempotent.

Every row is checked first (fields in ``files``, references here: a room's hotel, a
hotel's district); with any error nothing is written. Then one transaction upserts by
id, counting added / changed / unchanged per kind, optionally prunes what the files no
longer hold, refreshes the booking store's products (one per room type, tour and fare,
with its price, daily capacity and sale weekdays) and rebuilds the name index.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Set, Tuple

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.engine import Connection, Engine

from bot.booking.kinds import HOTEL_ROOM, TOUR, TRANSPORT
from bot.booking.models import BookingItem, Inventory, Product
from bot.catalogue import names as name_index
from bot.catalogue.files import KEYS, KINDS, Parsed, Row, key_of, parse
from bot.catalogue.items import ImportReport
from bot.catalogue.models import (
    CatalogueDistrict,
    CatalogueFare,
    CatalogueHotel,
    CatalogueHotelFacility,
    CatalogueRoom,
    CatalogueService,
    CatalogueSight,
    CatalogueTour,
)

TABLES: Dict[str, Any] = {
    "districts": CatalogueDistrict.__table__, "hotels": CatalogueHotel.__table__,
    "rooms": CatalogueRoom.__table__, "sights": CatalogueSight.__table__,
    "tours": CatalogueTour.__table__, "services": CatalogueService.__table__,
}
# Values kept in child tables, compared with their parent row.
CHILDREN = {"hotels": "facilities", "services": "fares"}
CHUNK = 500


class ImportFailed(Exception):
    """The rows did not pass the checks; ``report.errors`` says which and why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("\n".join(report.errors))
        self.report = report


@dataclass
class _Counts:
    added: Dict[str, int] = field(default_factory=dict)
    changed: Dict[str, int] = field(default_factory=dict)
    unchanged: Dict[str, int] = field(default_factory=dict)
    removed: Dict[str, int] = field(default_factory=dict)
    kept: List[str] = field(default_factory=list)  # pruning refused: booked

    def report(self) -> ImportReport:
        return ImportReport(dict(self.added), dict(self.changed), dict(self.unchanged),
                            dict(self.removed), (), tuple(self.kept))

    @property
    def touched(self) -> bool:
        return any(self.added.values()) or any(self.changed.values()) or any(self.removed.values())


def _chunks(values: List[Any]) -> Iterable[List[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# --- what is already stored ----------------------------------------------------------


def _stored(connection: Connection, kind: str) -> Dict[Tuple[Any, ...], Dict[str, Any]]:
    """Every stored row of a kind by key, with its child values like a parsed row."""
    table = TABLES[kind]
    rows = {key_of(kind, dict(r._mapping)): dict(r._mapping)
            for r in connection.execute(select(table))}
    if kind == "hotels":
        for row in rows.values():
            row["facilities"] = []
        facilities = CatalogueHotelFacility.__table__
        for hotel_id, facility in connection.execute(
                select(facilities.c.hotel_id, facilities.c.facility)):
            rows[(hotel_id,)]["facilities"].append(facility)
    if kind == "services":
        for row in rows.values():
            row["fares"] = []
        fares = CatalogueFare.__table__
        for code, name, price, seats in connection.execute(
                select(fares.c.service_code, fares.c.name, fares.c.price_fen, fares.c.seats)):
            rows[(code,)]["fares"].append([name, price, seats])
    return rows


def _same(kind: str, new: Dict[str, Any], old: Dict[str, Any]) -> bool:
    """Whether a parsed row equals the stored one (child lists compared as sets)."""
    for name, value in new.items():
        if name == "min_price_fen":
            continue
        stored = old.get(name)
        if name in ("facilities", "fares"):
            if sorted(map(str, value)) != sorted(map(str, stored or [])):
                return False
        elif isinstance(value, float) or isinstance(stored, float):
            if (value is None) != (stored is None) or (value is not None and abs(value - stored) > 1e-9):
                return False
        elif value != stored:
            return False
    return True


# --- checks across rows ----------------------------------------------------------------


def _check_lengths(rows: Dict[str, List[Row]]) -> List[str]:
    """Errors of texts longer than their column holds (PostgreSQL would refuse them)."""
    errors: List[str] = []
    for kind, kind_rows in rows.items():
        limits = {c.name: c.type.length for c in TABLES[kind].c
                  if getattr(c.type, "length", None)}
        for row in kind_rows:
            for name, limit in limits.items():
                value = row.values.get(name)
                if isinstance(value, str) and len(value) > limit:
                    errors.append(f"{row.where}: {name} '{value}' is longer than {limit} characters")
    return errors


def _check_references(rows: Dict[str, List[Row]],
                      stored: Dict[str, Dict[Tuple[Any, ...], Dict[str, Any]]]) -> List[str]:
    """Errors of rows that point at something neither imported nor stored."""
    errors: List[str] = []
    districts: Dict[str, Set[str]] = {}
    for city, name in list(stored["districts"]) + [key_of("districts", r.values)
                                                   for r in rows.get("districts", [])]:
        districts.setdefault(city, set()).add(name)
    for row in rows.get("hotels", []) + rows.get("sights", []):
        city, district = row.values["city"], row.values["district"]
        if city not in districts:
            errors.append(f"{row.where}: city '{city}' has no districts (add it to districts)")
        elif district not in districts[city]:
            errors.append(f"{row.where}: district '{district}' is not one of {city}'s "
                          f"({'/'.join(sorted(districts[city]))})")
    hotels = {k[0] for k in stored["hotels"]} | {r.values["id"] for r in rows.get("hotels", [])}
    with_rooms = {k[0] for k in stored["rooms"]}
    for row in rows.get("rooms", []):
        with_rooms.add(row.values["hotel_id"])
        if row.values["hotel_id"] not in hotels:
            errors.append(f"{row.where}: hotel_id '{row.values['hotel_id']}' is not a hotel "
                          "in this import or already loaded")
    for row in rows.get("hotels", []):
        if row.values["id"] not in with_rooms:
            errors.append(f"{row.where}: hotel '{row.values['id']}' has no rooms (add them to rooms)")
    for row in rows.get("services", []):
        if row.values["origin"] == row.values["destination"]:
            errors.append(f"{row.where}: origin and destination are both {row.values['origin']}")
    return errors


# --- writing ---------------------------------------------------------------------------


def _table_values(kind: str, values: Dict[str, Any]) -> Dict[str, Any]:
    columns = TABLES[kind].c
    return {k: v for k, v in values.items() if k in columns}


def _children(kind: str, values: Dict[str, Any]) -> List[Dict[str, Any]]:
    if kind == "hotels":
        return [dict(hotel_id=values["id"], facility=f) for f in values["facilities"]]
    if kind == "services":
        return [dict(service_code=values["code"], name=n, price_fen=p, seats=s)
                for n, p, s in values["fares"]]
    return []


def _upsert(connection: Connection, kind: str, rows: List[Row],
            stored: Dict[Tuple[Any, ...], Dict[str, Any]], counts: _Counts) -> None:
    table = TABLES[kind]
    new, changed = [], []
    for row in rows:
        old = stored.get(key_of(kind, row.values))
        if old is None:
            new.append(row.values)
        elif not _same(kind, row.values, old):
            changed.append(row.values)
    counts.added[kind] = len(new)
    counts.changed[kind] = len(changed)
    counts.unchanged[kind] = len(rows) - len(new) - len(changed)
    keys = [table.c[k] for k in KEYS[kind]]
    for values in changed:
        connection.execute(update(table).where(
            *[column == values[column.name] for column in keys]).values(**_table_values(kind, values)))
    if new:
        connection.execute(insert(table), [_table_values(kind, v) for v in new])
    child = CHILDREN.get(kind)
    if child:
        child_table = (CatalogueHotelFacility if kind == "hotels" else CatalogueFare).__table__
        parent = child_table.c.hotel_id if kind == "hotels" else child_table.c.service_code
        ids = [v["id" if kind == "hotels" else "code"] for v in changed]
        for chunk in _chunks(ids):
            connection.execute(delete(child_table).where(parent.in_(chunk)))
        children = [c for v in new + changed for c in _children(kind, v)]
        if children:
            connection.execute(insert(child_table), children)


def _booked_catalogue_ids(connection: Connection) -> Set[str]:
    return set(connection.execute(
        select(Product.catalogue_id).join(BookingItem, BookingItem.product_id == Product.id)
        .distinct()).scalars())


def _prune(connection: Connection, kind: str, rows: List[Row],
           stored: Dict[Tuple[Any, ...], Dict[str, Any]], counts: _Counts) -> None:
    """Remove stored items the files no longer hold, except those with bookings."""
    table = TABLES[kind]
    given = {key_of(kind, r.values) for r in rows}
    missing = [key for key in stored if key not in given]
    booked = _booked_catalogue_ids(connection)
    owner = {"rooms": 0, "hotels": 0, "tours": 0, "services": 0}
    removable = []
    for key in missing:
        if kind in owner and key[owner[kind]] in booked:
            counts.kept.append(f"{kind} {'/'.join(key)}: has bookings, kept")
            continue
        removable.append(key)
    columns = [table.c[k] for k in key_of_columns(kind)]
    for chunk in _chunks(removable):
        connection.execute(delete(table).where(tuple_(*columns).in_(chunk)))
    counts.removed[kind] = len(removable)


def key_of_columns(kind: str) -> Tuple[str, ...]:
    return KEYS[kind]


def _min_prices(connection: Connection) -> None:
    """Each hotel's cheapest room, kept on the hotel for the (city, price) index."""
    hotels, rooms = CatalogueHotel.__table__, CatalogueRoom.__table__
    cheapest = {hotel_id: price for hotel_id, price in connection.execute(
        select(rooms.c.hotel_id, rooms.c.price_fen).order_by(rooms.c.price_fen.desc()))}
    stored = {hotel_id: price for hotel_id, price in connection.execute(
        select(hotels.c.id, hotels.c.min_price_fen))}
    for hotel_id, price in cheapest.items():
        if stored.get(hotel_id) != price:
            connection.execute(update(hotels).where(hotels.c.id == hotel_id)
                               .values(min_price_fen=price))


# --- the booking store's products ----------------------------------------------------


def products_of(hotel_names: Dict[str, str], rooms: Iterable[Dict[str, Any]],
                tours: Iterable[Dict[str, Any]], services: Iterable[Dict[str, Any]]
                ) -> List[Dict[str, Any]]:
    """One product per room type, tour and fare, with its price, daily capacity and
    sale weekdays (services' ``fares`` are ``[name, fen, seats]`` as parsed)."""
    rows: List[Dict[str, Any]] = []
    for r in rooms:
        name = hotel_names[r["hotel_id"]]
        rows.append(dict(kind=HOTEL_ROOM, code=f"{r['hotel_id']}/{r['type']}",
                         catalogue_id=r["hotel_id"], variant=r["type"], name=f"{name} {r['type']}",
                         mode=None, departs_at=None, duration_days=1, max_guests=r["max_guests"],
                         unit_price_fen=r["price_fen"], capacity=r["rooms_per_day"],
                         sale_weekdays="1234567", child_price_fen=None))
    for t in tours:
        rows.append(dict(kind=TOUR, code=t["id"], catalogue_id=t["id"], variant="", name=t["name"],
                         mode=None, departs_at=None, duration_days=t["days"], max_guests=None,
                         unit_price_fen=t["price_fen"], capacity=t["seats"],
                         sale_weekdays=t["departure_weekdays"],
                         child_price_fen=t.get("child_price_fen")))
    for s in services:
        for fare, price, seats in s["fares"]:
            rows.append(dict(
                kind=TRANSPORT, code=f"{s['code']}/{fare}", catalogue_id=s["code"], variant=fare,
                name=f"{s['code']} {s['from_station']}→{s['to_station']} {fare}", mode=s["mode"],
                departs_at=s["depart"], duration_days=1, max_guests=None, unit_price_fen=price,
                capacity=seats, sale_weekdays=s["weekdays"], child_price_fen=None))
    return rows


def product_rows(connection: Connection) -> List[Dict[str, Any]]:
    """The products of the stored catalogue."""
    hotels = CatalogueHotel.__table__
    names = {hotel_id: name for hotel_id, name in connection.execute(
        select(hotels.c.id, hotels.c.name))}
    rooms = [dict(r._mapping) for r in connection.execute(select(CatalogueRoom.__table__))]
    tours = [dict(r._mapping) for r in connection.execute(select(CatalogueTour.__table__))]
    services = list(_stored(connection, "services").values())
    return products_of(names, rooms, tours, services)


def parsed_products(parsed: Parsed) -> List[Dict[str, Any]]:
    """The products an import of ``parsed`` alone (into an empty catalogue) makes."""
    values = {kind: [row.values for row in parsed.rows.get(kind, [])] for kind in KINDS}
    names = {h["id"]: h["name"] for h in values["hotels"]}
    return products_of(names, values["rooms"], values["tours"], values["services"])


def _sync_products(connection: Connection, prune: bool) -> Tuple[int, int]:
    """Insert or update products to match the catalogue; returns (added, changed)."""
    table = Product.__table__
    wanted = {row["code"]: row for row in product_rows(connection)}
    stored = {r.code: dict(r._mapping) for r in connection.execute(select(table))}
    new = [row for code, row in wanted.items() if code not in stored]
    changed = [row for code, row in wanted.items()
               if code in stored and any(stored[code][k] != v for k, v in row.items())]
    for row in changed:
        connection.execute(update(table).where(table.c.code == row["code"]).values(**row))
    if new:
        connection.execute(insert(table), new)
    if prune:
        booked = set(connection.execute(select(BookingItem.product_id).distinct()).scalars())
        gone = [r["id"] for code, r in stored.items() if code not in wanted and r["id"] not in booked]
        for chunk in _chunks(gone):
            connection.execute(delete(Inventory.__table__).where(Inventory.product_id.in_(chunk)))
            connection.execute(delete(table).where(table.c.id.in_(chunk)))
    return len(new), len(changed)


# --- the whole import ------------------------------------------------------------------


def import_rows(engine: Engine, parsed: Parsed, dry_run: bool = False,
                prune: bool = False) -> ImportReport:
    """Load validated rows in one transaction; raises ImportFailed (nothing written)."""
    counts = _Counts()
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            stored = {kind: _stored(connection, kind) for kind in KINDS}
            errors = (parsed.errors + _check_lengths(parsed.rows)
                      + _check_references(parsed.rows, stored))
            if errors:
                raise ImportFailed(ImportReport(errors=tuple(errors)))
            for kind in KINDS:
                if kind in parsed.rows:
                    _upsert(connection, kind, parsed.rows[kind], stored[kind], counts)
            if prune:
                for kind in reversed(KINDS):
                    if kind in parsed.rows:
                        _prune(connection, kind, parsed.rows[kind], stored[kind], counts)
            if counts.touched or not name_index.current(connection):
                _min_prices(connection)
                name_index.rebuild(connection)
            _sync_products(connection, prune)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return counts.report()


def import_path(path: Path, engine: Engine, dry_run: bool = False,
                prune: bool = False) -> ImportReport:
    """Validate then load a file or folder (see :func:`import_rows`)."""
    return import_rows(engine, parse(path), dry_run=dry_run, prune=prune)


def summary(report: ImportReport) -> List[str]:
    """One line per kind: "hotels: 3 added, 1 changed, 58 unchanged, 0 removed"."""
    kinds = [k for k in KINDS if k in {**report.added, **report.removed}]
    return [f"{k}: {report.added.get(k, 0)} added, {report.changed.get(k, 0)} changed, "
            f"{report.unchanged.get(k, 0)} unchanged, {report.removed.get(k, 0)} removed"
            for k in kinds]


__all__ = ["ImportFailed", "import_rows", "import_path", "summary", "product_rows",
           "products_of", "parsed_products"]
