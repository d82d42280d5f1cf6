"""RFC 9457 problem details: one error shape for every failure, never a stack trace.

Everything that goes wrong ends in ``problem_response``: ``ProblemError`` raised by our
code, Starlette's HTTP errors (unknown route 404, wrong method 405), FastAPI's request
validation (422, with an ``errors`` list a form can map back to its fields) and any
unexpected exception (500, logged server-side, a generic body client-side).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Problem types this API defines; plain HTTP failures use "about:blank" (RFC 9457 4.2.1).
PROBLEM_BASE = "https://task-api.example/problems/"

logger = logging.getLogger("task_api")

# RFC 9110 renamed these two; Python's http.HTTPStatus still has the RFC 7231 phrases.
_RFC_9110_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def status_title(status: int) -> str:
    return _RFC_9110_TITLES.get(status) or HTTPStatus(status).phrase


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="URI reference that identifies the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="The HTTP status code", ge=100, le=599)
    detail: str | None = Field(None, description="Explanation of this occurrence")
    instance: str | None = Field(None, description="URI reference of this occurrence")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where the error is, e.g. ["body", "title"]')
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422 problem: ``errors`` lists every invalid field."""

    errors: list[FieldError]


class ProblemError(Exception):
    """Raise to answer with a problem; ``extra`` adds extension members."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.type = type_ if type_ == "about:blank" else PROBLEM_BASE + type_
        self.title = title or status_title(status)
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    request: Request,
    status: int,
    *,
    detail: str | None = None,
    type_: str = "about:blank",
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or status_title(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    # Absent rather than null: RFC 9457 members are optional, not nullable.
    body = {name: value for name, value in body.items() if value is not None}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        detail=exc.detail,
        type_=exc.type,
        title=exc.title,
        headers=exc.headers,
        **exc.extra,
    )


_OPENAPI_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def allowed_methods(request: Request) -> str:
    """Every method the API documents for this path (RFC 9110 15.5.6: Allow on a 405).

    The router's own 405 names only the methods of the first route that matched the
    path, but each method of /v1/tasks/{task_id} is a route of its own; the OpenAPI
    document has them all.
    """
    methods: set[str] = set()
    for template, path_item in request.app.openapi()["paths"].items():
        pattern, _, _ = compile_path(template)
        if pattern.match(request.url.path):
            methods |= {method.upper() for method in path_item if method in _OPENAPI_METHODS}
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(request, exc.status_code, detail=detail, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only loc, msg and type: pydantic's "input" and "ctx" may echo secrets (a password)
    # or objects that do not serialise.
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem_response(
        request,
        422,
        detail=f"{len(errors)} invalid field(s)",
        type_=PROBLEM_BASE + "validation-error",
        title="Your request is not valid",
        errors=errors,
    )


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log; the client learns only that it failed.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, detail="The server could not complete the request.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected_error)


def _problem(description: str, model: type[Problem] = Problem) -> dict[str, Any]:
    return {"model": model, "description": description}


# The error responses operations declare in OpenAPI. FastAPI files each model under
# application/json; ``openapi.py`` moves error bodies to application/problem+json.
BAD_REQUEST = {400: _problem("Malformed request: unparsable body, tampered cursor, ...")}
UNAUTHORIZED = {
    401: {
        **_problem("Missing, malformed, expired or forged access token"),
        "headers": {
            "WWW-Authenticate": {
                "description": "Bearer challenge (RFC 6750)",
                "schema": {"type": "string"},
            }
        },
    }
}
NOT_FOUND = {404: _problem("No such resource, or it belongs to another user")}
CONFLICT = {409: _problem("The request conflicts with the current state")}
PRECONDITION_FAILED = {412: _problem("If-Match does not match the current ETag")}
TOO_LARGE = {413: _problem("The request body is larger than the limit")}
UNSUPPORTED_MEDIA_TYPE = {415: _problem("The request body has the wrong Content-Type")}
INVALID = {422: _problem("Invalid parameters or body; see `errors`", ValidationProblem)}
RATE_LIMITED = {
    429: {
        **_problem("Too many requests; retry after Retry-After seconds"),
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
        },
    }
}
SERVER_ERROR = {500: _problem("Unexpected server error (details are logged, not returned)")}


def error_responses(*groups: dict[int, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``groups`` plus what any operation can answer: 400, 429 and 500."""
    merged: dict[int | str, dict[str, Any]] = {}
    for group in (BAD_REQUEST, *groups, RATE_LIMITED, SERVER_ERROR):
        merged.update(group)
    return merged
