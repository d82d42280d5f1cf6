"""An incremental, idempotent embedding pipeline with dead letters (notebook 05-03).

Markdown files in a folder go in; their chunks, embedded, go into a Chroma collection. A
SQLite manifest beside it remembers what the collection holds:

- ``documents(path, sha256, recipe)``: the bytes each document had when it was last
  ingested, and the recipe (chunker, sizes, model, id function) it was ingested with;
- ``chunks(chunk_id, path, ordinal, start)``: one row per stored chunk. The id is the
  SHA-256 of the document's path and the chunk's text, so the same text in the same
  document always gets the same id (a re-run finds it), and a changed chunk a new one;
- ``dead_letters(path, stage, reason, attempts)``: documents that failed, and why.

A run skips documents whose bytes and recipe are those stored, chunks the others,
embeds only the chunk ids the manifest lacks, upserts them into Chroma under those ids,
deletes the ids that vanished, and commits the manifest last. Batch mode (``run``) and
streaming mode (``embedding_stream.stream_ingest``) share the steps: ``prepare`` one
document, ``flush`` one batch of chunks, ``commit`` a document whose chunks are all in.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backend_skills.chunking import make_chunks
from backend_skills.embeddings import content_hash

# region manifest
SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,     -- of the file's bytes when it was last ingested
    recipe TEXT NOT NULL      -- chunker, sizes, model and id function it was ingested with
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,  -- sha256(path, text): the id in Chroma too
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,   -- the chunk's position in its document
    start INTEGER NOT NULL      -- its character offset there, for citations
);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks (path);
CREATE TABLE IF NOT EXISTS dead_letters (
    path TEXT PRIMARY KEY,
    stage TEXT NOT NULL,        -- read, chunk or embed
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL   -- runs that failed on it in a row
);
"""


def chunk_id(path: str, text: str) -> str:
    """A chunk's id: the same text in the same document always gets the same one."""
    return content_hash(f"{path}\n{text}")


def open_manifest(path: Path) -> sqlite3.Connection:
    # check_same_thread=False: the streaming worker thread writes through it too (one
    # thread at a time: the notebook waits for the worker before it reads).
    db = sqlite3.connect(path, check_same_thread=False)
    db.executescript(SCHEMA)
    return db


# endregion


# region embedder
class EmbeddingRefused(RuntimeError):
    """The embedding service rejected a request (what a hosted API's HTTP 400 becomes)."""


class CountingEmbedder:
    """Wraps an embedder; counts the texts it embeds (a hosted API's bill) and its calls.

    ``refuse`` injects a fault: when it returns True for any text of a call, the whole
    call fails, the way a provider fails a request that holds one input it rejects.
    """

    def __init__(self, inner, refuse: Callable[[str], bool] | None = None) -> None:
        self.inner, self.refuse = inner, refuse
        self.name, self.dimensions = inner.name, inner.dimensions
        self.texts = self.calls = 0
        self.seconds = 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.refuse is not None and any(self.refuse(text) for text in texts):
            raise EmbeddingRefused("the embedding service rejected an input of this request")
        started = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors


# endregion


class HashingEmbedder:
    """A second, different embedding model: word counts hashed into 256 dimensions.

    scikit-learn's HashingVectorizer (no fitting, no vocabulary), rows scaled to unit
    length. Far weaker than wordllama; here it only has to be another model of the same
    width, as a model upgrade often is.
    """

    name = "hashing-words-256"
    dimensions = 256

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.vectorizer = HashingVectorizer(n_features=self.dimensions, alternate_sign=False)

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = self.vectorizer.transform(texts).toarray().astype(np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


@dataclass
class Piece:
    """One chunk of a document as the manifest and Chroma store it."""

    chunk_id: str
    ordinal: int
    start: int
    text: str


@dataclass(eq=False)  # compared and hashed by identity: one object per document per run
class Document:
    """One document's work in a run: its chunks now, and what changed since the last run."""

    path: str
    sha256: str
    pieces: list[Piece]  # every chunk of the current version, in order
    new: list[Piece]  # the chunks whose id the manifest lacks: to embed
    vanished: list[str]  # stored ids the current version no longer has: to delete
    moved: list[Piece]  # kept chunks whose position changed: metadata to update
    arrived: float = 0.0  # streaming: when the document was put on the queue
    written: int = 0  # new chunks upserted so far
    failed: bool = False


@dataclass
class RunStats:
    """What one run did; the console shows it."""

    seen: int = 0  # documents found in the folder
    embedded: int = 0  # chunks embedded and upserted
    kept: int = 0  # chunks already stored under their id: not embedded again
    deleted: int = 0  # chunks removed: changed away, or their document is gone
    dead_letters: int = 0  # documents sent aside in this run
    seconds: dict[str, float] = field(
        default_factory=lambda: {"read+chunk": 0.0, "embed": 0.0, "store": 0.0, "total": 0.0}
    )
    latency: dict[str, float] = field(default_factory=dict)  # streaming: arrival to commit

    def counts(self) -> dict[str, int]:
        """The deterministic part: what a re-run with the same input must repeat."""
        return {
            "seen": self.seen,
            "embedded": self.embedded,
            "kept": self.kept,
            "deleted": self.deleted,
            "dead letters": self.dead_letters,
        }


class Pipeline:
    """Markdown files in DOCS_DIR -> chunks embedded into a Chroma collection, with a manifest."""

    def __init__(
        self,
        docs_dir: Path,
        manifest: Path,
        client,
        collection: str,
        embedder: CountingEmbedder,
        *,
        chunker: str = "recursive",
        size: int = 600,
        overlap: int = 80,
        batch_size: int = 64,
        chunk_id: Callable[[str, str], str] = chunk_id,
    ) -> None:
        self.docs_dir, self.embedder, self.chunk_id = Path(docs_dir), embedder, chunk_id
        self.chunker, self.size, self.overlap, self.batch_size = chunker, size, overlap, batch_size
        self.db = open_manifest(manifest)
        # What shapes a chunk's id and vector: a new chunker, size, model or id function
        # must send even unchanged bytes through chunking again.
        self.recipe = f"{chunker}/{size}/{overlap}/{embedder.name}/{chunk_id.__name__}"
        # Vectors are always passed in, so the collection needs no embedding function:
        # None, said out loud, so Chroma never falls back to its downloading default.
        self.collection = client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def paths(self) -> list[str]:
        return sorted(p.relative_to(self.docs_dir).as_posix() for p in self.docs_dir.rglob("*.md"))

    # region prepare
    def prepare(self, path: str, stats: RunStats) -> Document | None:
        """Read, hash, decode and chunk one document; None when it needs no work."""
        started = time.perf_counter()
        try:
            return self._prepare(path, stats)
        finally:
            stats.seconds["read+chunk"] += time.perf_counter() - started

    def _prepare(self, path: str, stats: RunStats) -> Document | None:
        raw = (self.docs_dir / path).read_bytes()
        sha256 = hashlib.sha256(raw).hexdigest()
        stored = self.db.execute(
            "SELECT sha256, recipe FROM documents WHERE path = ?", (path,)
        ).fetchone()
        ids = self.db.execute(
            "SELECT chunk_id, ordinal, start FROM chunks WHERE path = ?", (path,)
        ).fetchall()
        if stored == (sha256, self.recipe):  # same bytes, same recipe: nothing to do
            stats.kept += len(ids)
            self.clear_dead_letter(path)
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self.dead_letter(
                path, "read", f"not UTF-8: byte {exc.start} ({exc.reason})", stats
            )
        if not text.strip():
            return self.dead_letter(path, "read", f"empty document ({len(raw)} bytes)", stats)
        pieces, taken = [], set()
        for ordinal, chunk in enumerate(make_chunks(text, self.chunker, self.size, self.overlap)):
            piece_id = self.chunk_id(path, chunk.text)
            if piece_id not in taken:  # the same text twice in a document is stored once
                taken.add(piece_id)
                pieces.append(Piece(piece_id, ordinal, chunk.start, chunk.text))
        before = {row[0]: (row[1], row[2]) for row in ids}
        new = [piece for piece in pieces if piece.chunk_id not in before]
        moved = [
            p for p in pieces if p.chunk_id in before and before[p.chunk_id] != (p.ordinal, p.start)
        ]
        stats.kept += len(pieces) - len(new)
        return Document(path, sha256, pieces, new, sorted(before.keys() - taken), moved)

    # endregion

    # region flush
    def flush(self, batch: list[tuple[Document, Piece]], stats: RunStats) -> list[Document]:
        """Embed and upsert one batch; return the documents it completed.

        A failing call is retried document by document, so one bad document goes to the
        dead letters and the others of its batch still go in.
        """
        batch = [(doc, piece) for doc, piece in batch if not doc.failed]
        if not batch:
            return []
        embedded_before = self.embedder.seconds
        try:
            parts = [(batch, self.embedder.embed([piece.text for _, piece in batch]))]
        except Exception:
            parts = []
            for doc in dict.fromkeys(doc for doc, _ in batch):
                items = [(d, piece) for d, piece in batch if d is doc]
                try:
                    parts.append((items, self.embedder.embed([p.text for _, p in items])))
                except Exception as exc:
                    self.abandon(doc, exc, stats)
        stats.seconds["embed"] += self.embedder.seconds - embedded_before
        started = time.perf_counter()
        for items, vectors in parts:
            self.collection.upsert(
                ids=[piece.chunk_id for _, piece in items],
                embeddings=vectors,
                documents=[piece.text for _, piece in items],
                metadatas=[self.metadata(doc, piece) for doc, piece in items],
            )
            for doc, _ in items:
                doc.written += 1
            stats.embedded += len(items)
        stats.seconds["store"] += time.perf_counter() - started
        done = dict.fromkeys(doc for doc, _ in batch if doc.written == len(doc.new))
        return [doc for doc in done if not doc.failed]

    def metadata(self, doc: Document, piece: Piece) -> dict:
        return {
            "path": doc.path,
            "ordinal": piece.ordinal,
            "start": piece.start,
            "model": self.embedder.name,
        }

    # endregion

    # region commit
    def commit(self, doc: Document, stats: RunStats) -> None:
        """Record DOC as done: Chroma first, the manifest last.

        A crash between the two leaves vectors the manifest does not know: the next run
        embeds them again and upserts them under the same ids, so no duplicate appears.
        """
        started = time.perf_counter()
        if doc.vanished:
            self.collection.delete(ids=doc.vanished)
        if doc.moved:  # kept vectors, new positions: update merges only these keys
            self.collection.update(
                ids=[piece.chunk_id for piece in doc.moved],
                metadatas=[{"ordinal": p.ordinal, "start": p.start} for p in doc.moved],
            )
        with self.db:  # one transaction: the document and its chunks change together
            self.db.execute(
                "INSERT INTO documents VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE"
                " SET sha256 = excluded.sha256, recipe = excluded.recipe",
                (doc.path, doc.sha256, self.recipe),
            )
            self.db.execute("DELETE FROM chunks WHERE path = ?", (doc.path,))
            self.db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?)",
                [(p.chunk_id, doc.path, p.ordinal, p.start) for p in doc.pieces],
            )
            self.db.execute("DELETE FROM dead_letters WHERE path = ?", (doc.path,))
        stats.deleted += len(doc.vanished)
        stats.seconds["store"] += time.perf_counter() - started

    def forget_missing(self, present: set[str], stats: RunStats) -> None:
        """Delete the chunks of every document that is no longer in the folder."""
        for (path,) in self.db.execute("SELECT path FROM documents").fetchall():
            if path in present:
                continue
            ids = [
                row[0]
                for row in self.db.execute("SELECT chunk_id FROM chunks WHERE path = ?", (path,))
            ]
            if ids:
                self.collection.delete(ids=ids)
            with self.db:
                self.db.execute("DELETE FROM chunks WHERE path = ?", (path,))
                self.db.execute("DELETE FROM documents WHERE path = ?", (path,))
            stats.deleted += len(ids)
        for (path,) in self.db.execute("SELECT path FROM dead_letters").fetchall():
            if path not in present:
                self.clear_dead_letter(path)

    # endregion

    # region dead-letters
    def dead_letter(self, path: str, stage: str, reason: str, stats: RunStats) -> None:
        """Set PATH aside with the reason; its last good version (if any) stays in place."""
        with self.db:
            self.db.execute(
                "INSERT INTO dead_letters VALUES (?, ?, ?, 1) ON CONFLICT (path) DO UPDATE"
                " SET stage = excluded.stage, reason = excluded.reason, attempts = attempts + 1",
                (path, stage, reason),
            )
        stats.dead_letters += 1

    def abandon(self, doc: Document, error: Exception, stats: RunStats) -> None:
        """DOC failed to embed: remove what of it was already upserted, dead-letter it."""
        doc.failed = True
        written = [piece.chunk_id for piece in doc.new[: doc.written]]
        if written:  # new ids the manifest never recorded: nothing else points at them
            self.collection.delete(ids=written)
        stats.embedded -= len(written)
        self.dead_letter(doc.path, "embed", f"{type(error).__name__}: {error}", stats)

    def clear_dead_letter(self, path: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM dead_letters WHERE path = ?", (path,))

    def dead_letters(self) -> list[tuple[str, str, str, int]]:
        return self.db.execute("SELECT * FROM dead_letters ORDER BY path").fetchall()

    # endregion

    # region run
    def run(self) -> RunStats:
        """One batch run over the whole folder: embed every new chunk, BATCH_SIZE at a time."""
        stats, started = RunStats(), time.perf_counter()
        paths = self.paths()
        stats.seen = len(paths)
        self.forget_missing(set(paths), stats)
        documents = [doc for path in paths if (doc := self.prepare(path, stats)) is not None]
        pending = [(doc, piece) for doc in documents for piece in doc.new]
        for doc in documents:
            if not doc.new:  # only deletions or moves: nothing to embed
                self.commit(doc, stats)
        for start in range(0, len(pending), self.batch_size):
            for doc in self.flush(pending[start : start + self.batch_size], stats):
                self.commit(doc, stats)
        stats.seconds["total"] = time.perf_counter() - started
        return stats

    # endregion

    def manifest_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id")]

    def stored_ids(self) -> list[str]:
        return sorted(self.collection.get(include=[])["ids"])


# region edit
REVISED = " (revised)."
SENTENCE = re.compile(r"(?m)(?<![\w`])[A-Z][a-z][^.\n`|#*\[]{40,160}\.(?= |$)")


def one_chunk_edit(text: str, chunker: str, size: int, overlap: int) -> tuple[str, str] | None:
    """A one-sentence edit of TEXT that changes exactly one of its chunks, or None.

    A sentence inside an overlap sits in two chunks, and a longer sentence can move a cut
    that follows it; so try each sentence and keep the first whose edit changes one chunk.
    """
    before = {chunk.text for chunk in make_chunks(text, chunker, size, overlap)}
    for match in SENTENCE.finditer(text):
        sentence = match.group(0)
        if text.count(sentence) != 1 or sentence.endswith(REVISED):
            continue
        edited_sentence = sentence[:-1] + REVISED
        edited = text.replace(sentence, edited_sentence)
        after = {chunk.text for chunk in make_chunks(edited, chunker, size, overlap)}
        if len(after - before) == 1 and len(before - after) == 1:
            return sentence, edited_sentence
    return None


# endregion
