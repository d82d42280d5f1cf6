"""Keyset pagination: `?limit=&cursor=`, answered with `{data, pagination}`.

The cursor is the last id of the previous page, base64url-encoded so clients treat it as
opaque. It needs no signature here: the owner is in every query's WHERE clause, so an
edited cursor can only skip through the caller's own notes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from fastapi import Query

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=64, description="`pagination.next_cursor` of the previous page"),
]


class InvalidCursor(Exception):
    """Not a cursor this API produced: 400."""


def encode(after_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after_id}).encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise InvalidCursor from None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise InvalidCursor
    return after
