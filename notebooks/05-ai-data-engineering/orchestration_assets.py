"""The Dagster assets of notebook 05-06: a document pipeline, a flaky source, daily partitions.

Everything the assets touch lives under one work directory, handed to them as a resource
(``PipelineFolders``), so a run reads and writes nothing else:

- ``source/*.md``: the documents the pipeline ingests (the notebook writes them);
- ``landing/<day>.jsonl``: the documents that arrived on each day (the partitioned asset);
- ``index.db``: the SQLite table the partitioned asset writes, one partition replaced at a
  time;
- ``dagster/``: the Dagster instance (run history, event log, the pickled asset values).

The assets import nothing of the course but its chunker and the embedder's protocol; the
embedder itself arrives as a resource. No ``from __future__ import annotations`` here:
Dagster reads the parameter annotations when it decorates a function, and a ``Config``
class named by a string is not resolved ("'ChunkSettings' cannot be resolved").
"""

import hashlib
import json
import sqlite3
from pathlib import Path

import dagster as dg
import numpy as np

from backend_skills.chunking import recursive_chunks
from backend_skills.embeddings import Embedder


# region resources
class PipelineFolders(dg.ConfigurableResource):
    """The run's work directory: where the assets find their input and put their output."""

    root: str

    @property
    def source(self) -> Path:
        return Path(self.root) / "source"

    @property
    def landing(self) -> Path:
        return Path(self.root) / "landing"

    @property
    def index_db(self) -> Path:
        return Path(self.root) / "index.db"


class ChunkSettings(dg.Config):
    """Run configuration of the chunking assets (``run_config={"ops": {...}}``)."""

    size: int = 400  # characters per chunk
    overlap: int = 50  # characters shared by neighbouring chunks


# endregion


# region pipeline
@dg.asset(description="The Markdown files of the source folder, in name order.")
def raw_documents(folders: PipelineFolders) -> list[dict]:
    paths = sorted(folders.source.glob("*.md"))
    return [{"path": path.name, "text": path.read_text(encoding="utf-8")} for path in paths]


@dg.asset(description="Recursive chunks with a stable id and a content hash each.")
def chunks(
    context: dg.AssetExecutionContext, config: ChunkSettings, raw_documents: list[dict]
) -> list[dict]:
    rows = []
    for document in raw_documents:
        pieces = recursive_chunks(document["text"], config.size, config.overlap)
        for index, piece in enumerate(pieces):
            rows.append(
                {
                    "id": f"{document['path']}#{index}",
                    "text": piece.text,
                    "hash": hashlib.sha256(piece.text.encode()).hexdigest(),
                }
            )
    context.add_output_metadata({"chunks": len(rows), "documents": len(raw_documents)})
    return rows


@dg.asset(description="One unit-length vector per chunk, in the order of the chunks.")
def embeddings(chunks: list[dict], embedder: dg.ResourceParam[Embedder]) -> np.ndarray:
    return embedder.embed([row["text"] for row in chunks])


@dg.asset(description="What a search index built from the vectors would hold.")
def index_stats(
    context: dg.AssetExecutionContext, chunks: list[dict], embeddings: np.ndarray
) -> dict:
    stats = {
        "chunks": len(chunks),
        "documents": len({row["id"].split("#")[0] for row in chunks}),
        "dimensions": int(embeddings.shape[1]),
        "distinct_hashes": len({row["hash"] for row in chunks}),
    }
    context.add_output_metadata(stats)
    return stats


# endregion


# region flaky
class FlakySource(dg.ConfigurableResource):
    """A source that refuses its first ``fail_first`` calls, counted in a file (no randomness)."""

    counter_file: str
    fail_first: int

    def fetch(self) -> int:
        counter = Path(self.counter_file)
        attempt = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))  # survives the retry, which runs the step again
        if attempt <= self.fail_first:
            raise ConnectionError(f"source unavailable (attempt {attempt})")
        return attempt


def snapshot_asset(policy: dg.RetryPolicy | None) -> dg.AssetsDefinition:
    """An asset reading the flaky source, with the retry policy given."""

    @dg.asset(name="source_snapshot", retry_policy=policy)
    def source_snapshot(source: FlakySource) -> dict:
        return {"answered_on_attempt": source.fetch()}

    return source_snapshot


# endregion


# region partitions
daily = dg.DailyPartitionsDefinition(start_date="2026-11-01", end_date="2026-12-01")


def replace_partition(db: Path, day: str, rows: list[tuple[str, str]]) -> None:
    """Write one day's rows: delete what the day had, insert the new rows, one transaction."""
    with sqlite3.connect(db) as con:  # commits on success, rolls back on an exception
        con.execute(
            "CREATE TABLE IF NOT EXISTS daily_chunks"
            " (day TEXT NOT NULL, id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (day, id))"
        )
        con.execute("DELETE FROM daily_chunks WHERE day = ?", (day,))
        con.executemany("INSERT INTO daily_chunks VALUES (?, ?, ?)", [(day, *row) for row in rows])
    con.close()


@dg.asset(partitions_def=daily, description="The chunks of the documents that landed each day.")
def daily_chunks(
    context: dg.AssetExecutionContext, config: ChunkSettings, folders: PipelineFolders
) -> dg.MaterializeResult:
    day = context.partition_key  # "2026-11-02": the only input that says what to read
    rows = []
    for line in (folders.landing / f"{day}.jsonl").read_text(encoding="utf-8").splitlines():
        document = json.loads(line)
        pieces = recursive_chunks(document["text"], config.size, config.overlap)
        for index, piece in enumerate(pieces):
            digest = hashlib.sha256(piece.text.encode()).hexdigest()
            rows.append((f"{document['id']}#{index}", digest))
    replace_partition(folders.index_db, day, rows)
    content = "\n".join(f"{chunk_id} {digest}" for chunk_id, digest in sorted(rows))
    content_hash = hashlib.sha256(content.encode()).hexdigest()[:16]
    return dg.MaterializeResult(metadata={"rows": len(rows), "content_hash": content_hash})


# endregion
