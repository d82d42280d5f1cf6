"""Notes, always read and written through their owner: another user's note does not exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Note


def create(db: Session, owner_id: int, title: str, body: str, now: int) -> Note:
    note = Note(owner_id=owner_id, title=title, body=body, created_at=now, updated_at=now)
    db.add(note)
    db.commit()
    return note


def get(db: Session, owner_id: int, note_id: int) -> Note | None:
    # owner_id in the WHERE clause, not a check after loading: one query, no way to forget it.
    return db.scalar(select(Note).where(Note.id == note_id, Note.owner_id == owner_id))


def search(
    db: Session, owner_id: int, contains: str | None, *, after_id: int | None, limit: int
) -> list[Note]:
    """Up to `limit` of the owner's notes in id order, starting after `after_id` (keyset)."""
    query = select(Note).where(Note.owner_id == owner_id)
    if contains:
        # autoescape: a search for "%" finds a literal percent sign, not every note.
        query = query.where(Note.title.contains(contains, autoescape=True))
    if after_id is not None:
        query = query.where(Note.id > after_id)
    return list(db.scalars(query.order_by(Note.id).limit(limit)))


def update(db: Session, note: Note, changes: dict[str, str], now: int) -> Note:
    for name, value in changes.items():
        setattr(note, name, value)
    note.updated_at = now
    db.commit()
    return note


def delete(db: Session, note: Note) -> None:
    db.delete(note)
    db.commit()
