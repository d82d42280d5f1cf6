"""Downsampling methods side by side, and what each keeps (06-downsampling-lttb).

Every method takes the full series and a point budget N_OUT and returns the points a chart
would draw: ``downsample(method, t, y, n_out) -> (t_out, y_out)``. Five of them pick
existing points (tsdownsample returns their indices); the bucket mean makes new ones.
The measures say what a reader of the chart would see: which spikes survive, how far the
drawn line strays from the data, and how many bytes go to the browser.
"""

from __future__ import annotations

import json
import time

import numpy as np
from downsampling_signal import Signal
from tsdownsample import (
    EveryNthDownsampler,
    LTTBDownsampler,
    M4Downsampler,
    MinMaxDownsampler,
    MinMaxLTTBDownsampler,
)


# region methods
def bucket_mean(t: np.ndarray, y: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """N_OUT buckets of equal point counts, each drawn as its mean time and mean value."""
    edges = np.linspace(0, len(y), n_out + 1).astype(np.int64)
    counts = np.diff(edges)
    ticks = t.view(np.int64)
    mean_t = np.add.reduceat(ticks, edges[:-1]) / counts
    mean_y = np.add.reduceat(y, edges[:-1]) / counts
    return np.round(mean_t).astype(np.int64).view(t.dtype), mean_y


PICKERS = {  # method name: tsdownsample picks these indices, given (t, y)
    "lttb": lambda t, y, n: LTTBDownsampler().downsample(t, y, n_out=n),
    "minmax": lambda t, y, n: MinMaxDownsampler().downsample(t, y, n_out=n),
    "m4": lambda t, y, n: M4Downsampler().downsample(t, y, n_out=n),
    "minmax-lttb": lambda t, y, n: MinMaxLTTBDownsampler().downsample(t, y, n_out=n),
    # Decimation ignores time: it keeps every (len / n)-th point, so it needs only y.
    "every-nth": lambda t, y, n: EveryNthDownsampler().downsample(y, n_out=n),
}
METHODS = (*PICKERS, "mean")


def downsample(method: str, t: np.ndarray, y: np.ndarray, n_out: int):
    """(t_out, y_out): the points METHOD keeps of (T, Y) within a budget of N_OUT."""
    if method == "mean":
        return bucket_mean(t, y, n_out)
    # M4 can pick one point twice (a bucket's first point is also its minimum, say), and
    # picks each bucket's four in value order, not time order: draw them sorted, once.
    index = np.unique(PICKERS[method](t, y, n_out).astype(np.int64))
    return t[index], y[index]


# endregion


# region measures
def spikes_kept(sig: Signal, t_out: np.ndarray, y_out: np.ndarray) -> int:
    """How many spikes the drawn points still show: a point within the spike's span whose
    value is within a tenth of the spike's height of its peak."""
    kept = 0
    for peak, height, width in zip(
        sig.spike_peaks, sig.spike_heights, sig.spike_widths, strict=True
    ):
        half = int(width) // 2
        inside = (t_out >= sig.t[peak - half]) & (t_out <= sig.t[peak + half])
        close = np.abs(y_out[inside] - sig.y[peak]) <= 0.1 * abs(height)
        kept += bool(close.any())
    return kept


def line_error(sig: Signal, t_out: np.ndarray, y_out: np.ndarray, columns: int) -> dict[str, float]:
    """How far the drawn line (straight segments through the kept points) is from the data.

    mean_abs_error: from every original point to the line, on average (the area between
    the two lines over the time span). envelope_error: what the eye compares. A chart
    COLUMNS pixels wide draws each pixel column from the lowest to the highest point in
    it; this is how far, on average over the columns, the drawn line's lowest and highest
    are from the data's.
    """
    ticks = sig.t.view(np.int64)
    drawn = np.interp(ticks, t_out.view(np.int64), y_out)
    # Columns of equal time, edges as tsdownsample's MinMax and M4 place their bins.
    step = (ticks[-1] - ticks[0]) / columns
    edges = np.searchsorted(ticks, ticks[0] + np.arange(columns) * step)
    top = np.abs(np.maximum.reduceat(sig.y, edges) - np.maximum.reduceat(drawn, edges))
    bottom = np.abs(np.minimum.reduceat(sig.y, edges) - np.minimum.reduceat(drawn, edges))
    return {
        "mean_abs_error": float(np.abs(sig.y - drawn).mean()),
        "envelope_error": float(((top + bottom) / 2).mean()),
    }


def series_json(t_out: np.ndarray, y_out: np.ndarray) -> str:
    """The JSON an API would send a chart: epoch milliseconds, values to 0.001, NaN as null.

    json.dumps writes a NaN as `NaN`, which is not JSON (a browser's JSON.parse rejects the
    whole answer); allow_nan=False makes that an error here instead.
    """
    ms = t_out.astype("datetime64[ms]").view(np.int64)
    values = np.round(y_out, 3).tolist()
    for i in np.flatnonzero(np.isnan(y_out)):
        values[i] = None
    return json.dumps({"t": ms.tolist(), "y": values}, allow_nan=False)


def compare(sig: Signal, n_out: int, columns: int) -> list[dict]:
    """One row a method: points drawn, spikes kept, line errors, bytes of JSON."""
    rows = []
    for method in METHODS:
        t_out, y_out = downsample(method, sig.t, sig.y, n_out)
        rows.append(
            {
                "method": method,
                "points": len(y_out),
                "spikes_kept": spikes_kept(sig, t_out, y_out),
                **line_error(sig, t_out, y_out, columns),
                "json_bytes": len(series_json(t_out, y_out)),
            }
        )
    return rows


# endregion


# region gaps
def break_gaps(t: np.ndarray, y: np.ndarray, max_step: np.timedelta64):
    """(t, y) with a NaN point in every step longer than MAX_STEP, so a chart breaks its
    line there (plotly leaves a gap at a missing value) instead of drawing across it."""
    after = np.flatnonzero(np.diff(t) > max_step) + 1
    middle = t[after - 1] + (t[after] - t[after - 1]) // 2
    return np.insert(t, after, middle), np.insert(y.astype(np.float64), after, np.nan)


# endregion


def best_of_ms(functions: dict, repeats: int) -> dict[str, float]:
    """The best of REPEATS timings of each function, in ms, the functions taking turns (so
    a burst of other work on a shared machine slows them alike)."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            best[name] = min(best[name], 1000 * (time.perf_counter() - started))
    return best
