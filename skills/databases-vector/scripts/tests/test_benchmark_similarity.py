"""benchmark_similarity.py, in-process: every engine's recall on a small synthetic set, the
--json rows, the table, corpora from files and texts, the memory measure, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROG = "benchmark_similarity"
SCRIPT = Path(__file__).resolve().parents[1] / "benchmark_similarity.py"
ENGINES = ["numpy", "chroma", "qdrant", "sqlite-vec", "usearch"]
SMALL = ["--synthetic", "1500", "--dims", "32", "--queries", "30"]
ROW_KEYS = {
    "engine": str,
    "index": str,
    "vectors": int,
    "dims": int,
    "queries": int,
    "k": int,
    "build_seconds": float,
    "queries_per_second": float,
    "speedup_vs_exact": float,
    "recall_at_k": float,
    "peak_memory_mib": float,
    "memory_method": str,
}


def run_as_a_program(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The script as a real subprocess, once per script: its entry point and exit code (the
    other tests call main(argv) in-process: see ScriptRunner in conftest.py)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.fixture(scope="module")
def every_engine(benchmark_similarity, network_guard) -> tuple[list[dict], list[str]]:
    """(the --json rows of all five engines on a small synthetic set, network attempts)."""
    with network_guard() as attempts:
        result = benchmark_similarity(*SMALL, "--engines", ",".join(ENGINES), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), attempts


def test_every_engine_finds_at_least_90_percent_of_the_true_neighbours(every_engine):
    rows, _ = every_engine
    assert [row["engine"] for row in rows] == ENGINES
    recall = {row["engine"]: row["recall_at_k"] for row in rows}
    assert all(value >= 0.9 for value in recall.values()), recall
    # The exact engines are exact.
    assert recall["numpy"] == recall["qdrant"] == recall["sqlite-vec"] == 1.0


def test_the_json_rows_schema(every_engine):
    rows, _ = every_engine
    for row in rows:
        assert {key: type(row[key]) for key in row} == ROW_KEYS
        assert (row["vectors"], row["dims"], row["queries"], row["k"]) == (1500, 32, 30, 10)
        assert row["build_seconds"] >= 0 and row["queries_per_second"] > 0
        assert row["peak_memory_mib"] >= 0 and row["memory_method"] == "VmHWM"
    by_engine = {row["engine"]: row for row in rows}
    assert by_engine["numpy"]["speedup_vs_exact"] == 1.0
    assert {by_engine[name]["index"] for name in ("chroma", "usearch")} == {"HNSW"}


def test_no_engine_reaches_the_network(every_engine):
    _, attempts = every_engine
    assert attempts == []


def test_the_guard_would_see_an_attempt(network_guard):
    import socket

    with network_guard() as attempts, socket.socket() as sock:
        with pytest.raises(ConnectionRefusedError):
            sock.connect(("192.0.2.1", 80))
        with pytest.raises(ConnectionRefusedError):
            socket.getaddrinfo("huggingface.co", 443)
    assert attempts == ["connection to 192.0.2.1:80", "name lookup of 'huggingface.co'"]


# Chroma stores "no embedding function" as a legacy config and warns when reading it back.
@pytest.mark.filterwarnings("ignore:legacy embedding function config:DeprecationWarning")
def test_chroma_is_given_vectors_and_no_embedding_function(benchmark_similarity, network_guard):
    module = benchmark_similarity.module
    engine = module.ChromaHnsw(module.HnswSettings(ef_search=20, m=8))
    vectors = module.embeddings.unit_rows(module.synthetic_vectors(50, 8, seed=1))
    with network_guard() as attempts:
        engine.build(vectors)
        assert engine.collection.configuration["embedding_function"] is None
        assert engine.collection.configuration["hnsw"]["ef_search"] == 20
        assert engine.search(vectors[3], 1) == [3]
        # No default model stands behind it: text has nothing to embed it.
        with pytest.raises(ValueError, match="embedding function"):
            engine.collection.add(ids=["text"], documents=["a document"])
        engine.close()
    assert attempts == []


def test_the_table_has_a_line_per_engine_and_says_how_memory_was_measured(
    benchmark_similarity,
):
    result = benchmark_similarity(*SMALL, "--engines", "usearch,numpy")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "corpus: synthetic 1500 x 32, seed 0; queries: 30 more points drawn the same way"
    )
    assert lines[3].split() == "engine index build s queries/s vs exact recall@10 peak MiB".split()
    assert [line.split()[0] for line in lines[5:7]] == ["usearch", "numpy"]
    assert (
        lines[-1] == "peak MiB: peak RSS growth during build and queries (VmHWM after clear_refs)"
    )


def test_recall_counts_ties_and_repeats_once(benchmark_similarity):
    recall = benchmark_similarity.module.recall
    scores = np.array([[0.9, 0.8, 0.8, 0.1]])
    kth_best = np.array([0.8])  # the 2nd best; ids 1 and 2 tie for it
    assert recall([[0, 2]], scores, kth_best, 2) == 1.0
    assert recall([[0, 3]], scores, kth_best, 2) == 0.5
    assert recall([[0, 0]], scores, kth_best, 2) == 0.5


class WrongEngine:
    """Returns the k vectors least like the query: a recall a benchmark must catch."""

    index = "wrong on purpose"

    def __init__(self, settings) -> None:
        self.matrix = None

    def build(self, vectors):
        self.matrix = vectors

    def search(self, query, k):
        return np.argsort(self.matrix @ query)[:k].tolist()

    def close(self):
        self.matrix = None


def test_min_recall_exits_1_naming_the_engine_below_it(benchmark_similarity, monkeypatch):
    monkeypatch.setitem(benchmark_similarity.module.ENGINES, "wrong", WrongEngine)
    result = benchmark_similarity(*SMALL, "--engines", "numpy,wrong", "--min-recall", "0.9")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{PROG}: wrong recall@10 0.0 < 0.9"]
    passing = benchmark_similarity(*SMALL, "--engines", "numpy", "--min-recall", "1")
    assert passing.returncode == 0, passing.stderr


def test_peak_memory_sees_native_allocations(benchmark_similarity):
    memory = benchmark_similarity.module.PeakMemory()
    assert memory.method == "VmHWM"
    memory.start()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MiB, touched, freed before stop()
    del block
    assert 60 <= memory.stop() < 80


def test_without_clear_refs_memory_falls_back_to_ru_maxrss(benchmark_similarity, monkeypatch):
    module = benchmark_similarity.module
    monkeypatch.setattr(module.PeakMemory, "_reset_peak", staticmethod(lambda: False))
    result = benchmark_similarity(*SMALL, "--engines", "numpy", "--json")
    assert json.loads(result.stdout)[0]["memory_method"] == "ru_maxrss"
    table = benchmark_similarity(*SMALL, "--engines", "numpy")
    assert "(ru_maxrss: growth past the process's earlier peak only)" in table.stdout


def test_synthetic_vectors_are_seeded(benchmark_similarity):
    synthetic = benchmark_similarity.module.synthetic_vectors
    assert np.array_equal(synthetic(100, 16, seed=3), synthetic(100, 16, seed=3))
    assert not np.allclose(synthetic(100, 16, seed=3), synthetic(100, 16, seed=4))


def save(folder: Path, name: str, matrix) -> str:
    np.save(folder / name, np.asarray(matrix, dtype=np.float32))
    return name


def test_vectors_from_a_file_with_held_out_or_given_queries(benchmark_similarity, tmp_path):
    rng = np.random.default_rng(0)
    save(tmp_path, "corpus.npy", rng.standard_normal((300, 16)))
    save(tmp_path, "queries.npy", rng.standard_normal((8, 16)))
    held_out = benchmark_similarity(
        "--vectors", "corpus.npy", "--queries", "20", "--engines", "numpy", "--json", cwd=tmp_path
    )
    row = json.loads(held_out.stdout)[0]
    assert (row["vectors"], row["queries"], row["recall_at_k"]) == (280, 20, 1.0)
    given = benchmark_similarity(
        "--vectors", "corpus.npy", "--query-vectors", "queries.npy", "--queries", "5",
        "--engines", "numpy,usearch", "--k", "5", "--json", cwd=tmp_path,
    )  # fmt: skip
    rows = json.loads(given.stdout)
    assert [(r["vectors"], r["queries"], r["k"]) for r in rows] == [(300, 5, 5)] * 2


def test_texts_are_embedded_with_the_course_model(benchmark_similarity, tmp_path):
    topics = ["database index", "vector search", "password hashing", "message queue"]
    lines = [f"{topic} note number {i}" for i in range(15) for topic in topics]
    (tmp_path / "texts.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in lines))
    (tmp_path / "questions.txt").write_text("how to hash a password\n\nsearch by meaning\n")
    held_out = benchmark_similarity(
        "--texts", "texts.jsonl", "--queries", "6", "--engines", "numpy", "--json", cwd=tmp_path
    )
    row = json.loads(held_out.stdout)[0]
    assert (row["vectors"], row["dims"], row["queries"]) == (54, 256, 6)
    given = benchmark_similarity(
        "--texts", "texts.jsonl", "--query-texts", "questions.txt", "--engines", "sqlite-vec",
        "--k", "3", "--json", cwd=tmp_path,
    )  # fmt: skip
    row = json.loads(given.stdout)[0]
    assert (row["vectors"], row["queries"], row["recall_at_k"]) == (60, 2, 1.0)


BAD_INPUTS = [
    # (arguments, files to write first, what the error line says)
    (["--engines", "numpy,faiss"], {}, "unknown engine(s) faiss; known: numpy, chroma"),
    (["--engines", ","], {}, "no engine named"),
    (
        ["--vectors", "c16.npy", "--query-vectors", "q32.npy"],
        {"c16.npy": (20, 16), "q32.npy": (3, 32)},
        "dimension mismatch: the corpus has 16 dimensions, the queries 32 (16 != 32)",
    ),
    (["--synthetic", "0"], {}, "empty corpus: --synthetic 0"),
    (["--vectors", "empty.npy"], {"empty.npy": (0, 16)}, "empty corpus: empty.npy has no rows"),
    (["--texts", "blank.txt"], {"blank.txt": "\n \n"}, "empty corpus: blank.txt has no text"),
    (
        ["--texts", "blank.jsonl"],
        {"blank.jsonl": '{"text": ""}\n{"text": " "}\n'},
        "empty corpus: blank.jsonl has no text",
    ),
    (["--k", "0"], {}, "argument --k: 0 is not a positive number"),
    (["--queries", "-3"], {}, "argument --queries: -3 is not a positive number"),
    (["--dims", "many"], {}, "argument --dims: 'many' is not a whole number"),
    (["--synthetic", "-1"], {}, "argument --synthetic: -1 is negative"),
    (["--min-recall", "1.5"], {}, "argument --min-recall: 1.5 is not between 0 and 1"),
    (["--k", "50", "--ef-search", "20"], {}, "--ef-search 20 must be at least --k 50"),
    (["--synthetic", "5", "--queries", "2"], {}, "--k 10 is more than the corpus's 5 vectors"),
    (
        ["--vectors", "c16.npy", "--queries", "20"],
        {"c16.npy": (20, 16)},
        "--queries 20 leaves no corpus: c16.npy has 20 rows",
    ),
    (["--vectors", "nothing.npy"], {}, "vectors file not found: nothing.npy"),
    (["--vectors", "text.npy"], {"text.npy": "not numpy"}, "text.npy is not a numpy .npy matrix"),
    (["--vectors", "flat.npy"], {"flat.npy": (16,)}, "not a matrix of rows"),
    (
        ["--vectors", "nan.npy", "--queries", "2"],
        {"nan.npy": "nan"},
        "nan.npy row 0 holds NaN or infinite values",
    ),
    (
        ["--vectors", "zero.npy", "--queries", "2"],
        {"zero.npy": "zero row"},
        "zero.npy row 2 is all zeros",
    ),
    (["--vectors", "c16.npy", "--dims", "8"], {"c16.npy": (20, 16)}, "--dims applies to"),
    (["--query-texts", "q.txt"], {}, "--query-texts needs --texts"),
    (["--texts", "t.jsonl"], {"t.jsonl": '{"body": "x"}\n'}, "t.jsonl line 1: no string 'text'"),
]


@pytest.mark.parametrize(("args", "files", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_2(
    benchmark_similarity, tmp_path, one_line_error, args, files, message
):
    for name, content in files.items():
        if isinstance(content, tuple):
            save(tmp_path, name, np.ones(content))
        elif content == "nan":
            save(tmp_path, name, np.full((20, 4), np.nan))
        elif content == "zero row":
            matrix = np.ones((20, 4))
            matrix[2] = 0
            save(tmp_path, name, matrix)
        else:
            (tmp_path / name).write_text(content)
    before = sorted(tmp_path.iterdir())
    line = one_line_error(benchmark_similarity(*args, cwd=tmp_path), PROG)
    assert message in line
    assert sorted(tmp_path.iterdir()) == before


def test_as_a_program_an_unknown_engine_exits_2(tmp_path, one_line_error):
    result = run_as_a_program("--engines", "numpy,pinecone", cwd=tmp_path)
    assert "unknown engine(s) pinecone" in one_line_error(result, PROG)
