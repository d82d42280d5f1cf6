"""Measure what dynamic batching buys: a model call's cost by batch size, and clients under load.

Notebook 06-02 uses it. ``cost_curve`` times one ``embed`` call per batch size (the median
of repeats) and ``fit_cost`` splits that time into a fixed cost per call and a cost per
row. ``load_test`` runs closed-loop clients in the notebook's own event loop against a
``DynamicBatcher``: each client sends a request, waits for its answer, then sends the next,
the way a page's search box or a service's workers do. Latency is measured per request from
``submit`` to its result; throughput is requests served per second of wall time.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


# region course-lines
def course_lines(corpus: Path, *, min_chars: int = 40) -> list[str]:
    """The distinct lines of the example's frozen corpus (the course's guides, as prose)."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys(line.strip() for line in lines if len(line.strip()) >= min_chars))


def batch_of(texts: Sequence[str], size: int, start: int = 0) -> list[str]:
    """SIZE texts taken in a cycle from START, so any size can be drawn from any list."""
    return [texts[(start + i) % len(texts)] for i in range(size)]


# endregion


# region cost-curve
def cost_curve(
    embed: Callable[[list[str]], object], texts: Sequence[str], sizes: Sequence[int], repeats: int
) -> pd.DataFrame:
    """Median seconds of one EMBED call per batch size, and the texts per second it means.

    Each repeat takes a different slice of TEXTS, so no size is timed on one lucky batch;
    the sizes are interleaved across repeats, so a burst of load on the machine hits them
    all alike instead of one size.
    """
    embed(batch_of(texts, max(sizes)))  # warm up: first calls pay one-off allocations
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    for repeat in range(repeats):
        for size in sizes:
            batch = batch_of(texts, size, start=repeat * 97)
            started = time.perf_counter()
            embed(batch)
            timings[size].append(time.perf_counter() - started)
    rows = []
    for size in sizes:
        seconds = statistics.median(timings[size])
        rows.append(
            {"batch_size": size, "ms_per_call": 1000 * seconds, "texts_per_s": size / seconds}
        )
    return pd.DataFrame(rows)


def fit_cost(curve: pd.DataFrame, *, up_to: int) -> tuple[float, float]:
    """(fixed ms per call, ms per row): the least-squares line through sizes up to UP_TO.

    Past some size a batch stops costing the same per row (its padded arrays outgrow the
    CPU's caches), so the line is fitted where the cost model holds and the chart shows
    where it stops holding.
    """
    kept = curve[curve["batch_size"] <= up_to]
    per_row, fixed = np.polyfit(kept["batch_size"], kept["ms_per_call"], 1)
    return float(fixed), float(per_row)


# endregion


@dataclass
class LoadResult:
    """What one load test measured."""

    label: str
    clients: int
    requests: int
    wall_s: float
    latencies_ms: list[float]
    batch_sizes: list[int]
    results: dict[int, object] = field(repr=False)  # request number -> the answer it got

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))

    def row(self) -> dict[str, object]:
        return {
            "run": self.label,
            "clients": self.clients,
            "requests": self.requests,
            "model_calls": len(self.batch_sizes),
            "mean_batch": round(self.requests / len(self.batch_sizes), 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "texts_per_s": round(self.throughput),
        }


# region load-test
async def load_test(
    batcher_type,
    process: Callable[[list[str]], Sequence[object]],
    texts: Sequence[str],
    *,
    clients: int,
    requests_per_client: int,
    max_batch_size: int,
    max_wait_ms: float,
    seed: int = 0,
    label: str = "",
) -> LoadResult:
    """CLIENTS closed-loop clients, each sending REQUESTS_PER_CLIENT texts one after another.

    Request number ``c * requests_per_client + k`` (client c's k-th) always carries the
    same text, so two runs answer the same questions and their answers can be compared.
    The clients start in a shuffled order (SEED), as real ones do not arrive sorted.
    """
    latencies: list[float] = []
    results: dict[int, object] = {}
    order = list(range(clients))
    random.Random(seed).shuffle(order)

    async def client(batcher, number: int) -> None:
        for k in range(requests_per_client):
            request = number * requests_per_client + k
            started = time.perf_counter()
            results[request] = await batcher.submit(texts[request % len(texts)])
            latencies.append(1000 * (time.perf_counter() - started))

    async with batcher_type(
        process, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms
    ) as batcher:
        started = time.perf_counter()
        await asyncio.gather(*(client(batcher, number) for number in order))
        wall = time.perf_counter() - started
    return LoadResult(
        label or f"max_batch_size={max_batch_size}, max_wait_ms={max_wait_ms:g}",
        clients,
        clients * requests_per_client,
        wall,
        latencies,
        list(batcher.batch_sizes),
        results,
    )


# endregion
