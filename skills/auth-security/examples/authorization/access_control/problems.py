"""RFC 9457 problem details for every error the API can answer with.

One shape for all errors (``type``, ``title``, ``status``, ``detail``, ``instance``, plus
``errors`` for validation failures), served as ``application/problem+json``. Validation
errors list ``loc`` and ``msg`` but never echo the rejected input: it may be a password.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A non-resolvable, clearly example base for this API's problem types (RFC 9457 section 3.1.1
# allows type URIs that do not resolve; "about:blank" means "just the HTTP status").
PROBLEM_TYPE_BASE = "https://access-control.example/problems/"

# RFC 9110 renamed two reason phrases; Python 3.11's HTTPStatus still has the old ones.
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}

logger = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str,
    problem_type: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem_type if problem_type else "about:blank",
        "title": TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


class Problem(Exception):
    """Raised by endpoints and dependencies; rendered by the handler below."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        problem_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problem_type = problem_type
        self.headers = headers


def not_found(kind: str) -> Problem:
    # The same answer for "does not exist", "is in another organization" and "is not
    # shared with you": a 403 there would confirm that the id exists.
    return Problem(404, f"No {kind} with this id is visible to you.", problem_type="not-found")


def forbidden(detail: str) -> Problem:
    return Problem(403, detail, problem_type="forbidden")


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> ProblemResponse:
        return problem_response(
            exc.status,
            exc.detail,
            instance=request.url.path,
            problem_type=exc.problem_type,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        # Unknown routes (404), wrong methods (405, keeps its Allow header), 413 from the
        # body limit, and anything FastAPI or Starlette raise themselves.
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(
            exc.status_code, detail, instance=request.url.path, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = [
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        return problem_response(
            422,
            "The request has invalid or unknown fields; see errors.",
            instance=request.url.path,
            problem_type="validation-error",
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> ProblemResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "An unexpected error occurred; it has been logged.", instance=request.url.path
        )
