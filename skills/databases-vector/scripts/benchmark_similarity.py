#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "numpy>=1.26",
#     "chromadb>=1.5",
#     "qdrant-client>=1.12",
#     "sqlite-vec>=0.1.6",
#     "pysqlite3-binary>=0.5; sys_platform == 'linux'",
#     "usearch>=2.12",
#     "wordllama>=0.4",
# ]
# ///
"""Benchmark vector search engines against exact search: recall@k, speed, build time, memory.

The corpus is one of (default: --synthetic 20000 --dims 256):
  --synthetic N    N random vectors in clusters (seeded), like embeddings of texts on a few
                   topics; the queries are --queries more points drawn the same way
  --vectors FILE   a float matrix saved with numpy (.npy), one row a vector
  --texts FILE     texts embedded with the course's default model (wordllama, 256 dims,
                   offline): one text a line, or JSONL with a "text" field
The queries are --query-vectors / --query-texts when given, otherwise --queries rows drawn
from the corpus with --seed and held out of it (a query is never its own neighbour).

Every vector is scaled to unit length, so cosine similarity is the dot product, and the
ground truth is exact search in numpy (all similarities, sorted). Engines (--engines):
  numpy        exact: one matrix-vector product and a partial sort per query
  chroma       HNSW (chromadb's Rust core, EphemeralClient), precomputed embeddings
  qdrant       qdrant-client local mode (":memory:"): exact, numpy inside, no HNSW
  sqlite-vec   a vec0 virtual table, KNN by `MATCH ... AND k = ?`: exact scan in C
  usearch      HNSW (usearch Index, metric "cos", float32)
--ef-search and --hnsw-m tune the HNSW engines (chroma, usearch): a larger ef_search
visits more of the graph per query, for recall at the cost of speed.

For each engine: build seconds, queries per second (one query at a time, on one thread:
numpy's BLAS is held to one as the script starts), recall@k against exact, speed-up over
exact numpy, and peak memory: the growth of the process's resident set during build and
queries, read from /proc/self/status (VmHWM, reset through /proc/self/clear_refs) on
Linux, otherwise from resource.getrusage's ru_maxrss, which shows only growth past the
process's earlier peak. tracemalloc would miss what native code (HNSW graphs, SQLite)
allocates.

    benchmark_similarity.py                               # synthetic 20,000 x 256
    benchmark_similarity.py --synthetic 5000 --dims 64 --engines numpy,usearch --json
    benchmark_similarity.py --texts sections.jsonl --queries 50 --k 5

Exit codes: 0 done, 1 an engine's recall below --min-recall, 2 bad input.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import resource
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NoReturn, Protocol

# One BLAS thread, set before numpy loads it: exact search then runs on one core like the
# HNSW builds and searches below, so the speed-up compares like with like.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

# The course's embedder is a byte-identical copy beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import embeddings  # noqa: E402

PROG = "benchmark_similarity"
DEFAULT_SYNTHETIC = 20_000
DEFAULT_DIMS = 256
DEFAULT_QUERIES = 200
# ef_search 32 keeps both HNSW engines at recall@10 >= 0.99 on the default synthetic set
# (measured: 16 gives 0.976 for usearch); more only costs speed there.
DEFAULT_EF_SEARCH = 32
DEFAULT_HNSW_M = 16
EF_CONSTRUCTION = 64


class BadInput(Exception):
    """Input the user must fix; reported as one line, exit code 2."""


# --- the engines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HnswSettings:
    ef_search: int
    m: int


class Engine(Protocol):
    index: str  # what the engine searches with, for the report

    def build(self, vectors: np.ndarray) -> None:
        """Index VECTORS (unit rows); row i gets id i."""

    def search(self, query: np.ndarray, k: int) -> list[int]:
        """The ids of the K rows most similar to QUERY, best first."""

    def close(self) -> None:
        """Free what build made."""


class NumpyExact:
    index = "exact (matrix-vector product)"

    def __init__(self, settings: HnswSettings) -> None:
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def build(self, vectors: np.ndarray) -> None:
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32).copy()

    def search(self, query: np.ndarray, k: int) -> list[int]:
        scores = self.matrix @ query
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top])].tolist()

    def close(self) -> None:
        self.matrix = np.zeros((0, 0), dtype=np.float32)


class ChromaHnsw:
    index = "HNSW"

    def __init__(self, settings: HnswSettings) -> None:
        import chromadb

        self.settings = settings
        self.client = chromadb.EphemeralClient(
            settings=chromadb.Settings(anonymized_telemetry=False)
        )
        # EphemeralClients share one store per process: a fresh name per run.
        self.name = f"benchmark-{uuid.uuid4().hex[:12]}"
        self.collection = None

    def build(self, vectors: np.ndarray) -> None:
        # embedding_function=None: the vectors are given, so Chroma never embeds text (its
        # default function would download a model); add(documents=...) would be an error.
        self.collection = self.client.create_collection(
            self.name,
            embedding_function=None,
            configuration={
                "hnsw": {
                    "space": "cosine",
                    "ef_construction": EF_CONSTRUCTION,
                    "ef_search": self.settings.ef_search,
                    "max_neighbors": self.settings.m,
                    "num_threads": 1,  # as usearch: one core each, a like-for-like build
                }
            },
        )
        batch = self.client.get_max_batch_size()
        for start in range(0, len(vectors), batch):
            rows = vectors[start : start + batch]
            ids = [str(i) for i in range(start, start + len(rows))]
            self.collection.add(ids=ids, embeddings=rows)

    def search(self, query: np.ndarray, k: int) -> list[int]:
        result = self.collection.query(query_embeddings=[query], n_results=k, include=[])
        return [int(i) for i in result["ids"][0]]

    def close(self) -> None:
        if self.collection is not None:
            self.client.delete_collection(self.name)
            self.collection = None


class QdrantLocal:
    index = "exact (local mode, numpy)"

    def __init__(self, settings: HnswSettings) -> None:
        from qdrant_client import QdrantClient

        self.client = QdrantClient(":memory:")
        self.name = "benchmark"

    def build(self, vectors: np.ndarray) -> None:
        from qdrant_client import models

        self.client.create_collection(
            self.name,
            vectors_config=models.VectorParams(
                size=vectors.shape[1], distance=models.Distance.COSINE
            ),
        )
        # Batches: local mode's upload_collection turns every vector into Python floats at
        # once (a peak of 16 times the matrix here), so upsert holds one batch as lists.
        for start in range(0, len(vectors), 1024):
            rows = vectors[start : start + 1024]
            batch = models.Batch(ids=list(range(start, start + len(rows))), vectors=rows.tolist())
            self.client.upsert(self.name, points=batch)

    def search(self, query: np.ndarray, k: int) -> list[int]:
        response = self.client.query_points(self.name, query=query, limit=k, with_payload=False)
        return [int(point.id) for point in response.points]

    def close(self) -> None:
        self.client.close()


def sqlite_with_extensions():
    """An sqlite3 module that can load extensions: the standard one where it can (conda's
    Python), else pysqlite3, since many Pythons are built without load_extension."""
    import sqlite3

    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import pysqlite3
    except ImportError as exc:
        raise BadInput(
            "sqlite-vec needs an sqlite3 that loads extensions: pip install pysqlite3-binary"
        ) from exc
    return pysqlite3


class SqliteVec:
    index = "exact (vec0 scan)"

    def __init__(self, settings: HnswSettings) -> None:
        import sqlite_vec

        sqlite3 = sqlite_with_extensions()
        self.connection = sqlite3.connect(":memory:")
        self.connection.enable_load_extension(True)
        sqlite_vec.load(self.connection)
        self.connection.enable_load_extension(False)

    def build(self, vectors: np.ndarray) -> None:
        self.connection.execute(
            f"CREATE VIRTUAL TABLE items USING vec0("
            f"embedding float[{vectors.shape[1]}] distance_metric=cosine)"
        )
        with self.connection:
            self.connection.executemany(
                "INSERT INTO items(rowid, embedding) VALUES (?, ?)",
                ((i, row.tobytes()) for i, row in enumerate(vectors.astype(np.float32))),
            )

    def search(self, query: np.ndarray, k: int) -> list[int]:
        rows = self.connection.execute(
            "SELECT rowid FROM items WHERE embedding MATCH ? AND k = ? ORDER BY distance",
            (query.astype(np.float32).tobytes(), k),
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.connection.close()


class UsearchHnsw:
    index = "HNSW"

    def __init__(self, settings: HnswSettings) -> None:
        import usearch.index  # noqa: F401  (imported here, outside the timed build)

        self.settings = settings
        self.graph = None

    def build(self, vectors: np.ndarray) -> None:
        from usearch.index import Index

        self.graph = Index(
            ndim=vectors.shape[1],
            metric="cos",
            dtype="f32",
            connectivity=self.settings.m,
            expansion_add=EF_CONSTRUCTION,
            expansion_search=self.settings.ef_search,
        )
        self.graph.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=1)

    def search(self, query: np.ndarray, k: int) -> list[int]:
        return self.graph.search(query, k, threads=1).keys.tolist()

    def close(self) -> None:
        self.graph = None


ENGINES: dict[str, type] = {
    "numpy": NumpyExact,
    "chroma": ChromaHnsw,
    "qdrant": QdrantLocal,
    "sqlite-vec": SqliteVec,
    "usearch": UsearchHnsw,
}


# --- memory --------------------------------------------------------------------------------


def release_freed_memory() -> None:
    """Hand memory the last engine freed back to the system (glibc's malloc_trim), so the
    next engine's allocations grow the resident set instead of reusing it unseen."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the next engine may reuse freed memory, and show less growth


class PeakMemory:
    """Growth of the resident set between start() and stop(), in MiB.

    On Linux writing 5 to /proc/self/clear_refs resets VmHWM (the peak RSS) to the current
    RSS, so VmHWM after minus RSS before is the peak this step added. Elsewhere ru_maxrss
    is the only peak there is, and it only shows growth past the process's earlier peak.
    """

    def __init__(self) -> None:
        self.method = "VmHWM" if self._reset_peak() else "ru_maxrss"
        self.before_kib = 0

    def start(self) -> None:
        gc.collect()
        release_freed_memory()
        if self.method == "VmHWM":
            self._reset_peak()
            self.before_kib = self._status_kib("VmRSS")
        else:
            self.before_kib = self._ru_maxrss_kib()

    def stop(self) -> float:
        after = self._status_kib("VmHWM") if self.method == "VmHWM" else self._ru_maxrss_kib()
        return max(0, after - self.before_kib) / 1024

    @staticmethod
    def _reset_peak() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            return True
        except OSError:
            return False

    @staticmethod
    def _status_kib(field: str) -> int:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise OSError(f"no {field} in /proc/self/status")

    @staticmethod
    def _ru_maxrss_kib() -> int:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


# --- corpus and queries --------------------------------------------------------------------


def synthetic_vectors(count: int, dims: int, seed: int) -> np.ndarray:
    """COUNT vectors in about sqrt(COUNT) clusters, as embeddings of texts on a few topics:
    each a topic centre plus noise, most of it in a 16-dimensional subspace per topic, so
    the neighbours of a query are its topic's points and not all equally far."""
    rng = np.random.default_rng(seed)
    topics = max(1, round(math.sqrt(count)))
    centres = rng.standard_normal((topics, dims))
    subspace = min(16, dims)
    bases = rng.standard_normal((topics, subspace, dims)) / math.sqrt(subspace)
    topic = rng.integers(topics, size=count)
    within = np.einsum("ns,nsd->nd", rng.standard_normal((count, subspace)), bases[topic])
    noise = 0.5 * rng.standard_normal((count, dims))
    return (centres[topic] + within + noise).astype(np.float32)


def load_matrix(path: str, what: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"{what} file not found: {path}")
    try:
        matrix = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise BadInput(f"{path} is not a numpy .npy matrix ({exc})") from exc
    if matrix.ndim != 2:
        raise BadInput(f"{path} holds an array of shape {matrix.shape}, not a matrix of rows")
    if not np.issubdtype(matrix.dtype, np.number):
        raise BadInput(f"{path} holds {matrix.dtype}, not numbers")
    return check_rows(matrix.astype(np.float32), path)


def check_rows(matrix: np.ndarray, source: str) -> np.ndarray:
    """MATRIX, unless a row of it cannot be compared by cosine."""
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if len(bad):
        raise BadInput(f"{source} row {bad[0]} holds NaN or infinite values")
    zero = np.flatnonzero(~np.any(matrix, axis=1))
    if len(zero):
        raise BadInput(f"{source} row {zero[0]} is all zeros: it has no direction")
    return matrix


def load_texts(path: str, what: str) -> list[str]:
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"{what} file not found: {path}")
    lines = file.read_text(encoding="utf-8").splitlines()
    if file.suffix != ".jsonl":
        return [line for line in lines if line.strip()]
    texts = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path} line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise BadInput(f"{path} line {number}: no string 'text' field")
        if record["text"].strip():  # an empty text has no direction (wordllama: NaN)
            texts.append(record["text"])
    return texts


def embed_texts(texts: list[str]) -> np.ndarray:
    return embeddings.default_embedder().embed(texts)


def hold_out(
    corpus: np.ndarray, queries: int, seed: int, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """(corpus without QUERIES rows drawn with SEED, those rows)."""
    if queries >= len(corpus):
        raise BadInput(
            f"--queries {queries} leaves no corpus: {source} has {len(corpus)} rows "
            f"(give fewer queries or separate query vectors)"
        )
    picked = np.random.default_rng(seed).permutation(len(corpus))
    return corpus[picked[queries:]], corpus[picked[:queries]]


def corpus_and_queries(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """(corpus, queries, a description of both): unit rows of one dimension."""
    queries = DEFAULT_QUERIES if args.queries is None else args.queries
    if args.vectors:
        corpus, source = load_matrix(args.vectors, "vectors"), args.vectors
        if len(corpus) == 0:
            raise BadInput(f"empty corpus: {args.vectors} has no rows")
        if args.query_vectors:
            query_rows = load_matrix(args.query_vectors, "query vectors")
            query_source = args.query_vectors
            query_rows = query_rows[: args.queries] if args.queries else query_rows
        else:
            corpus, query_rows = hold_out(corpus, queries, args.seed, source)
            query_source = f"{len(query_rows)} rows held out of it"
    elif args.texts:
        texts, source = load_texts(args.texts, "texts"), args.texts
        if not texts:
            raise BadInput(f"empty corpus: {args.texts} has no text")
        corpus = embed_texts(texts)
        if args.query_texts:
            query_texts = load_texts(args.query_texts, "query texts")
            query_texts = query_texts[: args.queries] if args.queries else query_texts
            query_rows = embed_texts(query_texts)
            query_source = args.query_texts
        else:
            corpus, query_rows = hold_out(corpus, queries, args.seed, source)
            query_source = f"{len(query_rows)} texts held out of it"
    else:
        count = DEFAULT_SYNTHETIC if args.synthetic is None else args.synthetic
        dims = DEFAULT_DIMS if args.dims is None else args.dims
        if count == 0:
            raise BadInput("empty corpus: --synthetic 0")
        rows = synthetic_vectors(count + queries, dims, args.seed)
        corpus, query_rows = rows[:count], rows[count:]
        source = f"synthetic {count} x {dims}, seed {args.seed}"
        query_source = f"{queries} more points drawn the same way"
    if len(query_rows) == 0:
        raise BadInput(f"no queries: {query_source} has no rows")
    if query_rows.shape[1] != corpus.shape[1]:
        raise BadInput(
            f"dimension mismatch: the corpus has {corpus.shape[1]} dimensions, the queries "
            f"{query_rows.shape[1]} ({corpus.shape[1]} != {query_rows.shape[1]})"
        )
    if args.k > len(corpus):
        raise BadInput(f"--k {args.k} is more than the corpus's {len(corpus)} vectors")
    return (
        embeddings.unit_rows(corpus),
        embeddings.unit_rows(query_rows),
        f"{source}; queries: {query_source}",
    )


# --- the benchmark -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    engine: str
    index: str
    vectors: int
    dims: int
    queries: int
    k: int
    build_seconds: float
    queries_per_second: float
    speedup_vs_exact: float
    recall_at_k: float
    peak_memory_mib: float
    memory_method: str


def exact_scores(corpus: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(each query's K best similarities, best first; its similarity to every vector)."""
    scores = queries @ corpus.T
    return np.sort(scores, axis=1)[:, ::-1][:, :k], scores


def recall(found: list[list[int]], scores: np.ndarray, kth_best: np.ndarray, k: int) -> float:
    """The share of returned ids that belong in the exact top k. A returned id counts when
    its exact similarity reaches the k-th best (ties with it count too), so an engine is not
    blamed for picking one of two equal vectors; repeated ids count once."""
    hits = 0
    for row, ids in enumerate(found):
        unique = list(dict.fromkeys(ids))[:k]
        hits += int(np.sum(scores[row, unique] >= kth_best[row] - 1e-5)) if unique else 0
    return hits / (k * len(found))


def run_engine(
    name: str,
    settings: HnswSettings,
    corpus: np.ndarray,
    queries: np.ndarray,
    k: int,
    memory: PeakMemory,
) -> tuple[float, float, float, list[list[int]]]:
    """(build seconds, queries per second, peak memory MiB, results) for engine NAME."""
    engine = ENGINES[name](settings)  # imports the engine's package, outside the timings
    memory.start()
    started = time.perf_counter()
    engine.build(corpus)
    built = time.perf_counter()
    found = [engine.search(query, k) for query in queries]
    searched = time.perf_counter()
    peak = memory.stop()
    engine.close()
    return built - started, len(queries) / (searched - built), peak, found


def benchmark(
    corpus: np.ndarray, queries: np.ndarray, engines: list[str], k: int, settings: HnswSettings
) -> list[Row]:
    best, scores = exact_scores(corpus, queries, k)
    kth_best = best[:, -1]
    memory = PeakMemory()
    measured = {}
    # Exact numpy is the yardstick for the speed-up, so it runs even when not listed.
    for name in ["numpy", *[e for e in engines if e != "numpy"]]:
        measured[name] = run_engine(name, settings, corpus, queries, k, memory)
    exact_qps = measured["numpy"][1]
    return [
        Row(
            engine=name,
            index=ENGINES[name].index,
            vectors=len(corpus),
            dims=corpus.shape[1],
            queries=len(queries),
            k=k,
            build_seconds=round(measured[name][0], 4),
            queries_per_second=round(measured[name][1], 1),
            speedup_vs_exact=round(measured[name][1] / exact_qps, 2),
            recall_at_k=round(recall(measured[name][3], scores, kth_best, k), 4),
            peak_memory_mib=round(measured[name][2], 1),
            memory_method=memory.method,
        )
        for name in engines
    ]


def render_table(rows: list[Row], description: str, settings: HnswSettings) -> str:
    k = rows[0].k
    header = (
        f"{'engine':<11} {'index':<30} {'build s':>8} {'queries/s':>10} "
        f"{'vs exact':>9} {f'recall@{k}':>10} {'peak MiB':>9}"
    )
    lines = [
        f"corpus: {description}",
        f"{rows[0].vectors} vectors x {rows[0].dims} dims, {rows[0].queries} queries, "
        f"k={k}; HNSW ef_search={settings.ef_search} M={settings.m}",
        "",
        header,
        "-" * len(header),
    ]
    for row in rows:
        lines.append(
            f"{row.engine:<11} {row.index:<30} {row.build_seconds:>8.2f} "
            f"{row.queries_per_second:>10.0f} {row.speedup_vs_exact:>8.2f}x "
            f"{row.recall_at_k:>10.3f} {row.peak_memory_mib:>9.1f}"
        )
    method = {
        "VmHWM": "peak RSS growth during build and queries (VmHWM after clear_refs)",
        "ru_maxrss": "peak RSS growth during build and queries (ru_maxrss: growth past the "
        "process's earlier peak only)",
    }[rows[0].memory_method]
    lines += ["", f"peak MiB: {method}"]
    return "\n".join(lines)


# --- command line --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def engine_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ENGINES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}"
        )
    if not names:
        raise argparse.ArgumentTypeError("no engine named")
    return list(dict.fromkeys(names))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="benchmark_similarity.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--synthetic",
        type=count,
        metavar="N",
        help=f"N clustered random vectors (default {DEFAULT_SYNTHETIC})",
    )
    source.add_argument("--vectors", metavar="FILE.npy", help="the corpus as a numpy matrix")
    source.add_argument("--texts", metavar="FILE", help="texts to embed (.txt lines or .jsonl)")
    parser.add_argument(
        "--dims", type=positive, help=f"dimensions of --synthetic vectors (default {DEFAULT_DIMS})"
    )
    parser.add_argument("--query-vectors", metavar="FILE.npy", help="queries for --vectors")
    parser.add_argument("--query-texts", metavar="FILE", help="queries for --texts")
    parser.add_argument(
        "--queries",
        type=positive,
        help=f"number of queries (default {DEFAULT_QUERIES}; with a query file: its first N)",
    )
    parser.add_argument("--k", type=positive, default=10, help="neighbours per query (10)")
    parser.add_argument(
        "--engines",
        type=engine_list,
        default=list(ENGINES),
        help=f"comma-separated, from {','.join(ENGINES)} (default: all)",
    )
    parser.add_argument(
        "--ef-search",
        type=positive,
        default=DEFAULT_EF_SEARCH,
        help=f"HNSW candidates per query, at least --k (default {DEFAULT_EF_SEARCH})",
    )
    parser.add_argument(
        "--hnsw-m",
        type=positive,
        default=DEFAULT_HNSW_M,
        help=f"HNSW links per node (default {DEFAULT_HNSW_M})",
    )
    parser.add_argument("--seed", type=count, default=0, help="random seed (0)")
    parser.add_argument(
        "--min-recall", type=share, help="exit 1 when an engine's recall@k is below this"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    args = parser.parse_args(argv)
    if args.dims is not None and (args.vectors or args.texts):
        parser.error("--dims applies to --synthetic only")
    if args.query_vectors and not args.vectors:
        parser.error("--query-vectors needs --vectors")
    if args.query_texts and not args.texts:
        parser.error("--query-texts needs --texts")
    if args.ef_search < args.k:
        parser.error(f"--ef-search {args.ef_search} must be at least --k {args.k}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = HnswSettings(ef_search=args.ef_search, m=args.hnsw_m)
    try:
        corpus, queries, description = corpus_and_queries(args)
        rows = benchmark(corpus, queries, args.engines, args.k, settings)
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(render_table(rows, description, settings))
    if args.min_recall is not None:
        low = [row for row in rows if row.recall_at_k < args.min_recall]
        for row in low:
            print(
                f"{PROG}: {row.engine} recall@{row.k} {row.recall_at_k} < {args.min_recall}",
                file=sys.stderr,
            )
        return 1 if low else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
