"""Markdown into chunks: one per section (a heading and the text under it), capped in size.

A section is the unit an answer cites ("reimbursements.md, When people get paid"), so the
split follows the headings. A section longer than the cap is cut into windows of whole
sentences, each repeating the last sentences of the one before (the overlap), so a fact
that straddles a cut is whole in at least one window. The heading path travels with
every chunk: it is part of what is embedded, and it names the chunk in a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .hybrid_retrieval import Document

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Chunk:
    source: str  # the file's path relative to the corpus folder, e.g. "reimbursements.md"
    position: int  # 0, 1, 2 ... in the file
    heading: str  # the heading path, e.g. "Reimbursements and payouts > When people get paid"
    text: str

    @property
    def id(self) -> str:
        return f"{self.source}#{self.position}"

    @property
    def document(self) -> Document:
        """The chunk as the index sees it: the heading path is its title, which is embedded
        with the text and weighs double in BM25, since it says what the text is about."""
        return Document(
            id=self.id,
            text=self.text,
            title=self.heading,
            metadata={"source": self.source, "heading": self.heading},
        )


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading path, body) for every heading with text under it, in file order.

    Headings inside fenced code blocks are code, not structure. Lines of a paragraph are
    joined with spaces, paragraphs with a blank line.
    """
    found: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    lines: list[str] = []
    in_fence = False

    def end_paragraph() -> None:
        if lines:
            paragraphs.append(" ".join(lines) if not in_fence else "\n".join(lines))
            lines.clear()

    def end_section() -> None:
        end_paragraph()
        if paragraphs:
            heading = " > ".join(title for _, title in path)
            found.append((heading, "\n\n".join(paragraphs)))
            paragraphs.clear()

    for raw in markdown.splitlines():
        if FENCE.match(raw):
            end_paragraph()
            in_fence = not in_fence
            continue
        heading = None if in_fence else HEADING.match(raw)
        if heading:
            end_section()
            level = len(heading.group(1))
            path[:] = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, heading.group(2)))
        elif in_fence:
            lines.append(raw)
        elif raw.strip():
            lines.append(raw.strip())
        else:
            end_paragraph()
    end_section()
    return found


def split_sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(text.replace("\n\n", " ")) if part.strip()]


def windows(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    """TEXT as one piece if it fits in MAX_CHARS, else as windows of whole sentences.

    Each window after the first starts with the last sentences of the one before that fit
    in OVERLAP_CHARS. A single sentence longer than the cap is cut at spaces.
    """
    if len(text) <= max_chars:
        return [text]
    sentences: list[str] = []
    for sentence in split_sentences(text):
        sentences.extend(_cut_long(sentence, max_chars))
    result: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence])) > max_chars:
            result.append(" ".join(current))
            carried: list[str] = []
            for previous in reversed(current):
                if len(" ".join([previous, *carried, sentence])) > max_chars:
                    break
                if len(" ".join([previous, *carried])) > overlap_chars:
                    break
                carried.insert(0, previous)
            current = carried
        current.append(sentence)
    result.append(" ".join(current))
    return result


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*pieces, sentence] if sentence else pieces


def chunk_markdown(
    source: str, markdown: str, *, max_chars: int, overlap_chars: int
) -> list[Chunk]:
    """The chunks of one markdown file, numbered in file order."""
    if overlap_chars >= max_chars:
        raise ValueError("the overlap must be smaller than the chunk size")
    pieces = [
        (heading, piece)
        for heading, body in sections(markdown)
        for piece in windows(body, max_chars, overlap_chars)
    ]
    return [
        Chunk(source=source, position=position, heading=heading, text=text)
        for position, (heading, text) in enumerate(pieces)
    ]
