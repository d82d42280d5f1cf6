"""Largest-Triangle-Three-Buckets (Steinarsson 2013), written twice for 06-downsampling-lttb.

LTTB keeps N_OUT of N points so that the line through them looks like the line through all:
the first and last points always, and one point from each of N_OUT - 2 buckets between
them, the one that makes the largest triangle with the point kept in the bucket before and
the average point of the bucket after. A spike makes a tall triangle, so it is kept.

- ``lttb_plain`` is the algorithm as the thesis describes it, one point at a time on Python
  lists: read it to understand LTTB (and only run it on small inputs).
- ``lttb_numpy`` is the same algorithm with the work inside each bucket done by numpy: one
  Python iteration a bucket, not a point.

Both follow tsdownsample's ``LTTBDownsampler`` exactly (its bucket edges, its third corner,
the order of its arithmetic), so both return the indices it returns; the notebook asserts it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


# region plain
def lttb_plain(x: Sequence[float], y: Sequence[float], n_out: int) -> list[int]:
    """The indices of the N_OUT points LTTB keeps, one point at a time."""
    n = len(x)
    if n_out >= n:
        return list(range(n))
    if n_out < 3:
        raise ValueError(
            f"n_out: LTTB keeps the first, the last and at least one bucket, got {n_out}"
        )
    # The points between the first and the last are cut into n_out - 2 buckets of `every`
    # points each; `every` is a fraction, so the edges are rounded down.
    every = (n - 2) / (n_out - 2)

    def edge(bucket: int) -> int:  # where bucket number BUCKET starts
        return min(int(bucket * every) + 1, n)

    kept = [0]  # the first point is always kept
    a = 0  # the triangle's first corner: the point kept in the bucket before
    for bucket in range(n_out - 2):
        start, end, next_end = edge(bucket), edge(bucket + 1), edge(bucket + 2)
        # The third corner: the next bucket's average point. Its y is the mean y; its x the
        # middle of the bucket's time span (tsdownsample's choice; the thesis takes the mean
        # x, which is the same for evenly spaced points).
        c_x = (x[end] + x[next_end - 1]) / 2
        c_y = sum(y[end:next_end]) / (next_end - end)
        best, best_area = start, -1.0
        for b in range(start, end):
            # Twice the area of triangle (a, b, c): the cross product of b - a and c - a.
            area = abs((x[b] - x[a]) * (c_y - y[a]) - (y[b] - y[a]) * (c_x - x[a]))
            if area > best_area:  # strictly larger: on a tie the earlier point stays
                best, best_area = b, area
        kept.append(best)
        a = best  # the point just kept is the next triangle's first corner
    kept.append(n - 1)  # and the last point is always kept
    return kept


# endregion


# region numpy
def lttb_numpy(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """The same indices as ``lttb_plain``, one Python iteration a bucket."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.datetime64):  # a time axis: its integer ticks are the x
        x = x.view(np.int64)
    xf, yf = x.astype(np.float64), np.asarray(y, dtype=np.float64)
    n = len(yf)
    if n_out >= n:
        return np.arange(n)
    if n_out < 3:
        raise ValueError(
            f"n_out: LTTB keeps the first, the last and at least one bucket, got {n_out}"
        )
    every = (n - 2) / (n_out - 2)
    # Every bucket's edges at once: bucket i is edges[i]:edges[i + 1].
    edges = np.minimum((np.arange(n_out) * every).astype(np.int64) + 1, n)
    kept = np.empty(n_out, dtype=np.int64)
    kept[0], kept[-1] = 0, n - 1
    a = 0
    for i in range(n_out - 2):
        start, end, next_end = edges[i], edges[i + 1], edges[i + 2]
        c_x = (xf[next_end - 1] + xf[end]) / 2
        c_y = yf[end:next_end].mean()
        # The cross product of plain's loop, multiplied out: d1 * (y - y_a) + d2 * (x - x_a),
        # with the constant part (offset) taken out of the per-point work. It is the same
        # number as plain's, computed in tsdownsample's order, so it rounds as it does and
        # near-ties go the same way.
        d1, d2 = xf[a] - c_x, c_y - yf[a]
        offset = d1 * yf[a] + d2 * xf[a]
        area = np.abs(d1 * yf[start:end] + d2 * xf[start:end] - offset)
        a = start + int(np.argmax(area))  # argmax: the first of equal areas, as plain's `>`
        kept[i + 1] = a
    return kept


# endregion
