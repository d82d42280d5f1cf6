"""The outages sensor_readings.readings built, known without looking at its rows (07-03).

``readings`` draws each sensor's outages from its random generator, between the values
and the noise, and throws the draws away. To check a query that finds outages in the
data against what was really built, ``planned_outages`` replays the same generator with
the same arguments, consuming the same draws in the same order, and keeps the outages:
one line a silent stretch (overlapping outages of one sensor merge into one).

``missing_readings`` says how many readings the plan removes; the notebook checks it
against the frame, so a change to the generator fails loudly here instead of silently
checking the wrong thing.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from sensor_readings import OUTAGE_MINUTES, OUTAGES_PER_SENSOR, START, sensor_names


def missing_masks(sensors: int, days: float, interval_s: int, seed: int) -> dict[str, np.ndarray]:
    """Sensor -> boolean mask over the time steps, True where readings() dropped a row."""
    rng = np.random.default_rng(seed)
    steps = int(days * 86_400 // interval_s)
    rng.normal(21.0, 2.0, sensors)  # base levels
    rng.uniform(1.5, 4.0, sensors)  # daily swings
    masks = {}
    for name in sensor_names(sensors):
        rng.normal(0, 0.002, steps)  # drift
        rng.normal(0, 0.15, steps)  # temperature noise
        rng.normal(0, 1.0, steps)  # humidity noise
        missing = np.zeros(steps, dtype=bool)
        for _ in range(OUTAGES_PER_SENSOR):
            length = int(rng.integers(*OUTAGE_MINUTES) * 60 // interval_s)
            begin = int(rng.integers(0, max(1, steps - length)))
            missing[begin : begin + length] = True
        masks[name] = missing
    return masks


def planned_outages(sensors: int, days: float, interval_s: int, seed: int) -> pd.DataFrame:
    """One row a silent stretch: sensor, first_missing, last_missing, missing_rows."""
    rows = []
    for name, missing in missing_masks(sensors, days, interval_s, seed).items():
        edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
        for begin, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            rows.append(
                {
                    "sensor": name,
                    "first_missing": START + timedelta(seconds=int(begin) * interval_s),
                    "last_missing": START + timedelta(seconds=int(end - 1) * interval_s),
                    "missing_rows": int(end - begin),
                }
            )
    return pd.DataFrame(rows).astype(
        {"first_missing": "datetime64[us]", "last_missing": "datetime64[us]"}
    )


def missing_readings(sensors: int, days: float, interval_s: int, seed: int) -> int:
    return int(sum(mask.sum() for mask in missing_masks(sensors, days, interval_s, seed).values()))
