"""The simulator: seeded, streaming, and as unreliable as promised."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from iot_pipeline.messages import DeadLetter, Reading, parse
from iot_pipeline.simulator import Faults, deliveries, simulate


def test_the_same_seed_gives_the_same_lines_and_another_seed_others():
    first = list(simulate(devices=3, minutes=20, seed=5))
    assert first == list(simulate(devices=3, minutes=20, seed=5))
    assert first != list(simulate(devices=3, minutes=20, seed=6))


def test_lines_come_in_arrival_order_and_every_device_reports_every_few_seconds():
    arrivals = [arrival for arrival, _ in deliveries(devices=4, minutes=30, seed=2)]
    assert arrivals == sorted(arrivals)
    parsed = (parse(line, 0) for line in simulate(devices=4, minutes=30, seed=2))
    by_device: dict[str, set] = {}
    for reading in parsed:
        if isinstance(reading, Reading):
            by_device.setdefault(reading.device, set()).add(reading.micros / 1e6)
    assert sorted(by_device) == ["dev-001", "dev-002", "dev-003", "dev-004"]
    for seconds in by_device.values():
        stamps = sorted(seconds)
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        # One reading every 5 s (jitter 0.1 s); a gap of 10 s is a malformed delivery.
        assert min(gaps) > 4.8
        assert sorted(gaps)[len(gaps) // 2] == pytest.approx(5.0, abs=0.2)


def test_the_stream_has_every_fault_the_pipeline_must_handle(simulated):
    keys: set = set()
    watermark = None
    counts = {"malformed": 0, "duplicate": 0, "out_of_order": 0, "within_30": 0, "beyond_30": 0}
    for position, line in enumerate(simulated, start=1):
        reading = parse(line, position)
        if isinstance(reading, DeadLetter):
            counts["malformed"] += 1
            continue
        if (reading.device, reading.micros) in keys:
            counts["duplicate"] += 1
            continue
        keys.add((reading.device, reading.micros))
        if watermark is not None and reading.ts < watermark:
            behind = watermark - reading.ts
            if behind > timedelta(minutes=30):
                counts["beyond_30"] += 1
            elif behind > timedelta(minutes=1):
                counts["within_30"] += 1
            else:
                counts["out_of_order"] += 1
        watermark = max(watermark or reading.ts, reading.ts)
    assert all(count > 30 for count in counts.values()), counts
    # 4 devices x 150 minutes x 12 readings a minute, plus about 2 % retries.
    assert 7_200 <= len(simulated) <= 7_200 * 1.03


def test_malformed_messages_are_each_of_several_kinds(simulated):
    reasons = {
        letter.reason.split(":")[0]
        for letter in (parse(line, 0) for line in simulated)
        if isinstance(letter, DeadLetter)
    }
    assert {"temperature", "humidity", "ts"} <= reasons
    assert any(reason.startswith("Invalid JSON") for reason in reasons)


def test_without_faults_every_line_is_a_distinct_reading_in_time_order():
    calm = Faults(slow_share=0, retry_share=0, malformed_share=0, outages_per_hour=0)
    readings = [Reading.model_validate_json(line) for line in simulate(3, 10, 1, faults=calm)]
    assert len(readings) == 3 * 10 * 12
    assert len({(r.device, r.micros) for r in readings}) == len(readings)
    # Network delay alone reorders only within a second or so.
    newest = readings[0].ts
    for reading in readings:
        assert reading.ts > newest - timedelta(seconds=3)
        newest = max(newest, reading.ts)


def test_readings_are_plausible_and_timestamps_are_utc_with_milliseconds():
    line = next(simulate(devices=1, minutes=1, seed=0))
    raw = json.loads(line)
    assert raw["ts"].endswith("Z") and len(raw["ts"]) == len("2026-03-02T00:00:00.000Z")
    assert 10 < raw["temperature"] < 35 and 0 <= raw["humidity"] <= 100


@pytest.mark.parametrize(
    "arguments", [(0, 10, 1), (2, 0, 1), (2, -5, 1)], ids=["no devices", "no time", "negative"]
)
def test_impossible_fleets_are_refused(arguments):
    with pytest.raises(ValueError, match="devices >= 1"):
        list(simulate(*arguments))
