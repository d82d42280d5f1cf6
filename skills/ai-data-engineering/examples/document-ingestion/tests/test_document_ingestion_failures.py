"""Dead letters, crashes and their repair: a failure never stops the run or corrupts the store."""

from __future__ import annotations

import fcntl

import numpy as np
import pytest
from document_ingestion.manifest import Manifest
from document_ingestion.pipeline import LOCK_FILE, DeadLetter, StoreBusy

REJECT = "EMBEDDER-REJECTS-THIS"


def add_bad_documents(corpus):
    (corpus / "latin1.md").write_bytes("# Caf\xe9 menu\n\nCr\xeape.\n".encode("latin-1"))
    (corpus / "blank.md").write_text("  \n\n\t\n")
    (corpus / "poison.md").write_text(f"# Poison\n\nThis text contains {REJECT}.\n")


def test_bad_documents_are_dead_letters_and_the_rest_ingests(corpus, make_pipeline, make_embedder):
    add_bad_documents(corpus)
    pipeline = make_pipeline(make_embedder(reject=REJECT))
    report = pipeline.ingest(corpus)
    assert report.documents_seen == 13 and report.documents_changed == 10
    assert report.dead_letters == (
        DeadLetter("blank.md", "empty document"),
        DeadLetter("latin1.md", "not UTF-8: invalid byte at offset 5"),
        DeadLetter("poison.md", "embedding failed: ValueError: the model rejects this input"),
    )
    assert set(pipeline.manifest.dead_letters()) == {"blank.md", "latin1.md", "poison.md"}
    assert not {"blank.md", "latin1.md", "poison.md"} & set(pipeline.manifest.documents())
    assert all(letter.attempts == 1 for letter in pipeline.manifest.dead_letters().values())
    assert pipeline.store.ids() == pipeline.manifest.chunk_ids()


def test_a_later_run_retries_dead_letters_and_clears_them_once_they_succeed(
    corpus, make_pipeline, make_embedder, store_dir
):
    add_bad_documents(corpus)
    rejecting = make_pipeline(make_embedder(reject=REJECT))
    rejecting.ingest(corpus)
    again = rejecting.ingest(corpus)
    assert len(again.dead_letters) == 3 and again.chunks_embedded == 0
    letters = rejecting.manifest.dead_letters()
    assert all(letter.attempts == 2 for letter in letters.values())
    assert all(letter.first_seen <= letter.last_seen for letter in letters.values())

    (corpus / "latin1.md").write_text("# Café menu\n\nCrêpe.\n")  # fixed at the source
    (corpus / "blank.md").unlink()  # removed: its dead letter goes with it
    fixed_model = make_pipeline(make_embedder(), store=store_dir)  # the model bug is fixed
    report = fixed_model.ingest(corpus)
    assert report.dead_letters == () and report.documents_changed == 2
    assert fixed_model.manifest.dead_letters() == {}
    assert {"latin1.md", "poison.md"} <= set(fixed_model.manifest.documents())
    assert fixed_model.search("crêpe menu", k=1)[0].path == "latin1.md"


def test_a_document_that_turns_bad_keeps_its_last_good_chunks(corpus, make_pipeline):
    pipeline = make_pipeline()
    pipeline.ingest(corpus)
    path = corpus / "postmortems.md"
    good_text, good = path.read_text(), set(r.chunk_id for r in pipeline.manifest.chunks())
    path.write_bytes(b"\xff\xfe broken export")
    report = pipeline.ingest(corpus)
    assert report.dead_letters == (
        DeadLetter("postmortems.md", "not UTF-8: invalid byte at offset 0"),
    )
    assert pipeline.store.ids() == good  # still searchable in its last good version
    assert pipeline.search("blameless postmortem review", k=1)[0].path == "postmortems.md"
    path.write_text(good_text)  # reverted: unchanged since the last good ingest
    report = pipeline.ingest(corpus)
    assert report.dead_letters == () and report.chunks_embedded == 0
    assert pipeline.manifest.dead_letters() == {}


def test_an_embedder_failing_from_the_nth_batch_on_then_a_rerun_equals_a_clean_run(
    corpus, tmp_path, make_pipeline, make_embedder, store_dir, snapshot
):
    clean = make_pipeline(store=tmp_path / "clean")
    clean.ingest(corpus)
    failing = make_pipeline(make_embedder(fail_from_call=4), batch_size=2)
    report = failing.ingest(corpus)
    assert 0 < len(report.dead_letters) < 10
    assert all("embedding service unavailable" in d.reason for d in report.dead_letters)
    assert failing.store.ids() == failing.manifest.chunk_ids()  # nothing half-written
    rerun = make_pipeline(make_embedder(), store=store_dir, batch_size=2)
    assert rerun.ingest(corpus).dead_letters == ()
    assert snapshot(rerun) == snapshot(clean)


def test_a_crash_mid_run_is_repaired_by_the_next_run(
    corpus, tmp_path, make_pipeline, make_embedder, store_dir, snapshot, crash_type
):
    clean = make_pipeline(store=tmp_path / "clean")
    total = clean.ingest(corpus).chunks_embedded
    crashing = make_pipeline(make_embedder(fail_from_call=5, crash=True))
    with pytest.raises(crash_type):
        crashing.ingest(corpus)
    done = len(crashing.manifest.documents())
    assert 0 < done < 10
    counting = make_embedder()
    report = make_pipeline(counting, store=store_dir).ingest(corpus)
    assert report.documents_changed == 10 - done and report.documents_unchanged == done
    assert 0 < report.chunks_embedded == len(counting.texts) < total
    assert snapshot(make_pipeline(store=store_dir)) == snapshot(clean)


def test_a_crash_between_the_upsert_and_the_manifest_costs_no_embedding(
    corpus, tmp_path, make_pipeline, make_embedder, store_dir, snapshot, crash_type, monkeypatch
):
    clean = make_pipeline(store=tmp_path / "clean")
    total = clean.ingest(corpus).chunks_embedded
    record_document, calls = Manifest.record_document, []

    def dies_on_the_third(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise crash_type("killed after the upsert, before the manifest")
        return record_document(self, *args, **kwargs)

    monkeypatch.setattr(Manifest, "record_document", dies_on_the_third)
    first = make_embedder()
    with pytest.raises(crash_type):
        make_pipeline(first).ingest(corpus)
    monkeypatch.setattr(Manifest, "record_document", record_document)
    # The store holds the third document's chunks, the manifest does not know them.
    crashed = make_pipeline(store=store_dir)
    assert crashed.store.ids() > crashed.manifest.chunk_ids()
    counting = make_embedder()
    report = make_pipeline(counting, store=store_dir).ingest(corpus)
    # Its chunks are in the store under their content ids: nothing embedded twice.
    assert len(first.texts) + len(counting.texts) == total
    assert report.documents_changed == 8 and report.chunks_deleted == 0
    assert snapshot(make_pipeline(store=store_dir)) == snapshot(clean)


def test_chunks_of_a_crash_whose_file_then_vanished_are_deleted_as_orphans(
    corpus, make_pipeline, make_embedder, store_dir, crash_type, monkeypatch
):
    record_document = Manifest.record_document

    def dies(self, *args, **kwargs):
        raise crash_type("killed before the first manifest write")

    monkeypatch.setattr(Manifest, "record_document", dies)
    with pytest.raises(crash_type):
        make_pipeline().ingest(corpus)
    monkeypatch.setattr(Manifest, "record_document", record_document)
    orphaned = make_pipeline(store=store_dir)
    assert orphaned.count() > 0 and orphaned.manifest.chunk_ids() == set()
    first = sorted(p for p in corpus.rglob("*.md"))[0]
    first.unlink()  # the document whose chunks were upserted is gone before the rerun
    report = orphaned.ingest(corpus)
    assert report.chunks_deleted > 0
    assert orphaned.store.ids() == orphaned.manifest.chunk_ids()


def test_retries_ride_out_a_flaky_embedder(corpus, make_pipeline, embedder):
    class Flaky:
        name, dimensions, failures = embedder.name, embedder.dimensions, 0

        def embed(self, texts):
            if self.failures < 2:
                self.failures += 1
                raise TimeoutError("read timed out")
            return embedder.embed(texts)

    flaky = Flaky()
    report = make_pipeline(flaky, retries=2, backoff_seconds=0).ingest(corpus)
    assert report.dead_letters == () and flaky.failures == 2


@pytest.mark.parametrize(
    ("vectors", "reason"),
    [
        (lambda n: np.ones((n + 1, 256)), "gave an array of shape"),
        (lambda n: np.full((n, 256), np.nan), "NaN or infinity"),
        (lambda n: np.zeros((n, 256)), "a zero vector has no cosine direction"),
    ],
)
def test_an_embedder_returning_garbage_is_a_dead_letter(
    tmp_path, make_pipeline, embedder, vectors, reason
):
    class Broken:
        name, dimensions = embedder.name, embedder.dimensions

        def embed(self, texts):
            return vectors(len(texts))

    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "note.md").write_text("# Note\n\nSomething to embed.\n")
    pipeline = make_pipeline(Broken())
    (letter,) = pipeline.ingest(folder).dead_letters
    assert letter.path == "note.md" and reason in letter.reason
    assert pipeline.count() == 0


def test_a_second_ingest_on_the_same_store_is_refused_while_one_runs(
    corpus, make_pipeline, store_dir
):
    pipeline = make_pipeline()
    with open(store_dir / LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StoreBusy, match="another ingest is running"):
            pipeline.ingest(corpus)
    assert pipeline.ingest(corpus).documents_changed == 10
