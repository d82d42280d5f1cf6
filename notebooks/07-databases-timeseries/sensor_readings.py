"""Seeded sensor readings for the timeseries series (notebooks 07-02, 07-03, 07-04, 07-07).

``readings(sensors, days, interval_s, seed)`` returns what a fleet of IoT sensors reports:
one row a sensor every INTERVAL_S seconds with a temperature and a humidity, a daily cycle,
a per-sensor offset, slow drift and noise. Two things real fleets do are built in, because
the lessons need them:

- outages: each sensor goes silent for a few stretches (a missing run of rows, not NULLs),
  which is what gap filling has to find;
- late data: ``split_late`` holds back a share of the rows, which arrive after the rollup
  that should have counted them was computed.

Timestamps are naive UTC ``datetime64[us]`` (DuckDB reads them as TIMESTAMP), and the same
arguments always give the same frame.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

START = datetime(2026, 11, 2)  # the first reading (a Monday, midnight UTC)
OUTAGES_PER_SENSOR = 3  # silent stretches per sensor over the whole range
OUTAGE_MINUTES = (5, 90)  # shortest and longest outage


def sensor_names(sensors: int) -> list[str]:
    return [f"sensor-{number:03d}" for number in range(1, sensors + 1)]


def readings(
    sensors: int = 20, days: float = 7, interval_s: int = 10, seed: int = 7
) -> pd.DataFrame:
    """One row a sensor every INTERVAL_S seconds over DAYS days, minus each sensor's outages.

    Columns: ts (datetime64[us]), sensor (str), temperature (deg C), humidity (%), sorted by
    ts then sensor, as a fleet's gateway would deliver them.
    """
    rng = np.random.default_rng(seed)
    steps = int(days * 86_400 // interval_s)
    offsets_s = np.arange(steps, dtype=np.int64) * interval_s
    hour_of_day = (offsets_s % 86_400) / 3_600
    daily = np.sin(2 * np.pi * (hour_of_day - 9) / 24)  # warmest at 15:00, coolest at 03:00

    names = sensor_names(sensors)
    base = rng.normal(21.0, 2.0, sensors)  # each room has its own level
    swing = rng.uniform(1.5, 4.0, sensors)
    frames = []
    for index, name in enumerate(names):
        drift = np.cumsum(rng.normal(0, 0.002, steps))  # a slow random walk
        temperature = base[index] + swing[index] * daily + drift + rng.normal(0, 0.15, steps)
        humidity = np.clip(
            55 - 1.8 * (temperature - base[index]) + rng.normal(0, 1.0, steps), 5, 100
        )
        keep = np.ones(steps, dtype=bool)
        for _ in range(OUTAGES_PER_SENSOR):
            length = int(rng.integers(*OUTAGE_MINUTES) * 60 // interval_s)
            begin = int(rng.integers(0, max(1, steps - length)))
            keep[begin : begin + length] = False
        frames.append(
            pd.DataFrame(
                {
                    "ts": (
                        np.datetime64(START, "us") + offsets_s[keep].astype("timedelta64[s]")
                    ).astype("datetime64[us]"),
                    "sensor": name,
                    "temperature": temperature[keep].round(3),
                    "humidity": humidity[keep].round(2),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["ts", "sensor"], kind="stable", ignore_index=True)


def split_late(
    frame: pd.DataFrame, share: float = 0.02, seed: int = 11
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(on time, late): SHARE of the rows, picked at random, held back to arrive later."""
    if not 0 <= share < 1:
        raise ValueError(f"share: expected a fraction in [0, 1), got {share!r}")
    late = np.random.default_rng(seed).random(len(frame)) < share
    return frame[~late].reset_index(drop=True), frame[late].reset_index(drop=True)
