"""Static batching against continuous batching, measured on the real model (notebook 06-04).

The same workload (requests with mixed output lengths, arriving as a Poisson process) runs
twice on the same ``TinyTransformer``:

- ``run_static``: a static batcher written here. When it is idle it takes up to
  ``batch_size`` requests that have arrived, prefills them together and decodes until the
  longest is done; only then does it take the next batch. A request that arrives meanwhile
  waits for the whole batch. The batch is one tensor of fixed height, as in a padded
  ``generate`` call: a finished row keeps its slot and its compute (its tokens are thrown
  away, as padding is) until the longest row is done.
- ``run_continuous``: the course's ``GenerationEngine`` (continuous batching), driven by
  one client coroutine per request that sleeps until the request's arrival, submits it
  and reads its tokens as they come.

Both record one ``Trace`` per request on the same clock (``time.perf_counter``), and
``summarize`` turns the traces into the numbers a serving team watches.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from inference_server.continuous_batching import GenerationEngine
from inference_server.tiny_transformer import CORPUS_PATH, TinyTransformer


# region workload
@dataclass(frozen=True)
class Request:
    """One generation request of the workload: when it arrives, its prompt, its length."""

    index: int
    arrival: float  # seconds after the start of the run
    prompt_ids: list[int]
    max_tokens: int


def corpus_prompts(model: TinyTransformer, count: int, seed: int) -> list[list[int]]:
    """Openings of the model's own training paragraphs, 4 to 16 tokens long."""
    rng = np.random.default_rng(seed)
    paragraphs = [
        p for p in re.split(r"\n\s*\n", CORPUS_PATH.read_text(encoding="utf-8")) if p.strip()
    ]
    picked = rng.choice(len(paragraphs), size=count, replace=False)
    lengths = rng.integers(4, 17, size=count)
    return [model.encode(paragraphs[i])[:n] for i, n in zip(picked, lengths, strict=True)]


def make_workload(
    model: TinyTransformer,
    requests: int,
    arrival_rate: float,
    seed: int,
    *,
    long_share: float = 0.25,
    short_tokens: tuple[int, int] = (4, 16),
    long_tokens: tuple[int, int] = (48, 96),
) -> list[Request]:
    """REQUESTS requests, Poisson arrivals at ARRIVAL_RATE per second, mixed output lengths.

    Most answers are short and a quarter are long (uniform within each range), the mix
    that makes a batch wait for its longest member.
    """
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / arrival_rate, size=requests)
    arrivals = np.cumsum(gaps) - gaps[0]  # the first request arrives at once
    is_long = rng.random(requests) < long_share
    lengths = np.where(
        is_long,
        rng.integers(long_tokens[0], long_tokens[1] + 1, size=requests),
        rng.integers(short_tokens[0], short_tokens[1] + 1, size=requests),
    )
    prompts = corpus_prompts(model, requests, seed)
    workload = [
        Request(i, float(arrivals[i]), prompts[i], int(lengths[i])) for i in range(requests)
    ]
    for request in workload:  # any prompt fits the longest answer: padded rows never overflow
        model.check_request(request.prompt_ids, long_tokens[1])
    return workload


# endregion


@dataclass
class Trace:
    """What happened to one request, in seconds after the start of the run."""

    index: int
    arrival: float
    first_token: float
    finished: float  # its last token
    released: float  # its slot free again: the batch's end (static), its own end (continuous)
    tokens: list[int]


@dataclass
class RunResult:
    scheduler: str
    batch_size: int
    traces: list[Trace]
    step_sizes: list[int] = field(default_factory=list)  # sequences in each decode step


# region static-batcher
def run_static(model: TinyTransformer, workload: Sequence[Request], batch_size: int) -> RunResult:
    """Serve WORKLOAD in static batches of up to BATCH_SIZE, greedy, exactly max_tokens each."""
    start = time.perf_counter()
    clock = lambda: time.perf_counter() - start  # noqa: E731 (seconds since the start)
    pending = deque(sorted(workload, key=lambda r: r.arrival))
    traces: list[Trace] = []
    step_sizes: list[int] = []
    while pending:
        if pending[0].arrival > clock():  # idle: wait for the next request to arrive
            time.sleep(pending[0].arrival - clock())
        batch = []
        while pending and len(batch) < batch_size and pending[0].arrival <= clock():
            batch.append(pending.popleft())
        caches = [model.new_cache() for _ in batch]
        logits = model.extend(caches, [r.prompt_ids for r in batch])  # one prefill call
        tokens: list[list[int]] = [[] for _ in batch]
        first: list[float] = [0.0] * len(batch)
        last: list[float] = [0.0] * len(batch)
        fed = [0] * len(batch)
        for _ in range(max(r.max_tokens for r in batch)):  # the longest member sets the steps
            for i, request in enumerate(batch):
                logits[i, model.end_of_text_id] = -np.inf  # ignore_end_of_text
                fed[i] = model.pick(logits[i], 0.0, None)
                if len(tokens[i]) < request.max_tokens:  # else padding: computed, discarded
                    tokens[i].append(fed[i])
                    last[i] = clock()
                    first[i] = first[i] or last[i]
            useful = sum(len(t) < r.max_tokens for t, r in zip(tokens, batch, strict=True))
            if useful:  # every row is computed, finished or not
                step_sizes.append(useful)
                logits = model.decode_step(caches, fed)
        batch_end = clock()  # only now may the next batch start
        traces += [
            Trace(r.index, r.arrival, first[i], last[i], batch_end, tokens[i])
            for i, r in enumerate(batch)
        ]
    return RunResult("static", batch_size, sorted(traces, key=lambda t: t.index), step_sizes)


# endregion


# region continuous-run
async def run_continuous(engine: GenerationEngine, workload: Sequence[Request]) -> RunResult:
    """Send WORKLOAD to a running engine, each request at its arrival time; read every token."""
    start = time.perf_counter()
    steps_before = engine.steps

    async def client(request: Request) -> Trace:
        await asyncio.sleep(max(0.0, start + request.arrival - time.perf_counter()))
        handle = engine.submit(request.prompt_ids, request.max_tokens, ignore_end_of_text=True)
        tokens = [token async for token in handle]
        finished = time.perf_counter() - start
        assert handle.first_token_at is not None and handle.finish_reason == "length"
        first = handle.first_token_at - start
        return Trace(request.index, request.arrival, first, finished, finished, tokens)

    traces = await asyncio.gather(*(client(request) for request in workload))
    steps = engine.steps - steps_before
    step_sizes = list(engine.step_batch_sizes)[-steps:] if steps else []
    return RunResult("continuous", engine.max_batch_size, list(traces), step_sizes)


# endregion


# region metrics
def summarize(result: RunResult) -> dict[str, float | int | str]:
    """Total time, output tokens/s, TTFT mean/p50/p95 (from arrival), and slot utilisation."""
    ttft = np.array([t.first_token - t.arrival for t in result.traces]) * 1000
    total = max(t.finished for t in result.traces)
    tokens = sum(len(t.tokens) for t in result.traces)
    sizes = result.step_sizes
    return {
        "scheduler": result.scheduler,
        "total s": round(total, 3),
        "tokens/s": round(tokens / total, 1),
        "TTFT mean ms": round(float(ttft.mean()), 1),
        "TTFT p50 ms": round(float(np.percentile(ttft, 50)), 1),
        "TTFT p95 ms": round(float(np.percentile(ttft, 95)), 1),
        "decode steps": len(sizes),
        # Of the slot-steps the scheduler reserved, the share that produced a token.
        "slot utilisation": round(sum(sizes) / (len(sizes) * result.batch_size), 3)
        if sizes
        else 0.0,
    }


# endregion


# region sweep
async def burst(
    engine: GenerationEngine, prompts: Sequence[Sequence[int]], max_tokens: int
) -> dict[str, float]:
    """Send every prompt at once; output tokens/s and inter-token latency (ITL) p50/p95."""

    async def client(prompt_ids: Sequence[int]) -> list[float]:
        stamps = []
        async for _token in engine.stream(prompt_ids, max_tokens, ignore_end_of_text=True):
            stamps.append(time.perf_counter())
        return stamps

    started = time.perf_counter()
    streams = await asyncio.gather(*(client(p) for p in prompts))
    seconds = time.perf_counter() - started
    gaps = np.concatenate([np.diff(stamps) for stamps in streams]) * 1000
    return {
        "tokens/s": round(sum(map(len, streams)) / seconds, 1),
        "ITL p50 ms": round(float(np.percentile(gaps, 50)), 2),
        "ITL p95 ms": round(float(np.percentile(gaps, 95)), 2),
    }


async def sweep_batch_sizes(
    model: TinyTransformer,
    sizes: Sequence[int],
    prompts: Sequence[Sequence[int]],
    max_tokens: int,
    *,
    bursts: int = 2,
) -> tuple[list[dict[str, float]], dict[str, object]]:
    """For each max_batch_size, a fresh engine serves BURSTS bursts; the fastest counts
    (noise only adds time). A row per size, and the last engine's stats()."""
    rows, stats = [], {}
    for size in sizes:
        with GenerationEngine(model, max_batch_size=size) as engine:
            runs = [await burst(engine, prompts, max_tokens) for _ in range(bursts)]
            stats = engine.stats()
        fastest = max(runs, key=lambda run: run["tokens/s"])
        rows.append({"max_batch_size": size, **fastest, "mean batch": stats["mean_batch_size"]})
    return rows, stats


# endregion


def timeline_figure(results: Sequence[RunResult], title: str):
    """A Gantt-like chart: per request, its wait (arrival to first token), its generation
    (first to last token) and, for static batching, its slot held after it was done."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=len(results),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[f"{r.scheduler} batching (max batch {r.batch_size})" for r in results],
    )
    parts = [
        ("waiting", "#f0a202", lambda t: t.arrival, lambda t: t.first_token),
        ("generating", "#2e86ab", lambda t: t.first_token, lambda t: t.finished),
        ("done, slot still held", "#c8c8c8", lambda t: t.finished, lambda t: t.released),
    ]
    for row, result in enumerate(results, start=1):
        for name, colour, begin, end in parts:
            traces = [t for t in result.traces if end(t) - begin(t) > 1e-4]
            if not traces:
                continue
            figure.add_trace(
                go.Bar(
                    orientation="h",
                    y=[f"#{t.index}" for t in traces],
                    x=[round((end(t) - begin(t)) * 1000, 1) for t in traces],
                    base=[round(begin(t) * 1000, 1) for t in traces],
                    marker_color=colour,
                    name=name,
                    legendgroup=name,
                    showlegend=row == 1 or name.startswith("done"),
                    hovertemplate="%{y}: %{x:.0f} ms<extra>" + name + "</extra>",
                ),
                row,
                1,
            )
        figure.update_yaxes(autorange="reversed", title_text="request", row=row, col=1)
    figure.update_xaxes(title_text="milliseconds since the first request arrived")
    figure.update_layout(barmode="overlay", title=title, height=300 + 14 * len(results[0].traces))
    return figure
