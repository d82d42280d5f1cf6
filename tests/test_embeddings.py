"""The course's embedding interface: real, offline, unit rows, and found again by Chroma."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from backend_skills import netguard
from backend_skills.embeddings import (
    DEFAULT_MODEL,
    HostedEmbedder,
    LsaEmbedder,
    available_embedders,
    content_hash,
    default_embedder,
    unit_rows,
)

TEXTS = [
    "pgvector adds an HNSW index to PostgreSQL tables",
    "store vectors next to rows in Postgres",
    "argon2id hashes user passwords",
]


def run_offline(code: str, cwd) -> tuple[subprocess.CompletedProcess, str]:
    """CODE in a fresh interpreter whose sockets refuse anything beyond loopback; the
    result and what the guard logged (its own log, not the test session's)."""
    log = cwd / "netguard.log"
    guarded = "from backend_skills import netguard\nnetguard.install()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", guarded],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, netguard.LOG_ENV: str(log)},
    )
    return result, log.read_text() if log.exists() else ""


def test_default_embedder_is_the_shipped_model_with_unit_rows():
    embedder = default_embedder()
    assert embedder is default_embedder()  # loaded once per process
    assert embedder.name == DEFAULT_MODEL and embedder.dimensions == 256
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similarity = vectors @ vectors.T
    # Semantic: the paraphrase about Postgres is nearer the pgvector text than passwords are.
    assert similarity[0, 1] > similarity[0, 2] + 0.1, similarity


def test_embedding_is_deterministic_and_batch_independent():
    embedder = default_embedder()
    together = embedder.embed(TEXTS)
    alone = np.vstack([embedder.embed([text]) for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_empty_and_bad_input():
    embedder = default_embedder()
    assert embedder.embed([]).shape == (0, 256)
    with pytest.raises(ValueError, match="one string"):
        embedder.embed("not a list")
    with pytest.raises(ValueError, match="text 1 is int"):
        embedder.embed(["fine", 3])


def test_lsa_baseline_knows_only_its_corpus():
    lsa = LsaEmbedder(TEXTS * 3 + ["tokens expire", "sessions live in cookies"], dimensions=4)
    assert lsa.dimensions == 4 and lsa.name == "lsa-tfidf-svd-4"
    vectors = lsa.embed(["HNSW index", "zebra giraffe"])
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, rel=1e-5)
    assert not vectors[1].any()  # no word of it in the corpus: a zero vector, not noise
    with pytest.raises(ValueError, match="at least two"):
        LsaEmbedder(["one text"])


def test_unit_rows_keeps_zero_rows_zero():
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_content_hash_is_sha256_of_utf8():
    assert (
        content_hash("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"
    )  # UTF-8 bytes c3 a9, not Latin-1
    assert content_hash("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    assert content_hash("a") != content_hash("a ")


def test_adapters_are_offered_only_when_usable(monkeypatch):
    for variable in (
        "OPENAI_API_KEY",
        "VOYAGE_API_KEY",
        "CO_API_KEY",
        "SENTENCE_TRANSFORMERS_MODEL",
    ):
        monkeypatch.delenv(variable, raising=False)
    assert available_embedders() == [DEFAULT_MODEL]
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        HostedEmbedder("openai")
    with pytest.raises(ValueError, match="unknown provider"):
        HostedEmbedder("acme")


def test_loading_the_model_reaches_no_network(tmp_path):
    result, blocked = run_offline(
        """
        from backend_skills.embeddings import default_embedder
        print(default_embedder().embed(["offline"]).shape)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 256)"
    assert blocked == ""


def test_the_guard_would_catch_a_download(tmp_path):
    # The same guard refuses what wordllama does without the course's loader: fetch the
    # tokenizer config from Hugging Face (its cache dir here is empty).
    result, blocked = run_offline(
        f"""
        from wordllama import WordLlama
        WordLlama.load("l2_supercat", dim=256, cache_dir={str(tmp_path)!r})
        """,
        tmp_path,
    )
    assert result.returncode != 0
    assert "huggingface.co" in blocked, (blocked, result.stderr)


def test_a_reopened_chroma_collection_finds_the_course_embedder(tmp_path):
    create = """
        import chromadb
        from backend_skills.embeddings import chroma_embedding_function
        client = chromadb.PersistentClient(
            path="chroma", settings=chromadb.Settings(anonymized_telemetry=False)
        )
        docs = client.create_collection("docs", embedding_function=chroma_embedding_function())
        docs.add(ids=["pg", "argon"], documents=[
            "pgvector adds an HNSW index to PostgreSQL tables", "argon2id hashes user passwords"
        ])
        print(docs.configuration["hnsw"]["space"])
    """
    created, blocked = run_offline(create, tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "cosine"  # the function's default space
    reopen = """
        import chromadb
        from backend_skills.embeddings import chroma_embedding_function, default_embedder
        chroma_embedding_function()  # registers the class in this new process
        client = chromadb.PersistentClient(
            path="chroma", settings=chromadb.Settings(anonymized_telemetry=False)
        )
        docs = client.get_collection("docs")  # no embedding function passed
        found = docs.query(query_texts=["vectors in Postgres"], n_results=1, include=["embeddings"])
        print(found["ids"][0][0])
        stored = docs.get(ids=["pg"], include=["embeddings"])["embeddings"][0]
        expected = default_embedder().embed(["pgvector adds an HNSW index to PostgreSQL tables"])[0]
        print(float(abs(stored - expected).max()) < 1e-5)
    """
    reopened, blocked_again = run_offline(reopen, tmp_path)
    assert reopened.returncode == 0, reopened.stderr
    assert reopened.stdout.split() == ["pg", "True"]
    assert blocked == blocked_again == ""  # Chroma's default model was never fetched
