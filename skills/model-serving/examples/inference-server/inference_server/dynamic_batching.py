"""Dynamic batching: requests that arrive close together share one model call.

A model call has a fixed cost (Python overhead, a kernel launch, reading the weights) and a
per-row cost; batching pays the fixed cost once for many rows. The batcher waits for the
first request, then at most ``max_wait_ms`` for more, up to ``max_batch_size``, and runs the
batch in a worker thread so the event loop keeps accepting requests meanwhile (the next
batch forms while this one runs). Under light load a request waits at most ``max_wait_ms``
extra; under heavy load batches fill up and no one waits for the timer.

This is what Triton calls the dynamic batcher, BentoML adaptive batching and TorchServe
batch_size/max_batch_delay. A request whose caller has gone (its future cancelled) is
skipped, not computed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatcherStopped(RuntimeError):
    """The batcher was stopped before the request was served."""


@dataclass
class _Pending(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]
    enqueued_at: float = field(default_factory=time.perf_counter)


# region batcher
class DynamicBatcher(Generic[Item, Result]):
    """Collect concurrent ``submit`` calls into batches for ``process(items) -> results``."""

    def __init__(
        self,
        process: Callable[[list[Item]], Sequence[Result]],
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 5.0,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be 0 or more, got {max_wait_ms}")
        self.process = process
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.batch_sizes: list[int] = []  # one entry per model call, in order
        self.queue_waits: list[float] = []  # seconds each served item waited before its call
        self._queue: asyncio.Queue[_Pending[Item, Result]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: list[_Pending[Item, Result]] = []

    async def submit(self, item: Item) -> Result:
        """Queue ITEM and wait for its result (the exception of its batch, if it failed)."""
        if self._queue is None or self._worker is None or self._worker.done():
            raise BatcherStopped("the batcher is not running: call start() first")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(item, future))
        return await future

    async def _collect(self) -> list[_Pending[Item, Result]]:
        """Wait for one request, then up to max_wait for more, up to max_batch_size."""
        assert self._queue is not None
        batch = [await self._queue.get()]
        deadline = time.perf_counter() + self.max_wait
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break
        # Anything already queued joins too: no reason to leave it for the next round.
        while len(batch) < self.max_batch_size and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        while True:
            self._in_flight = batch = [p for p in await self._collect() if not p.future.done()]
            if not batch:
                continue  # every caller of this round has gone
            started = time.perf_counter()
            self.batch_sizes.append(len(batch))
            self.queue_waits.extend(started - p.enqueued_at for p in batch)
            try:
                results = await asyncio.to_thread(self.process, [p.item for p in batch])
                if len(results) != len(batch):
                    raise RuntimeError(
                        f"process returned {len(results)} results for {len(batch)} items"
                    )
            except Exception as exc:  # the batch's callers get the error, the loop goes on
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)

    # endregion

    async def start(self) -> DynamicBatcher[Item, Result]:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="dynamic-batcher")
        return self

    async def stop(self) -> None:
        """Stop the worker; requests still queued fail with BatcherStopped."""
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        left = list(self._in_flight)  # a batch cancelled mid-call is not answered
        if self._queue is not None:
            while not self._queue.empty():
                left.append(self._queue.get_nowait())
        for pending in left:
            if not pending.future.done():
                pending.future.set_exception(BatcherStopped("the batcher was stopped"))

    async def __aenter__(self) -> DynamicBatcher[Item, Result]:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def stats(self) -> dict[str, object]:
        """Calls made, items served, and how often each batch size occurred."""
        waits = sorted(self.queue_waits)
        return {
            "calls": len(self.batch_sizes),
            "items": sum(self.batch_sizes),
            "max_batch_size": self.max_batch_size,
            "max_wait_ms": self.max_wait * 1000,
            "batch_size_counts": dict(sorted(Counter(self.batch_sizes).items())),
            "median_queue_wait_ms": 1000 * waits[len(waits) // 2] if waits else 0.0,
        }
