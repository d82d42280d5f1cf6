"""The seeded signal of 06-downsampling-lttb: one sensor read every second, for days.

``signal(points, spikes, seed)`` returns a reading a second starting at ``START``: a slow
random walk (the drift a real sensor has), a daily cycle, measurement noise, and SPIKES
short bursts (a door left open, a faulty reading) of 3 to 9 points whose peak rises or falls
far outside the noise. The spikes are what a chart must not lose, so their peaks are
returned with the series; they are spread over the range, one to each equal stretch, so no
two share a downsampling bucket at the sizes the notebook uses.

Timestamps are ``datetime64[ms]`` (what a browser's ``Date`` holds: epoch milliseconds),
and the same arguments always give the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

START = np.datetime64("2026-11-02T00:00:00", "ms")  # a Monday, midnight UTC
DAY_S = 86_400
SPIKE_HEIGHT = (6.0, 10.0)  # degrees above or below the line; the noise is 0.2 (1 sigma)
SPIKE_WIDTH = (3, 9)  # points, shortest and longest (odd: the peak is the middle point)


@dataclass(frozen=True)
class Signal:
    t: np.ndarray  # datetime64[ms], one a second
    y: np.ndarray  # float64, degrees C
    spike_peaks: np.ndarray  # int64 index of each spike's peak, rising
    spike_heights: np.ndarray  # float64, signed: how far the peak is from the line under it
    spike_widths: np.ndarray  # int64, points in each spike

    def __len__(self) -> int:
        return len(self.y)


# region signal
def signal(points: int = 1_000_000, spikes: int = 12, seed: int = 7) -> Signal:
    """POINTS readings a second from START: walk + daily cycle + noise + SPIKES bursts."""
    rng = np.random.default_rng(seed)
    seconds = np.arange(points, dtype=np.int64)
    daily = 4.0 * np.sin(2 * np.pi * (seconds % DAY_S / DAY_S - 0.375))  # warmest at 15:00
    walk = np.cumsum(rng.normal(0.0, 0.005, points))  # slow drift: about 5 degrees in 1M s
    y = 21.0 + daily + walk + rng.normal(0.0, 0.2, points)

    # One spike in the middle half of each of SPIKES equal stretches of the range.
    stretch = points / spikes
    peaks = (np.arange(spikes) * stretch + rng.uniform(0.25, 0.75, spikes) * stretch).astype(
        np.int64
    )
    heights = rng.uniform(*SPIKE_HEIGHT, spikes) * rng.choice([-1.0, 1.0], spikes)
    widths = 2 * rng.integers(SPIKE_WIDTH[0] // 2, SPIKE_WIDTH[1] // 2 + 1, spikes) + 1
    for peak, height, width in zip(peaks, heights, widths, strict=True):
        half = width // 2
        shape = 1.0 - np.abs(np.arange(-half, half + 1)) / (half + 1)  # a triangle, 1 at the peak
        y[peak - half : peak + half + 1] += height * shape
    t = START + seconds.astype("timedelta64[s]")
    return Signal(t.astype("datetime64[ms]"), y, peaks, heights, widths)


# endregion
