"""Streaming ingestion: documents arrive one by one, micro-batched by size or time (05-03).

A producer puts documents on a ``queue.Queue`` as they arrive; one worker thread takes
them off, prepares each with the pipeline's own ``prepare``, and collects their new chunks
into a micro-batch that it flushes when it holds ``batch_size`` chunks, or when its oldest
chunk has waited ``max_wait`` seconds, whichever comes first. Each document's latency is
the time from its arrival to the commit of its last chunk.
"""

from __future__ import annotations

import queue
import threading
import time

from embedding_pipeline import Document, Piece, Pipeline, RunStats

END = object()  # the producer's last item: no more documents


# region worker
def worker(pipeline: Pipeline, arrivals: queue.Queue, stats: RunStats, max_wait: float) -> None:
    """Take documents off ARRIVALS until END; flush full batches, or partial ones on time."""
    pending: list[tuple[Document, Piece, float]] = []  # (document, chunk, queued at)
    ended = False
    while not (ended and not pending):
        timeout = (
            None
            if not pending or ended
            else max(0.0, pending[0][2] + max_wait - time.perf_counter())
        )
        try:
            item = arrivals.get(timeout=timeout) if not ended else None
        except queue.Empty:
            item = None  # the oldest pending chunk has waited long enough
        if item is END:
            ended = True
        elif item is not None:
            path, arrived = item
            doc = pipeline.prepare(path, stats)
            if doc is not None:
                doc.arrived = arrived
                if doc.new:
                    now = time.perf_counter()
                    pending.extend((doc, piece, now) for piece in doc.new)
                else:
                    commit(pipeline, doc, stats)
        overdue = pending and (ended or time.perf_counter() >= pending[0][2] + max_wait)
        while len(pending) >= pipeline.batch_size or (pending and overdue):
            batch, pending = pending[: pipeline.batch_size], pending[pipeline.batch_size :]
            for doc in pipeline.flush([(doc, piece) for doc, piece, _ in batch], stats):
                commit(pipeline, doc, stats)
            overdue = pending and (ended or time.perf_counter() >= pending[0][2] + max_wait)


def commit(pipeline: Pipeline, doc: Document, stats: RunStats) -> None:
    pipeline.commit(doc, stats)
    stats.latency[doc.path] = time.perf_counter() - doc.arrived


# endregion


# region stream
def stream_ingest(
    pipeline: Pipeline, paths: list[str], *, arrival_gap: float, max_wait: float
) -> RunStats:
    """Feed PATHS to a worker thread, one every ARRIVAL_GAP seconds; wait until it is done."""
    stats, started = RunStats(seen=len(paths)), time.perf_counter()
    arrivals: queue.Queue = queue.Queue()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            worker(pipeline, arrivals, stats, max_wait)
        except BaseException as exc:  # handed to the caller: a thread's error is silent
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    for path in paths:  # the producer: documents arriving, as from an upload endpoint
        arrivals.put((path, time.perf_counter()))
        time.sleep(arrival_gap)
    arrivals.put(END)
    thread.join()
    if errors:
        raise errors[0]
    stats.seconds["total"] = time.perf_counter() - started
    return stats


# endregion
