"""Chunkers for the course's ingestion lessons, and the tokenizer that counts their tokens.

Three strategies, each returning ``Chunk`` objects that remember where in the source they
came from (character offsets), so a retrieved chunk can cite its section:

- ``fixed_size_chunks``: windows of ``size`` characters, each starting ``size - overlap``
  after the last. Cuts words and sentences in half; the baseline.
- ``recursive_chunks``: LangChain's ``RecursiveCharacterTextSplitter`` (paragraphs, then
  lines, then words, then characters, merged up to ``size`` with ``overlap``), the splitter
  most RAG stacks default to. 05-02 writes the algorithm by hand and checks that it agrees.
- ``heading_chunks``: one chunk per Markdown section (a heading and its body, code fences
  respected), a section longer than ``size`` split recursively inside it; each chunk
  carries its heading, which is the cheapest context an embedder can be given.

``make_chunks(text, chunker, size, overlap)`` picks one by name and checks the numbers;
bad input is a ``ValueError`` with one line naming what was wrong.

``token_count`` counts tokens with the Llama-2 tokenizer that ships inside the wordllama
wheel (32,000 pieces). tiktoken would be the obvious pick, but it downloads its encodings
from the network the first time one is used, and nothing here may fetch at run time.

Self-contained (the standard library, ``langchain-text-splitters`` and ``tokenizers``), so
the ingestion example carries it as a copy (course.yaml's copies list).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CHUNKERS = ("fixed", "recursive", "heading")
# Paragraph, line, word, character: what RecursiveCharacterTextSplitter tries in turn.
SEPARATORS = ("\n\n", "\n", " ", "")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: its text and where it sits in the source."""

    text: str
    start: int  # offset of the first character in the source text
    end: int  # offset one past the last character
    heading: str = ""  # the Markdown heading the chunk sits under, if known


def check_sizes(size: int, overlap: int) -> None:
    """Raise ValueError unless 0 < size and 0 <= overlap < size."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chunk size must be a positive integer, got {size!r}")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise ValueError(f"chunk overlap must be a non-negative integer, got {overlap!r}")
    if overlap >= size:
        raise ValueError(f"chunk overlap ({overlap}) must be smaller than the chunk size ({size})")


def fixed_size_chunks(text: str, size: int, overlap: int = 0) -> list[Chunk]:
    """Windows of ``size`` characters, consecutive windows sharing ``overlap``."""
    check_sizes(size, overlap)
    step = size - overlap
    chunks = []
    for start in range(0, len(text), step):
        piece = text[start : start + size]
        if piece.strip():
            chunks.append(Chunk(piece, start, start + len(piece)))
        if start + size >= len(text):
            break
    return chunks


def recursive_chunks(
    text: str, size: int, overlap: int = 0, *, offset: int = 0, heading: str = ""
) -> list[Chunk]:
    """LangChain's recursive splitter; ``offset`` shifts the offsets (for a section's body)."""
    check_sizes(size, overlap)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=list(SEPARATORS), add_start_index=True
    )
    chunks = []
    for document in splitter.create_documents([text]):
        start = offset + document.metadata["start_index"]
        chunks.append(
            Chunk(document.page_content, start, start + len(document.page_content), heading)
        )
    return chunks


def markdown_sections(text: str) -> list[tuple[str, int, int]]:
    """(heading, start, end) of each section: a heading line up to the next heading.

    Text before the first heading is a section with an empty heading. Lines inside code
    fences are never headings (a ``# comment`` in a bash block is not a section).
    """
    sections: list[tuple[str, int, int]] = []
    heading, start, in_fence, position = "", 0, False, 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match and position > start:
            sections.append((heading, start, position))
        if match:
            heading, start = match.group(2), position
        position += len(line)
    if position > start:
        sections.append((heading, start, position))
    return [section for section in sections if text[section[1] : section[2]].strip()]


def heading_chunks(text: str, size: int, overlap: int = 0) -> list[Chunk]:
    """One chunk per Markdown section; a section longer than ``size`` split recursively."""
    check_sizes(size, overlap)
    chunks = []
    for heading, start, end in markdown_sections(text):
        body = text[start:end]
        if len(body) <= size:
            chunks.append(Chunk(body, start, end, heading))
        else:
            chunks.extend(recursive_chunks(body, size, overlap, offset=start, heading=heading))
    return chunks


_BY_NAME: dict[str, Callable[..., list[Chunk]]] = {
    "fixed": fixed_size_chunks,
    "recursive": recursive_chunks,
    "heading": heading_chunks,
}


def make_chunks(text: str, chunker: str, size: int, overlap: int = 0) -> list[Chunk]:
    """Chunk ``text`` with the strategy named ``chunker`` (one of ``CHUNKERS``)."""
    if chunker not in _BY_NAME:
        raise ValueError(f"unknown chunker {chunker!r}: choose one of {', '.join(CHUNKERS)}")
    if not isinstance(text, str):
        raise ValueError(f"expected the document's text as str, got {type(text).__name__}")
    return _BY_NAME[chunker](text, size, overlap)


@cache
def llama_tokenizer():
    """The Llama-2 tokenizer (``tokenizers.Tokenizer``) shipped in the wordllama wheel."""
    import wordllama
    from tokenizers import Tokenizer

    package = Path(wordllama.__file__).resolve().parent
    return Tokenizer.from_file(str(package / "tokenizers" / "l2_supercat_tokenizer_config.json"))


def token_count(text: str) -> int:
    """How many Llama-2 tokens ``text`` is, without the begin-of-sequence token."""
    return len(llama_tokenizer().encode(text, add_special_tokens=False).ids)
