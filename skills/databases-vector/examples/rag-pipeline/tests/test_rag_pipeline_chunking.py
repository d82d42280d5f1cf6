"""Chunks follow the headings, carry the heading path, and respect the size cap with overlap."""

from __future__ import annotations

import pytest
from rag_pipeline.chunking import chunk_markdown, sections, split_sentences, windows
from rag_pipeline.ingestion import markdown_files
from rag_pipeline.settings import Settings

DOC = """# Guide

Intro text.

## Setup

First line
continues here.

Second paragraph.

### Details

Fine print.

```
# not a heading
code line
```

## Empty section

## Last

Bye.
"""


def test_sections_follow_headings_with_their_path_and_skip_empty_ones():
    found = sections(DOC)
    assert [heading for heading, _ in found] == [
        "Guide",
        "Guide > Setup",
        "Guide > Setup > Details",
        "Guide > Last",
    ]
    # The lines of a paragraph are joined; paragraphs stay apart.
    assert found[1][1] == "First line continues here.\n\nSecond paragraph."


def test_a_heading_inside_a_code_fence_is_code():
    details = dict(sections(DOC))["Guide > Setup > Details"]
    assert "# not a heading\ncode line" in details


SENTENCES = [f"Sentence number {i} says something about topic {i}." for i in range(12)]


def test_a_long_section_is_cut_into_windows_of_whole_sentences_that_overlap():
    text = " ".join(SENTENCES)
    pieces = windows(text, max_chars=200, overlap_chars=100)
    assert len(pieces) > 2
    assert all(len(piece) <= 200 for piece in pieces)
    for before, after in zip(pieces, pieces[1:], strict=False):
        # Every window starts with the last sentence(s) of the one before.
        assert split_sentences(after)[0] in split_sentences(before)
    # Nothing is lost: every sentence is in some window.
    assert {s for piece in pieces for s in split_sentences(piece)} == set(SENTENCES)


def test_a_short_section_is_one_window_and_a_huge_sentence_is_cut_at_spaces():
    assert windows("Short.", max_chars=100, overlap_chars=20) == ["Short."]
    huge = " ".join(["word"] * 100)
    pieces = windows(huge, max_chars=50, overlap_chars=10)
    assert all(len(piece) <= 50 for piece in pieces)
    assert " ".join(pieces).split() == huge.split()


def test_chunk_ids_number_the_chunks_of_a_file_and_the_overlap_must_be_smaller():
    chunks = chunk_markdown("guide.md", DOC, max_chars=300, overlap_chars=50)
    assert [c.id for c in chunks] == ["guide.md#0", "guide.md#1", "guide.md#2", "guide.md#3"]
    assert chunks[1].document.title == "Guide > Setup"
    assert chunks[1].document.metadata == {"source": "guide.md", "heading": "Guide > Setup"}
    with pytest.raises(ValueError, match="overlap"):
        chunk_markdown("guide.md", DOC, max_chars=100, overlap_chars=100)


def test_the_shipped_handbook_chunks_within_the_cap_and_some_sections_are_split():
    settings = Settings()
    chunks = [
        chunk
        for source, text in markdown_files(settings.corpus).items()
        for chunk in chunk_markdown(
            source,
            text,
            max_chars=settings.chunk_max_chars,
            overlap_chars=settings.chunk_overlap_chars,
        )
    ]
    assert 10 <= len(markdown_files(settings.corpus)) <= 15
    assert all(len(chunk.text) <= settings.chunk_max_chars for chunk in chunks)
    headings = [(chunk.source, chunk.heading) for chunk in chunks]
    assert len(set(headings)) < len(headings), "no section is long enough to be split"
