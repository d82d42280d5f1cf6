"""Idempotent ingestion: markdown files -> chunks -> vectors, in one SQLite file.

Embedding is the slow, and with a hosted model the billed, step, so nothing is embedded
twice. Two content hashes (SHA-256) make that hold:

- a file whose hash is the one stored is not even read into chunks again;
- a chunk's vector is stored under the hash of the text embedded and the model's name, so
  a changed file re-embeds only those of its chunks whose text changed, and a new model
  re-embeds everything (vectors of two models are not comparable).

What is embedded is the index's own ``embedding_text`` of the chunk (its heading path,
then all its text: chunks are capped already), so the stored vectors are exactly those
``HybridIndex`` would compute.

One transaction per run: a crash leaves the last complete state, never half a file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import Chunk, chunk_markdown
from .embeddings import Embedder, content_hash
from .hybrid_retrieval import embedding_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    source TEXT NOT NULL REFERENCES documents (source) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    heading TEXT NOT NULL,
    text TEXT NOT NULL,
    embedding_hash TEXT NOT NULL,
    PRIMARY KEY (source, position)
);
CREATE TABLE IF NOT EXISTS vectors (
    embedding_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (embedding_hash, model)
);
"""


@dataclass(frozen=True)
class IngestReport:
    files: int  # markdown files in the corpus folder
    changed: list[str]  # files new or changed since the last run (chunked again)
    removed: list[str]  # files gone since the last run (their chunks deleted)
    embedded: int  # texts sent to the embedder in this run
    chunks: int  # chunks in the store after the run


@dataclass(frozen=True)
class StoredChunk:
    chunk: Chunk
    vector: np.ndarray  # unit length, float32


def connect(path: Path | str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(SCHEMA)
    return connection


def markdown_files(corpus: Path) -> dict[str, str]:
    """Every *.md under CORPUS, by its path relative to it (with / on every OS)."""
    if not corpus.is_dir():
        raise ValueError(f"corpus folder {corpus} does not exist")
    files = {
        path.relative_to(corpus).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(corpus.rglob("*.md"))
    }
    if not files:
        raise ValueError(f"corpus folder {corpus} holds no .md files")
    return files


def ingest(
    connection: sqlite3.Connection,
    corpus: Path,
    embedder: Embedder,
    *,
    max_chars: int,
    overlap_chars: int,
) -> IngestReport:
    """Bring the store in step with the files in CORPUS, embedding only what is new."""
    files = markdown_files(corpus)
    with connection:
        stored = dict(connection.execute("SELECT source, content_hash FROM documents"))
        removed = sorted(set(stored) - set(files))
        connection.executemany(
            "DELETE FROM documents WHERE source = ?", [(source,) for source in removed]
        )
        changed = [
            source for source, text in files.items() if stored.get(source) != content_hash(text)
        ]
        for source in changed:
            _replace_chunks(connection, source, files[source], max_chars, overlap_chars)
        embedded = _embed_missing(connection, embedder)
        # Vectors no chunk uses any more (text edited away, file removed) go too.
        connection.execute(
            "DELETE FROM vectors WHERE model = ? AND embedding_hash NOT IN "
            "(SELECT embedding_hash FROM chunks)",
            (embedder.name,),
        )
        (count,) = connection.execute("SELECT count(*) FROM chunks").fetchone()
    return IngestReport(
        files=len(files), changed=changed, removed=removed, embedded=embedded, chunks=count
    )


def _replace_chunks(
    connection: sqlite3.Connection, source: str, text: str, max_chars: int, overlap_chars: int
) -> None:
    chunks = chunk_markdown(source, text, max_chars=max_chars, overlap_chars=overlap_chars)
    connection.execute(
        "INSERT INTO documents (source, content_hash) VALUES (?, ?) "
        "ON CONFLICT (source) DO UPDATE SET content_hash = excluded.content_hash",
        (source, content_hash(text)),
    )
    connection.execute("DELETE FROM chunks WHERE source = ?", (source,))
    connection.executemany(
        "INSERT INTO chunks (source, position, heading, text, embedding_hash) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (
                c.source,
                c.position,
                c.heading,
                c.text,
                content_hash(embedding_text(c.document, None)),
            )
            for c in chunks
        ],
    )


def _embed_missing(connection: sqlite3.Connection, embedder: Embedder) -> int:
    missing = connection.execute(
        "SELECT DISTINCT embedding_hash, heading, text FROM chunks WHERE embedding_hash NOT IN "
        "(SELECT embedding_hash FROM vectors WHERE model = ?) ORDER BY embedding_hash",
        (embedder.name,),
    ).fetchall()
    if not missing:
        return 0
    texts = [
        embedding_text(Chunk("", 0, heading, text).document, None) for _, heading, text in missing
    ]
    vectors = embedder.embed(texts)
    connection.executemany(
        "INSERT INTO vectors (embedding_hash, model, vector) VALUES (?, ?, ?)",
        [
            (embedding_hash, embedder.name, vector.astype(np.float32).tobytes())
            for (embedding_hash, _, _), vector in zip(missing, vectors, strict=True)
        ],
    )
    return len(texts)


def stored_chunks(connection: sqlite3.Connection, model: str) -> list[StoredChunk]:
    """Every chunk with its vector from MODEL, in (source, position) order."""
    rows = connection.execute(
        "SELECT c.source, c.position, c.heading, c.text, v.vector FROM chunks AS c "
        "JOIN vectors AS v ON v.embedding_hash = c.embedding_hash AND v.model = ? "
        "ORDER BY c.source, c.position",
        (model,),
    ).fetchall()
    return [
        StoredChunk(Chunk(source, position, heading, text), np.frombuffer(blob, np.float32))
        for source, position, heading, text, blob in rows
    ]
