"""Citation markers: [n] names the n-th passage of the prompt's context.

An answer may only cite what it was given. The extractive generator cannot do otherwise;
a language model can write [7] with five passages, or [12] for a passage it imagined. So
every answer, whole or streamed, passes through ``CitationFilter``, which keeps the
markers that name a passage and drops the rest.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"\s?\[(\d{1,3})\]")
# The longest unfinished marker a piece of a stream can end with: "[" and three digits.
LONGEST_OPEN_MARKER = 4


def cited_numbers(answer: str) -> list[int]:
    """The passage numbers ANSWER cites, in order of first citation."""
    return list(dict.fromkeys(int(number) for number in MARKER.findall(answer)))


class CitationFilter:
    """Drops markers outside VALID from a text that arrives in pieces.

    A piece can end inside a marker ("... twice a week [", "2] ..."), so a trailing "["
    with no "]" after it is held back until the next piece, or ``flush``; so is the one
    space before it, or a trailing space, which a dropped marker takes with it.
    """

    def __init__(self, valid: set[int]) -> None:
        self.valid = valid
        self.pending = ""

    def feed(self, piece: str) -> str:
        text = self.pending + piece
        hold = len(text)
        start = text.rfind("[")
        if start != -1 and "]" not in text[start:] and len(text) - start <= LONGEST_OPEN_MARKER:
            hold = start
        if hold and text[hold - 1].isspace():
            hold -= 1
        text, self.pending = text[:hold], text[hold:]
        return self._clean(text)

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return self._clean(text)

    def _clean(self, text: str) -> str:
        return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in self.valid else "", text)


def keep_valid_citations(answer: str, valid: set[int]) -> str:
    citations = CitationFilter(valid)
    return citations.feed(answer) + citations.flush()
