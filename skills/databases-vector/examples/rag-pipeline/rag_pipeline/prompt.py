"""The prompt: numbered passages, each with its source path and heading, then the question.

The numbers are what the answer cites ([2]), and the API returns the same numbers with
each citation, so a reader can check every claim against its source.
"""

from __future__ import annotations

from .retrieval import Passage

SYSTEM_PROMPT = (
    "You answer questions about a product from its handbook. Use only the numbered "
    "passages in the user's message. After each sentence, cite the passage it comes from "
    "by its number in brackets, like [2]. If the passages do not answer the question, "
    'answer exactly "I don\'t know." Be brief.'
)


def context_block(passages: list[Passage]) -> str:
    return "\n\n".join(
        f"[{p.n}] {p.chunk.source} | {p.chunk.heading}\n{p.chunk.text}" for p in passages
    )


def build_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    """The chat messages of an OpenAI-compatible /v1/chat/completions request."""
    user = f"Passages:\n\n{context_block(passages)}\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
