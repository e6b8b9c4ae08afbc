"""Importing catalogue files: every bad row reported with its line and nothing written;
one transaction; a second run changes nothing; --prune removes what the files dropped
(but not what is booked); CSV, JSON and YAML read the same."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from bot.booking.models import Product
from bot.booking.store import BookingStore
from bot.catalogue.__main__ import INVALID, main
from bot.catalogue.files import read_records
from bot.catalogue.importer import ImportFailed, import_path
from bot.catalogue.models import CatalogueDistrict, CatalogueHotel, CatalogueName, CatalogueRoom
from bot.catalogue.queries import Catalogue
from tests.catalogue.conftest import BAD, GOOD

KINDS = ("districts", "hotels", "rooms", "sights", "tours", "services")


def _count(engine, model) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def _product(engine, code):
    with engine.connect() as connection:
        return connection.execute(select(Product).where(Product.code == code)).one_or_none()


def test_bad_rows_are_reported_with_file_and_line_and_nothing_is_written(sqlite_url, capsys):
    assert main(["import", str(BAD), "--database-url", sqlite_url]) == INVALID
    errors = capsys.readouterr().err.splitlines()
    assert "hotels.csv:3: rating '6.2' must be between 0 and 5" in errors
    assert "hotels.csv:4: name is required" in errors
    [row5] = [e for e in errors if e.startswith("hotels.csv:5: ")]
    assert row5.startswith("hotels.csv:5: facilities '飞机场' not in the closed list")
    assert row5.endswith("; checkin_time '25:00' is not a time HH:MM")  # every wrong field
    assert any(e.startswith("hotels.csv:6: district '朝阳区' is not one of 上海's") for e in errors)
    assert "rooms.csv:3: price '-5' must be yuan, not negative, at most two decimals" in errors
    assert any(e.startswith("rooms.csv:4: hotel_id 'H-NOPE' is not a hotel") for e in errors)
    engine = Catalogue(sqlite_url).engine
    # the valid districts and the valid hotel H-X-1 were not half-imported either
    assert [_count(engine, m) for m in (CatalogueDistrict, CatalogueHotel, CatalogueRoom, Product)] \
        == [0, 0, 0, 0]


def test_a_reference_error_in_a_later_file_rolls_back_everything(engine, tmp_path):
    folder = tmp_path / "cat"
    shutil.copytree(GOOD, folder)
    with (folder / "rooms.csv").open("a", encoding="utf-8") as rooms:
        rooms.write("H-GONE,大床房,300,2,,,,,\n")
    with pytest.raises(ImportFailed) as failure:
        import_path(folder, engine)
    assert failure.value.report.errors == (
        "rooms.csv:12: hotel_id 'H-GONE' is not a hotel in this import or already loaded",)
    assert _count(engine, CatalogueHotel) == 0 and _count(engine, Product) == 0


def test_import_loads_everything_with_products_and_a_second_run_changes_nothing(engine):
    first = import_path(GOOD, engine)
    assert first.added == {"districts": 8, "hotels": 7, "rooms": 10, "sights": 5, "tours": 2,
                           "services": 5}
    room = _product(engine, "H-SH-101/高级大床房")
    assert (room.unit_price_fen, room.capacity, room.sale_weekdays, room.max_guests) == \
        (82800, 8, "1234567", 2)
    tour = _product(engine, "T-CD-101")
    assert (tour.unit_price_fen, tour.capacity, tour.sale_weekdays, tour.duration_days) == \
        (88000, 30, "6", 2)
    fare = _product(engine, "CA4101/经济舱")
    assert (fare.unit_price_fen, fare.capacity, fare.sale_weekdays, fare.mode, fare.departs_at) \
        == (151000, 150, "67", "flight", "09:30")
    assert _product(engine, "H-CD-102/六人间床位").unit_price_fen == 7950
    assert (_product(engine, "T-BJ-101").child_price_fen, tour.child_price_fen,
            room.child_price_fen) == (29800, None, None)  # children pay the tour's child fare
    assert _count(engine, Product) == 10 + 2 + 10  # rooms, tours, fares
    products, names = _count(engine, Product), _count(engine, CatalogueName)
    second = import_path(GOOD, engine)
    assert sum(second.added.values()) == 0 and sum(second.changed.values()) == 0
    assert second.unchanged == first.added
    assert (_count(engine, Product), _count(engine, CatalogueName)) == (products, names)


def test_a_changed_price_is_counted_and_reaches_the_product(engine, tmp_path):
    import_path(GOOD, engine)
    folder = tmp_path / "cat"
    shutil.copytree(GOOD, folder)
    rooms = folder / "rooms.csv"
    rooms.write_text(rooms.read_text(encoding="utf-8").replace("H-SH-101,高级大床房,828",
                                                               "H-SH-101,高级大床房,858"),
                     encoding="utf-8")
    report = import_path(folder, engine)
    assert report.changed == {"districts": 0, "hotels": 0, "rooms": 1, "sights": 0, "tours": 0,
                              "services": 0}
    assert _product(engine, "H-SH-101/高级大床房").unit_price_fen == 85800
    assert Catalogue(engine=engine).hotel("H-SH-101").lowest_price == 858


def test_dry_run_counts_but_writes_nothing(sqlite_url, capsys):
    assert main(["import", str(GOOD), "--database-url", sqlite_url, "--dry-run"]) == 0
    assert "hotels: 7 added, 0 changed, 0 unchanged, 0 removed" in capsys.readouterr().out
    assert _count(Catalogue(sqlite_url).engine, CatalogueHotel) == 0


def _without_hostel(folder):
    for name in ("hotels.csv", "rooms.csv"):
        path = folder / name
        path.write_text("".join(line for line in path.read_text(encoding="utf-8")
                                .splitlines(keepends=True) if "H-CD-102" not in line),
                        encoding="utf-8")


def test_prune_removes_what_the_files_dropped_but_keeps_booked_items(engine, tmp_path):
    import_path(GOOD, engine)
    store = BookingStore(str(engine.url.render_as_string(hide_password=False)), migrate=False)
    try:
        guest = store.customer_for("rest", "prune-guest")
        day = datetime.now(store.policy.timezone).date() + timedelta(days=3)
        store.hold_and_book(guest, "H-SH-103/标准大床房", (day, day + timedelta(days=1)), ["张三"],
                            "13800138000", "prune-booking")
    finally:
        store.close()
    folder = tmp_path / "cat"
    shutil.copytree(GOOD, folder)
    _without_hostel(folder)
    for name in ("hotels.csv", "rooms.csv"):  # H-SH-103 is booked: it must stay
        path = folder / name
        path.write_text("".join(line for line in path.read_text(encoding="utf-8")
                                .splitlines(keepends=True) if "H-SH-103" not in line),
                        encoding="utf-8")
    kept = import_path(folder, engine)  # without --prune nothing goes
    assert sum(kept.removed.values()) == 0 and _count(engine, CatalogueHotel) == 7
    pruned = import_path(folder, engine, prune=True)
    assert pruned.removed["hotels"] == 1 and pruned.removed["rooms"] == 1
    assert any("H-SH-103" in note for note in pruned.notes)
    facade = Catalogue(engine=engine)
    assert facade.hotel("H-CD-102") is None and facade.hotel("H-SH-103") is not None
    assert _product(engine, "H-CD-102/六人间床位") is None
    assert _product(engine, "H-SH-103/标准大床房") is not None
    assert not [m for m in facade.named_in("春熙路青年旅舍") if m.id == "H-CD-102"]


def _as_structured(tmp_path, suffix):
    """The fixture catalogue rewritten as JSON or YAML files (lists stay lists)."""
    folder = tmp_path / suffix
    folder.mkdir()
    for source in sorted(GOOD.iterdir()):
        records = [record for _line, record in read_records(source)]
        target = folder / f"{source.stem}.{suffix}"
        if suffix == "json":
            target.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            target.write_text(yaml.safe_dump({source.stem: records}, allow_unicode=True),
                              encoding="utf-8")
    return folder


@pytest.mark.parametrize("suffix", ["json", "yml"])
def test_json_and_yaml_files_import_the_same_catalogue_as_csv(tmp_path, suffix):
    stored = []
    for name, folder in (("csv", GOOD), (suffix, _as_structured(tmp_path, suffix))):
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        assert main(["import", str(folder), "--database-url", url]) == 0
        facade = Catalogue(url)
        stored.append([facade.hotel(h) for h in ("H-SH-101", "H-CD-102")]
                      + [facade.service("D301"), facade.sight("S-SH-102"), facade.tour("T-BJ-101")])
        facade.close()
    assert stored[0] == stored[1]


def test_errors_in_json_and_yaml_name_the_line_of_the_item(tmp_path, sqlite_url, capsys):
    folder = tmp_path / "structured"
    folder.mkdir()
    shutil.copy(GOOD / "districts.csv", folder)
    (folder / "sights.json").write_text(
        '[\n {"id": "S-1", "name": "甲", "city": "上海", "district": "黄浦区",\n'
        '  "address": "路", "type": "博物馆", "free": "yes"},\n'
        ' {"id": "S-2", "name": "乙", "city": "上海", "district": "黄浦区",\n'
        '  "address": "路", "type": "博物馆", "free": true, "rating": 7}\n]\n', encoding="utf-8")
    (folder / "tours.yml").write_text(
        "tours:\n  - id: T-1\n    name: 一日游\n    destination: 上海\n    departs_from: 上海\n"
        "    days: 1\n    price: 100\n  - id: T-2\n    name: 二日游\n    destination: 上海\n"
        "    departs_from: 上海\n    days: 0\n    price: 100\n", encoding="utf-8")
    assert main(["import", str(folder), "--database-url", sqlite_url]) == INVALID
    errors = capsys.readouterr().err.splitlines()
    assert "sights.json:4: rating '7' must be between 0 and 5" in errors
    assert "tours.yml:8: days '0' must be between 1 and 60" in errors


def test_a_catalogue_of_the_demo_size_imports_completely_and_then_changes_nothing(tmp_path):
    """~1,500 hotels / 4,500 rooms / 1,000 sights / 2,000 services (bench/catalogue.py
    times it: under a second on SQLite)."""
    from bench.catalogue import synthesise

    counts = synthesise(tmp_path / "demo", scale=1)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["import", str(tmp_path / "demo"), "--database-url", url]) == 0
    facade = Catalogue(url)
    try:
        first = import_path(tmp_path / "demo", facade.engine)
        assert sum(first.added.values()) + sum(first.changed.values()) == 0
        assert first.unchanged["hotels"] == counts["hotels"]
        assert first.unchanged["rooms"] == counts["rooms"]
        assert _count(facade.engine, Product) == counts["rooms"] + counts["tours"] + 3 * counts["services"]
    finally:
        facade.close()


def test_a_text_longer_than_its_column_is_a_row_error(engine, tmp_path):
    folder = tmp_path / "cat"
    shutil.copytree(GOOD, folder)
    with (folder / "rooms.csv").open("a", encoding="utf-8") as rooms:
        rooms.write(f"H-SH-101,{'超' * 40},300,2,,,,,\n")
    with pytest.raises(ImportFailed) as failure:
        import_path(folder, engine)
    assert failure.value.report.errors == (
        f"rooms.csv:12: type '{'超' * 40}' is longer than 32 characters",)
