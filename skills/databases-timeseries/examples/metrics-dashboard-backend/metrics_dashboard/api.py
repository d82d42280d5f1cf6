"""The HTTP API: ingest batches of points, query a series for a chart, list series.

Routes:

- ``POST /metrics``: a batch of points, validated, written in one INSERT, idempotent on
  (series, ts); by default the rollups are refreshed in the same transaction.
- ``POST /rollups/refresh``: refresh the rollups now (for a deployment that turns
  ``refresh_on_ingest`` off and refreshes on a schedule instead).
- ``GET /query?series=&start=&end=&granularity=&max_points=``: parallel arrays for a chart.
- ``GET /series?name=&limit=&cursor=``: the series known, a page at a time.
- ``GET /health``: liveness.

Every error is an RFC 9457 problem (``application/problem+json``). A 422's ``detail``
names the first offending parameter, ``end: must be later than start ...``, and ``errors``
lists each as ``{loc, msg}`` without echoing the input.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .body_limit import BodySizeLimitMiddleware
from .problems import install_problem_handlers, problem_response, problem_responses
from .query import answer
from .schemas import (
    IngestRequest,
    IngestResult,
    QueryParams,
    QueryResult,
    RefreshResult,
    SeriesInfo,
    SeriesPage,
    SeriesParams,
)
from .store import InputRejected, MetricsStore, UnknownSeries


@dataclass(frozen=True)
class Settings:
    db_path: str | Path = "metrics.duckdb"
    # A full batch (10,000 points) of typical size is about 1 MB of JSON.
    max_body_bytes: int = 2 * 1024 * 1024
    # Refresh the rollups inside each ingest: queries never see stale rollups, and an
    # ingest pays for the buckets it touched. Off: call POST /rollups/refresh on a timer.
    refresh_on_ingest: bool = True
    max_series: int = 10_000
    # Rows one query may read before downsampling (raw points of a long range, asked for).
    max_source_points: int = 2_000_000


router = APIRouter()


def create_app(settings: Settings | None = None, *, store: MetricsStore | None = None) -> FastAPI:
    """The app on SETTINGS.db_path, or on STORE when given (the caller then closes it)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if store is None:
            app.state.store.close()

    app = FastAPI(
        title="metrics-dashboard",
        version="1.0.0",
        summary="Ingest metric points into DuckDB, keep 1-minute and 1-hour rollups current, "
        "answer chart queries downsampled with LTTB.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Opened here rather than at start-up: a bad path fails at once, before serving.
    app.state.store = store or MetricsStore(settings.db_path, max_series=settings.max_series)
    install_problem_handlers(app)
    # After the shared handlers, so that this example's 422 (naming the parameter) wins.
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(router)
    return app


# region errors
def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "points", 3, "ts") -> points[3].ts; ("query", "end") -> end. A part that is
    not a name (a label name that failed its pattern) is quoted as JSON: one line, always."""
    parts = list(loc)
    if len(parts) > 1 and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int) or part == "[key]":
            text += f"[{part}]" if isinstance(part, int) else part
        elif isinstance(part, str) and part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(str(part))}]"
    return text


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: pydantic's `input` and `ctx` would echo what was sent.
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"].removeprefix("Value error, ")}
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"loc": ["request"], "msg": "is invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem_response(
        422, f"{_where(first['loc'])}: {first['msg']}{more}", request.url.path, errors=errors
    )


def rejected(error: InputRejected, where: str) -> RequestValidationError:
    """A store's InputRejected as the validation error it is, located in WHERE."""
    return RequestValidationError(
        [{"loc": (where, *loc), "msg": msg, "type": "value_error"} for loc, msg in error.errors]
    )


# endregion


def get_store(request: Request) -> MetricsStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


StoreDep = Annotated[MetricsStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.post(
    "/metrics",
    operation_id="ingestMetrics",
    response_model=IngestResult,
    responses=problem_responses(413, 422),
)
def ingest(body: IngestRequest, store: StoreDep, settings: SettingsDep) -> IngestResult:
    try:
        counts = store.ingest(body.points, refresh=settings.refresh_on_ingest)
    except InputRejected as error:
        raise rejected(error, "body") from None
    return IngestResult(**vars(counts))


@router.post("/rollups/refresh", operation_id="refreshRollups", response_model=RefreshResult)
def refresh(store: StoreDep) -> RefreshResult:
    return store.refresh()


@router.get(
    "/query",
    operation_id="queryMetrics",
    response_model=QueryResult,
    response_model_exclude_none=True,
    responses=problem_responses(404, 422),
)
def query(params: Annotated[QueryParams, Query()], store: StoreDep, settings: SettingsDep):
    try:
        return answer(store, params, max_source_points=settings.max_source_points)
    except UnknownSeries:
        # The key is not echoed: it came from the client, who has it.
        raise HTTPException(404, "series: no series has this key (see GET /series)") from None
    except InputRejected as error:
        raise rejected(error, "query") from None


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The key a cursor continues after. Not signed: it only names a position in a public
    list, so a forged one gives another page of the same list, nothing more."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InputRejected([(("cursor",), "is not a cursor this API issued")]) from None


@router.get(
    "/series",
    operation_id="listSeries",
    response_model=SeriesPage,
    responses=problem_responses(422),
)
def list_series(params: Annotated[SeriesParams, Query()], store: StoreDep) -> SeriesPage:
    try:
        after = decode_cursor(params.cursor) if params.cursor else None
    except InputRejected as error:
        raise rejected(error, "query") from None
    page, more = store.list_series(name=params.name, after=after, limit=params.limit)
    return SeriesPage(
        data=[SeriesInfo(**vars(series)) for series in page],
        next_cursor=encode_cursor(page[-1].key) if more else None,
    )


@router.get("/health", operation_id="health")
def health() -> dict[str, str]:
    return {"status": "ok"}
