"""The users table (SQLAlchemy 2.0 typed models) and an engine with SQLite set up properly."""

from __future__ import annotations

from sqlalchemy import Engine, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    # The whole PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash. Parameters and salt
    # travel with the hash, which is what makes rehash-on-login possible.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]  # Unix seconds from the app's clock
    updated_at: Mapped[int]


class LoginFailure(Base):
    """Failed logins in a row for one username as typed, known or not (see throttle.py)."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[int]
    locked_until: Mapped[int]  # Unix seconds; in the past (or 0) when not locked


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL: readers never wait for the writer. synchronous=NORMAL is safe in WAL mode
            # (a power cut can lose the last commits, never corrupt the file) and saves an
            # fsync per commit, which on slow virtual disks is most of a login's latency.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
