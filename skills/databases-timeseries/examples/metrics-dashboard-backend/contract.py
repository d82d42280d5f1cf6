"""The hook the course's OpenAPI check uses to build this example's app (see README).

This is a metrics API without bearer tokens (put it behind your gateway's auth), so it
declares no API_CONTRACT.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from metrics_dashboard.api import Settings, create_app


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app whose DuckDB file lives under work_dir."""
    return create_app(Settings(db_path=Path(work_dir) / "metrics.duckdb"))
