"""The documents in a persistent Chroma collection: idempotent upserts, filtered search.

The collection is created with the course embedder as its embedding function (registered
by name, so a client in a new process rebuilds it from the collection's stored config) and
cosine space, so ``1 - distance`` is the cosine similarity of unit vectors.

Each record's metadata carries ``content_hash``: the SHA-256 of its text and metadata. An
upsert first reads the stored hashes of its ids and sends Chroma only the records that are
new or changed, so re-sending a batch costs one ``get`` and no embedding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb

from .embeddings import chroma_embedding_function, content_hash

HASH_KEY = "content_hash"


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    category: str
    year: int

    def metadata(self) -> dict[str, str | int]:
        return {"category": self.category, "year": self.year}

    def fingerprint(self) -> str:
        """What decides "unchanged": the text and the metadata, canonically serialized."""
        canonical = json.dumps(
            {"text": self.text, "metadata": self.metadata()}, sort_keys=True, ensure_ascii=False
        )
        return content_hash(canonical)


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float  # cosine similarity, 1.0 for the same direction


def where_clause(category: str | None, year_gte: int | None) -> dict[str, Any] | None:
    """Chroma's metadata filter for the given conditions, None when there are none.

    Chroma accepts one condition per dict: two of them must be joined with ``$and``.
    """
    conditions: list[dict[str, Any]] = []
    if category is not None:
        conditions.append({"category": category})
    if year_gte is not None:
        conditions.append({"year": {"$gte": year_gte}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


class DocumentStore:
    """One Chroma collection under ``data_dir``; close() releases the files."""

    def __init__(self, data_dir: Path, collection: str = "products") -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(
            path=str(data_dir), settings=chromadb.Settings(anonymized_telemetry=False)
        )
        self.collection = self.client.get_or_create_collection(
            collection,
            embedding_function=chroma_embedding_function(),
            configuration={"hnsw": {"space": "cosine"}},
        )

    def close(self) -> None:
        self.client.close()

    def count(self) -> int:
        return self.collection.count()

    def upsert(self, documents: list[Document]) -> UpsertCounts:
        if not documents:
            return UpsertCounts(0, 0, 0)
        stored = self.collection.get(ids=[d.id for d in documents], include=["metadatas"])
        stored_hashes = {
            id_: (metadata or {}).get(HASH_KEY)
            for id_, metadata in zip(stored["ids"], stored["metadatas"] or [], strict=True)
        }
        changed = [d for d in documents if stored_hashes.get(d.id) != d.fingerprint()]
        if changed:
            self.collection.upsert(
                ids=[d.id for d in changed],
                documents=[d.text for d in changed],
                metadatas=[{**d.metadata(), HASH_KEY: d.fingerprint()} for d in changed],
            )
        updated = sum(1 for d in changed if d.id in stored_hashes)
        return UpsertCounts(
            created=len(changed) - updated,
            updated=updated,
            unchanged=len(documents) - len(changed),
        )

    def get(self, document_id: str) -> Document | None:
        found = self.collection.get(ids=[document_id], include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        return _document(found["ids"][0], found["documents"][0], found["metadatas"][0])

    def delete(self, document_id: str) -> bool:
        if not self.collection.get(ids=[document_id], include=[])["ids"]:
            return False
        self.collection.delete(ids=[document_id])
        return True

    def search(
        self, query: str, k: int, *, category: str | None = None, year_gte: int | None = None
    ) -> list[Hit]:
        result = self.collection.query(
            query_texts=[query],
            n_results=k,
            where=where_clause(category, year_gte),
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(_document(id_, text, metadata), score=1.0 - distance)
            for id_, text, metadata, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]


def _document(id_: str, text: str, metadata: dict[str, Any]) -> Document:
    return Document(
        id=id_, text=text, category=str(metadata["category"]), year=int(metadata["year"])
    )
