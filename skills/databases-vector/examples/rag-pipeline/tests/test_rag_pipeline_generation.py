"""Generators: the extractive one quotes with real citations; the OpenAI-compatible one
talks to a local model server, whole and streamed; no answer cites a passage it was not given."""

from __future__ import annotations

import pytest
from rag_pipeline.citations import CitationFilter, cited_numbers, keep_valid_citations
from rag_pipeline.generators import ExtractiveGenerator, GenerationError, OpenAICompatibleGenerator
from rag_pipeline.pipeline import RagPipeline
from rag_pipeline.prompt import build_messages

QUESTION = "On which days are reimbursements paid out?"


def test_the_extractive_answer_quotes_the_handbook_and_cites_given_passages(pipeline):
    passages = pipeline.retrieve(QUESTION, 4)
    answer = ExtractiveGenerator(pipeline.embedder).answer(QUESTION, passages)
    assert "Tuesday and Friday" in answer
    numbers = cited_numbers(answer)
    assert numbers and set(numbers) <= {p.n for p in passages}
    # Every quoted sentence is the handbook's text, word for word, minus the marker.
    texts = " ".join(p.chunk.text for p in passages)
    for sentence in keep_valid_citations(answer, set()).split(". "):
        assert sentence.rstrip(".") in texts


def test_the_extractive_generator_is_deterministic_and_streams_the_same_text(pipeline):
    passages = pipeline.retrieve(QUESTION, 4)
    generator = ExtractiveGenerator(pipeline.embedder)
    answers = {generator.answer(QUESTION, passages) for _ in range(3)}
    assert len(answers) == 1
    pieces = list(generator.stream(QUESTION, passages))
    assert len(pieces) > 5 and "".join(pieces) == answers.pop()


def test_every_marker_in_every_labelled_answer_is_a_returned_citation(pipeline, labelled_questions):
    for item in labelled_questions["questions"]:
        answer = pipeline.ask(item["question"], 4)
        assert set(cited_numbers(answer.answer)) <= {c.n for c in answer.citations}
        if answer.citations:
            assert cited_numbers(answer.answer), item["question"]


def test_the_citation_filter_drops_unknown_markers_even_split_across_pieces():
    text = "Paid on Tuesday [1]. Also Friday [12]. See [2] and [3]."
    assert keep_valid_citations(text, {1, 2}) == "Paid on Tuesday [1]. Also Friday. See [2] and."
    for size in (1, 2, 3, 5):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        citation_filter = CitationFilter({1, 2})
        streamed = "".join(citation_filter.feed(p) for p in pieces) + citation_filter.flush()
        assert streamed == keep_valid_citations(text, {1, 2})
    # A bracket that never closes is text, not a marker.
    assert keep_valid_citations("a [b", {1}) == "a [b"


def test_the_prompt_numbers_each_passage_with_its_source_and_heading(pipeline):
    passages = pipeline.retrieve(QUESTION, 3)
    system, user = build_messages(QUESTION, passages)
    assert system["role"] == "system" and "[2]" in system["content"]
    for p in passages:
        assert f"[{p.n}] {p.chunk.source} | {p.chunk.heading}\n{p.chunk.text}" in user["content"]
    assert user["content"].endswith(f"Question: {QUESTION}")


@pytest.fixture
def llm(model_server):
    generator = OpenAICompatibleGenerator(
        f"{model_server.url}/v1", "tiny-model", api_key="secret-key"
    )
    yield generator
    generator.close()


def test_the_openai_compatible_generator_answers_whole_and_streamed(pipeline, llm, model_server):
    passages = pipeline.retrieve(QUESTION, 4)
    whole = llm.answer(QUESTION, passages)
    pieces = list(llm.stream(QUESTION, passages))
    assert len(pieces) > 3 and "".join(pieces) == whole
    assert whole.endswith("[1].") and whole[:-5] in passages[0].chunk.text
    non_streamed, streamed = model_server.requests
    assert (non_streamed["stream"], streamed["stream"]) == (False, True)
    assert non_streamed["model"] == "tiny-model" and non_streamed["temperature"] == 0
    assert non_streamed["messages"] == build_messages(QUESTION, passages)
    assert model_server.headers[0]["authorization"] == "Bearer secret-key"


def test_a_model_that_cites_what_it_was_not_given_is_corrected(
    settings, embedder, llm, model_server
):
    model_server.reply = "Payouts run on Tuesday and Friday [2][9]. Ask finance [17]."
    rag = RagPipeline(settings, embedder, llm)
    answer = rag.ask(QUESTION, 4)
    assert answer.answer == "Payouts run on Tuesday and Friday [2]. Ask finance."
    cited, pieces = rag.ask_stream(QUESTION, 4)
    assert "".join(pieces) == answer.answer and cited == answer.citations


def test_a_failing_or_unreachable_model_server_is_a_generation_error(
    pipeline, llm, model_server, unused_port
):
    passages = pipeline.retrieve(QUESTION, 4)
    model_server.status = 500
    with pytest.raises(GenerationError, match="answered 500"):
        llm.answer(QUESTION, passages)
    with pytest.raises(GenerationError, match="answered 500"):
        list(llm.stream(QUESTION, passages))
    gone = OpenAICompatibleGenerator(f"http://127.0.0.1:{unused_port}/v1", "m", timeout_seconds=2)
    with pytest.raises(GenerationError, match="unreachable"):
        gone.answer(QUESTION, passages)
    gone.close()


def test_the_network_guard_refuses_anything_beyond_loopback():
    import socket

    with pytest.raises(OSError, match="network guard"):
        socket.create_connection(("203.0.113.7", 80), timeout=1)
    with pytest.raises(OSError, match="network guard"):
        socket.getaddrinfo("api.openai.com", 443)
