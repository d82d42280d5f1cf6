"""User accounts with Argon2id password hashes (the simulated login of the AS)."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import User

# Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane): about 0.1 s a hash on a small
# VM. argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) cost five times that; raise the
# cost as far as your login latency budget allows.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(uuid.uuid4().hex)


def create_user(session: Session, username: str, password: str, display_name: str) -> User:
    user = User(
        subject=str(uuid.uuid4()),
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except VerificationError:
        return None
    return user
