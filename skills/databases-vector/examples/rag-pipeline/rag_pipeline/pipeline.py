"""The pipeline end to end: ingest, retrieve, refuse or generate, cite.

``RagPipeline.ask`` and ``ask_stream`` give the same answer, one whole and one in pieces;
both cite with the numbers of the citations they return, and both refuse ("I don't
know") when the best retrieved chunk is not similar enough to the question, instead of
letting a generator answer from unrelated text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from .citations import CitationFilter, keep_valid_citations
from .embeddings import Embedder
from .generators import ExtractiveGenerator, Generator, OpenAICompatibleGenerator
from .ingestion import IngestReport, connect, ingest, stored_chunks
from .retrieval import Passage, Retriever
from .settings import Settings

REFUSAL = "I don't know: nothing in the handbook is close enough to this question."


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    heading: str
    score: float  # the chunk's relevance to the question (retrieval.Passage.relevance)


@dataclass(frozen=True)
class Answer:
    answer: str
    citations: list[Citation]


def generator_for(settings: Settings, embedder: Embedder) -> Generator:
    """The configured model server's generator, or the offline extractive one."""
    if settings.llm_base_url:
        return OpenAICompatibleGenerator(
            settings.llm_base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_seconds=settings.llm_timeout_seconds,
        )
    return ExtractiveGenerator(embedder)


class RagPipeline:
    def __init__(
        self, settings: Settings, embedder: Embedder, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generator = generator or generator_for(settings, embedder)
        self.last_ingest = self.ingest()

    def ingest(self) -> IngestReport:
        """Bring the store in step with the corpus (embedding only what changed) and
        rebuild the index from it."""
        with closing(connect(self.settings.store)) as connection:
            report = ingest(
                connection,
                self.settings.corpus,
                self.embedder,
                max_chars=self.settings.chunk_max_chars,
                overlap_chars=self.settings.chunk_overlap_chars,
            )
            self.retriever = Retriever(stored_chunks(connection, self.embedder.name), self.embedder)
        return report

    def retrieve(self, question: str, k: int) -> list[Passage]:
        """The passages to answer from: none when even the best is not similar enough."""
        passages = self.retriever.retrieve(question, k)
        if not passages or max(p.relevance for p in passages) < self.settings.min_relevance:
            return []
        return passages

    def ask(self, question: str, k: int) -> Answer:
        passages = self.retrieve(question, k)
        if not passages:
            return Answer(REFUSAL, [])
        text = self.generator.answer(question, passages)
        return Answer(keep_valid_citations(text, {p.n for p in passages}), citations(passages))

    def ask_stream(self, question: str, k: int) -> tuple[list[Citation], Iterator[str]]:
        """The citations at once (retrieval is done before generation starts), and the
        answer's pieces as the generator produces them."""
        passages = self.retrieve(question, k)
        if not passages:
            return [], iter([REFUSAL])
        return citations(passages), _filtered(
            self.generator.stream(question, passages), {p.n for p in passages}
        )


def citations(passages: list[Passage]) -> list[Citation]:
    return [Citation(p.n, p.chunk.source, p.chunk.heading, round(p.relevance, 4)) for p in passages]


def _filtered(pieces: Iterator[str], valid: set[int]) -> Iterator[str]:
    citation_filter = CitationFilter(valid)
    for piece in pieces:
        if text := citation_filter.feed(piece):
            yield text
    if text := citation_filter.flush():
        yield text
