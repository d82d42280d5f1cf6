"""The Chroma side: one persistent collection in cosine space, fed precomputed vectors.

The pipeline embeds every chunk itself (so it controls batching, retries and which
document a failure belongs to) and hands Chroma the vectors. The collection still gets an
explicit embedding function, an adapter over the same embedder: without one, Chroma 1.5
falls back to its default model, which it downloads on first use (``query_texts`` on a
collection created with ``embedding_function=None`` would do it).

Chroma caps the records of one call (``client.get_max_batch_size()``), so every write and
read by id goes in slices of that size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings


class EmbedderFunction(EmbeddingFunction[Documents]):
    """Any ``.embed(list[str])`` embedder as a Chroma embedding function."""

    def __init__(self, embedder=None, model: str = "") -> None:
        self.embedder = embedder
        self.model = model

    def __call__(self, input: Documents) -> Embeddings:
        if self.embedder is None:
            raise ValueError(f"reopen this collection through the pipeline ({self.model})")
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "document-ingestion"

    def get_config(self) -> dict:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict) -> EmbedderFunction:
        return EmbedderFunction(None, config.get("model", ""))

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


def _slices(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class VectorStore:
    """The collection NAME in the Chroma folder PATH."""

    def __init__(self, path: Path, name: str, embedder, model: str) -> None:
        self.client = chromadb.PersistentClient(
            path=str(path), settings=Settings(anonymized_telemetry=False)
        )
        self.collection = self.client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=EmbedderFunction(embedder, model),
        )
        self.batch = self.client.get_max_batch_size()

    def count(self) -> int:
        return self.collection.count()

    def ids(self) -> set[str]:
        """Every id in the collection, read in pages."""
        found: set[str] = set()
        while True:
            page = self.collection.get(include=[], limit=self.batch, offset=len(found))["ids"]
            found.update(page)
            if len(page) < self.batch:
                return found

    def upsert(
        self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict]
    ) -> None:
        for start in range(0, len(ids), self.batch):
            end = start + self.batch
            self.collection.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        """New offsets for chunks whose text (and so vector) did not change."""
        for start in range(0, len(ids), self.batch):
            end = start + self.batch
            self.collection.update(ids=ids[start:end], metadatas=metadatas[start:end])

    def delete(self, ids: Iterable[str]) -> None:
        for part in _slices(sorted(ids), self.batch):
            self.collection.delete(ids=list(part))

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, str, dict, float]]:
        """The K nearest chunks to VECTOR: (id, text, metadata, cosine distance)."""
        result = self.collection.query(
            query_embeddings=vector.reshape(1, -1),
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return list(
            zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        )
