"""The hybrid retrieval pipeline: BM25, dense and their fusion, on a toy library whose
answers are known and on the course's labelled queries, and the saved index."""

from __future__ import annotations

import numpy as np
import pytest

from backend_skills.embeddings import default_embedder
from backend_skills.hybrid_retrieval import (
    Document,
    HybridIndex,
    Result,
    first_sentences,
    reciprocal_rank_fusion,
    to_match_query,
)
from backend_skills.retrieval_eval import evaluate, load_sections

# Concepts of the toy embedder: a text's vector counts the words of each concept, so
# synonyms are near (as in a real model) while BM25 sees only the words themselves.
CONCEPTS = [
    {"car", "cars", "automobile", "vehicle"},
    {"pizza", "meal", "food", "dinner"},
    {"password", "passwords", "secret", "credential"},
    {"queue", "job", "jobs", "worker", "workers"},
]


class ConceptEmbedder:
    """A deterministic stand-in for a model, counting every text it embeds."""

    name = "toy-concepts-4"
    dimensions = len(CONCEPTS)

    def __init__(self) -> None:
        self.embedded: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.append(list(texts))
        rows = np.array(
            [
                [sum(w.strip(".,?") in c for w in t.lower().split()) for c in CONCEPTS]
                for t in texts
            ],
            dtype=np.float32,
        )
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


LIBRARY = [
    Document(
        "cars", "Every automobile needs an oil change. Cars rust in salt.", "Cars", {"t": "a"}
    ),
    Document("food", "A pizza is a meal. Dinner at eight.", "Food", {"t": "a"}),
    Document(
        "secrets",
        "Hash each password with argon2id.\n\n```python\nhasher.hash(secret)\n```",
        "Passwords",
        {"t": "b"},
    ),
    Document("queues", "Workers claim jobs with SKIP LOCKED. A vehicle is not a job.", "Queues"),
    Document("misc", "Nothing about the other topics: weather, rivers, mountains.", "Misc"),
]


@pytest.fixture
def embedder() -> ConceptEmbedder:
    return ConceptEmbedder()


@pytest.fixture
def index(embedder) -> HybridIndex:
    return HybridIndex(LIBRARY, embedder)


def ids(results: list[Result]) -> list[str]:
    return [r.id for r in results]


def test_rrf_sums_one_over_k_plus_rank():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert ids(fused) == ["b", "a", "d", "c"]
    scores = {r.id: r.score for r in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63)
    assert [r.rank for r in fused] == [1, 2, 3, 4]


def test_rrf_constant_decides_between_agreement_and_a_top_rank():
    # x and z are first in one list each; y is second in both. With k=0 all three score
    # 1.0 (1/1, 1/1, 1/2 + 1/2), and ties go to the better best rank: x, z, then y. With
    # k=60 agreement wins: y has 2/62 = 0.0323, x and z 1/61 = 0.0164.
    rankings = [["x", "y"], ["z", "y"]]
    flat = reciprocal_rank_fusion(rankings, k=0)
    assert ids(flat) == ["x", "z", "y"]
    assert [r.score for r in flat] == pytest.approx([1.0, 1.0, 1.0])
    damped = reciprocal_rank_fusion(rankings, k=60)
    assert ids(damped) == ["y", "x", "z"]
    assert damped[0].score == pytest.approx(2 / 62)


def test_rrf_ties_repeats_and_bad_constant():
    # a and b tie (1 + 1/2 each at k=0): the one whose best rank came from the first list wins.
    assert ids(reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=0)) == ["a", "b"]
    # An id repeated within one list counts once, at its first rank.
    assert reciprocal_rank_fusion([["a", "a", "a"]], k=0)[0].score == 1.0
    assert reciprocal_rank_fusion([], k=60) == []
    with pytest.raises(ValueError, match="k must be >= 0"):
        reciprocal_rank_fusion([["a"]], k=-1)


def test_bm25_ranks_by_words_and_never_parses_fts_syntax(index):
    assert ids(index.search("automobile oil", method="bm25"))[0] == "cars"
    assert ids(index.search("automobile", method="bm25")) == ["cars"]  # words only
    results = index.search("How do workers claim jobs?", method="bm25")
    assert ids(results)[0] == "queues" and results[0].rank == 1
    assert all(a.score >= b.score for a, b in zip(results, results[1:], strict=False))
    for hostile in ['") OR body MATCH "x', "NEAR(pizza meal)", "pizza*", "title: pizza"]:
        index.search(hostile, method="bm25")  # quoted per word: no FTS5 syntax error
    assert to_match_query('say "hi"') == '"say" OR "hi"'
    with pytest.raises(ValueError, match="no searchable words"):
        index.search("how is it?", method="bm25")


def test_dense_finds_the_synonym_that_bm25_cannot(index):
    dense = index.search("vehicle", method="dense", k=3)
    # "vehicle" is in the queues text only, but the cars text is about vehicles.
    assert ids(dense)[0] == "cars"
    assert ids(index.search("vehicle", method="bm25")) == ["queues"]
    assert dense[0].score == pytest.approx(1.0)
    assert all(-1.0 <= r.score <= 1.0 for r in dense)


def test_hybrid_is_the_rrf_of_the_two_rankings(index):
    question = "vehicle dinner"
    lexical = ids(index.search(question, k=index.depth, method="bm25"))
    dense = ids(index.search(question, k=index.depth, method="dense"))
    expected = reciprocal_rank_fusion([lexical, dense], k=60)[:3]
    assert index.search(question, k=3) == expected
    assert set(ids(expected)) >= {"cars", "food"}


def test_where_filters_every_method(index):
    for method in ("bm25", "dense", "hybrid"):
        found = index.search("automobile password pizza", k=5, method=method, where={"t": "a"})
        assert set(ids(found)) <= {"cars", "food"} and found, method
    assert index.search("password", where={"t": "nope"}) == []
    with pytest.raises(ValueError, match="string or a number"):
        index.search("password", where={"t": ["a"]})


def test_a_query_the_library_has_no_word_of_matches_nothing(index):
    for method in ("bm25", "dense", "hybrid"):
        assert index.search("zzzqqq xxyyww", method=method) == []


def test_bad_arguments(embedder):
    index = HybridIndex(LIBRARY, embedder)
    with pytest.raises(ValueError, match="unknown method 'vector'"):
        index.search("pizza", method="vector")
    with pytest.raises(ValueError, match="positive integer"):
        index.search("pizza", k=0)
    with pytest.raises(ValueError, match="at least one document"):
        HybridIndex([], embedder)
    with pytest.raises(ValueError, match="repeated: cars"):
        HybridIndex([*LIBRARY, Document("cars", "again")], embedder)
    with pytest.raises(ValueError, match="expected"):
        HybridIndex(LIBRARY, embedder, vectors=np.zeros((2, 4)))


def test_snippets_highlight_words_or_open_the_text(index):
    assert "[pizza]" in index.snippet("pizza", "food")
    # Found by meaning alone: no query word in its text, so its first sentences.
    assert index.snippet("vehicle", "cars") == first_sentences(LIBRARY[0].text)
    assert first_sentences(LIBRARY[2].text) == "Hash each password with argon2id."
    long = "One. " * 100
    assert len(first_sentences(long, at_least=12)) == len("One. One. One.")
    assert first_sentences("x" * 500).endswith(" …") and len(first_sentences("x" * 500)) == 242


def test_save_and_load_do_not_embed_the_documents_again(index, embedder, tmp_path):
    path = index.save(tmp_path / "index.npz")
    embedder.embedded.clear()
    reopened = HybridIndex.load(path, embedder)
    assert embedder.embedded == []
    np.testing.assert_array_equal(reopened.vectors, index.vectors)
    assert reopened.key == index.key and reopened.documents == index.documents
    for method in ("bm25", "dense", "hybrid"):
        assert reopened.search("vehicle dinner", method=method) == index.search(
            "vehicle dinner", method=method
        )

    class OtherModel(ConceptEmbedder):
        name = "another-model"

    with pytest.raises(ValueError, match="built with toy-concepts-4"):
        HybridIndex.load(path, OtherModel())


def test_cached_reopens_an_unchanged_library_and_rebuilds_a_changed_one(embedder, tmp_path):
    first = HybridIndex.cached(LIBRARY, embedder, tmp_path)
    assert len(embedder.embedded) == 1 and len(embedder.embedded[0]) == len(LIBRARY)
    again = HybridIndex.cached(LIBRARY, embedder, tmp_path)
    assert len(embedder.embedded) == 1 and again.key == first.key
    changed = [*LIBRARY[:-1], Document("misc", "Now about dinner.", "Misc")]
    rebuilt = HybridIndex.cached(changed, embedder, tmp_path)
    assert len(embedder.embedded) == 2 and rebuilt.key != first.key
    assert [p.name for p in tmp_path.iterdir()] == [f"hybrid-index-{rebuilt.key[:32]}.npz"]
    other_model = type("Other", (ConceptEmbedder,), {"name": "other-model"})()
    HybridIndex.cached(changed, other_model, tmp_path)
    assert len(other_model.embedded) == 1  # a new model's vectors are never reused
    assert len(list(tmp_path.iterdir())) == 1


@pytest.fixture(scope="module")
def frozen_library_scores() -> dict[str, dict[str, float]]:
    """hit@5, MRR and the rest per method on the labelled queries and frozen corpus."""
    library = [
        Document(s["id"], s["text"], s["heading"], {"skill": s["skill"]}) for s in load_sections()
    ]
    index = HybridIndex(library, default_embedder())
    return {
        method: evaluate(lambda q, m=method: ids(index.search(q, k=10, method=m)))
        for method in ("bm25", "dense", "hybrid")
    }


def test_hybrid_beats_each_ranking_alone_on_the_labelled_queries(frozen_library_scores):
    bm25, dense, hybrid = (frozen_library_scores[m] for m in ("bm25", "dense", "hybrid"))
    # Measured 2026-12-02 (65 queries, 350 sections): hit@5 0.769 / 0.646 / 0.815 and MRR
    # 0.617 / 0.462 / 0.644 for bm25 / dense / hybrid.
    assert hybrid["hit@5"] >= bm25["hit@5"] + 0.03
    assert hybrid["hit@5"] >= dense["hit@5"] + 0.1
    assert hybrid["MRR"] >= bm25["MRR"] and hybrid["MRR"] >= dense["MRR"]
    assert bm25["hit@5"] >= 0.7 and dense["hit@5"] >= 0.55


def test_embedding_a_sections_opening_beats_embedding_all_of_it():
    library = [Document(s["id"], s["text"], s["heading"]) for s in load_sections()]
    hit5 = {}
    for chars in (500, None):
        index = HybridIndex(library, default_embedder(), dense_chars=chars)
        search = lambda q, index=index: ids(index.search(q, k=10, method="dense"))  # noqa: E731
        hit5[chars] = evaluate(search)["hit@5"]
    assert hit5[500] >= hit5[None] + 0.05, hit5
