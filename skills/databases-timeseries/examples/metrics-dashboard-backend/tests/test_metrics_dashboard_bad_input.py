"""Attacks and mistakes: SQL metacharacters, oversize bodies, bad ranges and timestamps, caps.

Each is answered with an RFC 9457 problem whose detail names the parameter, and the
tables are intact afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from metrics_dashboard.schemas import MAX_BATCH, MAX_POINTS

INJECTIONS = [
    "'); DROP TABLE points; --",
    "x' OR '1'='1",
    'a"b\\c',  # the key's own quoting characters
    "$1; SELECT * FROM series",
    "%' UNION SELECT key FROM series --",
]
WEB = 'cpu_usage{host="web-01"}'


def tables_intact(api) -> None:
    for level in ("1m", "1h"):
        assert api.store.rollup_rows(level) == api.store.full_recompute(level)
    assert api.get("/series").status_code == 200


@pytest.mark.parametrize("value", INJECTIONS)
def test_sql_metacharacters_in_labels_are_stored_as_text(api, t0, value):
    point = {"name": "logins", "labels": {"user": value}, "ts": t0.isoformat(), "value": 1}
    assert api.post("/metrics", json={"points": [point]}).json()["created"] == 1
    listed = api.get("/series").json()["data"]
    assert [s["labels"] for s in listed] == [{"user": value}]
    key = listed[0]["key"]
    answer = api.get(
        "/query",
        params={"series": key, "start": t0.isoformat(), "end": (t0 + timedelta(1)).isoformat()},
    ).json()
    assert answer["value"] == [1.0]
    tables_intact(api)


@pytest.mark.parametrize("name", INJECTIONS[:2] + ["cpu usage", "1st", ""])
def test_a_metric_name_outside_the_pattern_is_a_422(shared_api, problem, t0, name):
    point = {"name": name, "ts": t0.isoformat(), "value": 1}
    body = problem(shared_api.post("/metrics", json={"points": [point]}), 422)
    assert body["detail"].startswith("points[0].name: String should")
    assert body["errors"][0]["loc"] == ["body", "points", 0, "name"]
    assert name not in str(body["errors"]) or name == ""  # the input is never echoed


@pytest.mark.parametrize("series", INJECTIONS)
def test_sql_metacharacters_in_query_parameters_find_nothing(
    shared_api, make_points, problem, t0, series
):
    shared_api.post("/metrics", json={"points": make_points(10)})
    params = {"series": series, "start": t0.isoformat(), "end": (t0 + timedelta(1)).isoformat()}
    body = problem(shared_api.get("/query", params=params), 404)
    assert body["detail"].startswith("series: no series")
    problem(shared_api.get("/series", params={"name": series}), 422)
    problem(shared_api.get("/series", params={"cursor": series}), 422)
    assert shared_api.get("/series").json()["data"][0]["points"] == 10
    tables_intact(shared_api)


@pytest.mark.parametrize(
    ("labels", "where"),
    [
        ({f"l{i}": "v" for i in range(9)}, "points[0].labels"),  # more than 8
        ({"host": "x" * 129}, "points[0].labels.host"),
        ({"host": "line\nbreak"}, "points[0].labels.host"),  # would forge a log line
        ({"host": ""}, "points[0].labels.host"),
        ({"bad-name": "v"}, 'points[0].labels["bad-name"][key]'),
        ({"a\nb": "v"}, 'points[0].labels["a\\nb"][key]'),  # quoted: still one line
    ],
)
def test_labels_are_bounded(shared_api, problem, t0, labels, where):
    point = {"name": "rps", "labels": labels, "ts": t0.isoformat(), "value": 1}
    body = problem(shared_api.post("/metrics", json={"points": [point]}), 422)
    assert body["detail"].startswith(where + ":")


@pytest.mark.parametrize(
    ("ts", "message"),
    [
        ("2024-03-01T00:00:00", "Input should have timezone info"),  # naive: whose local time?
        ("yesterday", "Input should be a valid datetime"),
        ("2024-13-01T00:00:00Z", "Input should be a valid datetime"),
        ("1969-12-31T23:59:59Z", "must be from 1970-01-01"),
        (None, "Input should be a valid datetime"),
    ],
)
def test_malformed_timestamps_in_a_batch_are_a_422(shared_api, problem, ts, message):
    body = problem(
        shared_api.post("/metrics", json={"points": [{"name": "x", "ts": ts, "value": 1}]}), 422
    )
    assert body["detail"].startswith(f"points[0].ts: {message}")


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b'"12"'])
def test_values_must_be_finite_numbers(api, problem, raw):
    content = b'{"points": [{"name": "x", "ts": "2024-03-01T00:00:00Z", "value": ' + raw + b"}]}"
    response = api.post("/metrics", content=content, headers={"content-type": "application/json"})
    if raw == b'"12"':  # a numeric string is coerced, as pydantic's lax mode does
        assert response.status_code == 200
        return
    assert problem(response, 422)["detail"].startswith("points[0].value:")


def test_batches_and_fields_are_capped(shared_api, problem, make_points):
    too_many = make_points(MAX_BATCH + 1)
    body = problem(shared_api.post("/metrics", json={"points": too_many}), 422)
    assert body["detail"].startswith("points: List should have at most 10000 items")
    problem(shared_api.post("/metrics", json={"points": []}), 422)
    extra = {"points": make_points(1), "dry_run": True}
    assert problem(shared_api.post("/metrics", json=extra), 422)["detail"].startswith(
        "dry_run: Extra"
    )
    misspelt = [{**make_points(1)[0], "valeu": 2}]
    problem(shared_api.post("/metrics", json={"points": misspelt}), 422)


def test_a_body_over_the_limit_is_a_413_with_or_without_content_length(serve, problem):
    api = serve(max_body_bytes=16 * 1024)
    big = b'{"points": [' + b" " * 20_000 + b"]}"
    body = problem(api.post("/metrics", content=big), 413)
    assert body["detail"] == "The request body exceeds 16384 bytes."

    def chunks():
        yield b'{"points": ['
        for _ in range(40):
            yield b" " * 1024

    problem(api.post("/metrics", content=chunks()), 413)  # chunked: counted as it arrives
    assert api.get("/health").json() == {"status": "ok"}  # and the server is fine


def test_the_series_cap_refuses_a_cardinality_explosion(serve, problem, t0):
    api = serve(max_series=3)
    points = [
        {"name": "req", "labels": {"request_id": f"r{i}"}, "ts": t0.isoformat(), "value": 1}
        for i in range(4)
    ]
    body = problem(api.post("/metrics", json={"points": points}), 422)
    assert body["detail"].startswith("points: would create 4 new series; 0 of at most 3 exist")
    assert api.get("/series").json()["data"] == []  # the whole batch was refused


QUERY_CASES = [
    # (what changes in a good query, where the detail points, its start)
    ({"end": "2024-02-01T00:00:00Z"}, "end: must be later than start"),  # inverted
    ({"end": "2024-03-01T00:00:00Z"}, "end: must be later than start"),  # empty
    ({"granularity": "5m"}, "granularity: Input should be 'auto', 'raw', '1m' or '1h'"),
    ({"granularity": "RAW"}, "granularity: Input should be"),
    ({"max_points": MAX_POINTS + 1}, "max_points: Input should be less than or equal to 10000"),
    ({"max_points": 2}, "max_points: Input should be greater than or equal to 3"),
    ({"max_points": "lots"}, "max_points: Input should be a valid integer"),
    ({"start": "2024-03-01"}, "start: Input should have timezone info"),  # a date is naive
    ({"start": "2024-03-01T00:00:00 01:00"}, "start: Input should be a valid datetime"),
    ({"start": "03/01/2024"}, "start: Input should be a valid datetime"),
    ({"start": "2024-03-01T00:00:00"}, "start: Input should have timezone info"),
    ({"end": "9999-01-01T00:00:00Z"}, "end: must be from 1970-01-01"),
    ({"series": ""}, "series: String should have at least 1 character"),
    ({"granularty": "1h"}, "granularty: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("change", "detail"), QUERY_CASES)
def test_bad_queries_are_a_422_naming_the_parameter(
    shared_api, make_points, problem, change, detail
):
    shared_api.post("/metrics", json={"points": make_points(10)})
    params = {"series": WEB, "start": "2024-03-01T00:00:00Z", "end": "2024-03-02T00:00:00Z"}
    body = problem(shared_api.get("/query", params=params | change), 422)
    assert body["detail"].startswith(detail)
    assert body["errors"] and all(set(e) == {"loc", "msg"} for e in body["errors"])


def test_a_missing_parameter_and_several_errors(shared_api, problem):
    body = problem(shared_api.get("/query", params={"series": WEB}), 422)
    assert body["detail"] == "start: Field required (and 1 more)"
    assert [e["loc"] for e in body["errors"]] == [["query", "start"], ["query", "end"]]


def test_a_range_too_large_to_read_is_a_422(serve, make_points, ingest, problem, t0):
    api = serve(max_source_points=1_000)
    ingest(api, make_points(2_000))
    params = {"series": WEB, "start": t0.isoformat(), "end": (t0 + timedelta(1)).isoformat()}
    body = problem(api.get("/query", params=params | {"granularity": "raw"}), 422)
    assert body["detail"].startswith("granularity: raw holds 2000 points in this range, more")
    assert api.get("/query", params=params).json()["granularity"] == "1m"  # auto stays in


def test_unknown_routes_and_methods_are_problems_too(shared_api, problem):
    problem(shared_api.get("/nope"), 404)
    assert problem(shared_api.delete("/metrics"), 405)["detail"] == "Method Not Allowed"
    problem(
        shared_api.post(
            "/metrics", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
    )


def test_the_guard_refuses_connections_beyond_loopback():
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://192.0.2.1/", timeout=1)  # TEST-NET-1: refused before a packet
