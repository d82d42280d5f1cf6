"""The hook the course's OpenAPI check uses to build this example's app (see README).

This is a public question-answering API without bearer tokens, so it declares no
API_CONTRACT.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from rag_pipeline.api import create_app
from rag_pipeline.settings import Settings


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app whose store lives under work_dir (the handbook is ingested on creation)."""
    return create_app(Settings(store=Path(work_dir) / "store.db"))
