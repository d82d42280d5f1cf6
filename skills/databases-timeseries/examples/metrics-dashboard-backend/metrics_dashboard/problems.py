"""RFC 9457 problem details for every error the app can produce, and never a stack trace.

FastAPI's defaults answer `{"detail": ...}` as application/json, and a validation error
echoes the rejected `input` back, which for a login form is the password. These handlers
replace all of them with `application/problem+json` bodies that carry `type`, `title`,
`status`, `detail`, `instance` and, for 422, an `errors` list of `{loc, msg}` only.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_MEDIA_TYPE = "application/problem+json"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

logger = logging.getLogger(__name__)


# Python 3.11's HTTPStatus still uses the RFC 7231 names for these two.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}

# The OpenAPI schema of an error body, declared under the problem media type only.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def title_of(status: int) -> str:
    return TITLES.get(status) or HTTPStatus(status).phrase


def instance_of(path: str) -> str:
    """The request path as a URI reference: percent-encoded again, as it was on the wire."""
    return quote(path, safe="/")


def problem_body(
    status: int, detail: str, instance: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    # "about:blank" says: the status code is the whole story, the title is its phrase.
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title_of(status),
        "status": status,
        "detail": detail,
        "instance": instance_of(instance),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    instance: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, instance, errors),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: document its error statuses as problem details."""
    return {
        status: {
            "description": title_of(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else title_of(exc.status_code)
    # Keep the exception's headers (WWW-Authenticate on 401).
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(exc.status_code, detail, request.url.path, headers=headers)


def _allowed_methods(request: Request) -> str:
    # Starlette's own Allow lists only the first route whose path matched; RFC 9110 wants
    # every method the resource supports. Ask the router, method by method.
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: pydantic's `input` and `ctx` would echo the submitted password.
    errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
    return problem_response(
        422, "The request does not match the schema.", request.url.path, errors=errors
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # %r: a path can carry newlines, and a log line must not be forgeable.
    logger.exception("unhandled error on %s %r", request.method, request.url.path)
    return problem_response(500, "An unexpected error occurred.", request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # Exception goes to Starlette's ServerErrorMiddleware: it sends our body, then re-raises
    # so the server still logs the error.
    app.add_exception_handler(Exception, _unhandled)
