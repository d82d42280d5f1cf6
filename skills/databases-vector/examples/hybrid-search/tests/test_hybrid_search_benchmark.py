"""The labelled mini-benchmark: hybrid's MRR is at least that of each method alone."""

from __future__ import annotations

import json

import pytest
from hybrid_search import benchmark
from hybrid_search.corpus import load_articles


@pytest.fixture(scope="module")
def report(searcher) -> dict:
    return benchmark.evaluate(searcher, benchmark.load_benchmark())


def test_the_benchmark_is_labelled_against_the_corpus():
    queries = benchmark.load_benchmark()
    known = {a.id for a in load_articles()}
    assert len(queries) >= 20
    assert all(q.relevant and q.relevant <= known for q in queries)
    kinds = [q.kind for q in queries]
    assert set(kinds) == {"identifier", "paraphrase", "mixed"}
    assert kinds.count("identifier") >= 8 and kinds.count("paraphrase") >= 8


def test_identifiers_favour_bm25_and_paraphrases_favour_dense(report):
    # The premise of the benchmark, measured: each method has queries the other loses.
    assert report["bm25"]["identifier"].mrr > report["dense"]["identifier"].mrr + 0.2
    assert report["dense"]["paraphrase"].mrr > report["bm25"]["paraphrase"].mrr + 0.1


def test_hybrid_mrr_is_at_least_each_method_alone(report):
    hybrid = report["hybrid"]["all"].mrr
    assert hybrid >= report["bm25"]["all"].mrr
    assert hybrid >= report["dense"]["all"].mrr
    assert hybrid >= report["bm25"]["all"].mrr + 0.05  # by a margin, not by a rounding
    assert report["hybrid"]["all"].recall_at_5 >= max(
        report["bm25"]["all"].recall_at_5, report["dense"]["all"].recall_at_5
    )


def test_the_metrics_by_hand():
    relevant = frozenset({"b"})
    assert benchmark.reciprocal_rank(["a", "b", "c"], relevant) == 0.5
    assert benchmark.reciprocal_rank(["a", "c"], relevant) == 0.0
    assert benchmark.recall_at(["a", "b"], frozenset({"b", "z"}), 5) == 0.5
    scores = benchmark.score([(["b"], relevant), (["a", "b"], relevant)])
    assert (scores.mrr, scores.hit_at_1, scores.queries) == (0.75, 0.5, 2)


def test_the_benchmark_command_prints_json(capsys):
    assert benchmark.main(["--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"hybrid", "bm25", "dense"}
    assert printed["hybrid"]["all"]["queries"] == len(benchmark.load_benchmark())
    assert printed["hybrid"]["median_ms"] > 0
