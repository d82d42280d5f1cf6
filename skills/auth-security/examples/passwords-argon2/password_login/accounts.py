"""Register and authenticate users: the rules, apart from HTTP."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import User
from .passwords import PasswordService


class AlreadyRegistered(Exception):
    """The username or the email belongs to someone else."""


def register(
    session: Session,
    passwords: PasswordService,
    now: int,
    *,
    username: str,
    email: str,
    password: str,
    display_name: str | None = None,
) -> User:
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        password_hash=passwords.hash(password),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        # The UNIQUE constraints decide, not a SELECT first: two concurrent sign-ups for one
        # name cannot both pass a check that runs before either inserts.
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise AlreadyRegistered from error
    return user


def authenticate(
    session: Session, passwords: PasswordService, now: int, username: str, password: str
) -> User | None:
    """The user if the password is right; None for a wrong password AND for an unknown user."""
    user = session.scalar(select(User).where(User.username == username))
    result = passwords.verify(user.password_hash if user else None, password)
    if not result.ok or user is None:
        return None
    if result.upgraded_hash is not None:
        # The only moment the plain password is at hand: upgrade old parameters now.
        user.password_hash = result.upgraded_hash
        user.updated_at = now
        session.commit()
    return user


def update_profile(session: Session, user: User, now: int, changes: dict[str, str | None]) -> User:
    """Apply the fields the client sent; a None it sent clears that (nullable) column."""
    for name, value in changes.items():
        setattr(user, name, value)
    user.updated_at = now
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise AlreadyRegistered from error
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))
