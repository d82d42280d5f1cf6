"""Incremental and idempotent: only new chunk texts are embedded, vanished ones deleted."""

from __future__ import annotations

import dataclasses
import json

import pytest
from document_ingestion.pipeline import Hit, IngestReport, chunk_id
from document_ingestion.sources import scan

DOCS = 10


def test_the_first_run_embeds_every_chunk_and_the_store_matches_the_manifest(
    corpus, make_pipeline, make_embedder
):
    counting = make_embedder()
    pipeline = make_pipeline(counting)
    report = pipeline.ingest(corpus)
    assert report.documents_seen == report.documents_changed == DOCS
    assert report.documents_unchanged == report.documents_deleted == 0
    assert report.dead_letters == ()
    assert report.chunks_embedded == len(counting.texts) == pipeline.count() > DOCS
    assert report.chunks_kept == report.chunks_deleted == 0
    assert pipeline.store.ids() == pipeline.manifest.chunk_ids()
    assert set(pipeline.manifest.documents()) == {d.path for d in scan(corpus)[0]}


def test_a_second_run_embeds_nothing_and_leaves_the_same_ids(
    corpus, make_pipeline, make_embedder, snapshot
):
    counting = make_embedder()
    pipeline = make_pipeline(counting)
    first = pipeline.ingest(corpus)
    before = snapshot(pipeline)
    calls = len(counting.calls)
    second = pipeline.ingest(corpus)
    assert len(counting.calls) == calls  # not even an empty call
    assert second.chunks_embedded == second.chunks_deleted == second.documents_changed == 0
    assert second.documents_unchanged == DOCS
    assert second.chunks_kept == first.chunks_embedded == pipeline.count()
    after = snapshot(pipeline)
    assert after["store"] == before["store"] and after["chunks"] == before["chunks"]


def test_a_reopened_store_embeds_nothing(corpus, make_pipeline, make_embedder, store_dir):
    make_pipeline().ingest(corpus)
    counting = make_embedder()
    reopened = make_pipeline(counting, store=store_dir)
    report = reopened.ingest(corpus)
    assert report.chunks_embedded == 0 and counting.calls == []
    assert reopened.count() == report.chunks_kept


def test_changing_one_sentence_re_embeds_exactly_one_chunk(corpus, make_pipeline, make_embedder):
    counting = make_embedder()
    pipeline = make_pipeline(counting)
    pipeline.ingest(corpus)
    before = {record.chunk_id: record for record in pipeline.manifest.chunks("on-call-basics.md")}
    document = corpus / "on-call-basics.md"
    old, new = "Acknowledge a page within five minutes.", "Acknowledge a page within ten minutes."
    document.write_text(document.read_text().replace(old, new))
    counting.calls.clear()
    report = pipeline.ingest(corpus)
    assert len(counting.texts) == report.chunks_embedded == 1
    assert new in counting.texts[0]
    assert report.documents_changed == 1 and report.documents_unchanged == DOCS - 1
    assert report.chunks_deleted == 1  # the chunk with the old sentence
    after = {record.chunk_id: record for record in pipeline.manifest.chunks("on-call-basics.md")}
    assert len(set(before) - set(after)) == len(set(after) - set(before)) == 1
    assert pipeline.store.ids() == pipeline.manifest.chunk_ids()
    stored = pipeline.store.collection.get(include=["documents"])["documents"]
    assert any(new in text for text in stored) and not any(old in text for text in stored)


def test_a_new_section_above_others_embeds_only_itself_and_moves_their_offsets(
    corpus, make_pipeline, make_embedder
):
    counting = make_embedder()
    pipeline = make_pipeline(counting, chunker="heading")
    pipeline.ingest(corpus)
    path = "runbooks/disk-full.md"
    document = corpus / path
    text = document.read_text()
    inserted = "## Who owns disks\n\nThe infrastructure team owns the storage classes.\n\n"
    at = text.index("## Database hosts")
    document.write_text(text[:at] + inserted + text[at:])
    counting.calls.clear()
    report = pipeline.ingest(corpus)
    assert report.chunks_embedded == 1 and counting.texts[0].startswith("## Who owns disks")
    assert report.chunks_deleted == 0
    # The chunks after the insertion kept their ids; Chroma's offsets follow the manifest.
    records = pipeline.manifest.chunks(path)
    stored = pipeline.store.collection.get(ids=[r.chunk_id for r in records])
    metadata = dict(zip(stored["ids"], stored["metadatas"], strict=True))
    for record in records:
        assert (metadata[record.chunk_id]["start"], metadata[record.chunk_id]["end"]) == (
            record.start,
            record.end,
        )
        assert metadata[record.chunk_id]["ordinal"] == record.ordinal
    last = records[-1]
    assert (
        last.start > at
        and stored["documents"][stored["ids"].index(last.chunk_id)]
        == (document.read_text()[last.start : last.end])
    )


def test_a_deleted_file_takes_its_chunks_with_it(corpus, make_pipeline):
    pipeline = make_pipeline()
    pipeline.ingest(corpus)
    gone = {r.chunk_id for r in pipeline.manifest.chunks("runbooks/certificate-expiry.md")}
    (corpus / "runbooks" / "certificate-expiry.md").unlink()
    report = pipeline.ingest(corpus)
    assert report.documents_deleted == 1 and report.chunks_deleted == len(gone) > 0
    assert not gone & pipeline.store.ids()
    assert "runbooks/certificate-expiry.md" not in pipeline.manifest.documents()
    hits = pipeline.search("TLS certificate renewal with cert-manager", k=10)
    assert all(hit.path != "runbooks/certificate-expiry.md" for hit in hits)


def test_a_passage_repeated_in_a_document_gets_two_ids(tmp_path, make_pipeline):
    folder = tmp_path / "repeat"
    folder.mkdir()
    step = "## Step\n\nRestart the consumer and watch the lag for five minutes.\n\n"
    (folder / "twice.md").write_text("# Twice\n\n" + step + step)
    pipeline = make_pipeline(chunker="heading")
    report = pipeline.ingest(folder)
    records = pipeline.manifest.chunks("twice.md")
    assert len(records) == 3 == report.chunks_embedded == pipeline.count()
    assert len({record.chunk_id for record in records}) == 3
    assert pipeline.ingest(folder).chunks_embedded == 0


def test_other_chunk_settings_re_chunk_everything_but_embed_only_new_texts(
    corpus, make_pipeline, make_embedder, store_dir
):
    make_pipeline(chunker="heading", chunk_size=800, overlap=100).ingest(corpus)
    counting = make_embedder()
    smaller = make_pipeline(counting, store=store_dir, chunker="heading", chunk_size=300)
    report = smaller.ingest(corpus)
    assert report.documents_changed == DOCS
    # Sections of 300 characters or fewer are the same chunks: kept, not embedded again.
    assert report.chunks_kept > 0 and report.chunks_embedded == len(counting.texts) > 0
    assert smaller.store.ids() == smaller.manifest.chunk_ids()
    assert smaller.ingest(corpus).chunks_embedded == 0


def test_a_store_built_with_another_model_is_refused(corpus, make_pipeline, make_embedder):
    make_pipeline().ingest(corpus)
    other = make_embedder()
    other.name = "another-model"
    with pytest.raises(ValueError, match="holds vectors of 'wordllama-l2_supercat-256'"):
        make_pipeline(other)


def test_bad_settings_are_one_line_value_errors(make_pipeline):
    for settings, message in [
        ({"chunker": "semantic"}, "unknown chunker 'semantic'"),
        ({"chunk_size": 100, "overlap": 100}, "must be smaller than the chunk size"),
        ({"chunk_size": 0}, "chunk size must be a positive integer"),
        ({"batch_size": 0}, "batch size must be at least 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            make_pipeline(**settings)


def test_the_report_is_frozen_and_serialises(corpus, make_pipeline):
    report = make_pipeline().ingest(corpus)
    assert isinstance(report, IngestReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.chunks_embedded = 0
    as_dict = json.loads(json.dumps(report.as_dict()))
    assert as_dict["documents_seen"] == DOCS and as_dict["dead_letters"] == []


def test_search_returns_cited_chunks_nearest_first(corpus, make_pipeline):
    pipeline = make_pipeline()
    pipeline.ingest(corpus)
    hits = pipeline.search("How do I promote a replica when the PostgreSQL primary is down?")
    assert len(hits) == 5 and all(isinstance(hit, Hit) for hit in hits)
    assert hits[0].path == "runbooks/database-failover.md"
    assert [hit.distance for hit in hits] == sorted(hit.distance for hit in hits)
    for hit in hits:
        source = (corpus / hit.path).read_text()
        assert source[hit.start : hit.end] == hit.text  # offsets cite the source exactly
        assert hit.heading and hit.chunk_id in pipeline.manifest.chunk_ids()
    assert len(pipeline.search("rollback", k=1000)) == pipeline.count()


def test_search_checks_its_input_and_an_empty_store_finds_nothing(make_pipeline):
    pipeline = make_pipeline()
    assert pipeline.search("anything") == []
    for query, k, message in [
        ("", 5, "the query is empty"),
        ("  ", 5, "the query is empty"),
        ("x", 0, "k must be a positive integer"),
    ]:
        with pytest.raises(ValueError, match=message):
            pipeline.search(query, k=k)


def test_sql_metacharacters_in_a_query_are_only_text(corpus, make_pipeline):
    pipeline = make_pipeline()
    pipeline.ingest(corpus)
    before = pipeline.manifest.chunks()
    for query in ["'; DROP TABLE chunks; --", '" OR 1=1 --', "%_\\' UNION SELECT * FROM meta"]:
        assert len(pipeline.search(query, k=3)) == 3
    assert pipeline.manifest.chunks() == before and pipeline.count() == len(before)


def test_chunk_ids_hash_the_path_and_the_text():
    assert chunk_id("a.md", "text", 0) != chunk_id("b.md", "text", 0)
    assert chunk_id("a.md", "text", 0) != chunk_id("a.md", "text.", 0)
    assert chunk_id("a.md", "text", 0) != chunk_id("a.md", "text", 1)
    assert chunk_id("a.md", "text", 0) == chunk_id("a.md", "text", 0)
    assert len(chunk_id("a.md", "text", 0)) == 64
