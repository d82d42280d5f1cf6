"""generate_embeddings.py, in-process on files the tests write: records, formats, resuming,
the summary, and every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROG = "generate_embeddings"
MODEL = "wordllama-l2_supercat-256"
SCRIPT = Path(__file__).resolve().parents[1] / "generate_embeddings.py"
GUIDE = """---
title: front matter is not text
---
Intro before any heading.

# Keys

How keys are made.

## Key rotation

Rotate signing keys every 90 days.

```bash
# a shell comment, not a heading
openssl genpkey -algorithm ed25519
```

## Empty parent

### Key rotation

Again, for the second key.
"""


def run_as_a_program(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The script as a real subprocess, once per script: its entry point and exit code (the
    other tests call main(argv) in-process: see ScriptRunner in conftest.py)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sidecar_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def notes(tmp_path) -> Path:
    """Three one-record text files in tmp_path."""
    for name, text in {
        "a.md": "Postgres indexes speed up lookups.",
        "b.txt": "Vector search finds similar meaning.",
        "c.md": "Rotate keys on a schedule.",
    }.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def run_json(script, *args, cwd: Path) -> dict:
    result = script(*args, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_markdown_split_at_headings_gives_one_row_per_section(generate_embeddings, tmp_path):
    (tmp_path / "guide.md").write_text(GUIDE)
    summary = run_json(
        generate_embeddings, "guide.md", "--split", "headings", "--out", "v.npy", cwd=tmp_path
    )
    rows = sidecar_rows(tmp_path / "v.ids.jsonl")
    # The preamble keeps the file's name; a repeated heading gets -1 as on GitHub; a
    # heading with only a subheading under it is no record; the shell comment is no heading.
    assert [row["id"] for row in rows] == [
        "guide.md",
        "guide.md#keys",
        "guide.md#key-rotation",
        "guide.md#key-rotation-1",
    ]
    assert all(row["model"] == MODEL for row in rows)
    rotation = "## Key rotation\n\nRotate signing keys every 90 days.\n\n```bash\n"
    assert rows[2]["hash"] == sha256(
        rotation + "# a shell comment, not a heading\nopenssl genpkey -algorithm ed25519\n```\n"
    )
    matrix = np.load(tmp_path / "v.npy")
    assert matrix.dtype == np.float32 and matrix.shape == (4, 256)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-5)
    assert summary["records"] == summary["embedded"] == 4


def test_without_split_each_file_is_one_record_named_by_its_path(generate_embeddings, notes):
    run_json(generate_embeddings, "a.md", "b.txt", "c.md", "--out", "v.npy", cwd=notes)
    rows = sidecar_rows(notes / "v.ids.jsonl")
    assert [row["id"] for row in rows] == ["a.md", "b.txt", "c.md"]
    assert rows[1]["hash"] == sha256("Vector search finds similar meaning.")


def test_jsonl_in_and_out_with_named_fields(generate_embeddings, tmp_path):
    lines = [
        {"key": "k1", "body": "Chroma keeps vectors on disk."},
        {"body": "A record without its key."},
        {"key": 7, "body": "Numbers become string ids."},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(line) + "\n\n" for line in lines))
    args = ("r.jsonl", "--text-field", "body", "--id-field", "key")
    run_json(generate_embeddings, *args, "--out", "v.jsonl", cwd=tmp_path)
    rows = sidecar_rows(tmp_path / "v.jsonl")
    assert [row["id"] for row in rows] == ["k1", "r.jsonl:3", "7"]
    assert set(rows[0]) == {"id", "hash", "model", "vector"}
    assert rows[0]["hash"] == sha256("Chroma keeps vectors on disk.")
    # The same records written as .npy hold the same vectors.
    run_json(generate_embeddings, *args, "--out", "v.npy", cwd=tmp_path)
    assert np.allclose(np.load(tmp_path / "v.npy"), [row["vector"] for row in rows], atol=1e-6)


def test_the_json_summary_schema(generate_embeddings, notes):
    summary = run_json(generate_embeddings, "a.md", "b.txt", "--out", "v.npy", cwd=notes)
    assert set(summary) == {"records", "embedded", "skipped", "dims", "seconds", "model", "out"}
    assert (summary["records"], summary["embedded"], summary["skipped"]) == (2, 2, 0)
    assert (summary["dims"], summary["model"], summary["out"]) == (256, MODEL, "v.npy")
    assert isinstance(summary["seconds"], float) and summary["seconds"] >= 0


def test_without_json_one_line_says_what_was_done(generate_embeddings, notes):
    result = generate_embeddings("a.md", "--out", "v.npy", cwd=notes)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [result.stdout.strip()] and result.stdout.startswith(
        "1 records: 1 embedded, 0 unchanged; "
    )


@pytest.mark.parametrize("out", ["v.npy", "v.jsonl"])
def test_a_second_run_embeds_nothing_and_a_changed_file_only_itself(
    generate_embeddings, notes, out
):
    files = ("a.md", "b.txt", "c.md")
    first = run_json(generate_embeddings, *files, "--out", out, cwd=notes)
    before = (notes / out).read_bytes()
    again = run_json(generate_embeddings, *files, "--out", out, cwd=notes)
    assert (first["embedded"], again["embedded"], again["skipped"]) == (3, 0, 3)
    assert (notes / out).read_bytes() == before
    # Touching a file changes nothing (its content hash is the same); editing it does.
    os.utime(notes / "b.txt", (1, 1))
    assert run_json(generate_embeddings, *files, "--out", out, cwd=notes)["embedded"] == 0
    (notes / "b.txt").write_text("Vector search finds similar meaning, fast.")
    edited = run_json(generate_embeddings, *files, "--out", out, cwd=notes)
    assert (edited["embedded"], edited["skipped"]) == (1, 2)


def test_unchanged_rows_keep_their_vectors_and_dropped_inputs_leave(generate_embeddings, notes):
    run_json(generate_embeddings, "a.md", "b.txt", "c.md", "--out", "v.npy", cwd=notes)
    old = np.load(notes / "v.npy")
    (notes / "c.md").write_text("Rotate every key, on a schedule.")
    run_json(generate_embeddings, "c.md", "a.md", "--out", "v.npy", cwd=notes)
    rows = sidecar_rows(notes / "v.ids.jsonl")
    assert [row["id"] for row in rows] == ["c.md", "a.md"]  # this run's records, its order
    new = np.load(notes / "v.npy")
    assert np.array_equal(new[1], old[0])
    assert not np.allclose(new[0], old[2])


def test_a_vector_of_another_model_is_re_embedded(generate_embeddings, notes):
    files = ("a.md", "b.txt", "c.md", "--out", "v.jsonl")
    run_json(generate_embeddings, *files, cwd=notes)
    rows = sidecar_rows(notes / "v.jsonl")
    rows[1]["model"] = "another-256-d-model"  # same id, hash and size: only the model differs
    (notes / "v.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    again = run_json(generate_embeddings, *files, cwd=notes)
    assert (again["embedded"], again["skipped"]) == (1, 2)
    assert {row["model"] for row in sidecar_rows(notes / "v.jsonl")} == {MODEL}


def test_lsa_is_fitted_on_the_inputs_so_any_change_re_embeds_all(generate_embeddings, notes):
    files = ("a.md", "b.txt", "c.md", "--model", "lsa", "--out", "l.npy")
    first = run_json(generate_embeddings, *files, cwd=notes)
    assert first["model"].startswith("lsa@") and first["dims"] == 2  # at most texts - 1
    assert run_json(generate_embeddings, *files, cwd=notes)["embedded"] == 0
    (notes / "a.md").write_text("Postgres indexes speed up most lookups.")
    changed = run_json(generate_embeddings, *files, cwd=notes)
    assert changed["model"] != first["model"]
    assert (changed["embedded"], changed["skipped"]) == (3, 0)


class CountingEmbedder:
    """Wraps an embedder: counts its calls and, when told, is interrupted on one."""

    def __init__(self, inner, interrupt_on: int | None = None) -> None:
        self.inner, self.interrupt_on, self.calls = inner, interrupt_on, []
        self.dimensions = inner.dimensions

    def embed(self, texts):
        if len(self.calls) + 1 == self.interrupt_on:
            raise KeyboardInterrupt
        self.calls.append(len(texts))
        return self.inner.embed(texts)


def test_records_are_embedded_in_batches(generate_embeddings, notes, monkeypatch):
    real = generate_embeddings.module.load_embedder
    counting = []
    monkeypatch.setattr(
        generate_embeddings.module,
        "load_embedder",
        lambda model, records: (
            counting.append(CountingEmbedder(real(model, records))) or counting[-1]
        ),
    )
    files = ("a.md", "b.txt", "c.md")
    run_json(generate_embeddings, *files, "--batch-size", "2", "--out", "two.npy", cwd=notes)
    run_json(generate_embeddings, *files, "--out", "all.npy", cwd=notes)
    assert [c.calls for c in counting] == [[2, 1], [3]]
    assert np.allclose(np.load(notes / "two.npy"), np.load(notes / "all.npy"), atol=1e-6)


def test_an_interrupted_run_keeps_what_it_embedded(generate_embeddings, notes, monkeypatch):
    real = generate_embeddings.module.load_embedder
    monkeypatch.setattr(
        generate_embeddings.module,
        "load_embedder",
        lambda model, records: CountingEmbedder(real(model, records), interrupt_on=2),
    )
    files = ("a.md", "b.txt", "c.md", "--batch-size", "2", "--out", "v.npy")
    result = generate_embeddings(*files, cwd=notes)
    assert result.returncode == 130
    assert result.stderr.splitlines() == [
        f"{PROG}: interrupted after embedding 2 of 3 records; v.npy holds the 2 done: "
        "run again to resume"
    ]
    assert [row["id"] for row in sidecar_rows(notes / "v.ids.jsonl")] == ["a.md", "b.txt"]
    monkeypatch.setattr(generate_embeddings.module, "load_embedder", real)
    resumed = run_json(generate_embeddings, *files, cwd=notes)
    assert (resumed["embedded"], resumed["skipped"]) == (1, 2)


def test_nothing_reaches_the_network(generate_embeddings, notes, network_guard):
    with network_guard() as attempts:
        run_json(generate_embeddings, "a.md", "b.txt", "--out", "v.npy", cwd=notes)
        run_json(
            generate_embeddings, "a.md", "b.txt", "--model", "lsa", "--out", "l.npy", cwd=notes
        )
    assert attempts == []


def write_dims_128_output(folder: Path) -> None:
    np.save(folder / "v.npy", np.ones((1, 128), dtype=np.float32))
    row = {"id": "old", "hash": sha256("old"), "model": "some-128-d-model"}
    (folder / "v.ids.jsonl").write_text(json.dumps(row) + "\n")


BAD_INPUTS = [
    # (arguments, set-up of the folder, what the error line says)
    (["missing.md", "--out", "v.npy"], None, "input not found: missing.md"),
    (["sub", "--out", "v.npy"], "mkdir sub", "input is not a file: sub"),
    (["blank.md", "--out", "v.npy"], "write blank.md", "empty corpus: no text in blank.md"),
    (["a.md", "--model", "gpt", "--out", "v.npy"], None, "invalid choice: 'gpt'"),
    (["r.jsonl", "--out", "v.npy"], "write r.jsonl", "r.jsonl line 2: no 'text' field"),
    (["bad.jsonl", "--out", "v.npy"], "write bad.jsonl", "bad.jsonl line 1: not JSON"),
    (["a.md", "--out", "v.npy"], "dims 128", "dimension mismatch: v.npy holds 128-dimension"),
    (["a.md", "--out", "v.csv"], None, "--out must end in .npy or .jsonl"),
    (["a.md", "--out", "no/such/v.npy"], None, "output folder not found: no/such"),
    (["a.md", "a.md", "--out", "v.npy"], None, "duplicate id 'a.md'"),
    (["a.md", "--batch-size", "0", "--out", "v.npy"], None, "0 is not a positive number"),
    (["latin1.md", "--out", "v.npy"], "write latin1.md", "latin1.md is not UTF-8 text"),
    (["a.md", "--model", "lsa", "--out", "v.npy"], None, "--model lsa: LSA needs a corpus"),
    (["a.md", "--out", "v.npy"], "npy without sidecar", "has no v.ids.jsonl"),
]


@pytest.mark.parametrize(("args", "setup", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    generate_embeddings, notes, one_line_error, args, setup, message
):
    if setup == "mkdir sub":
        (notes / "sub").mkdir()
    elif setup == "write blank.md":
        (notes / "blank.md").write_text("  \n\n")
    elif setup == "write r.jsonl":
        (notes / "r.jsonl").write_text('{"text": "fine"}\n{"body": "no text field"}\n')
    elif setup == "write bad.jsonl":
        (notes / "bad.jsonl").write_text("{not json\n")
    elif setup == "write latin1.md":
        (notes / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    elif setup == "dims 128":
        write_dims_128_output(notes)
    elif setup == "npy without sidecar":
        np.save(notes / "v.npy", np.ones((1, 256), dtype=np.float32))
    before = {path: path.read_bytes() for path in notes.rglob("*") if path.is_file()}
    line = one_line_error(generate_embeddings(*args, cwd=notes), PROG)
    assert message in line
    after = {path: path.read_bytes() for path in notes.rglob("*") if path.is_file()}
    assert after == before


def test_the_dimension_mismatch_names_both_sizes(generate_embeddings, notes, one_line_error):
    write_dims_128_output(notes)
    line = one_line_error(generate_embeddings("a.md", "--out", "v.npy", cwd=notes), PROG)
    assert "(128 != 256)" in line


def test_as_a_program_it_writes_vectors_and_exits_0(tmp_path):
    (tmp_path / "note.md").write_text("# Vectors\n\nEmbeddings place texts by meaning.\n")
    result = run_as_a_program("note.md", "--out", "v.npy", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["embedded"] == 1
    assert (tmp_path / "v.npy").is_file() and (tmp_path / "v.ids.jsonl").is_file()
