"""Catalogue fixtures: the small fixture catalogue imported into a fresh database."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.booking.db import engine_for, upgrade
from bot.catalogue.importer import import_path
from bot.catalogue.queries import Catalogue
from tests.booking.conftest import database_url, postgres_url, sqlite_url  # noqa: F401,E501

FIXTURES = Path(__file__).parent / "fixtures"
GOOD, BAD = FIXTURES / "good", FIXTURES / "bad"


@pytest.fixture
def engine(database_url):  # noqa: F811 - the booking tests' SQLite/PostgreSQL fixture
    """A migrated, empty database (SQLite, and PostgreSQL when reachable)."""
    upgrade(database_url)
    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def facade(tmp_path_factory) -> Iterator[Catalogue]:
    """The fixture catalogue in an SQLite file, read through the facade."""
    url = f"sqlite:///{tmp_path_factory.mktemp('catalogue') / 'catalogue.db'}"
    upgrade(url)
    catalogue = Catalogue(url)
    import_path(GOOD, catalogue.engine)
    yield catalogue
    catalogue.close()
