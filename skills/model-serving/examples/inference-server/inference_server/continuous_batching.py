"""Continuous batching: a generation engine that admits and retires sequences at every step.

Static batching starts a batch of sequences together and waits for the longest to finish:
slots of finished sequences idle, and a request that arrives meanwhile waits for the whole
batch. Continuous (in-flight, iteration-level) batching, as vLLM, TGI and TensorRT-LLM do,
decides at every decode step: sequences that finished leave, waiting ones join (their
prompts prefilled into their own KV caches), and one batched decode step produces the next
token of every active sequence.

The engine runs its step loop in one background thread (the model is numpy, which releases
the GIL in its matrix products); callers on an event loop submit requests and read tokens
with ``async for``. A caller that stops reading (a closed browser tab, a cancelled task)
cancels its request, and the engine frees its slot at the next step.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from inference_server.tiny_transformer import KVCache, TinyTransformer

_END = object()  # the end of a request's token stream


class EngineStopped(RuntimeError):
    """The engine stopped before the request finished."""


@dataclass(eq=False)
class GenerationRequest:
    """One sequence: its prompt, its sampling settings, and its tokens as they come."""

    prompt_ids: list[int]
    max_tokens: int
    temperature: float
    seed: int | None
    ignore_end_of_text: bool
    _caller_loop: asyncio.AbstractEventLoop
    _tokens: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    generated: list[int] = field(default_factory=list)
    finish_reason: str | None = None  # "stop" (end of text), "length", "cancelled"
    submitted_at: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    cancelled: bool = False
    cache: KVCache | None = None
    logits: np.ndarray | None = None
    rng: np.random.Generator | None = None

    def cancel(self) -> None:
        """Ask the engine to drop this sequence at its next step (safe from any thread)."""
        self.cancelled = True

    def _send(self, item: object) -> None:
        """Hand ITEM to the caller's event loop (called by the engine thread)."""
        try:
            self._caller_loop.call_soon_threadsafe(self._tokens.put_nowait, item)
        except RuntimeError:  # the caller's loop has closed: no one is listening
            self.cancelled = True

    async def __aiter__(self) -> AsyncIterator[int]:
        try:
            while True:
                item = await self._tokens.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            if self.finish_reason is None:  # the caller left before the end
                self.cancel()


# region engine
class GenerationEngine:
    """Serve many generation requests on one model with continuous batching."""

    def __init__(self, model: TinyTransformer, *, max_batch_size: int = 8) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self.model = model
        self.max_batch_size = max_batch_size
        self._waiting: deque[GenerationRequest] = deque()
        self._active: list[GenerationRequest] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.completed = 0
        self.cancelled = 0
        self.generated_tokens = 0
        self.steps = 0
        self.step_batch_sizes: deque[int] = deque(maxlen=10_000)  # active sequences per step

    def submit(
        self,
        prompt_ids: Sequence[int],
        max_tokens: int,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        ignore_end_of_text: bool = False,
    ) -> GenerationRequest:
        """Queue a request (checked first: ValueError if it cannot be served); read it with
        ``async for token in request``. Call from a coroutine: tokens go to its loop."""
        self.model.check_request(prompt_ids, max_tokens)
        if self._thread is None or not self._thread.is_alive():
            raise EngineStopped("the engine is not running: call start() first")
        request = GenerationRequest(
            list(prompt_ids),
            max_tokens,
            temperature,
            seed,
            ignore_end_of_text,
            asyncio.get_running_loop(),
        )
        with self._wake:
            self._waiting.append(request)
            self._wake.notify()
        return request

    async def stream(
        self, prompt_ids: Sequence[int], max_tokens: int, **sampling
    ) -> AsyncIterator[int]:
        """Submit and yield the tokens; leaving the loop early cancels the request."""
        request = self.submit(prompt_ids, max_tokens, **sampling)
        try:
            async for token in request:
                yield token
        finally:
            request.cancel()

    def _admit(self) -> None:
        """Move waiting requests into free slots and prefill their prompts in one call."""
        with self._wake:
            while self._waiting and len(self._active) < self.max_batch_size:
                request = self._waiting.popleft()
                if request.cancelled:
                    self._finish(request, "cancelled")
                    continue
                self._active.append(request)
                request.cache = self.model.new_cache()
                request.rng = np.random.default_rng(request.seed)
        joining = [r for r in self._active if r.logits is None]
        if joining:
            logits = self.model.extend([r.cache for r in joining], [r.prompt_ids for r in joining])
            for request, row in zip(joining, logits, strict=True):
                request.logits = row

    def _finish(self, request: GenerationRequest, reason: str) -> None:
        request.finish_reason = reason
        request.cache = request.logits = None  # free the cache now, not when the caller goes
        if reason == "cancelled":
            self.cancelled += 1
        else:
            self.completed += 1
        request._send(_END)

    def _step(self) -> None:
        """Pick each active sequence's next token, retire the finished, decode the rest."""
        still_active, fed, finished = [], [], []
        for request in self._active:
            if request.cancelled:
                finished.append((request, "cancelled"))
                continue
            logits = request.logits
            assert logits is not None
            if request.ignore_end_of_text:
                logits[self.model.end_of_text_id] = -np.inf
            token = self.model.pick(logits, request.temperature, request.rng)
            if token == self.model.end_of_text_id:
                finished.append((request, "stop"))
                continue
            if request.first_token_at is None:
                request.first_token_at = time.perf_counter()
            request.generated.append(token)
            self.generated_tokens += 1
            request._send(token)
            if len(request.generated) == request.max_tokens:
                finished.append((request, "length"))
                continue
            still_active.append(request)
            fed.append(token)
        self._active = still_active  # first, so stats() never counts a finished sequence
        for request, reason in finished:
            self._finish(request, reason)
        if still_active:
            self.steps += 1
            self.step_batch_sizes.append(len(still_active))
            logits = self.model.decode_step([r.cache for r in still_active], fed)
            for request, row in zip(still_active, logits, strict=True):
                request.logits = row

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and not self._waiting and not self._active:
                    self._wake.wait()
                if self._stopping:
                    break
            try:
                self._admit()
                self._step()
            except Exception as exc:  # a model error fails the sequences in flight, not the engine
                for request in self._active:
                    request.finish_reason = "error"
                    request._send(exc)
                self._active = []
        for request in [*self._active, *self._waiting]:
            request.finish_reason = "cancelled"
            request._send(EngineStopped("the engine was stopped"))
        self._active, self._waiting = [], deque()

    # endregion

    def start(self) -> GenerationEngine:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(
                target=self._loop, name="generation-engine", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the step loop; requests in flight end with EngineStopped."""
        if self._thread is not None:
            with self._wake:
                self._stopping = True
                self._wake.notify()
            self._thread.join()
            self._thread = None

    def __enter__(self) -> GenerationEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, object]:
        sizes = list(self.step_batch_sizes)
        with self._wake:
            active, waiting = len(self._active), len(self._waiting)
        return {
            "active": active,
            "waiting": waiting,
            "completed": self.completed,
            "cancelled": self.cancelled,
            "generated_tokens": self.generated_tokens,
            "steps": self.steps,
            "max_batch_size": self.max_batch_size,
            "mean_batch_size": round(sum(sizes) / len(sizes), 2) if sizes else 0.0,
        }
