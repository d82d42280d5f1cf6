"""Rollups refreshed incrementally equal the rollups recomputed from scratch, late data included."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from metrics_dashboard.schemas import IngestRequest


def assert_equal_to_full_recompute(store) -> None:
    for level in ("1m", "1h"):
        incremental, full = store.rollup_rows(level), store.full_recompute(level)
        assert len(incremental) == len(full) > 0
        for kept, fresh in zip(incremental, full, strict=True):
            series, bucket, count, total, low, high = kept
            assert (series, bucket, count, low, high) == (fresh[0], fresh[1], fresh[2], *fresh[4:])
            # Sums of minutes and a sum of points add the same floats in another order.
            assert total == pytest.approx(fresh[3], rel=1e-12, abs=1e-9)


def sensor_points(make_points, seed: int, hosts: int = 3, count: int = 2_000) -> list[dict]:
    rng = random.Random(seed)
    points = []
    for host in range(hosts):
        points += make_points(
            count,
            labels={"host": f"h{host}"},
            step_s=7,
            value=lambda i: round(rng.gauss(50, 10), 3),
        )
    return points


def batches(points: list[dict], size: int) -> list[list[dict]]:
    return [points[i : i + size] for i in range(0, len(points), size)]


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_equals_full_recompute_after_late_points(store, make_points, seed):
    points = sensor_points(make_points, seed)
    rng = random.Random(seed)
    late = set(rng.sample(range(len(points)), len(points) // 10))
    on_time = [p for i, p in enumerate(points) if i not in late]
    on_time.sort(key=lambda p: p["ts"])
    stragglers = [points[i] for i in sorted(late)]
    rng.shuffle(stragglers)

    for batch in batches(on_time, 1_000):  # in time order, the rollups refreshed each time
        store.ingest(IngestRequest(points=batch).points)
    assert_equal_to_full_recompute(store)
    watermark, _ = store.state()

    reported_late = 0
    for batch in batches(stragglers, 150):  # behind the watermark, in no order
        counts = store.ingest(IngestRequest(points=batch).points)
        reported_late += counts.late
        assert counts.refresh.watermark == watermark  # late data does not move it
    assert reported_late == len(stragglers)
    assert_equal_to_full_recompute(store)

    # Corrections (new values at known instants) are recomputed too, min and max included.
    corrected = [{**p, "value": -1_000.0} for p in rng.sample(on_time, 40)]
    store.ingest(IngestRequest(points=corrected).points)
    assert_equal_to_full_recompute(store)


def test_a_late_point_recomputes_only_its_own_buckets(store, make_points, t0):
    store.ingest(IngestRequest(points=make_points(3 * 360)).points)  # 3 hours, every 10 s
    late = make_points(1, start=t0 + timedelta(minutes=70, seconds=5), value=lambda i: 1e6)
    counts = store.ingest(IngestRequest(points=late).points)
    assert (counts.late, counts.refresh.minutes, counts.refresh.hours) == (1, 1, 1)
    hours = {row[1]: row for row in store.rollup_rows("1h")}
    assert hours[t0.replace(tzinfo=None) + timedelta(hours=1)][5] == 1e6  # its hour's max
    assert_equal_to_full_recompute(store)


def test_refresh_on_demand_when_ingest_does_not(serve, make_points, ingest, t0):
    api = serve(refresh_on_ingest=False)
    points = make_points(600)
    result = ingest(api, points)
    assert result["created"] == 600
    assert api.post("/metrics", json={"points": points[:1]}).json()["refresh"] is None
    day = {"series": 'cpu_usage{host="web-01"}', "start": t0.isoformat()}
    day["end"] = (t0 + timedelta(hours=2)).isoformat()
    stale = api.get("/query", params={**day, "granularity": "1m"}).json()
    assert stale["source_points"] == 0  # nothing rolled up yet

    refreshed = api.post("/rollups/refresh").json()
    assert refreshed == {"minutes": 100, "hours": 2, "watermark": "2024-03-01T01:40:00Z"}
    assert api.post("/rollups/refresh").json()["minutes"] == 0  # nothing new: nothing to do
    fresh = api.get("/query", params={**day, "granularity": "1m"}).json()
    assert fresh["source_points"] == 100 and fresh["count"] == [6] * 100
    assert_equal_to_full_recompute(api.store)


def test_concurrent_ingests_and_queries_agree(api, make_points, t0):
    """Writers take turns (one lock), readers do not wait for them: every point lands once."""
    hosts = [f"h{i}" for i in range(4)]
    batches = {host: make_points(1_200, labels={"host": host}, step_s=5) for host in hosts}
    params = {"start": t0.isoformat(), "end": (t0 + timedelta(hours=2)).isoformat()}

    def write(host: str) -> int:
        points = batches[host]
        created = 0
        for start in range(0, len(points), 300):
            response = api.post("/metrics", json={"points": points[start : start + 300]})
            created += response.json()["created"]
            series = {"series": f'cpu_usage{{host="{hosts[0]}"}}', **params}
            assert api.get("/query", params=series).status_code in (200, 404)
        return created

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(write, hosts)) == [1_200] * 4
    assert_equal_to_full_recompute(api.store)
    assert sum(row[2] for row in api.store.rollup_rows("1h")) == 4_800
