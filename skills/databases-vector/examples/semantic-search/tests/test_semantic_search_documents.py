"""Upserts are idempotent by id and content hash; deletes remove a document from search."""

from __future__ import annotations

import pytest
from semantic_search.embeddings import default_embedder

NEW = {
    "id": "kitchen-11",
    "text": "Waffle iron with deep square plates and a beeper that says when they are done.",
    "metadata": {"category": "kitchen", "year": 2025},
}


@pytest.fixture
def embedded_texts(monkeypatch) -> list[str]:
    """Every text the embedder is asked for from now on (documents and queries)."""
    embedder = default_embedder()
    seen: list[str] = []
    original = embedder.embed

    def spy(texts: list[str]):
        seen.extend(texts)
        return original(texts)

    monkeypatch.setattr(embedder, "embed", spy)
    return seen


def upsert(client, *documents: dict) -> dict:
    response = client.post("/documents", json={"documents": list(documents)})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_new_document_is_created_and_found(client):
    assert upsert(client, NEW) == {"created": 1, "updated": 0, "unchanged": 0}
    assert client.get("/documents/kitchen-11").json() == NEW
    results = client.get("/search", params={"q": "breakfast waffles", "k": 1}).json()["results"]
    assert results[0]["id"] == "kitchen-11"


def test_the_same_batch_again_changes_nothing_and_embeds_nothing(client, embedded_texts):
    upsert(client, NEW)
    embedded_texts.clear()
    assert upsert(client, NEW) == {"created": 0, "updated": 0, "unchanged": 1}
    assert embedded_texts == []  # the content hash matched: no embedding, no write


def test_a_changed_text_or_metadata_is_an_update_and_only_it_is_embedded(client, embedded_texts):
    upsert(client, NEW)
    embedded_texts.clear()
    changed_text = {**NEW, "text": "Waffle iron with round plates for thin Belgian waffles."}
    changed_year = {**NEW, "id": "kitchen-01", "metadata": {"category": "kitchen", "year": 2026}}
    changed_year["text"] = client.get("/documents/kitchen-01").json()["text"]
    counts = upsert(client, changed_text, changed_year, {**NEW, "id": "kitchen-12"})
    assert counts == {"created": 1, "updated": 2, "unchanged": 0}
    assert client.get("/documents/kitchen-01").json()["metadata"]["year"] == 2026
    assert client.get("/documents/kitchen-11").json()["text"] == changed_text["text"]
    assert len(embedded_texts) == 3
    assert client.get("/documents/kitchen-03").status_code == 200  # the rest untouched


def test_delete_removes_the_document_from_search(client, problem):
    assert client.delete("/documents/outdoor-07").status_code == 204
    problem(client.get("/documents/outdoor-07"), 404)
    results = client.get("/search", params={"q": "a boat", "k": 10}).json()["results"]
    assert "outdoor-07" not in [r["id"] for r in results]
    body = problem(client.delete("/documents/outdoor-07"), 404)
    assert body["detail"] == "No document with id 'outdoor-07'."
