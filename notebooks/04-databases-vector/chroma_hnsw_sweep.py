"""Recall against latency for Chroma's HNSW index as ef_search grows (notebook 04-03).

The vectors are synthetic and clustered (points scattered around random centres, then
normalized): real embeddings cluster by topic too, and a generator makes a corpus large
enough for the approximate index to miss neighbours, in a second, with no model run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.client import SharedSystemClient

SETTINGS = chromadb.Settings(anonymized_telemetry=False)


# region vectors
def clustered_unit_vectors(
    rng: np.random.Generator, count: int, centres: np.ndarray, spread: float = 0.8
) -> np.ndarray:
    """COUNT unit vectors, each a random centre plus Gaussian noise of scale SPREAD."""
    picked = centres[rng.integers(0, len(centres), count)]
    points = picked + spread * rng.normal(size=picked.shape)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The true K nearest rows by cosine for each query: what recall is measured against."""
    scores = queries @ vectors.T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def recall(found: list[list[str]], truth: np.ndarray) -> float:
    """Mean share of each query's true neighbours that the index returned."""
    k = truth.shape[1]
    shares = [
        len({int(i) for i in ids} & set(row)) / k for ids, row in zip(found, truth, strict=True)
    ]
    return float(np.mean(shares))


# endregion


# region sweep
@dataclass(frozen=True)
class SweepPoint:
    ef_search: int
    recall: float
    ms_per_query: float


def reopened(path: Path, name: str) -> chromadb.Collection:
    """The collection from a new client, so the index is loaded again from disk.

    Chroma keeps one system per path in a process; clearing that cache makes the next
    client load the index afresh, with the collection's current configuration.
    """
    SharedSystemClient.clear_system_cache()
    return chromadb.PersistentClient(path=path, settings=SETTINGS).get_collection(name)


def measure(collection: chromadb.Collection, queries: np.ndarray, truth: np.ndarray, ef: int):
    collection.query(query_embeddings=queries[:1], n_results=truth.shape[1], include=[])  # warm
    started = time.perf_counter()
    result = collection.query(query_embeddings=queries, n_results=truth.shape[1], include=[])
    elapsed = time.perf_counter() - started
    return SweepPoint(ef, recall(result["ids"], truth), 1e3 * elapsed / len(queries))


def sweep_ef_search(path: Path, name: str, queries, truth, ef_values) -> list[SweepPoint]:
    points = []
    for ef in ef_values:
        reopened(path, name).modify(configuration={"hnsw": {"ef_search": ef}})
        points.append(measure(reopened(path, name), queries, truth, ef))
    return points


# endregion
