"""Pure ASGI middleware: the request body limit, and rate-limit headers on every response.

Pure ASGI (not ``BaseHTTPMiddleware``) because the body limit has to sit between the
server and the application's ``receive``: it refuses a declared ``Content-Length`` that
is too large before reading anything, and counts the bytes of a chunked body as they
arrive, so a client that lies about (or omits) its length is cut off all the same.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from task_api.problems import PROBLEM_MEDIA_TYPE

# Where a dependency leaves the RateLimit-* headers for this middleware to add.
RATE_LIMIT_HEADERS_KEY = "rate_limit_headers"


class BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI re-raises it from body parsing instead of turning it
    # into "400 error parsing the body"; the problem handler then answers 413.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


async def send_problem(scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
        },
        separators=(",", ":"),
    ).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        # The unread body is still on the wire; the connection cannot be reused.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(scope, send, 400, "Bad Request", "Invalid Content-Length.")
                return
            if int(declared) > self.max_body_bytes:
                detail = f"The request body is larger than {self.max_body_bytes} bytes."
                await send_problem(scope, send, 413, "Content Too Large", detail)
                return

        received = 0
        limit = self.max_body_bytes

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


class RateLimitHeadersMiddleware:
    """Adds the RateLimit-* headers a dependency computed to the response, whatever it is.

    The rate-limit dependency runs inside the endpoint's dependency graph, but endpoints
    that return a ``Response`` themselves (304, ETag) would drop headers set on FastAPI's
    injected response; adding them here covers every response, errors included.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get(RATE_LIMIT_HEADERS_KEY)
                if extra:
                    headers = MutableHeaders(scope=message)
                    for name, value in extra.items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
