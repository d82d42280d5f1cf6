"""The command line: results on stdout, bad input as one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hybrid_search.cli import main


def run_module(example_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hybrid_search", *args],
        capture_output=True,
        text=True,
        cwd=example_dir,
        timeout=120,
    )


def test_python_dash_m_prints_json_results(example_dir):
    result = run_module(example_dir, "E613 port", "--method", "hybrid", "--k", "3", "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["method"] == "hybrid" and len(printed["results"]) == 3
    top = printed["results"][0]
    assert top["id"] == "err-e613" and top["bm25_rank"] == 1
    assert set(top) == {"id", "title", "score", "bm25_rank", "dense_rank"}


def test_python_dash_m_bad_input_is_one_line_and_exit_2(example_dir):
    result = run_module(example_dir, "E613", "--method", "fuzzy")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("hybrid_search: error: argument --method: invalid choice")


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: query"),
        (["  "], "the query is empty"),
        (["x", "--k", "0"], "--k must be from 1 to 50, got 0"),
        (["x", "--k", "51"], "--k must be from 1 to 50, got 51"),
        (["x", "--k", "many"], "argument --k: invalid int value: 'many'"),
        (["x", "--corpus", "/no/such.jsonl"], "corpus file not found: /no/such.jsonl"),
    ],
)
def test_bad_arguments(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"hybrid_search: error: {message}\n"
    assert captured.out == ""


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "holds no articles"),
        ('{"id": "a", "title": "t"}\n', ":1: not an article"),
        ("not json\n", ":1: not an article"),
        ('{"id": "a", "title": "t", "text": "x"}\n' * 2, "two articles with one id"),
    ],
    ids=["empty", "missing-text", "not-json", "duplicate-id"],
)
def test_a_bad_corpus_file(capsys, tmp_path, content, message):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(content)
    assert main(["x", "--corpus", str(corpus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hybrid_search: error: ") and message in err
    assert err.count("\n") == 1


def test_a_corpus_of_your_own_and_plain_output(capsys, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "k1", "title": "Kayak", "text": "An inflatable kayak."}\n'
        '{"id": "t1", "title": "Tent", "text": "A two-person tent."}\n'
    )
    assert main(["kayak", "--corpus", str(corpus), "--method", "bm25"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].split()[2] == "k1"


def test_no_results_says_so_on_stderr(capsys):
    assert main(["zebra", "--method", "bm25"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "no results\n"
