"""BM25 keeps identifiers whole, dense finds meaning, hybrid is the fusion of the two lists."""

from __future__ import annotations

import bm25s
import pytest
from hybrid_search.corpus import Article
from hybrid_search.engine import HybridSearcher
from hybrid_search.fusion import RRF_K
from hybrid_search.lexical import tokenize


def ids(results) -> list[str]:
    return [r.article.id for r in results]


def test_tokenize_keeps_a_code_whole_and_split():
    assert tokenize("Outdoor satellite NB-SAT-2-OUT, rated IP65") == [
        "outdoor",
        "satellite",
        "nb-sat-2-out",
        "nb",
        "sat",
        "2",
        "out",
        "rated",
        "ip65",
    ]
    assert tokenize("Is this the error?") == ["error"]  # stopwords dropped


def test_bm25s_default_tokenizer_loses_the_code(searcher):
    # Why lexical.py tokenizes itself: bm25s splits at hyphens and drops one-character
    # tokens, so "NB-SAT-2" is "nb sat", which both satellites match once; BM25's length
    # normalization then prefers the shorter article, the outdoor unit nobody asked for.
    texts = [a.searchable for a in searcher.articles]
    assert bm25s.tokenize(["NB-SAT-2-OUT"], return_ids=False, show_progress=False) == [
        ["nb", "sat", "out"]
    ]
    default = bm25s.BM25()
    default.index(bm25s.tokenize(texts, return_ids=False, show_progress=False), show_progress=False)
    scores = default.get_scores(["nb", "sat"])
    position = {a.id: i for i, a in enumerate(searcher.articles)}
    assert scores[position["sku-sat-2-out"]] > scores[position["sku-sat-2"]]


def test_bm25_tells_a_product_code_from_its_prefix(searcher):
    # NB-SAT-2 is a prefix of NB-SAT-2-OUT: split into parts, both would score alike.
    assert ids(searcher.search("NB-SAT-2-OUT", "bm25", 2)) == ["sku-sat-2-out", "sku-sat-2"]
    assert ids(searcher.search("NB-SAT-2", "bm25", 1)) == ["sku-sat-2"]


def test_bm25_ranks_only_documents_that_share_a_term(searcher):
    results = searcher.search("E613", "bm25", 10)
    assert ids(results) == ["err-e613"]  # the one article with the code, nothing padded
    assert searcher.search("zebra giraffe", "bm25", 5) == []
    assert searcher.search("is it the", "bm25", 5) == []  # only stopwords


def test_dense_finds_a_code_it_cannot_read_only_sometimes(searcher):
    # The embedder splits "E613" into pieces it has seen in many codes: it ranks E311 first.
    assert ids(searcher.search("E613", "dense", 1)) == ["err-e311"]
    assert "err-e613" not in ids(searcher.search("E613", "dense", 10))


def test_dense_finds_a_paraphrase_bm25_misses(searcher):
    query = "stop advertisements on all my gadgets"
    assert ids(searcher.search(query, "dense", 1)) == ["howto-dns-filter"]
    assert "howto-dns-filter" not in ids(searcher.search(query, "bm25", 20))


def test_hybrid_scores_are_the_rrf_of_the_two_ranks(searcher):
    results = searcher.search("E205 backups stopped", "hybrid", 10)
    assert results[0].article.id == "err-e205"
    for result in results:
        ranks = [r for r in (result.bm25_rank, result.dense_rank) if r is not None]
        assert result.score == pytest.approx(sum(1 / (RRF_K + r) for r in ranks))
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_hybrid_with_no_lexical_match_is_the_dense_order(searcher):
    query = "zebra giraffe"
    assert ids(searcher.search(query, "hybrid", 10)) == ids(searcher.search(query, "dense", 10))


def test_single_methods_report_only_their_own_rank(searcher):
    bm25 = searcher.search("E509", "bm25", 1)[0]
    dense = searcher.search("E509", "dense", 1)[0]
    assert (bm25.bm25_rank, bm25.dense_rank) == (1, None)
    assert (dense.bm25_rank, dense.dense_rank) == (None, 1)


def test_bad_input(searcher):
    with pytest.raises(ValueError, match="the query is empty"):
        searcher.search("   ")
    with pytest.raises(ValueError, match="unknown method 'fuzzy'"):
        searcher.search("E509", "fuzzy")
    with pytest.raises(ValueError, match="k must be at least 1"):
        searcher.search("E509", k=0)
    with pytest.raises(ValueError, match="the corpus is empty"):
        HybridSearcher([])


def test_a_corpus_of_one(searcher):
    one = HybridSearcher([Article("only", "Only article", "It is about routers.")])
    assert ids(one.search("routers", "hybrid", 5)) == ["only"]
    assert one.search("kayak", "bm25", 5) == []
