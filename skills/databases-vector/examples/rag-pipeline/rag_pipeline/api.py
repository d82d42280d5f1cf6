"""The HTTP API: POST /ask answers with citations, POST /ask/stream streams it as SSE.

The stream's events, in order:

- ``citations``: the numbered sources, sent before generation starts (an empty list when
  the answer is the refusal);
- ``delta``: ``{"text": ...}``, a piece of the answer, as many as it takes;
- ``done``: ``{"answer": ...}``, the whole answer, equal to the deltas joined;
- ``error``: ``{"detail": ...}`` instead of ``done`` when the model server fails midway
  (the 200 status has gone out by then, so the failure can only be an event).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

from fastapi import FastAPI, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent

from .body_limit import BodySizeLimitMiddleware
from .embeddings import Embedder, default_embedder
from .generators import GenerationError, Generator
from .pipeline import RagPipeline
from .problems import install_problem_handlers, problem_responses
from .schemas import AskRequest, AskResponse
from .settings import Settings


def create_app(
    settings: Settings, *, embedder: Embedder | None = None, generator: Generator | None = None
) -> FastAPI:
    """The app, with the corpus ingested into the store (only what changed is embedded)."""
    pipeline = RagPipeline(settings, embedder or default_embedder(), generator)

    # OpenAPI 3.2: FastAPI describes an SSE route's events with `itemSchema`, which 3.2
    # introduced; under its default "3.1.0" label the document would be invalid.
    app = FastAPI(title="Handbook RAG", version="1.0.0")
    app.openapi_version = "3.2.0"
    app.state.pipeline = pipeline
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)

    @app.post(
        "/ask",
        operation_id="ask",
        summary="Answer a question from the handbook, with citations",
        response_model=AskResponse,
        responses=problem_responses(413, 422, 502),
    )
    def ask(request: AskRequest) -> AskResponse:
        try:
            answer = pipeline.ask(request.question, request.k)
        except GenerationError as exc:
            raise HTTPException(502, str(exc)) from exc
        return AskResponse.model_validate(asdict(answer))

    @app.post(
        "/ask/stream",
        operation_id="askStream",
        summary="The same answer, streamed as server-sent events",
        response_class=EventSourceResponse,
        responses=problem_responses(413, 422),
    )
    def ask_stream(request: AskRequest) -> Iterator[ServerSentEvent]:
        cited, pieces = pipeline.ask_stream(request.question, request.k)
        yield ServerSentEvent(event="citations", data=[asdict(c) for c in cited])
        answer = []
        try:
            for piece in pieces:
                answer.append(piece)
                yield ServerSentEvent(event="delta", data={"text": piece})
        except GenerationError as exc:
            yield ServerSentEvent(event="error", data={"detail": str(exc)})
            return
        yield ServerSentEvent(event="done", data={"answer": "".join(answer)})

    return app
