"""Reciprocal rank fusion against values computed by hand."""

from __future__ import annotations

import pytest
from hybrid_search.fusion import RRF_K, reciprocal_rank_fusion


def test_scores_are_sums_of_one_over_k_plus_rank():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]]))
    assert RRF_K == 60
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 62)
    assert fused["d"] == pytest.approx(1 / 63)


def test_agreement_beats_one_first_place():
    # "b" is second in one list and first in the other: 0.03252 > "a"'s 0.01639 alone.
    ranked = [item for item, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]])]
    assert ranked == ["b", "c", "a", "d"]


def test_a_smaller_k_gives_the_top_ranks_more_weight():
    fused = dict(reciprocal_rank_fusion([["x", "y"]], k=1))
    assert fused == {"x": pytest.approx(1 / 2), "y": pytest.approx(1 / 3)}


def test_ties_keep_the_order_first_seen():
    # Mirror images: both score 1/61 + 1/62 exactly; "p" was seen first.
    fused = reciprocal_rank_fusion([["p", "q"], ["q", "p"]])
    assert fused[0][1] == fused[1][1]
    assert [item for item, _ in fused] == ["p", "q"]
    assert [item for item, _ in reciprocal_rank_fusion([["q", "p"], ["p", "q"]])] == ["q", "p"]


def test_empty_lists():
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    # One empty list (BM25 matched nothing): the other list's order, unchanged.
    assert [item for item, _ in reciprocal_rank_fusion([[], ["m", "n"]])] == ["m", "n"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="k must be at least 1"):
        reciprocal_rank_fusion([["a"]], k=0)
    with pytest.raises(ValueError, match="lists an item twice"):
        reciprocal_rank_fusion([["a", "a"]])
