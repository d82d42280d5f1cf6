"""The dynamic batcher and the continuous-batching engine, under real concurrency."""

from __future__ import annotations

import asyncio
import threading

import pytest
from inference_server.continuous_batching import EngineStopped, GenerationEngine
from inference_server.dynamic_batching import BatcherStopped, DynamicBatcher

PROMPTS = ["A vector database", "Use a connection pool", "Refresh tokens", "The index", "Kafka"]


class Recorder:
    """process(items) that records each call's items, optionally slowly or failing."""

    def __init__(self, *, delay: float = 0.0, fail_on: object = None) -> None:
        self.calls: list[list[int]] = []
        self.delay, self.fail_on = delay, fail_on
        self.release = threading.Event()

    def __call__(self, items: list[int]) -> list[int]:
        self.calls.append(list(items))
        if self.delay:
            self.release.wait(self.delay)
        if self.fail_on in items:
            raise RuntimeError(f"cannot process {self.fail_on}")
        return [item * 10 for item in items]


def test_concurrent_requests_share_calls_and_keep_their_results():
    async def scenario():
        process = Recorder()
        async with DynamicBatcher(process, max_batch_size=8, max_wait_ms=20) as batcher:
            results = await asyncio.gather(*(batcher.submit(i) for i in range(20)))
        return process, batcher, results

    process, batcher, results = asyncio.run(scenario())
    assert results == [i * 10 for i in range(20)]
    assert sorted(i for call in process.calls for i in call) == list(range(20))
    assert max(map(len, process.calls)) == 8 and len(process.calls) == 3
    assert batcher.batch_sizes == [len(call) for call in process.calls]
    assert batcher.stats()["items"] == 20


def test_one_request_at_a_time_waits_out_the_window_alone():
    async def scenario():
        process = Recorder()
        async with DynamicBatcher(process, max_batch_size=8, max_wait_ms=2) as batcher:
            for i in range(3):
                await batcher.submit(i)
        return process, batcher

    process, batcher = asyncio.run(scenario())
    assert process.calls == [[0], [1], [2]]
    assert all(wait >= 0.002 for wait in batcher.queue_waits)


def test_a_failing_batch_fails_its_callers_only():
    async def scenario():
        process = Recorder(fail_on=3)
        async with DynamicBatcher(process, max_batch_size=4, max_wait_ms=20) as batcher:
            first = await asyncio.gather(
                *(batcher.submit(i) for i in range(4)), return_exceptions=True
            )
            after = await batcher.submit(5)
        return first, after

    first, after = asyncio.run(scenario())
    assert all(isinstance(result, RuntimeError) for result in first)
    assert after == 50


def test_a_caller_that_left_is_not_computed():
    async def scenario():
        process = Recorder(delay=5)
        async with DynamicBatcher(process, max_batch_size=1, max_wait_ms=0) as batcher:
            busy = asyncio.create_task(batcher.submit(1))  # occupies the worker
            await asyncio.sleep(0.05)
            gone = asyncio.create_task(batcher.submit(2))
            await asyncio.sleep(0.05)
            gone.cancel()
            process.release.set()
            await busy
            assert await batcher.submit(3) == 30
        return process

    process = asyncio.run(scenario())
    assert [2] not in process.calls and process.calls[0] == [1]


def test_stop_fails_what_is_still_queued():
    async def scenario():
        process = Recorder(delay=5)
        batcher = await DynamicBatcher(process, max_batch_size=1, max_wait_ms=0).start()
        tasks = [asyncio.create_task(batcher.submit(i)) for i in range(3)]
        await asyncio.sleep(0.05)
        await batcher.stop()
        process.release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        with pytest.raises(BatcherStopped):
            await batcher.submit(9)
        return results

    assert all(isinstance(r, BatcherStopped) for r in asyncio.run(scenario()))


@pytest.mark.parametrize(("size", "wait"), [(0, 5.0), (4, -1.0)])
def test_batcher_settings_are_checked(size, wait):
    with pytest.raises(ValueError):
        DynamicBatcher(lambda items: items, max_batch_size=size, max_wait_ms=wait)


def run_engine(model, coroutine_factory, **engine_options):
    async def scenario():
        with GenerationEngine(model, **engine_options) as engine:
            return engine, await coroutine_factory(engine)

    return asyncio.run(scenario())


@pytest.mark.parametrize("max_batch_size", [1, 3, 8])
def test_batched_generation_equals_one_at_a_time(model, max_batch_size):
    async def many(engine):
        async def one(prompt):
            return [
                t async for t in engine.stream(model.encode(prompt), 30, ignore_end_of_text=True)
            ]

        return await asyncio.gather(*(one(p) for p in PROMPTS * 2))

    engine, outputs = run_engine(model, many, max_batch_size=max_batch_size)
    for prompt, tokens in zip(PROMPTS * 2, outputs, strict=True):
        assert tokens == list(model.generate(model.encode(prompt), 30, ignore_end_of_text=True))
    stats = engine.stats()
    assert stats["completed"] == 10 and stats["generated_tokens"] == 300
    assert max(engine.step_batch_sizes) == max_batch_size  # the slots were really shared


def test_requests_finish_for_their_own_reasons(model):
    async def two(engine):
        long = engine.submit(model.encode("The index"), 10, ignore_end_of_text=True)
        natural = engine.submit(model.encode("A vector database"), 100)
        return [[t async for t in long], [t async for t in natural]], (long, natural)

    _, (tokens, (long, natural)) = run_engine(model, two)
    assert long.finish_reason == "length" and len(tokens[0]) == 10
    assert natural.finish_reason == "stop" and len(tokens[1]) < 100
    assert long.first_token_at is not None and long.first_token_at >= long.submitted_at


def test_a_reader_that_leaves_frees_its_slot(model):
    async def leave_early(engine):
        request = engine.submit(model.encode("A vector database"), 100, ignore_end_of_text=True)
        tokens = aiter(request)
        async for _ in tokens:
            if len(request.generated) >= 3:
                break
        await tokens.aclose()  # what the event loop does to a reader's dropped iterator
        for _ in range(200):
            if engine.stats()["active"] == 0:
                break
            await asyncio.sleep(0.01)
        return request

    engine, request = run_engine(model, leave_early)
    stats = engine.stats()
    assert request.cancelled and stats["cancelled"] == 1 and stats["active"] == 0
    assert len(request.generated) < 100


def test_the_engine_checks_requests_and_refuses_when_stopped(model):
    engine = GenerationEngine(model)

    async def submit():
        return engine.submit(model.encode("A vector database"), 5)

    with pytest.raises(EngineStopped):
        asyncio.run(submit())

    async def too_long(engine):
        with pytest.raises(ValueError, match="context length"):
            engine.submit([5] * 120, 20)

    run_engine(model, too_long)
    with pytest.raises(ValueError):
        GenerationEngine(model, max_batch_size=0)


def test_stop_ends_sequences_in_flight(model):
    async def scenario():
        engine = GenerationEngine(model, max_batch_size=1).start()
        requests = [engine.submit(model.encode(p), 100, ignore_end_of_text=True) for p in PROMPTS]
        await asyncio.to_thread(engine.stop)
        outcomes = []
        for request in requests:
            try:
                outcomes.append([t async for t in request])
            except EngineStopped as exc:
                outcomes.append(exc)
        return outcomes

    outcomes = asyncio.run(scenario())
    assert sum(isinstance(o, EngineStopped) for o in outcomes) >= len(PROMPTS) - 1
