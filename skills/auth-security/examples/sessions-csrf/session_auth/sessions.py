"""Server-side sessions: a random id in the browser's cookie, its hash and its clock here.

Ending a session is deleting its row, so logout, "log out everywhere" and expiry take effect
on the very next request, which a self-contained token (a JWT) cannot do.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from .db import LoginSession

# 256 bits from the OS's CSPRNG: guessing a live id is hopeless, however many sessions exist.
ID_BYTES = 32


@dataclass(frozen=True)
class Lifetimes:
    idle_seconds: int
    absolute_seconds: int


@dataclass(frozen=True)
class Issued:
    """A new session: `session_id` goes into the Set-Cookie header and nowhere else."""

    session_id: str
    row: LoginSession


def hash_id(session_id: str) -> str:
    # A fast hash is right here (unlike for passwords): the input is 256 random bits, so
    # there is nothing to brute-force. The lookup by this hash also means the database
    # never compares attacker-chosen bytes against a stored secret.
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(
    db: Session, user_id: int, now: int, lifetimes: Lifetimes, *, replacing: str | None
) -> Issued:
    """A fresh session for `user_id`. `replacing` is whatever id the browser sent with the
    login: it is ended, never reused, so an id an attacker planted before the login
    (session fixation) stays worthless after it."""
    if replacing is not None:
        db.execute(delete(LoginSession).where(LoginSession.id_hash == hash_id(replacing)))
    # Housekeeping on the way in keeps the table to live sessions only.
    db.execute(
        delete(LoginSession).where(
            or_(LoginSession.idle_expires_at <= now, LoginSession.absolute_expires_at <= now)
        )
    )
    session_id = secrets.token_urlsafe(ID_BYTES)
    absolute_expires_at = now + lifetimes.absolute_seconds
    row = LoginSession(
        id_hash=hash_id(session_id),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(ID_BYTES),
        created_at=now,
        last_seen_at=now,
        idle_expires_at=min(now + lifetimes.idle_seconds, absolute_expires_at),
        absolute_expires_at=absolute_expires_at,
    )
    db.add(row)
    db.commit()
    return Issued(session_id, row)


def find_live(db: Session, session_id: str, now: int) -> LoginSession | None:
    """The session behind this cookie value if it has not expired; an expired one is
    deleted on the spot, so it can never come back."""
    row = db.get(LoginSession, hash_id(session_id))
    if row is None:
        return None
    if now >= row.idle_expires_at or now >= row.absolute_expires_at:
        db.delete(row)
        db.commit()
        return None
    return row


def touch(db: Session, row: LoginSession, now: int, lifetimes: Lifetimes) -> None:
    """Activity pushes the idle expiry forward, never past the absolute one."""
    row.last_seen_at = now
    row.idle_expires_at = min(now + lifetimes.idle_seconds, row.absolute_expires_at)
    db.commit()


def end(db: Session, row: LoginSession) -> None:
    db.delete(row)
    db.commit()


def end_all(db: Session, user_id: int) -> int:
    """Every session of the user, on every device; returns how many there were."""
    result = db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    db.commit()
    return result.rowcount
