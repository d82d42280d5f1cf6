"""The batcher: messages in, batches out, flushed on size or on age.

A batch is flushed when it holds ``max_rows`` distinct readings (size) or when its first
message has waited ``max_seconds`` (age), whichever comes first, and whatever is left when
the input ends. Size keeps a busy stream efficient (one transaction per thousands of
rows); age bounds how stale the store can be when the stream is quiet. The clock is an
argument, so tests move time by hand.

Each message is validated as it arrives: a malformed one becomes a dead letter of the
batch (written when the batch is), a retry of a reading already in the batch is counted
as a duplicate and dropped (the first delivery wins). Duplicates of readings stored by
earlier batches are the store's to find. Readings are kept as columns, one list per
field, because that is the shape a columnar engine ingests fastest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from iot_pipeline.messages import EPOCH, ONE_MICROSECOND, DeadLetter, Reading, parse


@dataclass
class Columns:
    """Distinct readings in arrival order, one list per field."""

    device: list[str] = field(default_factory=list)
    micros: list[int] = field(default_factory=list)  # event time, microseconds since 1970 UTC
    temperature: list[float] = field(default_factory=list)
    humidity: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.device)

    def append(self, reading: Reading, micros: int) -> None:
        self.device.append(reading.device)
        self.micros.append(micros)
        self.temperature.append(reading.temperature)
        self.humidity.append(reading.humidity)

    @classmethod
    def of(cls, readings: list[Reading]) -> Columns:
        columns = cls()
        for reading in readings:
            columns.append(reading, reading.micros)
        return columns

    def rows(self) -> list[tuple[str, datetime, float, float]]:
        """(device, naive UTC ts, temperature, humidity): the rows as the store keeps them."""
        return [
            (device, (EPOCH + micros * ONE_MICROSECOND).replace(tzinfo=None), t, h)
            for device, micros, t, h in zip(
                self.device, self.micros, self.temperature, self.humidity, strict=True
            )
        ]


@dataclass
class Batch:
    """What one flush hands over, in arrival order."""

    readings: Columns = field(default_factory=Columns)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    duplicates: int = 0  # retries of a reading earlier in this batch
    messages: int = 0
    trigger: str = ""  # "size", "age" or "end"


class Batcher:
    """``add`` each message, call ``flush_if_due`` when the input is idle, ``close`` at the end."""

    def __init__(
        self,
        flush: Callable[[Batch], None],
        *,
        max_rows: int = 5_000,
        max_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        if max_seconds < 0:
            raise ValueError(f"max_seconds must be 0 or more, got {max_seconds}")
        self._flush = flush
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self._clock = clock
        self._position = 0
        self._start()

    def _start(self) -> None:
        self._batch = Batch()
        self._keys: set[tuple[str, int]] = set()
        self._opened: float | None = None  # when the batch's first message arrived

    def add(self, raw: str | bytes) -> None:
        """One message: flushes the open batch first if it is too old, after if it is full."""
        self.flush_if_due()
        self._position += 1
        if self._opened is None:
            self._opened = self._clock()
        batch = self._batch
        batch.messages += 1
        parsed = parse(raw, self._position)
        if isinstance(parsed, DeadLetter):
            batch.dead_letters.append(parsed)
            return
        micros = parsed.micros
        key = (parsed.device, micros)
        if key in self._keys:
            batch.duplicates += 1
            return
        self._keys.add(key)
        batch.readings.append(parsed, micros)
        if len(batch.readings) >= self.max_rows:
            self._emit("size")

    def flush_if_due(self) -> bool:
        """Flush the open batch if its first message has waited max_seconds; True if it did."""
        if self._opened is not None and self._clock() - self._opened >= self.max_seconds:
            self._emit("age")
            return True
        return False

    def close(self) -> None:
        """Flush what is left (the input ended)."""
        if self._batch.messages:
            self._emit("end")

    def _emit(self, trigger: str) -> None:
        batch = self._batch
        batch.trigger = trigger
        self._start()
        self._flush(batch)
