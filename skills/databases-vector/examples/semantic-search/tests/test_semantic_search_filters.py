"""Metadata filters: category, year, both, and what a filter leaves."""

from __future__ import annotations


def search(client, q: str, k: int = 5, **filters) -> list[dict]:
    response = client.get("/search", params={"q": q, "k": k, **filters})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_category_filter_keeps_only_that_category(catalogue):
    # Unfiltered, a kayak query finds outdoor gear; filtered to toys it must answer with toys.
    assert search(catalogue, "a boat", k=1)[0]["metadata"]["category"] == "outdoor"
    results = search(catalogue, "a boat", k=5, category="toys")
    assert len(results) == 5
    assert {r["metadata"]["category"] for r in results} == {"toys"}


def test_year_filter_is_inclusive(catalogue):
    results = search(catalogue, "a gift", k=50, year_gte=2024)
    years = {r["metadata"]["year"] for r in results}
    assert years == {2024, 2025}
    # The sample has 20 products from 2024 or later; the filter returns exactly those.
    assert len(results) == 20


def test_both_filters_combine_with_and(catalogue):
    results = search(catalogue, "a gift", k=50, category="kitchen", year_gte=2023)
    assert sorted(r["id"] for r in results) == [
        "kitchen-02",
        "kitchen-04",
        "kitchen-07",
        "kitchen-09",
    ]


def test_a_filter_that_leaves_fewer_than_k_returns_fewer(catalogue):
    results = search(catalogue, "a gift", k=10, category="toys", year_gte=2025)
    assert [r["id"] for r in results] == ["toys-07"]


def test_an_unknown_category_is_an_empty_result_not_an_error(catalogue):
    assert search(catalogue, "a gift", category="jewellery") == []
