"""User accounts: sign-up and password login, shared by the routes and by seeding."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from task_api.models import User
from task_api.security import PasswordCheck


class UsernameTaken(Exception):
    pass


def create_user(session: Session, passwords: PasswordCheck, username: str, password: str) -> User:
    user = User(username=username, password_hash=passwords.hash(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        # The UNIQUE constraint decides, not a check-then-insert that two requests can race.
        session.rollback()
        raise UsernameTaken(username) from None
    return user


def authenticate(
    session: Session, passwords: PasswordCheck, username: str, password: str
) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    # verify() runs (against a dummy hash) even for an unknown user: equal timing.
    ok = passwords.verify(user.password_hash if user else None, password)
    return user if ok else None
