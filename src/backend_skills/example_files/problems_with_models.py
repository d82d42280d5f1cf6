"""RFC 9457 problem details for every error the app returns, and nothing else.

FastAPI's defaults answer errors with ``{"detail": ...}`` and, for an unhandled exception,
a plain-text 500. These handlers replace both, so a client parses one error shape and no
response ever carries a stack trace. The OpenAPI document says so too: operations declare
their errors with groups of ``problem_doc`` entries (the shared ones below, the example's
own in ``error_docs.py``), filed under ``application/problem+json``.

The course keeps this file the same in the examples that document errors with these
models; change it there (see ``backend-skills sync-examples``), not in one copy.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(
        exc.status_code, detail, instance=request.url.path, headers=dict(exc.headers or {})
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: pydantic's "input" member would echo the rejected value back.
    errors = [
        {"loc": [str(part) for part in error["loc"]], "msg": error["msg"]} for error in exc.errors()
    ]
    return problem_response(
        422,
        "The request does not match the schema; see errors.",
        title="Validation failed",
        instance=request.url.path,
        errors=errors,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log, never to the client.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "The server hit an unexpected error.", instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)


# --- the same, declared in OpenAPI ---------------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")  # extension members, e.g. RFC 6749 `error`

    type: str = Field("about:blank", description="URI reference identifying the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong this time")
    instance: str | None = Field(None, description="The request path")


class FieldError(BaseModel):
    loc: list[str] = Field(description='Where: e.g. ["body", "title"] or ["query", "limit"]')
    msg: str


class ValidationProblem(Problem):
    """A 422 problem: ``errors`` lists every invalid field."""

    errors: list[FieldError]


def problem_doc(description: str, model: type[Problem] = Problem) -> dict[str, Any]:
    """One entry of an operation's ``responses=``: a status's problem, described."""
    return {"model": model, "description": description}


# The groups every example of this kind declares; each example adds its own in error_docs.py.
BAD_CURSOR = {400: problem_doc("The cursor is malformed, tampered with or from another query")}
TOO_LARGE = {413: problem_doc("The request body is larger than the limit")}
INVALID = {422: problem_doc("Invalid parameters or body; see `errors`", ValidationProblem)}


def error_responses(*groups: dict[int, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    merged: dict[int | str, dict[str, Any]] = {}
    for group in groups:
        merged.update(group)
    return merged


def install_problem_openapi(app: FastAPI) -> None:
    """File declared error bodies under application/problem+json, the type they are sent as.

    FastAPI files every response model under the route's media type (application/json, or
    text/html for a page); one pass over the generated document moves the 4xx/5xx ones, so
    clients and tools check error bodies against the Problem models.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()  # also caches it in app.openapi_schema
            for path_item in document.get("paths", {}).values():
                for operation in path_item.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content")
                        if status[0] in "45" and content and PROBLEM_MEDIA_TYPE not in content:
                            (body,) = content.values()  # the one model declared for it
                            response["content"] = {PROBLEM_MEDIA_TYPE: body}
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
