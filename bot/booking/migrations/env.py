"""Alembic environment for the booking store.

Run through :func:`bot.booking.db.upgrade`, which hands over an open connection (so the
SQLite pragmas of :func:`bot.booking.db.engine_for` apply); the URL path is a fallback
for running Alembic by hand.
"""
from __future__ import annotations

from alembic import context

from bot.booking.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bot.booking.db import engine_for

    engine = engine_for(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as fresh:
        _run(fresh)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
