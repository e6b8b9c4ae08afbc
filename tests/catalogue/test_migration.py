"""Migration 0004 creates the catalogue tables and indexes and can be undone, on SQLite
and PostgreSQL."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.booking.db import alembic_config, engine_for, upgrade
from bot.catalogue.models import CatalogueHotel

CATALOGUE_TABLES = {"catalogue_districts", "catalogue_hotels", "catalogue_rooms",
                    "catalogue_hotel_facilities", "catalogue_sights", "catalogue_tours",
                    "catalogue_services", "catalogue_fares", "catalogue_names"}


def _downgrade(url: str, revision: str) -> None:
    engine = engine_for(url)
    try:
        config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def _tables_and_hotel_indexes(url: str):
    engine = engine_for(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        indexes = ({i["name"] for i in inspector.get_indexes(CatalogueHotel.__tablename__)}
                   if CatalogueHotel.__tablename__ in tables else set())
        columns = {c["name"] for c in inspector.get_columns("products")}
        return tables, indexes, columns
    finally:
        engine.dispose()


def test_0004_upgrades_downgrades_and_upgrades_again(database_url):
    upgrade(database_url)
    tables, indexes, columns = _tables_and_hotel_indexes(database_url)
    assert CATALOGUE_TABLES <= tables
    assert {"ix_catalogue_hotels_city_district", "ix_catalogue_hotels_city_min_price_fen",
            "ix_catalogue_hotels_city_rating"} <= indexes
    assert {"capacity", "sale_weekdays"} <= columns
    _downgrade(database_url, "0003_hold_expiry")
    tables, _, columns = _tables_and_hotel_indexes(database_url)
    assert not CATALOGUE_TABLES & tables and "capacity" not in columns
    upgrade(database_url)
    assert CATALOGUE_TABLES <= _tables_and_hotel_indexes(database_url)[0]


def test_0005_indexes_hotels_by_metro_station(database_url):
    upgrade(database_url)
    assert "ix_catalogue_hotels_metro_station_city" in _tables_and_hotel_indexes(database_url)[1]
    _downgrade(database_url, "0004_catalogue")
    assert "ix_catalogue_hotels_metro_station_city" not in _tables_and_hotel_indexes(database_url)[1]
