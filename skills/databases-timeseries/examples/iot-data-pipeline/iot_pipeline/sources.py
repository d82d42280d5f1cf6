"""Where messages come from: a JSON-lines file, or stdin with ticks while it is quiet.

Lines are read as bytes and handed to pydantic as they are: invalid UTF-8 becomes a dead
letter ("invalid JSON"), never a crash of the reader. Blank lines are skipped.

A file is read straight through. A pipe (stdin) can go quiet for minutes, and a batch
must still be flushed when it gets old, so stdin is read in a thread and the consumer
sees ``IDLE`` whenever nothing arrived for a tick: the cue to flush on age.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

IDLE = None  # yielded by with_idle_ticks when no line arrived for a tick
_END = object()


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    for line in stream:
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield line


def read_file(path: str | Path) -> Iterator[bytes]:
    """The file's lines. It is opened now, so a missing file fails here, not mid-ingest."""
    stream = open(path, "rb")  # noqa: SIM115 (closed by the generator below)

    def lines() -> Iterator[bytes]:
        with stream:
            yield from _lines(stream)

    return lines()


def read_stdin() -> Iterator[bytes]:
    return _lines(sys.stdin.buffer)


def with_idle_ticks(lines: Iterable[bytes], tick_seconds: float) -> Iterator[bytes | None]:
    """LINES as they come, and IDLE after every TICK_SECONDS without one.

    The reader is a daemon thread: a consumer that stops early leaves it blocked on a
    read that ends with the process."""
    handoff: queue.Queue = queue.Queue(maxsize=10_000)

    def pump() -> None:
        try:
            for line in lines:
                handoff.put(line)
        except Exception as error:  # handed to the consumer, raised in its thread
            handoff.put(error)
        else:
            handoff.put(_END)

    threading.Thread(target=pump, name="line-reader", daemon=True).start()
    while True:
        try:
            item = handoff.get(timeout=tick_seconds)
        except queue.Empty:
            yield IDLE
            continue
        if item is _END:
            return
        if isinstance(item, Exception):
            raise item
        yield item
