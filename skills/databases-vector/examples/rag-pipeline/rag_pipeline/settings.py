"""Every knob in one place, with the values the example ships as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    corpus: Path = EXAMPLE_DIR / "handbook"  # the markdown files answers come from
    store: Path = EXAMPLE_DIR / "rag_pipeline.db"  # chunks and vectors (SQLite)
    # A chunk holds one section, cut into windows of whole sentences above this size, each
    # repeating up to overlap_chars of the one before. The handbook's sections are 200 to
    # 350 characters: most are one chunk, the longer ones two.
    chunk_max_chars: int = 300
    chunk_overlap_chars: int = 100
    # Below this relevance (retrieval.Passage.relevance) of the best retrieved chunk the
    # answer is "I don't know". Measured on labelled_questions.yaml: the 30 labelled
    # questions' best chunks score 0.36, 0.39, then 0.46 to 0.83; the 10 off-topic ones at
    # most 0.37. So 0.42 answers no off-topic question and refuses two paraphrases.
    min_relevance: float = 0.42
    max_body_bytes: int = 8192
    # An OpenAI-compatible server (its base URL ends in /v1: vLLM, llama.cpp, Ollama, a
    # hosted API); None answers with the offline ExtractiveGenerator.
    llm_base_url: str | None = None
    llm_model: str = "default"
    llm_api_key: str | None = None
    llm_timeout_seconds: float = 60.0

    @classmethod
    def from_environment(cls) -> Settings:
        """Settings with RAG_PIPELINE_* variables where they are set."""
        env = os.environ.get
        return cls(
            corpus=Path(env("RAG_PIPELINE_CORPUS", cls.corpus)),
            store=Path(env("RAG_PIPELINE_STORE", cls.store)),
            llm_base_url=env("RAG_PIPELINE_LLM_BASE_URL") or None,
            llm_model=env("RAG_PIPELINE_LLM_MODEL", cls.llm_model),
            llm_api_key=env("RAG_PIPELINE_LLM_API_KEY") or None,
        )
