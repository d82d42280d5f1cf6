"""A chart's query: pick the level (raw, 1m or 1h) for the range, then LTTB down to max_points.

``auto`` takes the finest level whose rows in the range fit ``max_points``: a 15-minute
range reads raw points, a day the 1-minute rollup, a month the 1-hour rollup. Raw is
skipped when the range starts before the raw horizon (retention dropped those points, and
a chart half empty would look like an outage). When even the 1-hour rollup has more rows
than ``max_points``, or an explicit granularity was asked, Largest-Triangle-Three-Buckets
(tsdownsample's) picks which rows to send: the first and last, and in each of the
``max_points - 2`` buckets between, the point making the largest triangle with its
neighbours' picks, which keeps the peaks and dips a chart's reader looks for.
"""

from __future__ import annotations

import numpy as np
from tsdownsample import LTTBDownsampler

from .schemas import Level, QueryParams, QueryResult
from .store import InputRejected, MetricsStore, Read

FINEST_FIRST: tuple[Level, ...] = ("raw", "1m", "1h")


def choose_level(store: MetricsStore, series_id: int, params: QueryParams) -> tuple[Level, int]:
    """The level to read and its row count in the range."""
    if params.granularity != "auto":
        level = params.granularity
        return level, store.count(series_id, level, params.start, params.end)
    _, horizon = store.state()
    for level in FINEST_FIRST:
        if level == "raw" and params.start < horizon:
            continue
        rows = store.count(series_id, level, params.start, params.end)
        if rows <= params.max_points or level == "1h":
            return level, rows
    raise AssertionError("unreachable: 1h always returns")


def lttb(t_us: np.ndarray, value: np.ndarray, n_out: int) -> np.ndarray:
    """Indices of the N_OUT points LTTB keeps (all of them when there are no more)."""
    if len(t_us) <= n_out:
        return np.arange(len(t_us))
    return LTTBDownsampler().downsample(t_us, value, n_out=n_out).astype(np.int64)


def answer(store: MetricsStore, params: QueryParams, *, max_source_points: int) -> QueryResult:
    series_id = store.series_id(params.series)  # UnknownSeries: a 404
    level, rows = choose_level(store, series_id, params)
    if rows > max_source_points:
        # Downsampling needs every row in memory first: bound what one request may read.
        raise InputRejected(
            [
                (
                    ("granularity",),
                    f"{level} holds {rows} points in this range, more than the "
                    f"{max_source_points} one query may read; ask for auto, a coarser "
                    "granularity or a shorter range",
                )
            ]
        )
    read: Read = store.read(series_id, level, params.start, params.end)
    keep = lttb(read.t_us, read.value, params.max_points)

    def column(values: np.ndarray | None) -> list | None:
        return None if values is None else values[keep].tolist()

    return QueryResult(
        series=params.series,
        start=params.start,
        end=params.end,
        requested=params.granularity,
        granularity=level,
        source_points=len(read.t_us),
        downsampled=len(keep) < len(read.t_us),
        t=(read.t_us[keep] // 1000).tolist(),
        value=read.value[keep].tolist(),
        min=column(read.min),
        max=column(read.max),
        count=column(read.count),
    )
