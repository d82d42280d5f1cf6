"""Request and response models. Every request model forbids unknown fields, so a typo in a
filter name is a 422 instead of a filter silently ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# k is bounded: every result is a row read, serialized and sent, and past a few dozen
# nearest neighbours a vector search is no longer answering the question.
MAX_K = 50
DEFAULT_K = 5
MAX_BATCH = 100
MAX_TEXT_CHARS = 2000
MAX_QUERY_CHARS = 500
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
YEAR_MIN, YEAR_MAX = 1900, 2100


def not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain a non-space character")
    return text


NonBlank = Annotated[str, AfterValidator(not_blank)]


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(pattern=CATEGORY_PATTERN, examples=["kitchen"])
    year: int = Field(ge=YEAR_MIN, le=YEAR_MAX, examples=[2024])


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, examples=["kitchen-11"])
    text: NonBlank = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    metadata: Metadata


class UpsertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def ids_are_unique(self) -> UpsertRequest:
        # Two versions of one id in a batch: which should win is a guess, so refuse it.
        ids = [d.id for d in self.documents]
        if len(set(ids)) != len(ids):
            raise ValueError("document ids must be unique within a batch")
        return self


class UpsertResult(BaseModel):
    created: int = Field(description="New ids, embedded and stored")
    updated: int = Field(description="Known ids whose text or metadata changed, re-embedded")
    unchanged: int = Field(description="Known ids with the same content hash, not re-embedded")


class DocumentOut(BaseModel):
    id: str
    text: str
    metadata: Metadata


class SearchParams(BaseModel):
    """The query string of GET /search."""

    model_config = ConfigDict(extra="forbid")

    q: NonBlank = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for")
    k: int = Field(DEFAULT_K, ge=1, le=MAX_K, description="How many results, at most")
    category: str | None = Field(None, pattern=CATEGORY_PATTERN, description="Only this category")
    year_gte: int | None = Field(
        None, ge=YEAR_MIN, le=YEAR_MAX, description="Only documents from this year or later"
    )


class SearchHit(BaseModel):
    id: str
    text: str
    metadata: Metadata
    score: float = Field(description="Cosine similarity to the query, at most 1")


class SearchResults(BaseModel):
    query: str
    k: int
    results: list[SearchHit] = Field(description="Best first; fewer than k if filters leave fewer")
