"""Reject request bodies over a byte limit before they are read into memory.

Two checks, because a client controls both: a declared ``Content-Length`` over the
limit is refused at once (the app never runs), and a body without one (chunked transfer
encoding) or one that lies about its length is counted as it streams in and refused as
soon as the count passes the limit.

Starlette 1.x also ships ``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``),
which answers in plain text; this one answers in problem details like the rest of the API.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access_control.problems import problem_response

TOO_LARGE = "The request body is larger than the {limit} bytes this API accepts."


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = TOO_LARGE.format(limit=self.max_body_bytes)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            response = problem_response(413, detail, instance=scope["path"])
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Raised inside the endpoint's body read; FastAPI passes HTTPExceptions
                    # through, and the problem handler renders the 413.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)
