"""Register, authenticate and change passwords: the rules, apart from HTTP."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import User
from .passwords import PasswordService


class AlreadyRegistered(Exception):
    """The username belongs to someone else."""


def register(
    db: Session, passwords: PasswordService, now: int, *, username: str, password: str
) -> User:
    user = User(username=username, password_hash=passwords.hash(password), created_at=now)
    db.add(user)
    try:
        # The UNIQUE constraint decides: two concurrent sign-ups cannot both pass it.
        db.commit()
    except IntegrityError as error:
        db.rollback()
        raise AlreadyRegistered from error
    return user


def authenticate(
    db: Session, passwords: PasswordService, username: str, password: str
) -> User | None:
    """The user if the password is right; None for a wrong password AND for an unknown user
    (the password service spends the same argon2 run on both)."""
    user = db.scalar(select(User).where(User.username == username))
    result = passwords.verify(user.password_hash if user else None, password)
    if not result.ok or user is None:
        return None
    if result.upgraded_hash is not None:
        user.password_hash = result.upgraded_hash
        db.commit()
    return user


def change_password(db: Session, passwords: PasswordService, user: User, new_password: str) -> None:
    user.password_hash = passwords.hash(new_password)
    db.commit()
