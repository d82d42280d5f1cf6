"""The model server: an OpenAI-compatible subset on FastAPI, with probes and batching.

Routes:

- ``GET /health``: liveness. 200 while the process can answer at all; an orchestrator
  restarts the container when it fails, so it checks nothing that a restart cannot fix.
- ``GET /ready``: readiness. 503 (problem details, ``Retry-After``) until the models are
  loaded, then 200; a load balancer sends traffic only to ready replicas.
- ``GET /v1/models``: the models served, in OpenAI's list format.
- ``POST /v1/embeddings``: wordllama embeddings, ``encoding_format`` float or base64
  (little-endian float32, what the official client asks for by default). Every input goes
  through one dynamic batcher, so concurrent requests share model calls.
- ``POST /v1/chat/completions``: the tiny transformer under the continuous-batching
  engine; with ``stream`` true, server-sent events of ``chat.completion.chunk`` objects
  ending with ``data: [DONE]``, as OpenAI and vLLM send them. A client that disconnects
  cancels its sequence, and the engine frees the slot at its next step.
- ``GET /stats``: the engine's and the batcher's counters.

Every error is an RFC 9457 problem (``application/problem+json``), and every error that can
be known before generation starts is answered before the stream starts, with its status:
a stream that has sent 200 can only end early, not change its status.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.sse import format_sse_event
from pydantic import BaseModel, ConfigDict, Field

from inference_server.body_limit import BodySizeLimitMiddleware
from inference_server.continuous_batching import GenerationEngine, GenerationRequest
from inference_server.dynamic_batching import DynamicBatcher
from inference_server.embeddings import Embedder, WordLlamaEmbedder
from inference_server.problems import install_problem_handlers, problem_response, problem_responses
from inference_server.tiny_transformer import TinyTransformer

OWNER = "inference-server"
# Module level: route signatures are resolved from module globals (postponed annotations).
BEARER = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Settings:
    max_batch_size: int = 8  # sequences the generation engine decodes together
    embedding_batch_size: int = 32  # texts per embedding call at most
    embedding_max_wait_ms: float = 5.0  # how long the first text of a batch waits for others
    max_body_bytes: int = 1_048_576
    max_inputs: int = 256  # texts per embeddings request
    max_input_chars: int = 8_192  # characters per text
    api_key: str | None = None  # when set, /v1 routes need "Authorization: Bearer <key>"


# region schemas
class Strict(BaseModel):
    # Unknown fields are refused: a misspelt "max_token" would otherwise be ignored silently.
    model_config = ConfigDict(extra="forbid")


class EmbeddingsRequest(Strict):
    model: str
    input: str | list[str] = Field(min_length=1)
    encoding_format: Literal["float", "base64"] = "float"
    user: str | None = None


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant", "developer"]
    content: str


class StreamOptions(Strict):
    include_usage: bool = False


class ChatCompletionRequest(Strict):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)  # the newer name
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: Literal[1] = 1
    user: str | None = None
    ignore_eos: bool = False  # vLLM's extension: never stop early (benchmarks, demos)


# endregion


def _bad_request(detail: str) -> HTTPException:
    return HTTPException(400, detail)


def _unknown_model(name: str, served: list[str]) -> HTTPException:
    return HTTPException(404, f"model {name!r} is not served here; served: {', '.join(served)}")


def _token_count(embedder: Embedder, text: str) -> int:
    """Tokens of TEXT for usage: the embedder's own tokenizer where it has one."""
    tokenizer = getattr(getattr(embedder, "model", None), "tokenizer", None)
    if tokenizer is not None:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)
    return len(text.split())


def create_app(
    settings: Settings | None = None,
    *,
    model: TinyTransformer | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """The server; MODEL and EMBEDDER are loaded at start-up when not given."""
    settings = settings or Settings()

    # region lifespan
    async def load_models(app: FastAPI) -> None:
        """Load in the background: /health answers at once, /ready once this is done."""
        loaded_model = model or await asyncio.to_thread(TinyTransformer.train)
        loaded_embedder = embedder or await asyncio.to_thread(WordLlamaEmbedder)
        app.state.model, app.state.embedder = loaded_model, loaded_embedder
        app.state.embedding_model = getattr(loaded_embedder, "name", "embeddings")
        app.state.engine = GenerationEngine(
            loaded_model, max_batch_size=settings.max_batch_size
        ).start()
        app.state.batcher = await DynamicBatcher(
            lambda texts: list(loaded_embedder.embed(texts)),
            max_batch_size=settings.embedding_batch_size,
            max_wait_ms=settings.embedding_max_wait_ms,
        ).start()
        app.state.ready = True

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ready = False
        loading = asyncio.create_task(load_models(app))
        try:
            yield
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
            if getattr(app.state, "batcher", None) is not None:
                await app.state.batcher.stop()
            if getattr(app.state, "engine", None) is not None:
                # The engine thread joins quickly (a step is milliseconds); off the loop anyway.
                await asyncio.to_thread(app.state.engine.stop)

    # endregion

    app = FastAPI(title="Inference server", version="1.0.0", lifespan=lifespan)
    app.state.ready = False
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)

    def require_key(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> None:
        if settings.api_key is None:
            return
        given = credentials.credentials if credentials is not None else ""
        # compare_digest: the time taken does not say how much of the key matched.
        if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
            raise HTTPException(
                401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"}
            )

    def require_ready(request: Request) -> None:
        if not request.app.state.ready:
            raise HTTPException(503, "the models are still loading", headers={"Retry-After": "1"})

    guarded = [Depends(require_key), Depends(require_ready)]

    def served_models(request: Request) -> list[str]:
        return [TinyTransformer.name, request.app.state.embedding_model]

    @app.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", summary="Readiness: the models are loaded", responses=problem_responses(503))
    async def ready(request: Request) -> JSONResponse:
        if not request.app.state.ready:
            return problem_response(
                503, "the models are still loading", "/ready", headers={"Retry-After": "1"}
            )
        return JSONResponse({"status": "ready", "models": served_models(request)})

    @app.get("/v1/models", dependencies=guarded, responses=problem_responses(401, 503))
    async def list_models(request: Request) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": OWNER}
                for name in served_models(request)
            ],
        }

    # region embeddings
    @app.post(
        "/v1/embeddings", dependencies=guarded, responses=problem_responses(400, 401, 404, 413, 503)
    )
    async def create_embeddings(body: EmbeddingsRequest, request: Request) -> dict[str, Any]:
        state = request.app.state
        if body.model != state.embedding_model:
            raise _unknown_model(body.model, [state.embedding_model])
        texts = [body.input] if isinstance(body.input, str) else body.input
        if len(texts) > settings.max_inputs:
            raise _bad_request(
                f"at most {settings.max_inputs} inputs per request, got {len(texts)}"
            )
        for index, text in enumerate(texts):
            if not text.strip():
                raise _bad_request(f"input {index} is empty")
            if len(text) > settings.max_input_chars:
                raise _bad_request(
                    f"input {index} has {len(text)} characters; at most {settings.max_input_chars}"
                )
        # One submit per text: the batcher mixes them with other requests' texts.
        vectors = await asyncio.gather(*(state.batcher.submit(text) for text in texts))
        data = []
        for index, vector in enumerate(vectors):
            vector = np.asarray(vector, dtype="<f4")
            encoded = (
                base64.b64encode(vector.tobytes()).decode("ascii")
                if body.encoding_format == "base64"
                else vector.tolist()
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(_token_count(state.embedder, text) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": body.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    # endregion

    # region chat
    @app.post(
        "/v1/chat/completions",
        dependencies=guarded,
        responses={
            **problem_responses(400, 401, 404, 413, 503),
            200: {"content": {"text/event-stream": {}}},
        },
    )
    async def chat_completions(body: ChatCompletionRequest, request: Request):
        state = request.app.state
        if body.model != TinyTransformer.name:
            raise _unknown_model(body.model, [TinyTransformer.name])
        # The tiny model has no chat template: it continues the conversation's text.
        prompt_ids = state.model.encode("\n".join(m.content for m in body.messages))
        # Unset: up to 64 tokens, as many as the context leaves (vLLM: all it leaves).
        room = state.model.context_length - len(prompt_ids)
        max_tokens = body.max_completion_tokens or body.max_tokens or max(1, min(64, room))
        try:
            generation = state.engine.submit(
                prompt_ids,
                max_tokens,
                temperature=body.temperature,
                seed=body.seed,
                ignore_end_of_text=body.ignore_eos,
            )
        except ValueError as exc:  # empty prompt, or prompt + max_tokens over the context
            raise _bad_request(str(exc)) from None
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            include_usage = body.stream_options is not None and body.stream_options.include_usage
            return StreamingResponse(
                _stream_chunks(
                    state.model, generation, completion_id, created, body.model, include_usage
                ),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            tokens = [token async for token in generation]
        finally:
            generation.cancel()  # a client gone mid-request frees the slot
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": state.model.decode(tokens)},
                    "finish_reason": generation.finish_reason,
                }
            ],
            "usage": _usage(len(prompt_ids), len(tokens)),
        }

    # endregion

    @app.get("/stats", dependencies=guarded, responses=problem_responses(401, 503))
    async def stats(request: Request) -> dict[str, Any]:
        state = request.app.state
        return {"generation": state.engine.stats(), "embeddings": state.batcher.stats()}

    return app


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


# region stream
async def _stream_chunks(
    model: TinyTransformer,
    generation: GenerationRequest,
    completion_id: str,
    created: int,
    model_name: str,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    """The OpenAI stream: a role chunk, one chunk per token, a finish chunk, [DONE]."""

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_name,
            "choices": choices,
            **extra,
        }
        return format_sse_event(data_str=json.dumps(chunk, separators=(",", ":")))

    try:
        yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}}])
        async for token in generation:
            yield event([{"index": 0, "delta": {"content": model.token_text(token)}}])
        yield event([{"index": 0, "delta": {}, "finish_reason": generation.finish_reason}])
        if include_usage:
            usage = _usage(len(generation.prompt_ids), len(generation.generated))
            yield event([], usage=usage)
        yield format_sse_event(data_str="[DONE]")
    finally:
        # Starlette cancels this generator when the client disconnects: free the slot.
        generation.cancel()


# endregion
