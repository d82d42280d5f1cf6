"""Tables: users, their passkeys, and pending ceremonies (challenges).

Times are integer Unix seconds: they compare the same on every database and in JWTs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    # WebAuthn user.id: random bytes, never the username (it is stored on the authenticator).
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    credentials: Mapped[list[Credential]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Credential.id"
    )


class Credential(Base):
    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key, as registered
    sign_count: Mapped[int]
    aaguid: Mapped[str] = mapped_column(String(36))
    backed_up: Mapped[bool]
    nickname: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int]
    last_used_at: Mapped[int | None]
    user: Mapped[User] = relationship(back_populates="credentials")


class Ceremony(Base):
    """One registration or authentication attempt: its challenge, used at most once."""

    __tablename__ = "ceremonies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "register" | "add" | "authenticate"
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # For a new account: who it will be (created only when the passkey verifies).
    username: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(128))
    user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    nickname: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[int]
    used_at: Mapped[int | None]


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    event.listen(engine, "connect", _enable_foreign_keys)
    return engine


def _enable_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
