#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "numpy>=1.26",
#     "wordllama>=0.4",
#     "scikit-learn>=1.4",
# ]
# ///
"""Embed files or JSONL records into vectors (.npy or JSONL), resumably, offline.

INPUT is a text or markdown file (one record, its id the path as given; with --split
headings, one record per markdown section, its id PATH#anchor as GitHub links it), or a
.jsonl file (one record per line: the text in --text-field, the id in --id-field, or
PATH:LINE when the line has none).

--out FILE.npy writes a float32 matrix, one row per record in input order, and a sidecar
FILE.ids.jsonl with each row's id, content hash (SHA-256 of the text) and model; --out
FILE.jsonl writes one line per record with id, hash, model and vector. Rows are unit
length, so cosine similarity is their dot product.

Resumable: an existing output is read first, and a record whose id, content hash and
model are already there keeps its vector; only new or changed records are embedded, in
batches of --batch-size. A second run over the same inputs embeds nothing. The output
then holds exactly this run's records. Ctrl-C writes what was embedded so far, so the
next run goes on from there.

Models (--model): the course default, wordllama-l2_supercat-256 (static token embeddings
distilled from an LLM, 256 dimensions, weights in the wheel, no download), or lsa
(TF-IDF plus truncated SVD fitted on these inputs: its model name carries the corpus's
hash, so any change to the inputs re-embeds every record, as it must).

    generate_embeddings.py docs/*.md --split headings --out vectors.npy
    generate_embeddings.py records.jsonl --text-field body --id-field key --out vectors.jsonl
    generate_embeddings.py notes.md --out vectors.npy --json     # then: embedded 0

Exit codes: 0 written, 2 bad input (one line on stderr, nothing written), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

# The course's embedder is a byte-identical copy beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import embeddings  # noqa: E402

PROG = "generate_embeddings"
LSA = "lsa"
MODELS = (embeddings.DEFAULT_MODEL, LSA)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
FRONTMATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


class BadInput(Exception):
    """Input the user must fix; reported as one line, exit code 2."""


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    where: str  # for error messages: the file, and the line of a JSONL record

    @property
    def hash(self) -> str:
        return embeddings.content_hash(self.text)


# --- reading the inputs --------------------------------------------------------------------


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")


def markdown_sections(text: str) -> Iterator[tuple[str | None, str]]:
    """(heading or None for the text before the first, section text with its heading), for
    every heading of any level outside fenced code (a `# comment` in a shell block is not
    a heading); the front matter is dropped."""
    text = FRONTMATTER.sub("", text)
    heading, lines, in_fence = None, [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        mark = None if in_fence else HEADING.match(line)
        if mark:
            yield heading, "\n".join(lines)
            heading, lines = mark.group(2), []
        lines.append(line)
    yield heading, "\n".join(lines)


def file_records(path: Path, name: str, split: str) -> list[Record]:
    text = read_text(path)
    if split == "none":
        return [Record(name, text, name)]
    records, seen = [], Counter()
    for heading, section in markdown_sections(text):
        body = section.split("\n", 1)[1] if heading is not None and "\n" in section else ""
        if heading is None:
            if section.strip():
                records.append(Record(name, section, name))
            continue
        if not body.strip():
            continue  # a heading with nothing under it but subheadings
        anchor = github_anchor(heading)
        # Repeated headings get -1, -2 appended, as GitHub numbers their anchors.
        unique = f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor
        seen[anchor] += 1
        records.append(Record(f"{name}#{unique}", section, f"{name} (section {heading!r})"))
    return records


def jsonl_records(path: Path, name: str, text_field: str, id_field: str) -> list[Record]:
    records = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise BadInput(f"{where}: a JSON {type(record).__name__}, not an object")
        if text_field not in record:
            raise BadInput(f"{where}: no {text_field!r} field (--text-field)")
        if not isinstance(record[text_field], str):
            raise BadInput(f"{where}: {text_field!r} is not a string")
        identity = record.get(id_field)
        if isinstance(identity, (dict, list)):
            raise BadInput(f"{where}: {id_field!r} is not a string or number")
        identity = f"{name}:{number}" if identity is None else str(identity)
        records.append(Record(identity, record[text_field], where))
    return records


def read_records(inputs: list[str], split: str, text_field: str, id_field: str) -> list[Record]:
    """The records of every input, in order; blank texts left out; ids unique."""
    records: list[Record] = []
    for name in inputs:
        path = Path(name)
        if not path.exists():
            raise BadInput(f"input not found: {name}")
        if not path.is_file():
            raise BadInput(f"input is not a file: {name}")
        if path.suffix == ".jsonl":
            records += jsonl_records(path, name, text_field, id_field)
        else:
            records += file_records(path, name, split)
    records = [record for record in records if record.text.strip()]
    if not records:
        raise BadInput(f"empty corpus: no text in {', '.join(inputs)}")
    first: dict[str, Record] = {}
    for record in records:
        if record.id in first:
            raise BadInput(
                f"duplicate id {record.id!r}: {first[record.id].where} and {record.where}"
            )
        first[record.id] = record
    return records


# --- the output ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    hash: str
    model: str
    vector: np.ndarray


def sidecar(out: Path) -> Path:
    """vectors.npy -> vectors.ids.jsonl: which record, hash and model each row is."""
    return out.with_suffix(".ids.jsonl")


def check_out(out: Path) -> None:
    if out.suffix not in (".npy", ".jsonl"):
        raise BadInput(f"--out must end in .npy or .jsonl, not {out.name!r}")
    if not out.parent.is_dir():
        raise BadInput(f"output folder not found: {out.parent}")


def parse_jsonl_lines(path: Path, keys: tuple[str, ...]) -> list[dict]:
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"existing output {path} line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or any(key not in row for key in keys):
            raise BadInput(
                f"existing output {path} line {number}: not a row of this script "
                f"(needs {', '.join(keys)}); move it or choose another --out"
            )
        rows.append(row)
    return rows


def load_output(out: Path) -> dict[str, Stored]:
    """The vectors already in OUT by record id (nothing when OUT does not exist yet)."""
    if not out.exists():
        return {}
    if out.suffix == ".jsonl":
        rows = parse_jsonl_lines(out, ("id", "hash", "model", "vector"))
        stored = {}
        for row in rows:
            stored[row["id"]] = Stored(row["hash"], row["model"], np.asarray(row["vector"]))
        if len({len(s.vector) for s in stored.values()}) > 1:
            raise BadInput(f"existing output {out} mixes vectors of different dimensions")
        return stored
    ids = sidecar(out)
    if not ids.is_file():
        raise BadInput(f"existing output {out} has no {ids.name}: no way to tell its rows apart")
    try:
        matrix = np.load(out, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise BadInput(f"existing output {out} is not a numpy matrix ({exc})") from exc
    rows = parse_jsonl_lines(ids, ("id", "hash", "model"))
    if matrix.ndim != 2 or len(matrix) != len(rows):
        raise BadInput(
            f"existing output {out} has shape {matrix.shape} but {ids.name} lists "
            f"{len(rows)} rows; delete both to start again"
        )
    return {row["id"]: Stored(row["hash"], row["model"], matrix[i]) for i, row in enumerate(rows)}


def replace_file(path: Path, write) -> None:
    """Write PATH through a temporary file in its folder: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_output(out: Path, rows: list[tuple[Record, str, np.ndarray]], dims: int) -> None:
    """ROWS, (record, model, vector) in input order, as OUT's format says."""
    lines = [{"id": r.id, "hash": r.hash, "model": model} for r, model, _ in rows]
    if out.suffix == ".jsonl":
        text = "".join(
            json.dumps({**line, "vector": [float(x) for x in vector]}) + "\n"
            for line, (_, _, vector) in zip(lines, rows, strict=True)
        )
        replace_file(out, lambda path: path.write_text(text, encoding="utf-8"))
        return
    matrix = np.array([vector for _, _, vector in rows], dtype=np.float32).reshape(-1, dims)

    def save_matrix(path: Path) -> None:
        with path.open("wb") as handle:  # a handle: np.save would add .npy to a name
            np.save(handle, matrix)

    replace_file(out, save_matrix)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    replace_file(sidecar(out), lambda path: path.write_text(text, encoding="utf-8"))


# --- embedding -----------------------------------------------------------------------------


def model_name(model: str, records: list[Record]) -> str:
    """The name stored with each vector. LSA's vectors depend on the corpus it was fitted
    on, so its name carries the corpus's hash: any change to the inputs is a new model."""
    if model != LSA:
        return model
    corpus = embeddings.content_hash("\0".join(record.hash for record in records))
    return f"{LSA}@{corpus[:12]}"


def load_embedder(model: str, records: list[Record]) -> embeddings.Embedder:
    if model == LSA:
        try:
            return embeddings.LsaEmbedder([record.text for record in records])
        except ValueError as exc:
            raise BadInput(f"--model lsa: {exc}") from exc
    return embeddings.default_embedder()


def stored_dims(stored: dict[str, Stored]) -> int | None:
    return len(next(iter(stored.values())).vector) if stored else None


@dataclass
class Summary:
    records: int
    embedded: int
    skipped: int
    dims: int
    seconds: float
    model: str
    out: str


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="generate_embeddings.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="text, markdown or .jsonl")
    parser.add_argument("--out", required=True, help="FILE.npy (+ FILE.ids.jsonl) or FILE.jsonl")
    parser.add_argument(
        "--split",
        choices=("none", "headings"),
        default="none",
        help="text files: one record per file (none) or per markdown section (headings)",
    )
    parser.add_argument("--text-field", default="text", help="JSONL: the text's field (text)")
    parser.add_argument("--id-field", default="id", help="JSONL: the id's field (id)")
    parser.add_argument(
        "--model", choices=MODELS, default=embeddings.DEFAULT_MODEL, help="(default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=positive, default=256, help="records per embedding call (256)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out = Path(args.out)
    try:
        check_out(out)
        records = read_records(args.inputs, args.split, args.text_field, args.id_field)
        stored = load_output(out)
        model = model_name(args.model, records)
        kept = {
            r.id: stored[r.id].vector
            for r in records
            if r.id in stored and (stored[r.id].hash, stored[r.id].model) == (r.hash, model)
        }
        to_embed = [record for record in records if record.id not in kept]
        dims = stored_dims(stored)
        embedder = load_embedder(args.model, records) if to_embed else None
        if embedder is not None:
            if dims is not None and dims != embedder.dimensions:
                raise BadInput(
                    f"dimension mismatch: {out} holds {dims}-dimension vectors, {model} "
                    f"makes {embedder.dimensions} ({dims} != {embedder.dimensions}); "
                    f"choose another --out or delete it"
                )
            dims = embedder.dimensions
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    made: dict[str, np.ndarray] = {}
    try:
        for start in range(0, len(to_embed), args.batch_size):
            batch = to_embed[start : start + args.batch_size]
            vectors = embedder.embed([record.text for record in batch])
            made.update(zip((record.id for record in batch), vectors, strict=True))
    except KeyboardInterrupt:
        done = [(r, model, kept.get(r.id, made.get(r.id))) for r in records]
        write_output(out, [row for row in done if row[2] is not None], dims)
        print(
            f"{PROG}: interrupted after embedding {len(made)} of {len(to_embed)} records; "
            f"{out} holds the {len(kept) + len(made)} done: run again to resume",
            file=sys.stderr,
        )
        return 130
    write_output(out, [(r, model, kept.get(r.id, made.get(r.id))) for r in records], dims)

    summary = Summary(
        records=len(records),
        embedded=len(made),
        skipped=len(kept),
        dims=dims,
        seconds=round(time.perf_counter() - started, 3),
        model=model,
        out=str(out),
    )
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    else:
        print(
            f"{summary.records} records: {summary.embedded} embedded, {summary.skipped} "
            f"unchanged; {summary.model}, {summary.dims} dims, {summary.seconds} s -> {out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
