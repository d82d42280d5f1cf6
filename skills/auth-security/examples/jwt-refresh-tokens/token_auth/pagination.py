"""Keyset pagination with opaque, signed cursors: `?limit=&cursor=` and a `{data, pagination}`
envelope on every list.

Each page continues strictly after the last row of the previous one (by id, or by
`(created_at, id)`), so a row inserted or deleted meanwhile never shifts a page, and page
1000 costs what page 1 costs. The cursor is that position, signed with a per-process
HMAC key and bound to the listing that produced it (resource, user, filters): a client
cannot edit it to jump elsewhere or replay it on another query, and gets 400 if it tries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512

Row = TypeVar("Row")


class InvalidCursor(Exception):
    """Malformed, tampered with, from another listing or from before a restart: 400."""


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="`pagination.next_cursor` of the previous page; omit for the first",
        ),
    ] = None,
) -> PageRequest:
    """The query parameters of every list endpoint (a FastAPI dependency)."""
    return PageRequest(limit=limit, cursor=cursor)


class CursorCodec:
    """Encodes a keyset position as `base64url(json).base64url(hmac)`."""

    def __init__(self, key: bytes | None = None) -> None:
        # Per process, like the signing keys: a restart turns old cursors into a 400 and the
        # client starts the listing again.
        self.key = key or secrets.token_bytes(32)

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()[:16]

    def encode(self, listing: str, after: Sequence[Any]) -> str:
        body = json.dumps({"l": listing, "a": list(after)}, separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def decode(self, cursor: str, listing: str, types: tuple[type, ...]) -> tuple[Any, ...]:
        """The position inside `cursor`, whose values must have `types`; else InvalidCursor."""
        try:
            body_part, signature_part = cursor.split(".")
            body, signature = _unb64(body_part), _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise InvalidCursor("malformed") from None
        if not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidCursor("bad signature")
        payload = json.loads(body)  # signed by us, so it is our own JSON
        if payload.get("l") != listing:
            raise InvalidCursor("from another listing")
        after = payload.get("a")
        if not (
            isinstance(after, list)
            and len(after) == len(types)
            and all(
                isinstance(value, kind) and not isinstance(value, bool)
                for value, kind in zip(after, types, strict=True)
            )
        ):
            raise InvalidCursor("wrong shape")
        return tuple(after)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    # validate=True: characters outside the alphabet are an error, not silently dropped.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def listing_key(resource: str, user_id: int, **filters: Any) -> str:
    """Names one listing; a cursor only continues the listing it came from."""
    text = json.dumps({"r": resource, "u": user_id, "f": filters}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    next_cursor: str | None

    def pagination(self) -> dict[str, Any]:
        """The envelope's `pagination` member; `data` is the rows, in the route's schema."""
        return {"next_cursor": self.next_cursor, "has_more": self.next_cursor is not None}


def page_of(
    rows: list[Row],
    limit: int,
    *,
    position: Callable[[Row], Sequence[Any]],
    codec: CursorCodec,
    listing: str,
) -> Page[Row]:
    """`rows` were fetched with LIMIT limit + 1: the extra row only says another page exists."""
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, codec.encode(listing, position(rows[-1])))
