"""The ai-chat flow's data side over the course library (notebook 05-07).

Three pieces, each from the skill that owns it:

- the documents: the frozen library sections (``data/retrieval``) written back into one
  Markdown file per reference, with each section's character span kept, so a retrieved
  chunk can be traced to the labelled section it came from;
- retrieval and the answer: chunks found by the ingestion example's ``search`` become
  numbered passages for the databases-vector skill's ``ExtractiveGenerator``, which quotes
  the retrieved sentences closest to the question, each with its ``[n]``;
- the frontend: ``ChatBox``, a transcript, a question box and a send button; ``ask`` is what
  the button runs, so a headless run calls the same code.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path

import ipywidgets as widgets
from rag_pipeline.chunking import Chunk as PassageChunk
from rag_pipeline.generators import ExtractiveGenerator
from rag_pipeline.retrieval import Passage, content_words, coverage


# region library-files
@dataclass(frozen=True)
class SectionSpans:
    """Where each labelled section sits in the files written from the library."""

    starts: dict[str, list[int]]  # path -> the start offset of each of its sections
    ids: dict[str, list[str]]  # path -> the section ids, in the same order

    def section_at(self, path: str, offset: int) -> str:
        """The id of the section of PATH that holds character OFFSET."""
        index = bisect_right(self.starts[path], offset) - 1
        return self.ids[path][max(index, 0)]


def write_library(sections: tuple[dict, ...], folder: Path) -> SectionSpans:
    """One Markdown file per reference (its sections in order, each under its heading)."""
    by_path: dict[str, list[dict]] = defaultdict(list)
    for section in sections:
        by_path[section["path"]].append(section)
    starts: dict[str, list[int]] = {}
    ids: dict[str, list[str]] = {}
    for path, parts in by_path.items():
        text, starts[path], ids[path] = "", [], []
        for section in parts:
            text += "\n\n" if text else ""
            starts[path].append(len(text))
            ids[path].append(section["id"])
            text += f"## {section['heading']}\n\n{section['text']}"
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    return SectionSpans(starts, ids)


# endregion


# region answer
HEADING_LINE = re.compile(r"^#{1,6}\s.*$", re.MULTILINE)


def body_text(chunk_text: str) -> str:
    """The chunk without its Markdown heading lines: the heading is cited, not quoted."""
    return HEADING_LINE.sub("", chunk_text).strip()


@dataclass(frozen=True)
class Citation:
    n: int  # the [n] the answer cites it by
    path: str
    heading: str
    relevance: float  # the rag-pipeline example's measure, in [0, 1]


@dataclass(frozen=True)
class ChatAnswer:
    question: str
    text: str  # empty when the chat refuses
    citations: tuple[Citation, ...]
    hits: tuple  # the ingestion example's Hit objects, best first

    @property
    def refused(self) -> bool:
        return not self.text


class LibraryChat:
    """Answers from the chunks PIPELINE ingested; refuses below MIN_RELEVANCE."""

    def __init__(self, pipeline, embedder, *, k: int = 4, min_relevance: float = 0.42):
        self.pipeline, self.k, self.min_relevance = pipeline, k, min_relevance
        self.generator = ExtractiveGenerator(embedder)

    def ask(self, question: str) -> ChatAnswer:
        hits = tuple(self.pipeline.search(question, k=self.k))
        asked = content_words(question)
        passages = [
            Passage(
                n=n,
                chunk=PassageChunk(hit.path, n, hit.heading, body_text(hit.text)),
                score=1 - hit.distance,
                similarity=1 - hit.distance,  # cosine distance -> similarity
                coverage=coverage(asked, hit.text),
            )
            for n, hit in enumerate(hits, start=1)
        ]
        citations = tuple(
            Citation(p.n, p.chunk.source, p.chunk.heading, round(p.relevance, 3)) for p in passages
        )
        if not passages or max(p.relevance for p in passages) < self.min_relevance:
            return ChatAnswer(question, "", citations, hits)
        return ChatAnswer(question, self.generator.answer(question, passages), citations, hits)


# endregion


# region chat-box
class ChatBox:
    """A chat transcript over CHAT: each answer with its numbered sources under it."""

    def __init__(self, chat: LibraryChat) -> None:
        self.chat = chat
        self.transcript: list[ChatAnswer] = []
        self._question = widgets.Text(placeholder="Ask the library", layout={"width": "70%"})
        self._send = widgets.Button(description="Send", icon="paper-plane")
        self._log = widgets.HTML()
        self._send.on_click(lambda _button: self.ask(self._question.value))
        self.view = widgets.VBox([self._log, widgets.HBox([self._question, self._send])])

    def ask(self, question: str) -> ChatAnswer:
        answer = self.chat.ask(question)
        self.transcript.append(answer)
        self._question.value = ""
        self._log.value = "".join(self._render(a) for a in self.transcript)
        return answer

    @staticmethod
    def _render(answer: ChatAnswer) -> str:
        said = escape(answer.text) or "<i>I can't answer that from the library.</i>"
        sources = "".join(
            f"<li>[{c.n}] {escape(c.path)}, <i>{escape(c.heading)}</i>"
            f" <small>(relevance {c.relevance:.2f})</small></li>"
            for c in answer.citations
        )
        return (
            f"<p style='text-align:right'><b>You:</b> {escape(answer.question)}</p>"
            f"<p><b>Library:</b> {said}</p><ol style='list-style:none'>{sources}</ol>"
        )


# endregion
