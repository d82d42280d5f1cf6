"""The manifest: what the vector store holds, in SQLite, written after the store.

Four tables:

- ``documents(path, content_sha256, chunking, ingested_at)``: each document last
  ingested, with the hash of the bytes and the chunker settings it was ingested with;
- ``chunks(chunk_id, path, ordinal, content_sha256, start, end, heading)``: the chunks
  of that version, in order, with their offsets in the source;
- ``dead_letters(path, reason, first_seen, last_seen, attempts)``: documents that failed,
  why, and how many runs have tried them;
- ``meta(key, value)``: the embedding model the store was built with.

The pipeline changes a document's rows in one transaction, and only after the vector store
has taken that document's upserts and deletes: the manifest never claims what the store
does not hold. A crash in between leaves the store ahead of the manifest, which the next
run repairs (chunk ids are content hashes, so a chunk already in the store is the same
text, and chunks the manifest does not know are deleted at the end of a run).

Every statement is parameterised; no value is ever formatted into SQL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY,
    content_sha256 TEXT NOT NULL,
    chunking TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    path TEXT NOT NULL REFERENCES documents (path) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    heading TEXT NOT NULL,
    UNIQUE (path, ordinal)
);
CREATE TABLE IF NOT EXISTS dead_letters (
    path TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    attempts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: str  # sha256 of the document's path and the text embedded
    path: str
    ordinal: int  # position of the chunk in its document, from 0
    content_sha256: str  # sha256 of the chunk's text
    start: int  # offsets into the document's text
    end: int
    heading: str


@dataclass(frozen=True)
class DeadLetterRecord:
    path: str
    reason: str
    first_seen: str
    last_seen: str
    attempts: int


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Manifest:
    """The SQLite file beside the vector store."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.connection = sqlite3.connect(self.path)
        self.connection.execute("PRAGMA foreign_keys = ON")
        with self.connection:
            self.connection.executescript(SCHEMA)

    def close(self) -> None:
        self.connection.close()

    # Reading.

    def meta(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM meta"))

    def documents(self) -> dict[str, str]:
        """path -> content_sha256 of every document ingested."""
        return dict(self.connection.execute("SELECT path, content_sha256 FROM documents"))

    def versions(self) -> dict[str, tuple[str, str]]:
        """path -> (content_sha256, chunking) of every document ingested."""
        rows = self.connection.execute("SELECT path, content_sha256, chunking FROM documents")
        return {path: (sha, chunking) for path, sha, chunking in rows}

    def chunks(self, path: str | None = None) -> list[ChunkRecord]:
        """The chunks of PATH (every chunk when None), by path and ordinal."""
        query = 'SELECT chunk_id, path, ordinal, content_sha256, start, "end", heading FROM chunks'
        if path is None:
            rows = self.connection.execute(query + " ORDER BY path, ordinal")
        else:
            rows = self.connection.execute(query + " WHERE path = ? ORDER BY ordinal", (path,))
        return [ChunkRecord(*row) for row in rows]

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT chunk_id FROM chunks")}

    def dead_letters(self) -> dict[str, DeadLetterRecord]:
        rows = self.connection.execute(
            "SELECT path, reason, first_seen, last_seen, attempts FROM dead_letters ORDER BY path"
        )
        return {row[0]: DeadLetterRecord(*row) for row in rows}

    # Writing: each method is one transaction.

    def set_meta(self, values: dict[str, str]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                sorted(values.items()),
            )

    def record_document(
        self, path: str, content_sha256: str, chunking: str, chunks: list[ChunkRecord]
    ) -> None:
        """PATH now holds exactly CHUNKS, cut with CHUNKING from bytes hashing to the hash."""
        with self.connection:
            self.connection.execute(
                "INSERT INTO documents (path, content_sha256, chunking, ingested_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                "content_sha256 = excluded.content_sha256, chunking = excluded.chunking, "
                "ingested_at = excluded.ingested_at",
                (path, content_sha256, chunking, utc_now()),
            )
            self.connection.execute("DELETE FROM chunks WHERE path = ?", (path,))
            self.connection.executemany(
                "INSERT INTO chunks "
                '(chunk_id, path, ordinal, content_sha256, start, "end", heading) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.chunk_id, c.path, c.ordinal, c.content_sha256, c.start, c.end, c.heading)
                    for c in chunks
                ],
            )
            self.connection.execute("DELETE FROM dead_letters WHERE path = ?", (path,))

    def forget_document(self, path: str) -> None:
        """PATH is gone from the source: its document row, chunks and dead letter go too."""
        with self.connection:
            self.connection.execute("DELETE FROM documents WHERE path = ?", (path,))
            self.connection.execute("DELETE FROM dead_letters WHERE path = ?", (path,))

    def record_dead_letter(self, path: str, reason: str) -> None:
        """PATH failed (again): keep the first time it was seen, count the attempt."""
        now = utc_now()
        with self.connection:
            self.connection.execute(
                "INSERT INTO dead_letters (path, reason, first_seen, last_seen, attempts) "
                "VALUES (?, ?, ?, ?, 1) ON CONFLICT (path) DO UPDATE SET "
                "reason = excluded.reason, last_seen = excluded.last_seen, "
                "attempts = dead_letters.attempts + 1",
                (path, reason, now, now),
            )

    def clear_dead_letter(self, path: str) -> None:
        with self.connection:
            self.connection.execute("DELETE FROM dead_letters WHERE path = ?", (path,))
