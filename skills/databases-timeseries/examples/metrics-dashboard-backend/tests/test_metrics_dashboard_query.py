"""GET /query: the level auto picks for a range, LTTB's picks, rollup columns, range edges."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from metrics_dashboard.schemas import MAX_BATCH, IngestRequest
from tsdownsample import LTTBDownsampler

WEB = 'cpu_usage{host="web-01"}'
SPIKE_AT = 5_000  # the index of the one outlier in the day of data
DAY_POINTS = 8_640  # a day at one point every 10 s


def wave(i: int) -> float:
    """A slow sine with a little ripple, and one spike a chart must not lose."""
    return 1_000.0 if i == SPIKE_AT else round(50 + 20 * math.sin(i / 300) + (i % 7) * 0.1, 6)


@pytest.fixture(scope="module")
def day_points(module_store, make_points) -> list[dict]:
    """A day of one series in the module's store, written once: these tests only read."""
    points = make_points(DAY_POINTS, value=wave)
    for start in range(0, DAY_POINTS, MAX_BATCH):
        module_store.ingest(IngestRequest(points=points[start : start + MAX_BATCH]).points)
    return points


@pytest.fixture
def day(mount, module_store, day_points):
    return mount(module_store), day_points


def chart(api, start, end, **params):
    response = api.get(
        "/query",
        params={"series": WEB, "start": start.isoformat(), "end": end.isoformat(), **params},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("span", "max_points", "level", "rows"),
    [
        (timedelta(minutes=30), 1_000, "raw", 180),  # 180 raw points fit
        (timedelta(hours=2), 1_000, "raw", 720),
        (timedelta(hours=6), 1_000, "1m", 360),  # 2,160 raw do not; 360 minutes do
        (timedelta(days=1), 2_000, "1m", 1_440),
        (timedelta(days=1), 1_000, "1h", 24),  # 1,440 minutes do not fit 1,000
        (timedelta(days=30), 100, "1h", 24),  # only one day holds data
    ],
)
def test_auto_takes_the_finest_level_that_fits(day, t0, span, max_points, level, rows):
    api, _ = day
    answer = chart(api, t0, t0 + span, max_points=max_points)
    assert answer["requested"] == "auto"
    assert (answer["granularity"], answer["source_points"], answer["downsampled"]) == (
        level,
        rows,
        False,
    )
    assert len(answer["t"]) == rows


def test_lttb_picks_what_tsdownsample_picks_and_keeps_the_spike(day, t0):
    api, points = day
    answer = chart(api, t0, t0 + timedelta(days=1), granularity="raw", max_points=500)
    assert answer["downsampled"] and answer["source_points"] == DAY_POINTS
    assert len(answer["t"]) == len(answer["value"]) == 500

    t_us = np.array([int(t0.timestamp() * 1e6) + 10_000_000 * i for i in range(DAY_POINTS)])
    values = np.array([p["value"] for p in points])
    keep = LTTBDownsampler().downsample(t_us, values, n_out=500)
    assert answer["t"] == (t_us[keep] // 1000).tolist()
    assert answer["value"] == values[keep].tolist()
    assert answer["t"][0] == t_us[0] // 1000 and answer["t"][-1] == t_us[-1] // 1000
    assert 1_000.0 in answer["value"]  # LTTB keeps the outlier an every-nth sample drops
    assert 1_000.0 not in values[:: DAY_POINTS // 500].tolist()


def test_a_rollup_answers_mean_min_max_and_count(day, t0):
    api, points = day
    answer = chart(api, t0, t0 + timedelta(hours=1), granularity="1m")
    assert answer["count"] == [6] * 60
    first_minute = [p["value"] for p in points[:6]]
    assert answer["value"][0] == pytest.approx(sum(first_minute) / 6)
    assert (answer["min"][0], answer["max"][0]) == (min(first_minute), max(first_minute))
    assert answer["t"][1] - answer["t"][0] == 60_000


def test_the_range_is_start_inclusive_end_exclusive(day, t0):
    api, _ = day
    answer = chart(api, t0 + timedelta(seconds=10), t0 + timedelta(seconds=40), granularity="raw")
    assert [t - answer["t"][0] for t in answer["t"]] == [0, 10_000, 20_000]
    # A rollup bucket counts when its start is in the range or it holds start.
    minutes = chart(api, t0 + timedelta(seconds=30), t0 + timedelta(minutes=2), granularity="1m")
    assert len(minutes["t"]) == 2


def test_an_empty_range_is_an_empty_chart(day, t0):
    api, _ = day
    answer = chart(api, t0 - timedelta(days=2), t0 - timedelta(days=1))
    assert (answer["source_points"], answer["t"], answer["value"]) == (0, [], [])


def test_a_downsampled_answer_is_smaller(day, t0):
    api, _ = day
    params = {"granularity": "raw"}
    full = api.get(
        "/query",
        params={
            "series": WEB,
            "start": t0.isoformat(),
            "max_points": 10_000,
            "end": (t0 + timedelta(days=1)).isoformat(),
            **params,
        },
    )
    small = api.get(
        "/query",
        params={
            "series": WEB,
            "start": t0.isoformat(),
            "max_points": 500,
            "end": (t0 + timedelta(days=1)).isoformat(),
            **params,
        },
    )
    assert len(small.content) * 10 < len(full.content)
