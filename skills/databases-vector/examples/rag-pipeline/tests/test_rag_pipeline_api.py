"""The HTTP API over real HTTP: answers with citations, the same answer streamed as SSE,
refusal, and problem details for every bad input."""

from __future__ import annotations

import pytest
from rag_pipeline.api import create_app
from rag_pipeline.citations import cited_numbers
from rag_pipeline.generators import OpenAICompatibleGenerator
from rag_pipeline.pipeline import REFUSAL

QUESTION = "How long does an ACH transfer take to arrive?"


def test_ask_answers_with_numbered_citations_of_real_sections(client, settings):
    response = client.post("/ask", json={"question": QUESTION, "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert "one to three working days" in body["answer"]
    assert [c["n"] for c in body["citations"]] == [1, 2, 3]
    first = body["citations"][0]
    assert first["source"] == "reimbursements.md"
    assert first["heading"] == "Reimbursements and payouts > Timing of transfers"
    assert 0 < first["score"] <= 1
    assert set(cited_numbers(body["answer"])) <= {c["n"] for c in body["citations"]}
    for citation in body["citations"]:
        section = citation["heading"].split(" > ")[-1]
        assert f"## {section}" in (settings.corpus / citation["source"]).read_text()


def test_k_defaults_to_four(client):
    assert len(client.post("/ask", json={"question": QUESTION}).json()["citations"]) == 4


def test_an_off_topic_question_gets_i_dont_know(client):
    for question in ("What is the boiling point of tungsten?", "Best card game for two players?"):
        body = client.post("/ask", json={"question": question}).json()
        assert body == {"answer": REFUSAL, "citations": []}


def test_the_stream_assembles_to_the_same_answer(client):
    whole = client.post("/ask", json={"question": QUESTION, "k": 4}).json()
    events = client.events({"question": QUESTION, "k": 4})
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) > 5
    assert events[0][1] == whole["citations"]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == events[-1][1]["answer"] == whole["answer"]


def test_a_refusal_streams_as_no_citations_and_the_refusal(client):
    events = client.events({"question": "Who won the football world cup in 1998?"})
    assert events == [
        ("citations", []),
        ("delta", {"text": REFUSAL}),
        ("done", {"answer": REFUSAL}),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({"question": QUESTION, "k": 0}, "k"),
        ({"question": QUESTION, "k": 11}, "k"),
        ({"question": QUESTION, "k": "many"}, "k"),
        ({"question": QUESTION, "top_k": 3}, "top_k"),
        ({}, "question"),
    ],
)
@pytest.mark.parametrize("path", ["/ask", "/ask/stream"])
def test_bad_input_is_a_422_problem_naming_the_field(client, path, body, field):
    problem = client.problem(client.post(path, json=body), 422)
    assert field in [error["loc"][-1] for error in problem["errors"]]
    assert "x" * 50 not in str(problem)  # the input is never echoed


def test_malformed_json_and_an_oversize_body_are_problems(client):
    broken = client.post(
        "/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    client.problem(broken, 422)
    huge = {"question": QUESTION, "padding": "x" * 10_000}
    problem = client.problem(client.post("/ask", json=huge), 413)
    assert "8192 bytes" in problem["detail"]
    client.problem(client.get("/ask"), 405)
    client.problem(client.get("/nowhere"), 404)


def test_a_failing_model_server_is_a_502_problem_or_an_error_event(
    serve, settings, embedder, model_server
):
    generator = OpenAICompatibleGenerator(f"{model_server.url}/v1", "tiny-model")
    client = serve(create_app(settings, embedder=embedder, generator=generator))
    ok = client.post("/ask", json={"question": QUESTION}).json()
    assert ok["answer"].endswith("[1].") and ok["citations"][0]["n"] == 1
    model_server.status = 503
    problem = client.problem(client.post("/ask", json={"question": QUESTION}), 502)
    assert problem["detail"] == "the model server answered 503"
    events = client.events({"question": QUESTION})
    assert events[0][0] == "citations"
    assert events[-1] == ("error", {"detail": "the model server answered 503"})
    generator.close()


def test_the_openapi_document_names_both_operations_and_their_problems(client):
    spec = client.get("/openapi.json").json()
    ask = spec["paths"]["/ask"]["post"]
    stream = spec["paths"]["/ask/stream"]["post"]
    assert (ask["operationId"], stream["operationId"]) == ("ask", "askStream")
    assert {"413", "422", "502"} <= ask["responses"].keys()
    assert spec["openapi"] == "3.2.0"  # itemSchema, which describes the events, is 3.2
    assert "itemSchema" in stream["responses"]["200"]["content"]["text/event-stream"]
