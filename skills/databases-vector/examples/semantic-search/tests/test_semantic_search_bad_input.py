"""Bad input is a 4xx problem-details answer that says what is wrong, never a 500."""

from __future__ import annotations

import pytest
from semantic_search.schemas import MAX_K

DOCUMENT = {"id": "x-1", "text": "a text", "metadata": {"category": "toys", "year": 2020}}


@pytest.mark.parametrize(
    "params, where",
    [
        ({"q": "tent", "k": 0}, ["query", "k"]),
        ({"q": "tent", "k": 10_000}, ["query", "k"]),
        ({"q": "tent", "k": "many"}, ["query", "k"]),
        ({"q": ""}, ["query", "q"]),
        ({"q": "   "}, ["query", "q"]),
        ({}, ["query", "q"]),
        ({"q": "x" * 501}, ["query", "q"]),
        ({"q": "tent", "colour": "red"}, ["query", "colour"]),  # an unknown filter
        ({"q": "tent", "year_gte": "recent"}, ["query", "year_gte"]),
        ({"q": "tent", "category": "Toys; DROP"}, ["query", "category"]),
    ],
    ids=lambda v: repr(v),
)
def test_bad_search_parameters_are_422_naming_the_parameter(catalogue, problem, params, where):
    body = problem(catalogue.get("/search", params=params), 422)
    assert [error["loc"] for error in body["errors"]] == [where]


def test_k_at_its_bound_is_accepted(catalogue):
    response = catalogue.get("/search", params={"q": "tent", "k": MAX_K})
    assert response.status_code == 200
    assert len(response.json()["results"]) == MAX_K


@pytest.mark.parametrize(
    "documents, where",
    [
        ([], ["body", "documents"]),
        ([DOCUMENT] * 101, ["body", "documents"]),
        ([DOCUMENT, DOCUMENT], ["body"]),  # one id twice in a batch
        ([{**DOCUMENT, "id": "../etc"}], ["body", "documents", 0, "id"]),
        ([{**DOCUMENT, "text": " "}], ["body", "documents", 0, "text"]),
        ([{**DOCUMENT, "text": "x" * 2001}], ["body", "documents", 0, "text"]),
        ([{**DOCUMENT, "colour": "red"}], ["body", "documents", 0, "colour"]),
        (
            [{**DOCUMENT, "metadata": {"category": "toys"}}],
            ["body", "documents", 0, "metadata", "year"],
        ),
    ],
    ids=["empty", "101", "duplicate-id", "bad-id", "blank-text", "long-text", "extra", "no-year"],
)
def test_bad_documents_are_422_and_nothing_is_written(client, problem, documents, where):
    body = problem(client.post("/documents", json={"documents": documents}), 422)
    assert where in [error["loc"] for error in body["errors"]]
    problem(client.get("/documents/x-1"), 404)


def test_the_422_never_echoes_the_input(catalogue, problem):
    body = problem(catalogue.get("/search", params={"q": "tent", "k": "secret-value"}), 422)
    assert "secret-value" not in str(body)


def test_an_oversize_body_is_413_with_content_length(client, problem):
    limit = client.app.state.settings.max_body_bytes
    body = problem(
        client.post(
            "/documents",
            content=b" " * (limit + 1),
            headers={"content-type": "application/json"},
        ),
        413,
    )
    assert body["detail"] == f"The request body exceeds {limit} bytes."


def test_an_oversize_body_is_413_when_streamed_without_content_length(client, problem):
    limit = client.app.state.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 8192 + 2):
            yield b" " * 8192

    response = client.post(
        "/documents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    problem(response, 413)


def test_malformed_json_and_wrong_method_are_problems(client, problem):
    problem(
        client.post("/documents", content=b"{", headers={"content-type": "application/json"}),
        422,
    )
    body = problem(client.put("/search"), 405)
    assert body["title"] == "Method Not Allowed"


def test_openapi_declares_the_bounds_and_problem_errors(catalogue):
    document = catalogue.get("/openapi.json").json()
    search = document["paths"]["/search"]["get"]
    k = next(p for p in search["parameters"] if p["name"] == "k")
    assert k["schema"]["minimum"] == 1 and k["schema"]["maximum"] == MAX_K
    upsert = document["paths"]["/documents"]["post"]
    assert "application/problem+json" in upsert["responses"]["413"]["content"]
    assert "application/problem+json" in search["responses"]["422"]["content"]
