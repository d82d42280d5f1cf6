"""What becomes a document: ids are paths inside the folder, nothing outside is ever read."""

from __future__ import annotations

import hashlib
import os

import pytest
from document_ingestion.sources import Document, SourceFailure, check_source_dir, scan

SECRET = "the contents of a file outside the source folder"


def test_documents_are_md_and_txt_files_by_relative_path_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.md").write_text("# Two\n")
    (tmp_path / "a.txt").write_text("plain text\n")
    (tmp_path / "c.markdown").write_text("# C\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.md").write_text("# editor swap\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("# not ours\n")
    documents, failures = scan(tmp_path)
    assert [d.path for d in documents] == ["a.txt", "b/two.md", "c.markdown"]
    assert failures == []
    data = (tmp_path / "b" / "two.md").read_bytes()
    assert documents[1] == Document("b/two.md", "# Two\n", hashlib.sha256(data).hexdigest())


def test_files_that_cannot_be_documents_are_failures_with_a_reason(tmp_path):
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "spaces.md").write_text(" \n\t\n")
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "binary.md").write_bytes(b"# looks like text\x00\x01\x02")
    (tmp_path / "huge.md").write_text("x" * 2_000)
    (tmp_path / "bom.md").write_bytes("\ufeff# With a BOM\n".encode())
    documents, failures = scan(tmp_path, max_bytes=1_000)
    assert [d.text for d in documents] == ["# With a BOM\n"]  # the mark is not content
    assert failures == [
        SourceFailure("binary.md", "binary: contains NUL bytes"),
        SourceFailure("empty.md", "empty document"),
        SourceFailure("huge.md", "too large: 2000 bytes, the limit is 1000"),
        SourceFailure("latin1.md", "not UTF-8: invalid byte at offset 3"),
        SourceFailure("spaces.md", "empty document"),
    ]


def test_a_symlink_out_of_the_folder_is_refused_and_never_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET)
    source = tmp_path / "source"
    source.mkdir()
    (source / "real.md").write_text("# Real\n")
    (source / "escape.md").symlink_to(outside / "secret.md")
    (source / "linked-folder").symlink_to(outside, target_is_directory=True)
    (source / "alias.md").symlink_to(source / "real.md")  # inside: allowed
    documents, failures = scan(source)
    assert [d.path for d in documents] == ["alias.md", "real.md"]
    assert failures == [
        SourceFailure("escape.md", "refused: a symlink that resolves outside the source folder")
    ]
    assert all(SECRET not in d.text for d in documents)
    assert all(".." not in d.path and not os.path.isabs(d.path) for d in documents)


def test_a_symlink_out_of_the_folder_never_reaches_the_store(tmp_path, make_pipeline):
    (tmp_path / "secret.md").write_text(f"# Secret\n\n{SECRET}\n")
    source = tmp_path / "source"
    source.mkdir()
    (source / "note.md").write_text("# Note\n\nA real note.\n")
    (source / "escape.md").symlink_to(tmp_path / "secret.md")
    (source / "dots.md").symlink_to("../secret.md")
    pipeline = make_pipeline()
    report = pipeline.ingest(source)
    assert {letter.path for letter in report.dead_letters} == {"escape.md", "dots.md"}
    stored = pipeline.store.collection.get(include=["documents", "metadatas"])
    assert all(SECRET not in text for text in stored["documents"])
    assert {metadata["path"] for metadata in stored["metadatas"]} == {"note.md"}


def test_a_symlink_loop_is_a_failure_not_a_hang(tmp_path):
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "ok.md").write_text("# Ok\n")
    documents, failures = scan(tmp_path)
    assert [d.path for d in documents] == ["ok.md"]
    assert [f.path for f in failures] == ["loop.md"]
    assert failures[0].reason.startswith(("unreadable", "refused", "not a regular file"))


def test_a_file_name_with_sql_and_shell_characters_is_just_an_id(tmp_path, make_pipeline):
    name = 'it\'s "quoted"; DROP TABLE chunks; --.md'
    (tmp_path / name).write_text("# Quoted\n\nA document with an unkind name.\n")
    pipeline = make_pipeline()
    assert pipeline.ingest(tmp_path).documents_changed == 1
    assert list(pipeline.manifest.documents()) == [name]
    assert pipeline.search("unkind name", k=1)[0].path == name
    assert pipeline.ingest(tmp_path).chunks_embedded == 0


def test_a_large_document_ingests_in_batches(tmp_path, make_pipeline, make_embedder):
    paragraph = "The ledger consumer replays events from the dead-letter topic after a fix. "
    text = "\n\n".join(f"## Part {i}\n\n{paragraph * 6}" for i in range(300))
    (tmp_path / "large.md").write_text(text)  # about 150 KB, a few hundred chunks
    counting = make_embedder()
    pipeline = make_pipeline(counting, batch_size=64)
    report = pipeline.ingest(tmp_path)
    assert report.chunks_embedded == pipeline.count() > 200
    assert max(len(call) for call in counting.calls) == 64 and len(counting.calls) > 3
    assert pipeline.ingest(tmp_path).chunks_embedded == 0


def test_the_source_folder_must_be_a_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        check_source_dir(tmp_path / "missing")
    (tmp_path / "file.md").write_text("# File\n")
    with pytest.raises(ValueError, match="is not a folder"):
        check_source_dir(tmp_path / "file.md")


def test_a_plain_text_document_has_no_heading_and_ingests(tmp_path, make_pipeline):
    (tmp_path / "notes.txt").write_text("Rotate the webhook signing secret every quarter.\n")
    pipeline = make_pipeline(chunker="heading")
    assert pipeline.ingest(tmp_path).chunks_embedded == 1
    (hit,) = pipeline.search("webhook signing secret", k=1)
    assert (hit.path, hit.heading, hit.start) == ("notes.txt", "", 0)
