"""The HTTP API on a real uvicorn: OpenAI's formats, probes, batching across requests, and
attacks (oversize, unknown fields, wrong keys) answered with problem details."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import numpy as np
import openai
import pytest

EMBEDDING_MODEL = "wordllama-l2_supercat-256"
PROBLEM = "application/problem+json"


def chat_body(content: str = "A vector database", **fields) -> dict:
    return {
        "model": "tiny-transformer",
        "messages": [{"role": "user", "content": content}],
        "temperature": 0,
        **fields,
    }


def sse_data(response: httpx.Response) -> list[str]:
    return [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]


def test_probes_and_models(server_url):
    assert httpx.get(server_url + "/health").json() == {"status": "ok"}
    ready = httpx.get(server_url + "/ready")
    assert ready.status_code == 200 and ready.json()["models"] == [
        "tiny-transformer",
        EMBEDDING_MODEL,
    ]
    models = openai.OpenAI(base_url=server_url + "/v1", api_key="unused").models.list()
    assert [m.id for m in models] == ["tiny-transformer", EMBEDDING_MODEL]


def test_embeddings_in_both_encodings_equal_the_model(server_url, embedder):
    texts = ["How should refresh tokens be rotated?", "vector databases"]
    plain = httpx.post(
        server_url + "/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": texts}
    ).json()
    packed = httpx.post(
        server_url + "/v1/embeddings",
        json={"model": EMBEDDING_MODEL, "input": texts, "encoding_format": "base64"},
    ).json()
    expected = embedder.embed(texts)
    for item, packed_item, row in zip(plain["data"], packed["data"], expected, strict=True):
        np.testing.assert_allclose(item["embedding"], row, rtol=1e-6)
        decoded = np.frombuffer(base64.b64decode(packed_item["embedding"]), dtype="<f4")
        np.testing.assert_array_equal(decoded, np.asarray(item["embedding"], dtype="<f4"))
    assert plain["usage"]["prompt_tokens"] > len(texts)
    client = openai.OpenAI(base_url=server_url + "/v1", api_key="unused")
    official = client.embeddings.create(model=EMBEDDING_MODEL, input=texts)  # base64 on the wire
    np.testing.assert_allclose([d.embedding for d in official.data], expected, rtol=1e-6)


def test_concurrent_embedding_requests_share_model_calls(server_url):
    before = httpx.get(server_url + "/stats").json()["embeddings"]

    async def burst():
        async with httpx.AsyncClient(base_url=server_url) as client:
            bodies = [
                {"model": EMBEDDING_MODEL, "input": f"question number {i}"} for i in range(24)
            ]
            return await asyncio.gather(*(client.post("/v1/embeddings", json=b) for b in bodies))

    responses = asyncio.run(burst())
    assert all(r.status_code == 200 for r in responses)
    after = httpx.get(server_url + "/stats").json()["embeddings"]
    assert after["items"] - before["items"] == 24
    assert after["calls"] - before["calls"] < 24  # some requests shared a call


def test_chat_completion_streamed_and_not_agree(server_url, model):
    whole = httpx.post(server_url + "/v1/chat/completions", json=chat_body(max_tokens=20)).json()
    assert whole["object"] == "chat.completion"
    expected = model.decode(list(model.generate(model.encode("A vector database"), 20)))
    assert whole["choices"][0]["message"] == {"role": "assistant", "content": expected}
    with httpx.stream(
        "POST",
        server_url + "/v1/chat/completions",
        json=chat_body(max_tokens=20, stream=True, stream_options={"include_usage": True}),
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_data(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == expected
    assert chunks[-2]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == whole["usage"]


def test_the_official_client_streams(server_url):
    client = openai.OpenAI(base_url=server_url + "/v1", api_key="unused")
    messages = [{"role": "user", "content": "Use a connection pool"}]
    whole = client.chat.completions.create(
        model="tiny-transformer", messages=messages, max_tokens=25, temperature=0
    )
    stream = client.chat.completions.create(
        model="tiny-transformer", messages=messages, max_tokens=25, temperature=0, stream=True
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces) == whole.choices[0].message.content


def test_ignore_eos_generates_exactly_max_tokens(server_url):
    body = chat_body("A vector database", max_tokens=40, ignore_eos=True)
    answer = httpx.post(server_url + "/v1/chat/completions", json=body).json()
    assert answer["usage"]["completion_tokens"] == 40
    assert answer["choices"][0]["finish_reason"] == "length"


def test_seeded_sampling_over_http_is_reproducible(server_url):
    body = chat_body(max_tokens=20, temperature=1.0, seed=11)
    first, again = (
        httpx.post(server_url + "/v1/chat/completions", json=body).json()["choices"][0]
        for _ in range(2)
    )
    assert first == again


def test_a_client_that_disconnects_frees_its_sequence(server_url):
    cancelled_before = httpx.get(server_url + "/stats").json()["generation"]["cancelled"]
    body = chat_body("A vector database", max_tokens=100, stream=True)
    body["ignore_eos"] = True  # it cannot end by itself before the client leaves
    with httpx.stream("POST", server_url + "/v1/chat/completions", json=body) as response:
        for index, _ in enumerate(response.iter_lines()):
            if index == 4:
                break
    deadline = time.monotonic() + 10
    while True:
        generation = httpx.get(server_url + "/stats").json()["generation"]
        if generation["active"] == 0 and generation["cancelled"] > cancelled_before:
            break
        assert time.monotonic() < deadline, generation
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/v1/chat/completions", chat_body(model="gpt-4o"), 404, "not served here"),
        ("/v1/chat/completions", chat_body(""), 400, "the prompt is empty"),
        ("/v1/chat/completions", chat_body("word " * 120, max_tokens=20), 400, "context length"),
        ("/v1/chat/completions", chat_body(max_tokens=0), 422, "does not match"),
        ("/v1/chat/completions", chat_body(max_token=5), 422, "does not match"),
        ("/v1/chat/completions", chat_body(n=2), 422, "does not match"),
        ("/v1/chat/completions", chat_body(stream=True, max_tokens=500), 400, "context length"),
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}, 404, "not served"),
        (
            "/v1/embeddings",
            {"model": EMBEDDING_MODEL, "input": ["ok", " "]},
            400,
            "input 1 is empty",
        ),
        ("/v1/embeddings", {"model": EMBEDDING_MODEL, "input": ["x"] * 257}, 400, "at most 256"),
        ("/v1/embeddings", {"model": EMBEDDING_MODEL, "input": "x" * 9000}, 400, "characters"),
        ("/v1/embeddings", {"model": EMBEDDING_MODEL, "input": []}, 422, "does not match"),
    ],
)
def test_bad_requests_are_problems_before_any_work(server_url, path, body, status, detail):
    response = httpx.post(server_url + path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]


def test_an_oversize_body_is_refused_unread(server_url):
    huge = json.dumps({"model": EMBEDDING_MODEL, "input": "x" * 2_000_000})
    response = httpx.post(
        server_url + "/v1/embeddings", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM


def test_an_api_key_is_required_when_set(serve):
    url = serve(api_key="s3cret-key")
    assert httpx.get(url + "/health").status_code == 200  # probes stay open for the orchestrator
    for headers in (
        {},
        {"Authorization": "Bearer s3cret-kez"},
        {"Authorization": "Basic s3cret-key"},
    ):
        response = httpx.post(
            url + "/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": "x"}, headers=headers
        )
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()
    keyed = openai.OpenAI(base_url=url + "/v1", api_key="s3cret-key")
    assert keyed.embeddings.create(model=EMBEDDING_MODEL, input="x").data[0].index == 0


def test_not_ready_until_the_models_are_loaded(start_server, embedder):
    """The default start-up: /health at once, /ready 503 while the model trains, then 200."""
    from inference_server.app import create_app

    url = start_server(create_app(embedder=embedder))
    assert httpx.get(url + "/health").status_code == 200
    loading = httpx.get(url + "/ready")
    assert loading.status_code == 503 and loading.headers["retry-after"] == "1"
    assert loading.headers["content-type"] == PROBLEM
    assert httpx.post(url + "/v1/chat/completions", json=chat_body()).status_code == 503
    deadline = time.monotonic() + 120
    while httpx.get(url + "/ready").status_code != 200:
        assert time.monotonic() < deadline, "never became ready"
        time.sleep(0.05)
    answer = httpx.post(url + "/v1/chat/completions", json=chat_body(max_tokens=5))
    assert answer.status_code == 200
