"""Keyset pagination with opaque, signed cursors: ``?limit=20&cursor=...``.

A page continues strictly after the last row of the previous one (``id > last id``), so
rows added or deleted meanwhile never shift a page and a deep page costs what the first
one costs. The cursor is opaque to clients and signed with HMAC-SHA256 under a key made at
start-up: a client cannot edit one to jump elsewhere, and a cursor only fits the query
(the caller and the filters) that produced it. Anything else is a 400 problem.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 200


class Pagination(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page"
    )
    has_more: bool = Field(description="Whether another page follows")


class CursorCodec:
    """Makes and reads cursors: {query fingerprint, last id}, signed."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    @staticmethod
    def fingerprint(query: dict[str, Any]) -> str:
        canonical = json.dumps(query, separators=(",", ":"), sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:16]

    def encode(self, query: dict[str, Any], last_id: int) -> str:
        body = json.dumps({"q": self.fingerprint(query), "after": last_id}).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def decode(self, cursor: str, query: dict[str, Any]) -> int:
        """The last id of the previous page; a 400 for a forged, edited or foreign cursor."""
        try:
            body_part, signature_part = cursor.split(".")
            body, signature = _unb64(body_part), _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise _invalid_cursor() from None
        if not hmac.compare_digest(signature, self._sign(body)):
            raise _invalid_cursor()
        payload = json.loads(body)  # signed by us, so it is our own JSON
        if payload["q"] != self.fingerprint(query):
            raise _invalid_cursor("The cursor belongs to another query; start from page one.")
        return int(payload["after"])

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()[:16]


def keyset_page(
    db: Session,
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    limit: int,
    after: int | None,
) -> tuple[Sequence[Any], bool]:
    """Up to ``limit`` rows of ``query`` with id > ``after``, in id order, and whether
    more follow."""
    if after is not None:
        query = query.where(id_column > after)
    # One row more than asked tells whether another page exists, without a COUNT.
    rows = db.scalars(query.order_by(id_column).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid_cursor(detail: str = "The cursor is malformed or was tampered with.") -> HTTPException:
    return HTTPException(400, detail)
