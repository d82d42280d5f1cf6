"""Incremental, idempotent ingestion: a folder of documents into a Chroma collection.

    scan folder ─▶ per document: unchanged? skip ─▶ chunk ─▶ embed only new chunk ids
               ─▶ upsert new, re-label kept, delete vanished (Chroma) ─▶ manifest (SQLite)
    then: deleted files' chunks go, chunks the manifest does not know go (crash repair)

A chunk's id is the SHA-256 of its document's path and the exact text embedded (plus its
occurrence number, for a passage a document repeats). Content decides identity, so:

- a chunk whose id is already in the store holds that very text: it is never embedded
  again, even when an edit above it moved its offsets (its metadata is updated instead);
- re-running over the same folder embeds nothing and leaves the same ids;
- a crash at any point leaves vectors that are right for their ids; the next run keeps
  them and deletes the ones nothing refers to.

A document that fails (unreadable, not UTF-8, empty, or the embedder raising on it) is a
dead letter: recorded with its reason, skipped, retried on every later run until it
succeeds. A document that was ingested before keeps its last good chunks meanwhile.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from document_ingestion.chunking import Chunk, make_chunks, markdown_sections
from document_ingestion.manifest import ChunkRecord, Manifest
from document_ingestion.sources import MAX_DOCUMENT_BYTES, Document, scan

MANIFEST_FILE = "manifest.sqlite"
CHROMA_FOLDER = "chroma"
LOCK_FILE = "ingest.lock"


@dataclass(frozen=True)
class DeadLetter:
    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    documents_seen: int  # candidate files found in the folder, dead letters included
    documents_changed: int  # new or changed documents ingested in this run
    documents_unchanged: int  # documents whose bytes hash to what was ingested last
    documents_deleted: int  # documents gone from the folder, their chunks deleted
    chunks_embedded: int  # chunk texts sent to the embedder and upserted
    chunks_kept: int  # chunks in the store after the run that were not embedded by it
    chunks_deleted: int  # vanished chunks, deleted files' chunks and orphans removed
    dead_letters: tuple[DeadLetter, ...]  # documents that failed in this run

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    path: str
    heading: str
    text: str
    start: int
    end: int
    distance: float  # cosine distance, 0 = same direction


class EmbeddingFailed(Exception):
    """The embedder raised, or returned something that is not one vector per text."""


class StoreBusy(RuntimeError):
    """Another ingest holds the store's lock."""


def embedding_text(chunk_text: str, heading: str) -> str:
    """What is embedded: the chunk, with its section heading in front when it lacks it."""
    if heading and heading not in chunk_text.split("\n", 1)[0]:
        return f"{heading}\n\n{chunk_text}"
    return chunk_text


def chunk_id(path: str, text: str, occurrence: int) -> str:
    """SHA-256 of the path and the embedded text; OCCURRENCE tells repeated passages apart."""
    return hashlib.sha256(f"{path}\x00{text}\x00{occurrence}".encode()).hexdigest()


def _section_heading(sections: list[tuple[str, int, int]], offset: int) -> str:
    for heading, start, end in sections:
        if start <= offset < end:
            return heading
    return ""


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One ingest per store at a time (an advisory lock, POSIX only)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; run one ingest at a time yourself
        yield
        return
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusy(f"another ingest is running on {lock_path.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IngestionPipeline:
    """Documents of a folder, chunked and embedded into the collection in STORE_DIR."""

    def __init__(
        self,
        store_dir: Path,
        embedder,
        *,
        chunker: str = "recursive",
        chunk_size: int = 800,
        overlap: int = 100,
        collection: str = "documents",
        batch_size: int = 64,
        retries: int = 0,
        backoff_seconds: float = 0.5,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        make_chunks("", chunker, chunk_size, overlap)  # a ValueError names a bad setting
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.store_dir = Path(store_dir)
        self.embedder = embedder
        self.model = getattr(embedder, "name", None) or type(embedder).__name__
        self.chunker, self.chunk_size, self.overlap = chunker, chunk_size, overlap
        self.batch_size, self.retries, self.backoff_seconds = batch_size, retries, backoff_seconds
        self.max_document_bytes = max_document_bytes
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.store_dir / MANIFEST_FILE)
        stored_model = self.manifest.meta().get("model")
        if stored_model is not None and stored_model != self.model:
            self.manifest.close()
            raise ValueError(
                f"store {self.store_dir} holds vectors of {stored_model!r}, not {self.model!r}:"
                " ingest into a new store and switch to it when it is complete"
            )
        from document_ingestion.vector_store import VectorStore

        self.store = VectorStore(self.store_dir / CHROMA_FOLDER, collection, embedder, self.model)

    @property
    def chunking(self) -> str:
        return f"{self.chunker}:{self.chunk_size}:{self.overlap}"

    def close(self) -> None:
        self.manifest.close()

    def __enter__(self) -> IngestionPipeline:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def count(self) -> int:
        """Chunks in the collection."""
        return self.store.count()

    # Ingestion.

    def ingest(self, source_dir: Path) -> IngestReport:
        """Bring the collection in step with SOURCE_DIR, embedding only new chunk texts."""
        documents, failures = scan(source_dir, max_bytes=self.max_document_bytes)
        with _exclusive(self.store_dir / LOCK_FILE):
            return self._ingest(documents, failures)

    def _ingest(self, documents: list[Document], failures: list) -> IngestReport:
        manifest = self.manifest
        manifest.set_meta({"model": self.model})  # before any vector of this model lands
        stored = manifest.versions()
        old_chunks: dict[str, list[ChunkRecord]] = {}
        for record in manifest.chunks():
            old_chunks.setdefault(record.path, []).append(record)
        in_store = self.store.ids()
        # Chunks the manifest lists but the store lost: redo their documents.
        incomplete = {
            record.path
            for records in old_chunks.values()
            for record in records
            if record.chunk_id not in in_store
        }
        seen = {d.path for d in documents} | {f.path for f in failures}
        counts = Counter()

        for path in sorted(set(stored) - seen):
            gone = [record.chunk_id for record in old_chunks.get(path, [])]
            self.store.delete(gone)
            manifest.forget_document(path)
            counts["documents_deleted"] += 1
            counts["chunks_deleted"] += len(gone)
        dead_letters = []
        for failure in failures:
            manifest.record_dead_letter(failure.path, failure.reason)
            dead_letters.append(DeadLetter(failure.path, failure.reason))
        waiting = manifest.dead_letters()
        for document in documents:
            unchanged = stored.get(document.path) == (document.content_sha256, self.chunking)
            if unchanged and document.path not in incomplete:
                counts["documents_unchanged"] += 1
                if document.path in waiting:  # it failed, then went back to its old bytes
                    manifest.clear_dead_letter(document.path)
                continue
            try:
                embedded, deleted = self._ingest_document(
                    document, old_chunks.get(document.path, []), in_store
                )
            except EmbeddingFailed as error:
                manifest.record_dead_letter(document.path, str(error))
                dead_letters.append(DeadLetter(document.path, str(error)))
                continue
            counts["documents_changed"] += 1
            counts["chunks_embedded"] += embedded
            counts["chunks_deleted"] += deleted
        for path in set(waiting) - seen:  # failed once, then removed from the folder
            manifest.clear_dead_letter(path)

        # Orphans: vectors a crashed run upserted that no manifest row refers to.
        known = manifest.chunk_ids()
        orphans = self.store.ids() - known
        self.store.delete(orphans)
        counts["chunks_deleted"] += len(orphans)
        return IngestReport(
            documents_seen=len(documents) + len(failures),
            documents_changed=counts["documents_changed"],
            documents_unchanged=counts["documents_unchanged"],
            documents_deleted=counts["documents_deleted"],
            chunks_embedded=counts["chunks_embedded"],
            chunks_kept=len(known) - counts["chunks_embedded"],
            chunks_deleted=counts["chunks_deleted"],
            dead_letters=tuple(dead_letters),
        )

    def chunk_document(self, document: Document) -> tuple[list[ChunkRecord], list[str]]:
        """The chunk records of DOCUMENT and the text each one embeds."""
        sections = markdown_sections(document.text)
        chunks: list[Chunk] = make_chunks(
            document.text, self.chunker, self.chunk_size, self.overlap
        )
        records, texts, occurrences = [], [], Counter()
        for ordinal, chunk in enumerate(chunks):
            heading = chunk.heading or _section_heading(sections, chunk.start)
            text = embedding_text(chunk.text, heading)
            occurrence = occurrences[text]
            occurrences[text] += 1
            records.append(
                ChunkRecord(
                    chunk_id=chunk_id(document.path, text, occurrence),
                    path=document.path,
                    ordinal=ordinal,
                    content_sha256=hashlib.sha256(chunk.text.encode()).hexdigest(),
                    start=chunk.start,
                    end=chunk.end,
                    heading=heading,
                )
            )
            texts.append(text)
        return records, texts

    def _ingest_document(
        self, document: Document, old: list[ChunkRecord], in_store: set[str]
    ) -> tuple[int, int]:
        """Embed and upsert DOCUMENT's new chunks, then record it: (embedded, deleted)."""
        records, texts = self.chunk_document(document)
        if not records:
            raise EmbeddingFailed("no chunks: the chunker found no text")
        new = [i for i, record in enumerate(records) if record.chunk_id not in in_store]
        vectors = self._embed([texts[i] for i in new])
        metadatas = [self._metadata(record) for record in records]
        chunk_texts = [document.text[r.start : r.end] for r in records]
        # The store first, the manifest last: a crash in between is repaired next run.
        self.store.upsert(
            [records[i].chunk_id for i in new],
            vectors,
            [chunk_texts[i] for i in new],
            [metadatas[i] for i in new],
        )
        before, embedded = {record.chunk_id: record for record in old}, set(new)
        moved = [
            i
            for i, record in enumerate(records)
            if i not in embedded and before.get(record.chunk_id) != record
        ]
        self.store.update_metadata(
            [records[i].chunk_id for i in moved], [metadatas[i] for i in moved]
        )
        vanished = set(before) - {record.chunk_id for record in records}
        self.store.delete(vanished)
        self.manifest.record_document(
            document.path, document.content_sha256, self.chunking, records
        )
        in_store.update(records[i].chunk_id for i in new)
        return len(new), len(vanished)

    def _metadata(self, record: ChunkRecord) -> dict:
        return {
            "path": record.path,
            "ordinal": record.ordinal,
            "start": record.start,
            "end": record.end,
            "heading": record.heading,
            "content_sha256": record.content_sha256,
            "model": self.model,
        }

    def _embed(self, texts: list[str]) -> np.ndarray:
        """TEXTS in batches of batch_size, each retried with backoff; EmbeddingFailed if not."""
        parts = [np.zeros((0, 0), dtype=np.float32)]
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            parts.append(self._embed_batch(batch))
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts[1:])

    def _embed_batch(self, batch: list[str]) -> np.ndarray:
        for attempt in range(self.retries + 1):
            try:
                vectors = np.asarray(self.embedder.embed(batch), dtype=np.float32)
                break
            except Exception as error:  # the embedder's own errors; a crash still propagates
                if attempt == self.retries:
                    message = str(error).splitlines()[0] if str(error) else ""
                    raise EmbeddingFailed(
                        f"embedding failed: {type(error).__name__}: {message}".rstrip(": ")
                    ) from error
                time.sleep(self.backoff_seconds * 2**attempt)
        if vectors.ndim != 2 or vectors.shape[0] != len(batch):
            raise EmbeddingFailed(
                f"embedding failed: {len(batch)} texts gave an array of shape {vectors.shape}"
            )
        if not np.isfinite(vectors).all():
            raise EmbeddingFailed("embedding failed: the embedder returned NaN or infinity")
        if (np.linalg.norm(vectors, axis=1) == 0).any():
            raise EmbeddingFailed("embedding failed: a zero vector has no cosine direction")
        return vectors

    # Search.

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The K chunks nearest to QUERY, nearest first."""
        if not isinstance(query, str) or not query.strip():
            raise ValueError("the query is empty")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        total = self.store.count()
        if total == 0:
            return []
        vector = np.asarray(self.embedder.embed([query]), dtype=np.float32)[0]
        return [
            Hit(
                chunk_id=id_,
                path=meta["path"],
                heading=meta["heading"],
                text=text,
                start=meta["start"],
                end=meta["end"],
                distance=float(distance),
            )
            for id_, text, meta, distance in self.store.query(vector, min(k, total))
        ]
