"""The shared chunkers: offsets that point back into the source, sizes kept, bad input refused."""

import pytest

from backend_skills.chunking import (
    CHUNKERS,
    fixed_size_chunks,
    heading_chunks,
    make_chunks,
    markdown_sections,
    token_count,
)

DOCUMENT = """Intro line before any heading.

# Title

First paragraph of the title section, long enough to matter for a small chunk size.

```bash
# not a heading: a comment in a code fence
echo hi
```

## Second

Second section body. Another sentence here, and one more to make it longer than forty.
"""


@pytest.mark.parametrize("chunker", CHUNKERS)
def test_every_chunk_is_the_source_text_at_its_offsets(chunker):
    chunks = make_chunks(DOCUMENT, chunker, 60, 10)
    assert chunks
    for chunk in chunks:
        assert DOCUMENT[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 60


def test_fixed_windows_overlap_by_exactly_the_overlap():
    chunks = fixed_size_chunks("abcdefghij" * 5, 20, 5)
    assert [c.start for c in chunks] == [0, 15, 30]
    assert chunks[0].text[-5:] == chunks[1].text[:5]
    assert chunks[-1].end == 50


def test_headings_inside_code_fences_are_not_sections():
    headings = [heading for heading, _, _ in markdown_sections(DOCUMENT)]
    assert headings == ["", "Title", "Second"]


def test_heading_chunks_keep_the_heading_and_split_long_sections():
    whole = heading_chunks(DOCUMENT, 1000)
    assert [c.heading for c in whole] == ["", "Title", "Second"]
    split = heading_chunks(DOCUMENT, 60, 10)
    assert len(split) > len(whole)
    assert {c.heading for c in split} == {"", "Title", "Second"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sentences", 100, 0), "unknown chunker 'sentences'"),
        (("fixed", 100, 100), "chunk overlap (100) must be smaller than the chunk size (100)"),
        (("recursive", 0, 0), "chunk size must be a positive integer"),
        (("heading", 100, -1), "chunk overlap must be a non-negative integer"),
    ],
)
def test_bad_input_is_one_line_naming_what_was_wrong(args, message):
    with pytest.raises(
        ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        make_chunks(DOCUMENT, *args)
    assert "\n" not in str(error.value)


def test_token_count_uses_the_shipped_llama_tokenizer():
    # Llama-2's sentencepiece vocabulary: "Chunking" is three pieces, "splits" two.
    assert token_count("Chunking splits documents.") == 7
    assert token_count("") == 0
