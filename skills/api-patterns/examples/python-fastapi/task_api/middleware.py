"""Pure ASGI middleware: rate-limit headers on every response.

(The request body limit is ``task_api.body_limit``, a file the course keeps the same in
every API example.)
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where a dependency leaves the RateLimit-* headers for this middleware to add.
RATE_LIMIT_HEADERS_KEY = "rate_limit_headers"


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
