"""The batcher's flush rules, its in-batch deduplication and its dead letters, on a fake clock."""

from __future__ import annotations

import threading

import pytest
from iot_pipeline.batcher import Batch, Batcher
from iot_pipeline.messages import DeadLetter, parse
from iot_pipeline.sources import IDLE, read_file, with_idle_ticks


def ts(second: int) -> str:
    return f"2026-03-02T08:00:{second:02d}Z"


@pytest.fixture
def flushed() -> list[Batch]:
    return []


@pytest.fixture
def batcher(flushed, clock):
    return Batcher(flushed.append, max_rows=3, max_seconds=1.0, clock=clock)


def test_a_batch_is_flushed_when_it_holds_max_rows_readings(batcher, flushed, make_line):
    for second in range(7):
        batcher.add(make_line("dev-001", ts(second)))
    assert [len(b.readings) for b in flushed] == [3, 3]
    assert [b.trigger for b in flushed] == ["size", "size"]
    batcher.close()
    assert [len(b.readings) for b in flushed] == [3, 3, 1] and flushed[-1].trigger == "end"
    assert flushed[0].readings.rows()[0][1].isoformat() == "2026-03-02T08:00:00"


def test_a_batch_is_flushed_when_its_first_message_is_max_seconds_old(flushed, clock, make_line):
    batcher = Batcher(flushed.append, max_rows=100, max_seconds=1.0, clock=clock)
    batcher.add(make_line("dev-001", ts(0)))
    clock.advance(0.5)
    batcher.add(make_line("dev-001", ts(1)))
    clock.advance(0.25)
    batcher.add(make_line("dev-001", ts(2)))  # 0.75 s after the first message: still open
    assert flushed == []
    clock.advance(0.25)  # 1.0 s after the first message, 0.25 s after the last
    batcher.add(make_line("dev-001", ts(3)))  # arrives to an old batch: that one goes first
    assert [(b.trigger, len(b.readings)) for b in flushed] == [("age", 3)]
    batcher.close()
    assert [(b.trigger, len(b.readings)) for b in flushed] == [("age", 3), ("end", 1)]


def test_an_idle_input_flushes_an_old_batch_without_waiting_for_another_message(
    batcher, flushed, clock, make_line
):
    batcher.add(make_line("dev-001", ts(0)))
    clock.advance(0.75)
    assert not batcher.flush_if_due() and flushed == []
    clock.advance(0.25)
    assert batcher.flush_if_due()
    assert [(b.trigger, b.messages) for b in flushed] == [("age", 1)]
    clock.advance(60)
    assert not batcher.flush_if_due()  # nothing open: no empty batches
    batcher.close()
    assert len(flushed) == 1


def test_a_retry_inside_the_batch_is_a_duplicate_and_the_first_delivery_wins(
    batcher, flushed, make_line
):
    batcher.add(make_line("dev-001", ts(0), temperature=20.0))
    batcher.add(make_line("dev-001", ts(0), temperature=99.0))  # same key, other value
    batcher.add(make_line("dev-001", "2026-03-02T09:00:00+01:00"))  # the same instant
    batcher.add(make_line("dev-002", ts(0)))  # another device: another reading
    batcher.close()
    (batch,) = flushed
    assert batch.messages == 4 and batch.duplicates == 2
    assert [(row[0], row[2]) for row in batch.readings.rows()] == [
        ("dev-001", 20.0),
        ("dev-002", 20.0),
    ]


MALFORMED = {
    "truncated": ('{"device":"dev-001","ts":"2026-03-', "Invalid JSON"),
    "missing field": (
        '{"device":"dev-001","ts":"2026-03-02T08:00:00Z","temperature":1}',
        "humidity: Field required",
    ),
    "text number": (
        '{"device":"dev-001","ts":"2026-03-02T08:00:00Z","temperature":"21.5C","humidity":40}',
        "temperature: Input should be a valid number",
    ),
    "out of range": (
        '{"device":"dev-001","ts":"2026-03-02T08:00:00Z","temperature":21,"humidity":140.5}',
        "humidity: Input should be less than or equal to 100",
    ),
    "naive timestamp": (
        '{"device":"dev-001","ts":"2026-03-02T08:00:00","temperature":21,"humidity":40}',
        "ts: Input should have timezone info",
    ),
    "epoch timestamp": (
        '{"device":"dev-001","ts":1772438400,"temperature":21,"humidity":40}',
        "ts: Input should be a valid datetime",
    ),
    "not a number": (
        '{"device":"dev-001","ts":"2026-03-02T08:00:00Z","temperature":NaN,"humidity":40}',
        "temperature",
    ),
    "bad device id": (
        '{"device":"../etc","ts":"2026-03-02T08:00:00Z","temperature":21,"humidity":40}',
        "device: String should match pattern",
    ),
    "not an object": ("ERR sensor fault 0x1F", "Invalid JSON"),
    "invalid utf-8": (b'{"device":"dev-\xff"}', "Invalid JSON"),
}


@pytest.mark.parametrize("raw, reason", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_message_becomes_a_dead_letter_with_the_reason(raw, reason):
    letter = parse(raw, 7)
    assert isinstance(letter, DeadLetter)
    assert letter.position == 7 and reason in letter.reason, letter.reason
    assert letter.message.startswith('{"device"') or letter.message.startswith("ERR")


def test_dead_letters_ride_with_their_batch_and_do_not_fill_it(batcher, flushed, make_line):
    batcher.add(make_line("dev-001", ts(0)))
    for _ in range(5):
        batcher.add("not json")
    batcher.add(make_line("dev-001", ts(1)))
    assert flushed == []  # 2 readings of 3: the 5 dead letters do not count
    batcher.add(make_line("dev-001", ts(2)))
    (batch,) = flushed
    assert (batch.messages, len(batch.readings), len(batch.dead_letters)) == (8, 3, 5)
    assert [letter.position for letter in batch.dead_letters] == [2, 3, 4, 5, 6]


def test_fields_a_newer_firmware_adds_are_ignored():
    reading = parse(
        '{"device":"dev-001","ts":"2026-03-02T08:00:00Z","temperature":21,"humidity":40,'
        '"battery":3.9}',
        1,
    )
    assert not isinstance(reading, DeadLetter) and reading.temperature == 21.0


@pytest.mark.parametrize(("rows", "seconds"), [(0, 1.0), (10, -1.0)])
def test_impossible_limits_are_refused(rows, seconds):
    with pytest.raises(ValueError, match="must be"):
        Batcher(lambda batch: None, max_rows=rows, max_seconds=seconds)


def test_a_quiet_pipe_yields_idle_ticks_between_lines():
    resume = threading.Event()

    def slow_source():
        yield b"first"
        resume.wait(timeout=10)  # the pipe is quiet until the consumer has seen a tick
        yield b"second"

    seen = []
    for item in with_idle_ticks(slow_source(), tick_seconds=0.01):
        seen.append(item)
        if item is IDLE:
            resume.set()
    assert seen[0] == b"first" and seen[-1] == b"second"
    assert IDLE in seen[1:-1]


def test_a_failing_source_raises_in_the_consumer():
    def broken():
        yield b"one"
        raise OSError("the pipe broke")

    with pytest.raises(OSError, match="the pipe broke"):
        list(with_idle_ticks(broken(), tick_seconds=0.01))


def test_a_file_is_read_as_lines_without_blanks_or_line_ends(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"one\r\n\n   \ntwo\nthree")
    assert list(read_file(path)) == [b"one", b"two", b"three"]
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "missing.jsonl")
