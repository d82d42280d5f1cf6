"""Cross-site request forgery defences: an Origin check on every unsafe request (this
middleware) and a synchronizer token per session (`token_matches`, used by the routes).

A browser attaches cookies to a request whatever page started it, so a cookie alone never
proves the user meant the request. Two independent checks:

1. Where the request came from. Browsers set `Origin` on every cross-origin request and on
   same-origin POST/PUT/PATCH/DELETE, and pages cannot forge it. Older or privacy-tuned
   browsers that drop it still send `Sec-Fetch-Site` (Fetch Metadata). A request carrying the
   session cookie with neither header is refused: it cannot be shown to come from our page.
   A request with no cookie and neither header (curl, a server) carries no ambient
   authority to abuse, so it passes on to the route's own checks.
2. What the page knows. Unsafe requests of a signed-in user must echo the session's CSRF
   token in `X-CSRF-Token`. A cross-site page cannot read it (no CORS here), and sending a
   custom header cross-site needs a CORS preflight this app never grants.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import problem_response

# RFC 9110 section 9.2.1. Anything else, including methods nobody has heard of, is unsafe.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def cross_site_reason(headers: Headers, allowed_origin: str, session_cookie: str) -> str | None:
    """Why an unsafe request must be refused, or None if it may proceed."""
    origin = headers.get("origin")
    if origin is not None:
        # Exact match: scheme, host and port. "null" (sandboxed frames, some redirects) and
        # look-alikes such as https://localhost:8000.evil.example are refused.
        return None if origin == allowed_origin else "The request comes from another origin."
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        # same-site is not enough: a sibling subdomain is another application.
        return None if fetch_site == "same-origin" else "The request comes from another site."
    if session_cookie in cookie_parser(headers.get("cookie", "")):
        return "A signed-in request must carry Origin or Sec-Fetch-Site."
    return None


class OriginCheckMiddleware:
    """Refuses cross-site unsafe requests with a 403 before any route (or body) runs, so a
    route added later is covered without anyone remembering to."""

    def __init__(self, app: ASGIApp, allowed_origin: str, session_cookie: str) -> None:
        self.app = app
        self.allowed_origin = allowed_origin
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            reason = cross_site_reason(
                Headers(scope=scope), self.allowed_origin, self.session_cookie
            )
            if reason is not None:
                response = problem_response(403, reason, scope["path"])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def token_matches(presented: str | None, expected: str) -> bool:
    # Constant time, on bytes: compare_digest refuses non-ASCII str, and a header is
    # attacker-controlled text.
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())
