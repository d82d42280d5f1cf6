"""POST /metrics over a real uvicorn: batched, idempotent on (series, ts), series by key."""

from __future__ import annotations

from datetime import timedelta

WEB = 'cpu_usage{host="web-01"}'


def query(api, series, start, end, **params):
    response = api.get(
        "/query",
        params={"series": series, "start": start.isoformat(), "end": end.isoformat(), **params},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_batch_round_trips_over_http(api, make_points, t0):
    points = make_points(30, value=lambda i: i * 0.5)
    response = api.post("/metrics", json={"points": points})
    assert response.status_code == 200
    result = response.json()
    assert result | {"refresh": None} == {
        "received": 30,
        "created": 30,
        "updated": 0,
        "unchanged": 0,
        "new_series": 1,
        "late": 0,
        "refresh": None,
    }
    # The refresh ran in the same request: 30 points every 10 s cover 5 minutes, 1 hour.
    assert result["refresh"] == {"minutes": 5, "hours": 1, "watermark": "2024-03-01T00:05:00Z"}

    series = api.get("/series").json()
    assert series == {
        "data": [
            {
                "key": WEB,
                "name": "cpu_usage",
                "labels": {"host": "web-01"},
                "first": "2024-03-01T00:00:00Z",
                "last": "2024-03-01T00:04:00Z",
                "points": 30,
            }
        ],
        "next_cursor": None,
    }
    chart = query(api, WEB, t0, t0 + timedelta(minutes=5), granularity="raw")
    assert chart["granularity"] == "raw" and not chart["downsampled"]
    assert chart["value"] == [i * 0.5 for i in range(30)]
    epoch_ms = int(t0.timestamp() * 1000)
    assert chart["t"] == [epoch_ms + 10_000 * i for i in range(30)]
    assert "min" not in chart  # rollup columns only for rollups


def test_a_retried_batch_writes_nothing(api, make_points, ingest, t0):
    points = make_points(500)
    first = ingest(api, points)
    assert (first["created"], first["unchanged"]) == (500, 0)
    before = api.store.rollup_rows("1m")
    retry = api.post("/metrics", json={"points": points}).json()
    assert (retry["created"], retry["updated"], retry["unchanged"]) == (0, 0, 500)
    # Nothing changed, so nothing was invalidated and nothing recomputed.
    assert retry["refresh"]["minutes"] == 0 and retry["late"] == 0
    chart = query(api, WEB, t0, t0 + timedelta(hours=2), granularity="raw", max_points=10_000)
    assert chart["source_points"] == 500
    assert api.store.rollup_rows("1m") == before


def test_a_new_value_at_a_known_instant_replaces_the_old_one(api, make_points, t0):
    api.post("/metrics", json={"points": make_points(12)})  # two minutes, values 0..11
    fix = make_points(1, start=t0 + timedelta(seconds=30), value=lambda i: 99.0)
    result = api.post("/metrics", json={"points": fix}).json()
    assert (result["created"], result["updated"], result["late"]) == (0, 1, 1)
    assert result["refresh"]["minutes"] == 1  # only the minute it changed
    minutes = query(api, WEB, t0, t0 + timedelta(minutes=2), granularity="1m")
    assert minutes["count"] == [6, 6]
    assert minutes["max"] == [99.0, 11.0]
    assert minutes["value"][0] == (0 + 1 + 2 + 99 + 4 + 5) / 6


def test_a_series_is_its_name_and_labels_in_any_order_and_offset(api, t0):
    one = {"name": "rps", "labels": {"b": "2", "a": "1"}, "ts": "2024-03-01T01:00:00+01:00"}
    same = {"name": "rps", "labels": {"a": "1", "b": "2"}, "ts": "2024-03-01T00:00:00Z"}
    assert api.post("/metrics", json={"points": [{**one, "value": 1}]}).json()["created"] == 1
    again = api.post("/metrics", json={"points": [{**same, "value": 1}]}).json()
    assert (again["created"], again["unchanged"], again["new_series"]) == (0, 1, 0)
    unix = {**same, "ts": int(t0.timestamp()), "value": 1}  # Unix seconds: the same instant
    assert api.post("/metrics", json={"points": [unix]}).json()["unchanged"] == 1
    keys = [s["key"] for s in api.get("/series").json()["data"]]
    assert keys == ['rps{a="1",b="2"}']


def test_one_instant_twice_in_a_batch_is_refused(api, problem):
    point = {"name": "rps", "ts": "2024-03-01T00:00:00Z", "value": 1}
    twin = {**point, "ts": "2024-03-01T02:00:00+02:00", "value": 2}
    body = problem(api.post("/metrics", json={"points": [point, twin]}), 422)
    assert body["detail"].startswith("points: points[1] repeats the series and ts of points[0]")
    assert api.get("/series").json()["data"] == []  # nothing of the batch was written


def test_series_pages_by_cursor(api, t0):
    points = [
        {"name": "temp", "labels": {"room": f"r{i:02d}"}, "ts": t0.isoformat(), "value": i}
        for i in range(7)
    ]
    api.post("/metrics", json={"points": points})
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.get("/series", params=params).json()
        seen += [s["labels"]["room"] for s in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"r{i:02d}" for i in range(7)]
    assert api.get("/series", params={"name": "other"}).json()["data"] == []


def test_the_openapi_document_declares_problem_details(api):
    document = api.get("/openapi.json").json()
    ingest = document["paths"]["/metrics"]["post"]["responses"]
    assert set(ingest["422"]["content"]) == {"application/problem+json"}
    assert set(ingest["413"]["content"]) == {"application/problem+json"}
    series = document["paths"]["/series"]["get"]["parameters"]
    assert {p["name"] for p in series} == {"name", "limit", "cursor"}
