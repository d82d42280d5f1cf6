"""Generation: the answer from the question and the numbered passages.

Two implementations of one ``Generator`` protocol:

- ``ExtractiveGenerator``, the default: offline and deterministic. It is not a language
  model and writes nothing of its own: it picks the retrieved sentences closest to the
  question and quotes them, each with the [n] of its passage. It cannot paraphrase,
  combine facts or notice that the passages do not quite answer; it can never state
  something the handbook does not say.
- ``OpenAICompatibleGenerator``: any server with an OpenAI-compatible
  ``/v1/chat/completions`` (vLLM, llama.cpp's server, Ollama, a hosted API), over httpx,
  whole or streamed (server-sent events). Used only when a base URL is configured.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Protocol

import httpx
import numpy as np

from .chunking import split_sentences
from .embeddings import Embedder
from .prompt import build_messages
from .retrieval import Passage, content_words, coverage

TOKEN = re.compile(r"\S+\s*")


class GenerationError(RuntimeError):
    """The model server failed or answered something that is not a completion."""


class Generator(Protocol):
    name: str

    def answer(self, question: str, passages: list[Passage]) -> str:
        """The whole answer, citing passages as [n]."""
        ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """The same answer in pieces, as they are produced."""
        ...


class ExtractiveGenerator:
    """Quotes the MAX_SENTENCES retrieved sentences most relevant to the question.

    A sentence scores its cosine similarity to the question, plus half the share of the
    question's content words it contains, plus twice its passage's relevance: the best
    passages give the answer, the words pick the sentence with the number or the name
    asked for. Sentences under MIN_RELATIVE of the best score are left out, so a sharp
    answer is not padded. (The weights were chosen on labelled_questions.yaml: 27 of the
    28 answered questions quote the expected phrase.)
    """

    name = "extractive"
    coverage_weight = 0.5
    passage_weight = 2.0

    def __init__(
        self, embedder: Embedder, *, max_sentences: int = 2, min_relative: float = 0.8
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.min_relative = min_relative

    def answer(self, question: str, passages: list[Passage]) -> str:
        # sentence -> the first (best) passage that has it: overlapping windows repeat
        # sentences, and each is quoted once.
        source: dict[str, Passage] = {}
        for passage in passages:
            for sentence in split_sentences(passage.chunk.text):
                source.setdefault(sentence, passage)
        if not source:
            return ""
        sentences = list(source)
        vectors = self.embedder.embed([question, *sentences])
        asked = content_words(question)
        scores = (
            vectors[1:] @ vectors[0]
            + self.coverage_weight * np.array([coverage(asked, s) for s in sentences])
            + self.passage_weight * np.array([source[s].relevance for s in sentences])
        )
        # Stable: among equal scores the earlier passage, then the earlier sentence, wins.
        order = np.argsort(-scores, kind="stable")[: self.max_sentences]
        best = scores[order[0]]
        chosen = [i for i in order if scores[i] >= self.min_relative * best]
        return " ".join(cite(sentences[i], source[sentences[i]].n) for i in chosen)

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        # Word by word, as a language model's tokens arrive: the same text either way.
        yield from TOKEN.findall(self.answer(question, passages))


def cite(sentence: str, n: int) -> str:
    """SENTENCE with [N] before its final punctuation: "... twice a week [2]."."""
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


class OpenAICompatibleGenerator:
    """A chat model behind an OpenAI-compatible API; BASE_URL ends in /v1.

    temperature 0 asks for the most likely answer, which most servers make repeatable.
    TRANSPORT is httpx's (tests pass none and talk to a real local server).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai-compatible:{model}"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout_seconds,
            transport=transport,
        )

    def _request(self, question: str, passages: list[Passage], stream: bool) -> dict:
        return {
            "model": self.model,
            "messages": build_messages(question, passages),
            "temperature": 0,
            "stream": stream,
        }

    def answer(self, question: str, passages: list[Passage]) -> str:
        try:
            response = self.client.post(
                "chat/completions", json=self._request(question, passages, stream=False)
            )
        except httpx.HTTPError as exc:
            raise GenerationError(f"the model server is unreachable: {exc}") from exc
        _check_status(response)
        try:
            return response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise GenerationError("the model server's answer is not a chat completion") from exc

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        request = self._request(question, passages, stream=True)
        try:
            with self.client.stream("POST", "chat/completions", json=request) as response:
                if response.is_error:
                    response.read()
                _check_status(response)
                yield from _deltas(response.iter_lines())
        except httpx.HTTPError as exc:
            raise GenerationError(f"the model server is unreachable: {exc}") from exc

    def close(self) -> None:
        self.client.close()


def _check_status(response: httpx.Response) -> None:
    if response.is_error:
        raise GenerationError(f"the model server answered {response.status_code}")


def _deltas(lines: Iterator[str]) -> Iterator[str]:
    """The content pieces of an OpenAI-style SSE stream: `data: {json}` lines, then
    `data: [DONE]`. Other lines (comments, blank separators, `event:`) carry nothing."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        try:
            choices = json.loads(data)["choices"]
        except (ValueError, KeyError, TypeError) as exc:
            raise GenerationError(
                "the model server streamed something that is not a chunk"
            ) from exc
        for choice in choices:
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield content
    raise GenerationError("the model server's stream ended before [DONE]")
