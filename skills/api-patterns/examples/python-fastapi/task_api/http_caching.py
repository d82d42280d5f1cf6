"""ETags, conditional requests (RFC 9110 section 13) and Cache-Control.

The ETag is a hash of the exact bytes of the JSON representation, so it changes whenever
anything a client can see changes, and /v1 and /v2 representations of one task have
different ETags (they are different representations). ``If-None-Match`` turns a repeat
GET into a body-less 304; ``If-Match`` on PUT and DELETE makes "update what I read" safe
(optimistic concurrency): if someone changed the resource since, the answer is 412.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from task_api.problems import ProblemError

# Per-user data: shared caches must not store it, and a browser must revalidate each
# time (cheap with If-None-Match).
PRIVATE_REVALIDATE = "private, no-cache"
JSON = "application/json"

IfNoneMatch = Annotated[
    str | None,
    Header(max_length=1024, description="ETag(s) you hold; a match returns 304 without a body"),
]
IfMatch = Annotated[
    str | None,
    Header(max_length=1024, description="ETag you read; a mismatch returns 412 (lost update)"),
]


def representation(model: BaseModel) -> bytes:
    """The bytes sent for ``model``; ETags are computed over exactly these."""
    return model.model_dump_json().encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _listed_etags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def _weakly_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def conditional_get(
    body: bytes, if_none_match: str | None, headers: dict[str, str] | None = None
) -> Response:
    """200 with the body and its ETag, or 304 if the client already has this version."""
    etag = etag_of(body)
    all_headers = {
        "ETag": etag,
        "Cache-Control": PRIVATE_REVALIDATE,
        "Vary": "Authorization",
        **(headers or {}),
    }
    if if_none_match is not None:
        tags = _listed_etags(if_none_match)
        # If-None-Match uses the weak comparison (RFC 9110 13.1.2).
        if "*" in tags or any(_weakly_equal(tag, etag) for tag in tags):
            return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=JSON, headers=all_headers)


def require_match(if_match: str | None, current: bytes) -> None:
    """Raise 412 unless If-Match is absent, ``*``, or lists the current ETag (strongly)."""
    if if_match is None:
        return
    tags = _listed_etags(if_match)
    etag = etag_of(current)
    # If-Match uses the strong comparison: a weak tag never matches (RFC 9110 13.1.1).
    if "*" in tags or etag in tags:
        return
    raise lost_update()


def lost_update() -> ProblemError:
    return ProblemError(
        412,
        "The resource changed since you read it: GET it again, reapply your change, "
        "and send the new ETag in If-Match.",
        type_="precondition-failed",
        title="Precondition failed",
    )
