"""Users, their login sessions and their notes (SQLAlchemy 2.0 typed models), and an engine
with SQLite set up properly."""

from __future__ import annotations

from sqlalchemy import Engine, ForeignKey, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    # The PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]  # Unix seconds from the app's clock


class LoginSession(Base):
    """One signed-in browser. The cookie's id is never stored, only its SHA-256: whoever
    reads this table (a backup, a replica, an injection elsewhere) cannot sign in with it."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token for this session's unsafe requests. Kept in clear, because the
    # page asks for it again after a reload; on its own it authenticates nothing.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int]
    last_seen_at: Mapped[int]
    idle_expires_at: Mapped[int]
    absolute_expires_at: Mapped[int] = mapped_column(index=True)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[int]
    updated_at: Mapped[int]


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            # Off by default in SQLite: without it ON DELETE CASCADE does nothing.
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL: readers never wait for the writer; synchronous=NORMAL is safe in WAL mode
            # and saves an fsync per commit (every authenticated request writes last_seen).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
