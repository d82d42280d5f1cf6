"""Retention drops old raw points and keeps the rollups, which still answer for the old range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from metrics_dashboard.schemas import IngestRequest

WEB = 'cpu_usage{host="web-01"}'
FOUR_DAYS = 4 * 24 * 60  # one point a minute


def write(store, points, **options):
    for start in range(0, len(points), 10_000):
        store.ingest(IngestRequest(points=points[start : start + 10_000]).points, **options)


def test_retention_drops_raw_and_keeps_rollups(serve, make_points, problem, t0):
    api = serve()
    store = api.store
    write(store, make_points(FOUR_DAYS, step_s=60))
    minutes, hours = store.rollup_rows("1m"), store.rollup_rows("1h")
    # "Now" is the end of day 4 plus 30 minutes: two days back is day 2, 00:30, and the
    # cutoff is rounded down to the hour so no bucket keeps only part of its raw points.
    result = store.apply_retention(2, now=t0 + timedelta(days=4, minutes=30))
    assert result.cutoff == t0 + timedelta(days=2)
    assert result.dropped == 2 * 24 * 60
    assert store.rollup_rows("1m") == minutes and store.rollup_rows("1h") == hours
    assert store.state()[1] == t0 + timedelta(days=2)  # the raw horizon

    old = {"series": WEB, "start": t0.isoformat(), "end": (t0 + timedelta(days=1)).isoformat()}
    raw = api.get("/query", params=old | {"granularity": "raw"}).json()
    assert raw["source_points"] == 0  # the raw points are gone ...
    hourly = api.get("/query", params=old | {"granularity": "1h"}).json()
    assert hourly["count"] == [60] * 24  # ... and the hours still know them
    # auto does not pick raw for a range before the horizon, even when it would fit.
    short = old | {"end": (t0 + timedelta(minutes=30)).isoformat()}
    assert api.get("/query", params=short).json()["granularity"] == "1m"
    recent = short | {"start": (t0 + timedelta(days=3)).isoformat()}
    recent["end"] = (t0 + timedelta(days=3, minutes=30)).isoformat()
    assert api.get("/query", params=recent).json()["granularity"] == "raw"

    # A point for before the horizon cannot be rolled up any more: refused, by index.
    stale = make_points(2, start=t0 + timedelta(days=2) - timedelta(seconds=30), step_s=60)
    body = problem(api.post("/metrics", json={"points": stale}), 422)
    assert body["detail"].startswith("points[0].ts: is before 2024-03-03T00:00:00Z")
    assert [e["loc"] for e in body["errors"]] == [["body", "points", 0, "ts"]]


def test_retention_refreshes_first_so_the_rollups_hold_what_goes(store, make_points, t0):
    write(store, make_points(3 * 24 * 60, step_s=60), refresh=False)
    assert store.rollup_rows("1h") == []
    expected = store.full_recompute("1h")
    store.apply_retention(1, now=t0 + timedelta(days=3))
    assert store.rollup_rows("1h") == expected


def test_retention_twice_never_moves_the_horizon_back(store, make_points, t0):
    write(store, make_points(60, step_s=3600))
    store.apply_retention(1, now=t0 + timedelta(days=2))
    store.apply_retention(1, now=t0 + timedelta(days=1))  # an earlier clock: nothing more
    assert store.state()[1] == t0 + timedelta(days=1)
    with pytest.raises(ValueError, match="days must be at least 1"):
        store.apply_retention(0)
