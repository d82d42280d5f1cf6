"""Ingestion is idempotent: unchanged files embed nothing, a changed file only its new chunks."""

from __future__ import annotations

from contextlib import closing

import pytest
from rag_pipeline.ingestion import connect, ingest, stored_chunks
from rag_pipeline.pipeline import RagPipeline


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder, name: str | None = None) -> None:
        self.inner = embedder
        self.name = name or embedder.name
        self.dimensions = embedder.dimensions
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting(embedder):
    return CountingEmbedder(embedder)


def run(settings, embedder):
    with closing(connect(settings.store)) as connection:
        return ingest(
            connection,
            settings.corpus,
            embedder,
            max_chars=settings.chunk_max_chars,
            overlap_chars=settings.chunk_overlap_chars,
        )


def test_the_first_run_embeds_every_chunk_and_a_second_run_nothing(settings, counting):
    first = run(settings, counting)
    assert first.files == 13 and len(first.changed) == 13
    assert first.embedded == first.chunks == len(counting.texts) > 40
    counting.texts.clear()

    second = run(settings, counting)
    assert (second.changed, second.removed, second.embedded) == ([], [], 0)
    assert counting.texts == []
    assert second.chunks == first.chunks


def test_a_changed_file_re_embeds_only_its_changed_chunks(settings, counting):
    run(settings, counting)
    counting.texts.clear()
    path = settings.corpus / "reimbursements.md"
    text = path.read_text()
    path.write_text(text.replace("Tuesday and Friday", "Monday and Thursday"))

    report = run(settings, counting)
    assert report.changed == ["reimbursements.md"]
    # One section changed: its one chunk is embedded again, the file's other chunks are not.
    assert report.embedded == 1 == len(counting.texts)
    assert "Monday and Thursday" in counting.texts[0]
    with closing(connect(settings.store)) as connection:
        texts = [s.chunk.text for s in stored_chunks(connection, counting.name)]
        (vectors,) = connection.execute("SELECT count(*) FROM vectors").fetchone()
    assert any("Monday and Thursday" in t for t in texts)
    assert not any("Tuesday and Friday" in t for t in texts)
    assert vectors == report.chunks  # the old chunk's vector is gone


def test_a_removed_file_takes_its_chunks_and_vectors_with_it(settings, counting):
    first = run(settings, counting)
    (settings.corpus / "plans-and-billing.md").unlink()
    report = run(settings, counting)
    assert report.removed == ["plans-and-billing.md"] and report.embedded == 0
    with closing(connect(settings.store)) as connection:
        sources = {s.chunk.source for s in stored_chunks(connection, counting.name)}
        (vectors,) = connection.execute("SELECT count(*) FROM vectors").fetchone()
    assert "plans-and-billing.md" not in sources
    assert vectors == report.chunks < first.chunks


def test_another_model_embeds_everything_again(settings, counting, embedder):
    first = run(settings, counting)
    other = CountingEmbedder(embedder, name="another-model")
    report = run(settings, other)
    assert report.changed == [] and report.embedded == first.chunks


def test_a_pipeline_reopened_on_the_same_store_embeds_nothing(settings, counting):
    RagPipeline(settings, counting)
    counting.texts.clear()
    again = RagPipeline(settings, counting)
    assert again.last_ingest.embedded == 0
    # Asking embeds the question and the retrieved sentences, never a chunk: a chunk's
    # embedded text is its heading, a newline, then its text.
    answer = again.ask("How many expenses can one report hold?", 4)
    assert "200 expenses" in answer.answer
    assert "How many expenses can one report hold?" in counting.texts
    assert not any("\n" in text for text in counting.texts)


def test_a_missing_or_empty_corpus_is_a_clear_error(settings, counting, tmp_path):
    with closing(connect(tmp_path / "other.db")) as connection:
        with pytest.raises(ValueError, match="does not exist"):
            ingest(connection, tmp_path / "nowhere", counting, max_chars=300, overlap_chars=50)
        (tmp_path / "empty").mkdir()
        with pytest.raises(ValueError, match="no .md files"):
            ingest(connection, tmp_path / "empty", counting, max_chars=300, overlap_chars=50)
