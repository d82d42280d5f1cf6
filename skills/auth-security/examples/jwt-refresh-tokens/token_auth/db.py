"""Tables: users, login sessions (refresh token families), refresh tokens, notes.

Times are Unix seconds (integers) from the app's injectable clock: comparisons are exact on
every engine and the tests can move time without sleeping.
"""

from __future__ import annotations

from sqlalchemy import Engine, ForeignKey, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]


class LoginSession(Base):
    """A token family: every refresh token descended from one login."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, also the `sid`
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[int]
    last_used_at: Mapped[int]
    expires_at: Mapped[int]  # absolute: no refresh extends it
    revoked_at: Mapped[int | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(16))  # logout, reuse, expired

    tokens: Mapped[list[RefreshToken]] = relationship(back_populates="login_session")


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token, never the token: a leaked table cannot be replayed. A fast hash
    # is enough because the token is 256 random bits; there is no dictionary to try.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int]
    idle_expires_at: Mapped[int]
    used_at: Mapped[int | None]  # set when exchanged; presenting it again is reuse

    login_session: Mapped[LoginSession] = relationship(back_populates="tokens")


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int]
    updated_at: Mapped[int]


class LoginFailure(Base):
    """Failed logins in a row for one username as typed, known or not (see throttle.py)."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[int]
    locked_until: Mapped[int]  # in the past (or 0) when not locked


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; one fsync fewer
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
