"""The recursive character splitter written by hand (notebook 05-02).

LangChain's ``RecursiveCharacterTextSplitter`` in about fifty lines, on spans (start, end)
of the source instead of copied strings, so every chunk knows its offsets by construction.
The notebook checks that it cuts the course's library exactly as LangChain does.

The algorithm, with LangChain's defaults (``keep_separator=True``, which keeps each
separator at the start of the piece after it, and ``strip_whitespace=True``):

1. pick the first separator of paragraph, line, word, character that occurs in the text;
2. cut the text before each occurrence of it;
3. merge consecutive pieces shorter than ``size`` into chunks of at most ``size``; when a
   chunk is full, start the next one with the last pieces of the full one, as many as fit
   in ``overlap``;
4. a piece that is ``size`` or longer is split again with the remaining separators.
"""

from __future__ import annotations

SEPARATORS = ("\n\n", "\n", " ", "")  # paragraph, line, word, character

Span = tuple[int, int]  # (start, end) offsets into the source text


# region pick-and-cut
def pick_separator(text: str, span: Span, separators: tuple[str, ...]) -> tuple[str, tuple]:
    """The first separator found in the span, and the finer ones left to try after it."""
    for index, separator in enumerate(separators):
        if separator == "" or text.find(separator, *span) != -1:
            return separator, separators[index + 1 :] if separator else ()
    return "", ()


def cut_before(text: str, span: Span, separator: str) -> list[Span]:
    """Cut the span before each occurrence of SEPARATOR, which starts the next piece."""
    start, end = span
    if separator == "":
        return [(i, i + 1) for i in range(start, end)]
    cuts, found = [start], text.find(separator, start, end)
    while found != -1:
        cuts.append(found)
        found = text.find(separator, found + len(separator), end)
    cuts.append(end)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


# endregion


# region merge
def stripped(text: str, start: int, end: int) -> Span | None:
    """The span without leading and trailing whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def merge(text: str, pieces: list[Span], size: int, overlap: int) -> list[Span]:
    """Pack contiguous pieces into chunks of at most SIZE, carrying up to OVERLAP over."""
    chunks, current, total = [], [], 0
    for piece in pieces:
        length = piece[1] - piece[0]
        if total + length > size and current:
            if chunk := stripped(text, current[0][0], current[-1][1]):
                chunks.append(chunk)
            # Drop pieces from the front until what is left fits the overlap and the next piece.
            while total > overlap or (total + length > size and total > 0):
                total -= current[0][1] - current[0][0]
                current = current[1:]
        current.append(piece)
        total += length
    if current and (chunk := stripped(text, current[0][0], current[-1][1])):
        chunks.append(chunk)
    return chunks


# endregion


# region recurse
def split_span(text: str, span: Span, size: int, overlap: int, separators: tuple) -> list[Span]:
    separator, finer = pick_separator(text, span, separators)
    chunks, short = [], []
    for piece in cut_before(text, span, separator):
        if piece[1] - piece[0] < size:
            short.append(piece)
            continue
        chunks += merge(text, short, size, overlap)  # flush the short pieces before it
        short = []
        chunks += split_span(text, piece, size, overlap, finer) if finer else [piece]
    return chunks + merge(text, short, size, overlap)


def recursive_split(text: str, size: int, overlap: int = 0) -> list[Span]:
    """The (start, end) of each chunk of TEXT, as RecursiveCharacterTextSplitter cuts it."""
    return split_span(text, (0, len(text)), size, overlap, SEPARATORS)


# endregion
