"""Cursor (keyset) and offset pagination over any SQLAlchemy select, with whitelisted sorts.

Cursor mode (``?limit=20&cursor=...``) is the default: each page continues strictly after
the last row of the previous one by ``(sort value, id)``, so rows inserted or deleted
meanwhile never shift a page (no duplicates, no gaps), and page 1000 costs what page 1
costs. The cursor is opaque and signed: a client cannot forge one to jump elsewhere,
and a cursor only fits the query (sort and filters) that produced it.

Offset mode (``?page=3&per_page=20``) is for admin tables that show page numbers and a
total; it counts the rows and skips ``(page - 1) * per_page`` of them, which gets slower
with depth and shifts when rows are inserted, so ``page`` is capped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from task_api.problems import ProblemError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_PAGE = 1000


@dataclass(frozen=True)
class SortField:
    """A column clients may sort by, and how its values travel inside a cursor."""

    column: InstrumentedAttribute[Any]
    to_cursor: Callable[[Any], Any] = lambda value: value
    from_cursor: Callable[[Any], Any] = lambda value: value


def datetime_sort(column: InstrumentedAttribute[Any]) -> SortField:
    return SortField(column, datetime.isoformat, datetime.fromisoformat)


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None
    page: int | None
    per_page: int | None

    @property
    def is_offset(self) -> bool:
        return self.page is not None or self.per_page is not None


def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Cursor mode: items per page")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="Cursor mode: `pagination.next_cursor` of the previous page",
        ),
    ] = None,
    page: Annotated[
        int | None, Query(ge=1, le=MAX_PAGE, description="Offset mode: page number (from 1)")
    ] = None,
    per_page: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Offset mode: items per page")
    ] = None,
) -> PageRequest:
    """Query parameters of every list endpoint (a FastAPI dependency)."""
    if cursor is not None and (page is not None or per_page is not None):
        raise ProblemError(
            400, "Use either cursor (with limit) or page/per_page, not both.", type_="bad-paging"
        )
    return PageRequest(limit=limit, cursor=cursor, page=page, per_page=per_page)


@dataclass(frozen=True)
class PageResult:
    rows: list[Any]
    next_cursor: str | None
    has_more: bool
    page: int | None = None
    per_page: int | None = None
    total: int | None = None

    def pagination(self) -> dict[str, Any]:
        info: dict[str, Any] = {"next_cursor": self.next_cursor, "has_more": self.has_more}
        if self.page is not None:
            info.update(page=self.page, per_page=self.per_page, total=self.total)
        return info


class CursorCodec:
    """Signs cursors with HMAC-SHA256 so they cannot be forged or edited."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def encode(self, payload: dict[str, Any]) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        signature = hmac.new(self.key, body, hashlib.sha256).digest()[:16]
        return f"{_b64(body)}.{_b64(signature)}"

    def decode(self, cursor: str) -> dict[str, Any]:
        try:
            body_part, signature_part = cursor.split(".")
            body, signature = _unb64(body_part), _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise _invalid_cursor() from None
        expected = hmac.new(self.key, body, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(signature, expected):
            raise _invalid_cursor()
        try:
            payload = json.loads(body)
        except ValueError:
            raise _invalid_cursor() from None
        if not isinstance(payload, dict):
            raise _invalid_cursor()
        return payload


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid_cursor(detail: str = "The cursor is malformed or was tampered with.") -> ProblemError:
    return ProblemError(400, detail, type_="invalid-cursor", title="Invalid cursor")


def query_fingerprint(sort: str, filters: dict[str, Any]) -> str:
    text = json.dumps({"sort": sort, "filters": filters}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    id_column: InstrumentedAttribute[Any],
    sort_fields: dict[str, SortField],
    sort: str,
    filters: dict[str, Any],
    request: PageRequest,
    codec: CursorCodec,
) -> PageResult:
    """One page of ``statement`` (already filtered by owner and filters), sorted by ``sort``."""
    descending = sort.startswith("-")
    field = sort_fields[sort.removeprefix("-")]
    column = field.column
    # id breaks ties, so the order is total and a cursor position is unambiguous.
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())

    if request.is_offset:
        page, per_page = request.page or 1, request.per_page or DEFAULT_LIMIT
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = list(
            session.scalars(
                statement.order_by(*order).offset((page - 1) * per_page).limit(per_page)
            )
        )
        return PageResult(rows, None, page * per_page < total, page, per_page, total)

    fingerprint = query_fingerprint(sort, filters)
    if request.cursor is not None:
        payload = codec.decode(request.cursor)
        if payload.get("q") != fingerprint:
            raise _invalid_cursor("The cursor belongs to a query with other sort or filters.")
        try:
            last_value, last_id = payload["after"]
            position = (field.from_cursor(last_value), int(last_id))
        except (KeyError, TypeError, ValueError):
            raise _invalid_cursor() from None
        value, row_id = position
        # Spelled out rather than a row-value comparison, so that each value is bound
        # with its column's type (the UTC datetime conversion included).
        if descending:
            after_last = or_(column < value, and_(column == value, id_column < row_id))
        else:
            after_last = or_(column > value, and_(column == value, id_column > row_id))
        statement = statement.where(after_last)

    rows = list(session.scalars(statement.order_by(*order).limit(request.limit + 1)))
    has_more = len(rows) > request.limit
    rows = rows[: request.limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        after = [field.to_cursor(getattr(last, column.key)), getattr(last, id_column.key)]
        next_cursor = codec.encode({"q": fingerprint, "after": after})
    return PageResult(rows, next_cursor, has_more)
