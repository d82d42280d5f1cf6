"""The pipeline end to end: a source's lines, the batcher, the store, dead letters, a summary."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from iot_pipeline.batcher import Batch, Batcher
from iot_pipeline.messages import DeadLetter
from iot_pipeline.sources import IDLE
from iot_pipeline.store import Store


class DeadLetterFile:
    """Dead letters appended as JSON lines, one per rejected delivery; the file is created
    on the first one. It is a log of deliveries, not state: ingesting a file twice logs its
    malformed lines twice."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, letters: list[DeadLetter]) -> None:
        if letters:
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(letter.to_json() + "\n" for letter in letters)


@dataclass
class Summary:
    """What one ingest did. Every message lands in exactly one of accepted, duplicates,
    dead_lettered and late_beyond_window. ``late_within_window`` counts the accepted
    readings that arrived after their hour was materialized, each revising its bucket."""

    messages: int = 0
    accepted: int = 0
    late_within_window: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    late_beyond_window: int = 0
    batches: int = 0
    flushes: Counter = field(default_factory=Counter)  # by trigger: size, age, end
    seconds: float = 0.0
    watermark: str | None = None

    @property
    def rows_per_s(self) -> int | None:
        """Messages taken to their outcome per second of wall time, validation to commit."""
        return round(self.messages / self.seconds) if self.seconds > 0 else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "messages": self.messages,
                "accepted": self.accepted,
                "late_within_window": self.late_within_window,
                "duplicates": self.duplicates,
                "dead_lettered": self.dead_lettered,
                "late_beyond_window": self.late_beyond_window,
                "batches": self.batches,
                "flushes": {k: self.flushes[k] for k in ("size", "age", "end")},
                "seconds": round(self.seconds, 3),
                "rows_per_s": self.rows_per_s,
                "watermark": self.watermark,
            }
        )


def ingest(
    lines: Iterable[str | bytes | None],
    store: Store,
    *,
    max_rows: int = 5_000,
    max_seconds: float = 1.0,
    dead_letters: DeadLetterFile | None = None,
    clock: Callable[[], float] = time.monotonic,
    timer: Callable[[], float] = time.perf_counter,
) -> Summary:
    """Run LINES through a batcher into STORE. A None in LINES (IDLE) means "nothing
    arrived for a while": the open batch is flushed if it is old enough.

    ``clock`` ages the batches (tests move it by hand); ``timer`` measures the throughput."""
    summary = Summary()

    def flush(batch: Batch) -> None:
        outcome = store.write(batch.readings)
        if dead_letters is not None:
            dead_letters.write(batch.dead_letters)  # after the commit: the batch is done
        summary.messages += batch.messages
        summary.accepted += outcome.accepted
        summary.late_within_window += outcome.revising
        summary.duplicates += batch.duplicates + outcome.duplicates
        summary.dead_lettered += len(batch.dead_letters)
        summary.late_beyond_window += outcome.late
        summary.batches += 1
        summary.flushes[batch.trigger] += 1

    batcher = Batcher(flush, max_rows=max_rows, max_seconds=max_seconds, clock=clock)
    started = timer()
    for line in lines:
        if line is IDLE:
            batcher.flush_if_due()
        else:
            batcher.add(line)
    batcher.close()
    summary.seconds = timer() - started
    watermark = store.state.watermark
    summary.watermark = None if watermark is None else watermark.isoformat() + "Z"
    return summary
