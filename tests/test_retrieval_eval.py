"""The retrieval benchmark: the labelled queries held to the frozen corpus, and the metrics
held to values computed by hand."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from backend_skills.retrieval_eval import (
    LabelledQuery,
    evaluate,
    hit_at_k,
    load_queries,
    load_sections,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)


def test_every_relevant_id_is_a_section_of_the_snapshot():
    ids = {section["id"] for section in load_sections()}
    missing = sorted(r for q in load_queries() for r in q.relevant if r not in ids)
    assert not missing


def test_there_are_at_least_45_queries_with_one_to_three_labels_each():
    queries = load_queries()
    assert len(queries) >= 45
    assert all(1 <= len(q.relevant) <= 3 for q in queries)


def test_no_query_is_asked_twice():
    asked = Counter(" ".join(q.query.casefold().split()) for q in load_queries())
    assert [query for query, times in asked.items() if times > 1] == []


def test_the_queries_spread_over_the_three_skills():
    skill_of = {section["id"]: section["skill"] for section in load_sections()}
    per_skill = Counter(skill_of[r] for q in load_queries() for r in q.relevant)
    assert set(per_skill) == {"databases-relational", "api-patterns", "auth-security"}
    assert min(per_skill.values()) >= 15


def test_recall_counts_the_share_of_relevant_ids_in_the_first_k():
    ranked, relevant = ["a", "x", "b", "y"], frozenset({"a", "b", "c"})
    assert recall_at_k(ranked, relevant, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, relevant, 3) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, relevant, 10) == pytest.approx(2 / 3)  # c is never ranked


def test_hit_is_one_from_the_rank_of_the_first_relevant_id_on():
    ranked, relevant = ["x", "y", "b"], frozenset({"b"})
    assert [hit_at_k(ranked, relevant, k) for k in (1, 2, 3, 5)] == [0.0, 0.0, 1.0, 1.0]


def test_reciprocal_rank_is_one_over_the_first_relevant_rank():
    assert reciprocal_rank(["x", "y", "b", "a"], frozenset({"a", "b"})) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], frozenset({"a"})) == 1.0
    assert reciprocal_rank(["x", "y"], frozenset({"a"})) == 0.0


def test_ndcg_discounts_rank_r_by_log2_of_r_plus_1():
    # Relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677;
    # ideal (ranks 1 and 2) = 1/log2(2) + 1/log2(3) = 1 + 0.630930. A discount of log2(r)
    # (the off-by-one) gives 1/1 + 1/2 over a division by log2(1) = 0, and a discount of
    # log2(r + 2) gives 0.5 + 0.386853 over 0.630930 + 0.5: neither is 0.650920.
    ranked, relevant = ["x", "a", "y", "b"], frozenset({"a", "b"})
    assert ndcg_at_k(ranked, relevant, 10) == pytest.approx(1.061607 / 1.630930, abs=1e-6)
    assert ndcg_at_k(ranked, relevant, 10) == pytest.approx(0.650920, abs=1e-6)
    # Only the top one of two relevant ids ranked: 1 / (1 + 1/log2(3)).
    assert ndcg_at_k(["a"], relevant, 10) == pytest.approx(0.613147, abs=1e-6)
    # K cuts both the gain and the ideal: at K=1 the ideal is one hit, and a miss scores 0.
    assert ndcg_at_k(["a", "b"], relevant, 1) == 1.0
    assert ndcg_at_k(["x", "a"], relevant, 1) == 0.0
    assert ndcg_at_k(["a", "b", "x"], relevant, 10) == 1.0
    assert ndcg_at_k(["x", "a"], frozenset({"a"}), 10) == pytest.approx(1 / math.log2(3))


def test_evaluate_averages_each_metric_over_the_queries():
    queries = [
        LabelledQuery("first", frozenset({"a"})),
        LabelledQuery("second", frozenset({"b", "c"})),
    ]
    rankings = {"first": ["a", "x"], "second": ["x", "y", "z", "w", "v", "b"]}
    scores = evaluate(rankings.__getitem__, queries, k=10)
    assert scores["hit@5"] == pytest.approx((1 + 0) / 2)
    assert scores["MRR"] == pytest.approx((1 + 1 / 6) / 2)
    assert scores["recall@10"] == pytest.approx((1 + 1 / 2) / 2)
    second_ndcg = (1 / math.log2(7)) / (1 + 1 / math.log2(3))
    assert scores["nDCG@10"] == pytest.approx((1 + second_ndcg) / 2)
    with pytest.raises(ValueError, match="no queries"):
        evaluate(rankings.__getitem__, [])
