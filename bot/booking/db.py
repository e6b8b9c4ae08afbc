"""Where the booking store lives and how its schema is brought up to date.

``DATABASE_URL`` picks the database (PostgreSQL in production); without it the store
is an SQLite file under ``var/`` so that ``make run`` needs no service. Migrations run
programmatically so the embedded default creates and upgrades itself on start.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///var/tripdesk.db"
SQLITE_BUSY_TIMEOUT_S = 30


def database_url() -> str:
    """The configured URL: ``DATABASE_URL`` or the SQLite file ``var/tripdesk.db``."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def _resolved(url: str) -> URL:
    """Make a relative SQLite path relative to the project root, not the working dir."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL journal, and let us issue BEGIN ourselves (see below)."""
    dbapi_connection.isolation_level = None  # pysqlite must not open transactions itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN.

    With a deferred BEGIN, two transactions that read and then write can fail with
    SQLITE_BUSY instead of waiting; BEGIN IMMEDIATE makes writers queue on the busy
    timeout, which is what concurrent bookings need.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine_for(url: Optional[str] = None) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`), configured per backend.

    ``hide_parameters``: a failed statement's error (and so any traceback logged) names
    the SQL, never the values bound to it, which are travellers' phones and names.
    """
    parsed = _resolved(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, future=True, hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # Bounded waits: a traveller hears "please retry" in seconds, not a hung chat.
        options = " ".join(filter(None, [parsed.query.get("options"),
                                         "-c statement_timeout=10000 -c lock_timeout=5000"]))
        return create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True,
                             connect_args={"connect_timeout": 5, "options": options})
    return create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True)


def alembic_config(url: str) -> Config:
    """An Alembic config built in code: no alembic.ini to keep in step with the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    return config


def upgrade(url: Optional[str] = None, revision: str = "head", engine: Optional[Engine] = None) -> None:
    """Bring the schema at ``url`` to ``revision``; a no-op when it is already there."""
    engine = engine or engine_for(url)
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    log.info("booking store schema at %s on %s", revision, engine.url.render_as_string(True))
