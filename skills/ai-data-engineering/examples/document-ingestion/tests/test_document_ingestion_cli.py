"""The command line: results on stdout, one-line errors with exit 2, exit 1 for dead letters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from document_ingestion.cli import main

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    """python -m document_ingestion ARGS in a fresh process, run from this folder."""
    return subprocess.run(
        [sys.executable, "-m", "document_ingestion", *args],
        cwd=EXAMPLE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(EXAMPLE_DIR), "PATH": "/usr/bin:/bin", "HOME": str(home)},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "docs", "--chunker", "semantic"], "unknown chunker 'semantic'"),
        (["ingest", "docs", "--chunk-size", "100", "--overlap", "100"], "must be smaller than"),
        (["ingest", "docs", "--chunk-size", "0"], "chunk size must be a positive integer"),
        (["ingest", "docs", "--chunk-size", "many"], "invalid int value: 'many'"),
        (["ingest", "no-such-folder"], "source folder no-such-folder does not exist"),
        (["ingest", "README.md"], "source README.md is not a folder"),
        (["search", "anything", "-k", "0"], "-k must be at least 1, got 0"),
        (["search", "  "], "the query is empty"),
        (["search", "anything"], "holds no ingested documents: run ingest first"),
        (["reindex"], "invalid choice: 'reindex'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, args, message):
    store = ["--store", str(tmp_path / "store")] if args else []
    result = run(*args, *store, home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store").exists()  # nothing was created for a bad command


def test_ingest_prints_a_report_and_a_rerun_embeds_nothing(corpus, store_dir, capsys):
    assert main(["ingest", str(corpus), "--store", str(store_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("documents: 10 seen, 10 changed, 0 unchanged, 0 deleted")
    assert main(["ingest", str(corpus), "--store", str(store_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_embedded"] == 0 and report["documents_unchanged"] == 10
    assert report["chunks_kept"] == report["chunks_in_store"] > 0


def test_dead_letters_exit_1_and_are_named_on_stderr(corpus, store_dir, capsys):
    (corpus / "broken.md").write_bytes(b"\xff not utf-8")
    assert main(["ingest", str(corpus), "--store", str(store_dir), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "dead letter: broken.md: not UTF-8: invalid byte at offset 0\n"
    report = json.loads(captured.out)
    assert report["dead_letters"] == [
        {"path": "broken.md", "reason": "not UTF-8: invalid byte at offset 0"}
    ]
    assert report["documents_changed"] == 10


def test_a_store_built_with_another_model_is_a_one_line_error(
    corpus, store_dir, capsys, make_pipeline, make_embedder
):
    other = make_embedder()
    other.name = "another-model"
    make_pipeline(other).ingest(corpus)
    assert main(["search", "failover", "--store", str(store_dir)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "holds vectors of 'another-model'" in err[0]


def test_search_from_a_fresh_process_after_ingest(corpus, store_dir, capsys, tmp_path):
    assert main(["ingest", str(corpus), "--store", str(store_dir)]) == 0
    capsys.readouterr()
    question = "Which replica do I promote when the PostgreSQL primary is down?"
    result = run("search", question, "--store", str(store_dir), "-k", "2", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 2 and hits[0]["path"] == "runbooks/database-failover.md"
    assert set(hits[0]) == {"chunk_id", "path", "heading", "text", "start", "end", "distance"}
    assert main(["search", question, "--store", str(store_dir), "-k", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("1. runbooks/database-failover.md > ") and len(out) == 2
