"""Notebook 04-04's own small benchmark harness: one engine, built and queried, measured.

Each engine is a class with ``build(vectors)`` and ``search(queries, k) -> ids`` (an int
array, one row per query), so ``measure`` times them all the same way: build once, then the
whole query batch, and recall@k against exact search. ``ids`` are row numbers of ``vectors``.
The vectors are unit rows, so cosine similarity is a dot product.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil


# region exact
class NumpyExact:
    """Brute force: one matrix product, then the k largest per row. The ground truth."""

    name = "numpy exact"
    approximate = False

    def build(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        scores = queries @ self.vectors.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)


# endregion


# region recall
def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true k nearest neighbours that the engine returned, averaged over queries."""
    k = truth.shape[1]
    hits = [len(set(f[:k]) & set(t)) for f, t in zip(found, truth, strict=True)]
    return sum(hits) / (k * len(truth))


# endregion


# region usearch
class UsearchHnsw:
    """usearch's HNSW graph: M (``connectivity``) links per node, ``ef`` at query time."""

    name = "usearch HNSW"
    approximate = True

    def __init__(self, *, m: int = 16, ef_construction: int = 64, ef_search: int = 64) -> None:
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search

    def build(self, vectors: np.ndarray) -> None:
        from usearch.index import Index

        self.index = Index(
            ndim=vectors.shape[1],
            metric="cos",
            dtype="f32",
            connectivity=self.m,
            expansion_add=self.ef_construction,
            expansion_search=self.ef_search,
        )
        # One thread: the insertion order, and so the graph, is the same on every run.
        self.index.add(np.arange(len(vectors)), vectors, threads=1)

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        # usearch drops the batch axis for a single query; keep one row per query.
        keys = self.index.search(queries, k, threads=1).keys
        return keys.astype(np.int64).reshape(len(queries), k)


# endregion


# region chroma
class ChromaHnsw:
    """Chroma's persistent collection: hnswlib underneath, configured per collection."""

    name = "Chroma HNSW"
    approximate = True

    def __init__(self, path: Path, *, m: int = 16, ef_construction: int = 100, ef_search: int = 64):
        self.path, self.m, self.ef_construction, self.ef_search = (
            path,
            m,
            ef_construction,
            ef_search,
        )

    def build(self, vectors: np.ndarray) -> None:
        import chromadb

        from backend_skills.embeddings import chroma_embedding_function

        client = chromadb.PersistentClient(
            path=self.path, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        hnsw = {
            "space": "cosine",
            "max_neighbors": self.m,
            "ef_construction": self.ef_construction,
            "ef_search": self.ef_search,
            "num_threads": 1,
        }
        self.collection = client.create_collection(
            f"bench-{len(vectors)}-m{self.m}",
            embedding_function=chroma_embedding_function(),  # never Chroma's downloading default
            configuration={"hnsw": hnsw},
        )
        batch = client.get_max_batch_size()
        for start in range(0, len(vectors), batch):
            rows = vectors[start : start + batch]
            ids = [str(i) for i in range(start, start + len(rows))]
            self.collection.add(ids=ids, embeddings=rows)

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        found = self.collection.query(query_embeddings=queries, n_results=k, include=[])
        return np.array([[int(i) for i in row] for row in found["ids"]])


# endregion


# region qdrant
class QdrantLocal:
    """qdrant-client's local mode: the server's API in-process, searched by brute force."""

    name = "Qdrant local"
    approximate = False

    def build(self, vectors: np.ndarray) -> None:
        from qdrant_client import QdrantClient, models

        self.client = QdrantClient(":memory:")
        self.client.create_collection(
            "bench",
            vectors_config=models.VectorParams(
                size=vectors.shape[1], distance=models.Distance.COSINE
            ),
        )
        self.client.upload_collection("bench", vectors=vectors, ids=range(len(vectors)))

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        from qdrant_client import models

        requests = [models.QueryRequest(query=q.tolist(), limit=k) for q in queries]
        answers = self.client.query_batch_points("bench", requests=requests)
        return np.array([[point.id for point in answer.points] for answer in answers])


# endregion


# region sqlite_vec
class SqliteVec:
    """sqlite-vec's vec0 table: vectors in SQLite pages, a full scan per query (exact)."""

    name = "sqlite-vec"
    approximate = False

    def build(self, vectors: np.ndarray) -> None:
        # This machine's sqlite3 cannot load extensions; pysqlite3-binary's can.
        import pysqlite3.dbapi2 as sqlite3
        import sqlite_vec

        self.con = sqlite3.connect(":memory:")
        self.con.enable_load_extension(True)
        sqlite_vec.load(self.con)
        self.con.enable_load_extension(False)
        dims = vectors.shape[1]
        self.con.execute(
            f"create virtual table vec using vec0(v float[{dims}] distance_metric=cosine)"
        )
        self.con.executemany(
            "insert into vec(rowid, v) values (?, ?)",
            ((i, row.tobytes()) for i, row in enumerate(vectors.astype(np.float32))),
        )

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        sql = "select rowid from vec where v match ? and k = ? order by distance"
        rows = [
            self.con.execute(sql, (q.astype(np.float32).tobytes(), k)).fetchall() for q in queries
        ]
        return np.array([[rowid for (rowid,) in found] for found in rows])


# endregion


# region measure
@dataclass(frozen=True)
class Measurement:
    engine: str
    vectors: int
    recall_at_10: float
    queries_per_second: float
    build_seconds: float
    memory_mb: float  # the process's resident memory growth while building (a rough figure)


def measure(engine, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> Measurement:
    """Build ``engine`` on ``vectors``, run each query once, score against ``truth``."""
    process = psutil.Process()
    rss_before = process.memory_info().rss
    started = time.perf_counter()
    engine.build(vectors)
    built = time.perf_counter()
    # One query at a time, as a service receives them: a batch would let exact search turn
    # into one matrix product, which is a different (and rarer) workload.
    found = np.vstack([engine.search(query[None, :], truth.shape[1]) for query in queries])
    searched = time.perf_counter()
    return Measurement(
        engine=engine.name,
        vectors=len(vectors),
        recall_at_10=recall_at_k(found, truth),
        queries_per_second=len(queries) / (searched - built),
        build_seconds=built - started,
        memory_mb=max(process.memory_info().rss - rss_before, 0) / 2**20,
    )


# endregion


# region synthetic
def clustered_unit_vectors(count: int, dims: int, *, clusters: int, seed: int) -> np.ndarray:
    """Unit vectors around ``clusters`` random centres: text embeddings clump by topic too.

    Uniform random points in 256 dimensions are all nearly equidistant, which no real
    corpus is and which makes every ANN graph look worse than it is.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dims))
    labels = rng.integers(0, clusters, size=count)
    points = centres[labels] + 0.6 * rng.standard_normal((count, dims))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


# endregion
