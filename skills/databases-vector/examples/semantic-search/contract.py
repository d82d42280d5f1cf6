"""The hook the course's OpenAPI check uses to build this example's app (see README).

This is a public search API without bearer tokens, so it declares no API_CONTRACT.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from semantic_search.api import Settings, create_app


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app whose Chroma files live under work_dir (the sample is loaded on start-up)."""
    return create_app(Settings(data_dir=Path(work_dir) / "chroma"))
