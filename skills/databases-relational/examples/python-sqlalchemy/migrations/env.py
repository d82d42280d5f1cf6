"""Alembic environment for the shop schema.

The URL comes from $DATABASE_URL (default sqlite:///shop.db). A caller that already holds
a Connection (tests, an app running migrations at start-up) can pass it instead as
``config.attributes["connection"]``.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from shop_db.db import database_url
from shop_db.models import Base
from sqlalchemy import Connection, TypeDecorator, create_engine, pool

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    # disable_existing_loggers=False: the default would silence every logger the host
    # process (pytest, an app) configured before running migrations.
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Render TypeDecorators (UTCDateTime) as their plain SQLAlchemy type: a migration must
    # keep working after the application code it was generated from has changed or gone.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = database_url()
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        foreign_keys_were_on = connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # Batch mode rebuilds a SQLite table by copy, drop and rename. With foreign keys
        # on, dropping a parent table deletes through ON DELETE CASCADE (or fails), so
        # they stay off while migrating and are checked once at the end instead. The
        # PRAGMA is a no-op inside a transaction; commit ends SQLAlchemy's autobegin so
        # that Alembic's begin_transaction() below owns (and commits) the migration.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    # render_as_batch: SQLite cannot ALTER most things in place; batch operations
    # recreate the table there and are plain ALTERs on other engines.
    _configure(connection=connection, render_as_batch=is_sqlite)
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if foreign_keys_were_on:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if violations:
            raise RuntimeError(f"foreign key violations after migration: {violations[:5]}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
