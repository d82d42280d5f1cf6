"""Refuse request bodies over a size limit with a 413 problem, before anything parses them.

Checking Content-Length is not enough: a chunked request has none, and a client can lie.
So a declared length over the limit is answered at once, and any other body is counted as
the app reads it, stopping at the first byte over the limit.

Answering while the client is still uploading needs care. If the server closes the
connection with unread bytes in its socket buffer, the kernel sends a TCP reset, and the
client may see "connection reset" instead of the 413. So a declared body that is only a
little too large (up to twice the limit, at most 1 MiB) is read and dropped first; the 413
then goes out on a connection the client can keep using. A larger one is not worth reading:
the 413 says ``Connection: close`` and the client may see the reset.

The course keeps this file the same in every API example; change it there (see
``backend-skills sync-examples``), not in one copy.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_DRAIN_BYTES = 1024 * 1024


def too_large_detail(limit: int) -> str:
    return f"The request body exceeds {limit} bytes."


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: an HTTPException, so FastAPI re-raises it from body parsing
    (instead of "400 error parsing the body") and the app's problem handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_drain_bytes = min(2 * max_body_bytes, MAX_DRAIN_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        # (A Content-Length that is not a number never gets here over HTTP: the server
        # answers 400 itself. In process, the counting below still holds the limit.)
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            # With "Expect: 100-continue" the client waits for a go-ahead before sending the
            # body, and reading would give it one: answer without reading.
            drain = int(declared) <= self.max_drain_bytes and "expect" not in headers
            if drain:
                await _drain(receive, self.max_drain_bytes)
            await _send_413(scope, send, self.max_body_bytes, close=not drain)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Normally the app's handler has already answered; this covers code that read
            # the body outside a route (and so outside the exception handlers).
            if response_started:
                raise
            # The server drops the unread rest of the body itself once the response is
            # complete, so the connection stays usable, as after the handler's 413.
            await _send_413(scope, send, self.max_body_bytes, close=False)


async def _drain(receive: Receive, max_bytes: int) -> None:
    """Read the body and drop it, ``max_bytes`` at the most."""
    read = 0
    while read <= max_bytes:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: the client gave up
            return
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _send_413(scope: Scope, send: Send, limit: int, *, close: bool) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": too_large_detail(limit),
            # The path as a URI reference: percent-encoded again, as it was on the wire.
            "instance": quote(scope["path"], safe="/"),
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        # The rest of the body is still on the wire: this connection cannot carry another
        # request.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
