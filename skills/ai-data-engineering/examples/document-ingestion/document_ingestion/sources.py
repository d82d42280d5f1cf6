"""The source side: which files of a folder are documents, and their text and hash.

A document's id is its path relative to the source folder, with ``/`` on every OS
(``runbooks/payments.md``). Nothing outside the folder can become a document: the walk
never follows a symlinked folder, and a symlinked file whose target resolves outside the
folder is refused (a dead letter, so someone looks), never read. A file that cannot be a
document (not UTF-8, empty, binary, over the size cap) is a ``SourceFailure`` with a
one-line reason; the caller records it and carries on with the rest.

``content_sha256`` hashes the file's bytes, so a change of a single byte is a change and a
touched-but-identical file is not.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".md", ".markdown", ".txt")
MAX_DOCUMENT_BYTES = 2_000_000  # a bigger file is a dead letter, not a surprise bill


@dataclass(frozen=True)
class Document:
    path: str  # relative to the source folder, "/"-separated: the document's id
    text: str
    content_sha256: str


@dataclass(frozen=True)
class SourceFailure:
    path: str
    reason: str  # one line


def check_source_dir(source_dir: Path) -> Path:
    """SOURCE_DIR resolved, or a ValueError naming what is wrong with it."""
    source_dir = Path(source_dir)
    if not source_dir.exists():
        raise ValueError(f"source folder {source_dir} does not exist")
    if not source_dir.is_dir():
        raise ValueError(f"source {source_dir} is not a folder")
    return source_dir.resolve()


def candidate_files(root: Path) -> list[Path]:
    """Files under ROOT with a document suffix, sorted; symlinked folders are not entered."""
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found.extend(
            Path(folder) / name
            for name in files
            if name.lower().endswith(SUFFIXES) and not name.startswith(".")
        )
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def read_document(
    root: Path, file: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Document | SourceFailure:
    """FILE (under ROOT) as a Document, or the reason it cannot be one."""
    path = file.relative_to(root).as_posix()
    target = file.resolve()
    if not target.is_relative_to(root):
        return SourceFailure(path, "refused: a symlink that resolves outside the source folder")
    if not target.is_file():
        return SourceFailure(path, "not a regular file")
    size = target.stat().st_size
    if size > max_bytes:
        return SourceFailure(path, f"too large: {size} bytes, the limit is {max_bytes}")
    data = target.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return SourceFailure(path, f"not UTF-8: invalid byte at offset {error.start}")
    if "\x00" in text:
        return SourceFailure(path, "binary: contains NUL bytes")
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content
    if not text.strip():
        return SourceFailure(path, "empty document")
    return Document(path, text, hashlib.sha256(data).hexdigest())


def scan(
    source_dir: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES
) -> tuple[list[Document], list[SourceFailure]]:
    """Every document under SOURCE_DIR, and every file that failed to be one."""
    root = check_source_dir(source_dir)
    documents, failures = [], []
    for file in candidate_files(root):
        try:
            result = read_document(root, file, max_bytes=max_bytes)
        except (OSError, RuntimeError) as error:  # unreadable, vanished, a symlink loop
            reason = getattr(error, "strerror", None) or str(error)
            result = SourceFailure(file.relative_to(root).as_posix(), f"unreadable: {reason}")
        (documents if isinstance(result, Document) else failures).append(result)
    return documents, failures
