"""Opaque refresh tokens that rotate on every use, in families, with reuse detection.

Login starts a family (a LoginSession). Each refresh marks the presented token used and
hands out its successor. A token that was already used can only be presented again by
someone holding a copy: the legitimate client or a thief, and the server cannot tell which.
So the whole family is revoked, and both of them must log in again (OAuth 2.0 Security
BCP, RFC 9700 section 4.14.2).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from .db import LoginSession, RefreshToken

# A recognizable prefix lets secret scanners (and people) spot a leaked token.
TOKEN_PREFIX = "rt_"


class RefreshRejected(Exception):
    """Unknown, expired, revoked or reused; the reason is logged, never told to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Lifetimes:
    idle_seconds: int
    absolute_seconds: int


@dataclass(frozen=True)
class Issued:
    token: str
    session_id: str
    user_id: int
    expires_at: int  # when this token dies if unused (idle, capped by the absolute limit)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(session: Session, family: LoginSession, now: int, lifetimes: Lifetimes) -> Issued:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    idle_expires_at = min(now + lifetimes.idle_seconds, family.expires_at)
    session.add(
        RefreshToken(
            session_id=family.id,
            token_hash=token_hash(token),
            created_at=now,
            idle_expires_at=idle_expires_at,
        )
    )
    return Issued(token, family.id, family.user_id, idle_expires_at)


def start_family(session: Session, user_id: int, now: int, lifetimes: Lifetimes) -> Issued:
    family = LoginSession(
        id=secrets.token_hex(16),
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetimes.absolute_seconds,
    )
    session.add(family)
    session.flush()
    issued = _new_token(session, family, now, lifetimes)
    session.commit()
    return issued


def _revoke(session: Session, family: LoginSession, now: int, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = now
        family.revoked_reason = reason
    session.commit()


def rotate(session: Session, presented: str, now: int, lifetimes: Lifetimes) -> Issued:
    """Exchange a refresh token for its successor, or raise RefreshRejected."""
    # Looked up by hash: the index makes it one probe, and the timing of that probe says
    # nothing useful about the token (an attacker does not control the hash's prefix).
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(presented))
    )
    if row is None:
        raise RefreshRejected("unknown")
    family = row.login_session
    if family.revoked_at is not None:
        raise RefreshRejected("revoked")
    if row.used_at is not None:
        _revoke(session, family, now, "reuse")
        raise RefreshRejected("reuse")
    if now >= family.expires_at or now >= row.idle_expires_at:
        _revoke(session, family, now, "expired")
        raise RefreshRejected("expired")
    # Compare-and-set, not read-then-write: of two concurrent refreshes with one token,
    # exactly one UPDATE matches `used_at IS NULL`; the other is treated as reuse.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        _revoke(session, family, now, "reuse")
        raise RefreshRejected("reuse")
    family.last_used_at = now
    issued = _new_token(session, family, now, lifetimes)
    session.commit()
    return issued


def revoke_by_token(session: Session, presented: str, now: int) -> None:
    """Logout: end the family the token belongs to. Unknown tokens are ignored (RFC 7009)."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(presented))
    )
    if row is not None:
        _revoke(session, row.login_session, now, "logout")


def active_sessions(
    session: Session, user_id: int, now: int, *, after: tuple[int, str] | None, limit: int
) -> list[LoginSession]:
    """Up to `limit` of the user's live sessions, oldest first, after `(created_at, id)`."""
    query = select(LoginSession).where(
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > now,
    )
    if after is not None:
        created_at, session_id = after
        # id breaks ties between logins in the same second, so the order is total.
        query = query.where(
            or_(
                LoginSession.created_at > created_at,
                and_(LoginSession.created_at == created_at, LoginSession.id > session_id),
            )
        )
    return list(
        session.scalars(query.order_by(LoginSession.created_at, LoginSession.id).limit(limit))
    )


def revoke_session(session: Session, user_id: int, session_id: str, now: int) -> bool:
    """Revoke one of the user's own sessions; False if it is not theirs (or does not exist)."""
    family = session.scalar(
        select(LoginSession).where(LoginSession.id == session_id, LoginSession.user_id == user_id)
    )
    if family is None:
        return False
    _revoke(session, family, now, "logout")
    return True
