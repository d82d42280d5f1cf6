"""Keyset pagination with opaque cursors, shared by every list the API serves.

A list is a query with its WHERE clauses already fixed (the tenant, the ReBAC grants, a
search) plus one whitelisted :class:`Ordering`. :func:`keyset_page` adds only "after the
last row seen" and ``LIMIT``, so it pages over exactly the rows the filters let through:
pages are full, ``total`` counts the same rows, and no row outside them is ever fetched.

The cursor is ``base64url(JSON)`` of the ordering's name and the last row's key and id.
It is not signed: editing it only moves the starting point within rows the caller may see
anyway. A cursor that does not decode, or was made under another ordering (another sort,
or another list), is refused with :class:`InvalidCursor` (the API answers 422).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from access_control.models import Document, Folder, User, UTCDateTime

# The tables the API lists; each has an integer primary key ``id``, the tie-breaker.
Row = TypeVar("Row", Document, Folder, User)
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Ordering:
    """One order a list can be read in: a text or timestamp column, then ``id``.

    ``name`` goes into the cursor and must be unique across the API, so that a cursor
    continues only the list and order that issued it.
    """

    name: str
    column: InstrumentedAttribute[Any]
    descending: bool = False

    def key_of(self, row: Row) -> str:
        value = getattr(row, self.column.key)
        return value.isoformat() if isinstance(value, datetime) else value

    def parse_key(self, key: str) -> Any:
        if not isinstance(self.column.type, UTCDateTime):
            return key
        moment = datetime.fromisoformat(key)
        if moment.tzinfo is None:  # UTCDateTime would refuse it when binding: a 500
            raise ValueError("a naive timestamp in a cursor")
        return moment


@dataclass(frozen=True)
class Page(Generic[Row]):
    items: list[Row]
    total: int
    next_cursor: str | None
    has_more: bool


def encode_cursor(ordering: Ordering, row: Row) -> str:
    raw = json.dumps({"sort": ordering.name, "key": ordering.key_of(row), "id": row.id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: Ordering) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key, last_id = data["key"], data["id"]
        if data["sort"] != ordering.name:
            raise InvalidCursor("the cursor belongs to another list or sort order")
        # bool is an int in Python; an id beyond SQLite's 64-bit INTEGER would fail to bind.
        if not isinstance(key, str) or type(last_id) is not int or not 0 < last_id <= MAX_ID:
            raise InvalidCursor("the cursor is not one this API issued")
        return ordering.parse_key(key), last_id
    except InvalidCursor:
        raise
    # ValueError covers bad base64 (binascii.Error), bytes that are not UTF-8 or not JSON,
    # and a bad timestamp; KeyError and TypeError a JSON value of the wrong shape.
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("the cursor is not one this API issued") from exc


def keyset_page(
    session: Session,
    entity: type[Row],
    filters: Sequence[ColumnElement[bool]],
    ordering: Ordering,
    *,
    limit: int,
    cursor: str | None,
) -> Page[Row]:
    """One page of ``entity`` rows matching ``filters``, after ``cursor``, in ``ordering``."""
    total = session.scalar(select(func.count()).select_from(entity).where(*filters)) or 0
    column, row_id = ordering.column, entity.id
    query = select(entity).where(*filters)
    if cursor is not None:
        key, last_id = decode_cursor(cursor, ordering)
        # Rows strictly after the last one seen, in (column, id) order; id breaks ties so
        # equal titles, names or timestamps are neither skipped nor repeated.
        if ordering.descending:
            query = query.where(or_(column < key, and_(column == key, row_id < last_id)))
        else:
            query = query.where(or_(column > key, and_(column == key, row_id > last_id)))
    order = (column.desc(), row_id.desc()) if ordering.descending else (column.asc(), row_id.asc())
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    has_more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(ordering, items[-1]) if has_more else None
    return Page(items, total, next_cursor, has_more)
