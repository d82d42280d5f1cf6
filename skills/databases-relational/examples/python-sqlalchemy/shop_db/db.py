"""Engine and session creation.

SQLite ships with foreign keys off and a rollback journal that blocks readers during
writes, so every SQLite connection this engine opens is configured first.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///shop.db"

# How long a writer waits for the lock before "database is locked" (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 5_000


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: $DATABASE_URL, else ``sqlite:///shop.db``)."""
    url = make_url(url if url is not None else database_url())
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # Per connection, not per file: a pool of connections each needs it.
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers proceed while one writer writes; it is stored in the file, so
        # repeating it is cheap. An in-memory database answers "memory" and carries on.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects returned from a committed unit of work stay readable
    # (e.g. serialised into an API response) without a surprise reload query.
    return sessionmaker(engine, expire_on_commit=False)
