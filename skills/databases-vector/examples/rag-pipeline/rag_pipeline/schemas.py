"""Request and response bodies of the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Bounds on the work one request can cause: the question is embedded and searched, and
# each passage is embedded again sentence by sentence by the extractive generator.
MAX_QUESTION_CHARS = 1000
DEFAULT_K = 4
MAX_K = 10


class Citation(BaseModel):
    n: int = Field(description="The number the answer cites it by, as [n].")
    source: str = Field(description="The markdown file, relative to the corpus folder.")
    heading: str = Field(description="The section's heading path.")
    score: float = Field(
        description="Relevance in [0, 1]: the mean of cosine similarity and word coverage."
    )


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation]


class AskRequest(BaseModel):
    # Surrounding spaces are stripped first, so a question of spaces is empty.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=DEFAULT_K, ge=1, le=MAX_K, description="Passages to retrieve.")
